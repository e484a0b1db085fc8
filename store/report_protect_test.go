package store

import (
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

// disclosures are the counts of 1 to 4 a reader can compute from what the
// report publishes: through any sum of its relations taken together (each
// published cell a known value, each suppressed cell and each rest an
// unknown), through a share or median printed beside a hidden count, or
// because the hidden cells of a sum can only all be 1. Empty when the
// report gives no small count back.
func disclosures(r *ProgrammeReport) []string {
	var found []string
	walkReport(r, nil, func(path string, s *Share) {
		if s.Value != nil && (s.Part.Suppressed || s.Whole.Suppressed) {
			found = append(found, fmt.Sprintf("%s: share %v printed beside a hidden part or whole", path, *s.Value))
		}
	}, func(path string, d *Durations) {
		if (d.MedianDay != nil || d.P90Day != nil) && d.Count.N < SuppressBelow {
			found = append(found, fmt.Sprintf("%s: median of %d", path, d.Count.N))
		}
	})

	return append(found, relationDisclosures(r.relations())...)
}

// relationDisclosures are the small counts a reader computes from the
// published cells of the relations taken together.
func relationDisclosures(rels []relation) []string {
	var found []string
	// The unknowns: every suppressed cell and every rest.
	index, names, values := map[*Count]int{}, []string{}, []int{}
	unknown := func(c *Count, name string) int {
		if i, ok := index[c]; ok {
			return i
		}
		index[c] = len(values)
		names, values = append(names, name), append(values, c.N)
		return index[c]
	}
	type cells struct {
		parts []int // unknown parts, the rest among them
		real  []int // of them, the report's cells
		total int   // -1 when published
	}
	groups := make([]cells, len(rels))
	for g, rel := range rels {
		groups[g].total = -1
		if rel.total.Suppressed {
			groups[g].total = unknown(rel.total, rel.name+": total")
		}
		for i, p := range rel.parts {
			if p.Suppressed {
				u := unknown(p, fmt.Sprintf("%s: part %d", rel.name, i))
				groups[g].parts, groups[g].real = append(groups[g].parts, u), append(groups[g].real, u)
			}
		}
		if !rel.exact {
			rest := &Count{N: rel.rest()}
			groups[g].parts = append(groups[g].parts, unknown(rest, rel.name+": rest"))
		}
	}
	// One equation per relation, over the unknowns: total - parts - rest
	// is a number the reader knows.
	rows := make([][]*big.Rat, len(rels))
	for g := range rels {
		row := zeros(len(values))
		if groups[g].total >= 0 {
			row[groups[g].total].SetInt64(1)
		}
		for _, u := range groups[g].parts {
			row[u].SetInt64(-1)
		}
		rows[g] = row
	}
	determined := span(rows)
	alone := make([]bool, len(values))
	for u := range values {
		v := zeros(len(values))
		v[u].SetInt64(1)
		alone[u] = determined(v)
	}

	// What a reader would look for: each hidden cell or rest, the hidden
	// parts of a sum together, and a hidden total less some of its parts.
	seen := map[string]bool{}
	for g, rel := range rels {
		ps := groups[g].parts
		for mask := 1; mask < 1<<len(ps); mask++ {
			for _, withTotal := range []bool{false, true} {
				if withTotal && groups[g].total < 0 {
					continue
				}
				v, value, ones, desc := zeros(len(values)), 0, 0, []string{}
				for i, u := range ps {
					if mask&(1<<i) != 0 {
						v[u].SetInt64(1)
						value += values[u]
						desc = append(desc, names[u])
						if containsInt(groups[g].real, u) {
							ones++
						}
					}
				}
				if withTotal {
					for _, x := range v {
						x.Neg(x)
					}
					v[groups[g].total].SetInt64(1)
					value = values[groups[g].total] - value
					desc, ones = append([]string{names[groups[g].total] + " less"}, desc...), 0
				}
				key := fmt.Sprint(v)
				if seen[key] || !determined(v) {
					continue
				}
				seen[key] = true
				if small(value) || (ones > 0 && ones == len(desc) && value == ones) {
					found = append(found, fmt.Sprintf("%s (%s) = %d", rel.name, strings.Join(desc, " + "), value))
				}
			}
		}
		// The total alone, hidden beside published parts.
		if t := groups[g].total; t >= 0 {
			v := zeros(len(values))
			v[t].SetInt64(1)
			if key := fmt.Sprint(v); !seen[key] && determined(v) && small(values[t]) {
				seen[key] = true
				found = append(found, fmt.Sprintf("%s = %d", names[t], values[t]))
			}
		}
	}
	// And any two or three hidden cells or rests together, whatever
	// relations they are in: a chain of subsets (referred, with a coach,
	// with an intake) gives the rests of two relations together.
	for a := range values {
		for b := a + 1; b < len(values); b++ {
			for c := b; c <= len(values); c++ {
				if alone[a] || alone[b] || (c > b && c < len(values) && alone[c]) {
					continue // what one of them adds is known
				}
				v, desc, value := zeros(len(values)), []string{names[a], names[b]}, values[a]+values[b]
				v[a].SetInt64(1)
				v[b].SetInt64(1)
				if c > b && c < len(values) {
					v[c].SetInt64(1)
					desc, value = append(desc, names[c]), value+values[c]
				} else if c > b {
					continue
				}
				if key := fmt.Sprint(v); !seen[key] && determined(v) && small(value) {
					seen[key] = true
					found = append(found, fmt.Sprintf("%s = %d", strings.Join(desc, " + "), value))
				}
			}
		}
	}
	return found
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func zeros(n int) []*big.Rat {
	v := make([]*big.Rat, n)
	for i := range v {
		v[i] = new(big.Rat)
	}
	return v
}

// span reduces the rows to echelon form, by Gaussian elimination over the
// rationals, and tells whether a vector is a combination of them: whether
// a reader who knows each row's value knows the vector's.
func span(rows [][]*big.Rat) func([]*big.Rat) bool {
	var basis [][]*big.Rat
	var pivots []int
	reduce := func(v []*big.Rat) []*big.Rat {
		w := make([]*big.Rat, len(v))
		for j, x := range v {
			w[j] = new(big.Rat).Set(x)
		}
		for i, b := range basis {
			if p := pivots[i]; w[p].Sign() != 0 {
				f := new(big.Rat).Quo(w[p], b[p])
				for j := range w {
					w[j].Sub(w[j], new(big.Rat).Mul(f, b[j]))
				}
			}
		}
		return w
	}
	for _, row := range rows {
		w := reduce(row)
		for j, x := range w {
			if x.Sign() != 0 {
				basis, pivots = append(basis, w), append(pivots, j)
				break
			}
		}
	}
	return func(v []*big.Rat) bool {
		for _, x := range reduce(v) {
			if x.Sign() != 0 {
				return false
			}
		}
		return true
	}
}

// walkReport calls count for every Count in the report, share for every
// Share and durations for every Durations, each with its path.
func walkReport(r *ProgrammeReport, count func(string, *Count), share func(string, *Share), durations func(string, *Durations)) {
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch x := v.Addr().Interface().(type) {
		case *Count:
			if count != nil {
				count(path, x)
			}
			return
		case *Share:
			if share != nil {
				share(path, x)
			}
		case *Durations:
			if durations != nil {
				durations(path, x)
			}
		}
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() {
					walk(path+"."+f.Name, v.Field(i))
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case reflect.Pointer:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		}
	}
	walk("report", reflect.ValueOf(r).Elem())
}

// TestRelationsCoverTheReport: every count of the report is in a relation
// or named here as standing alone, so a figure added later is placed.
func TestRelationsCoverTheReport(t *testing.T) {
	r := baseline().figures()
	r.ClosureReasons = buckets(map[string]int{"moved_away": 6})
	r.Milestones = buckets(map[string]int{"opleiding_gestart": 7})
	placed := map[*Count]bool{
		// Standing alone: the report prints no total of closures or
		// milestones, and nothing that activities or consultations are
		// part of.
		&r.ClosureReasons[0].Count: true, &r.Milestones[0].Count: true, &r.ActivitiesAttended: true, &r.Consultations: true,
	}
	for _, rel := range r.relations() {
		placed[rel.total] = true
		for _, p := range rel.parts {
			placed[p] = true
		}
	}
	walkReport(&r, func(path string, c *Count) {
		if !placed[c] {
			t.Errorf("%s is in no relation (report_protect.go) and not named as standing alone", path)
		}
	}, nil, nil)
}

// TestDisclosuresFindsWhatArithmeticGives: the checker is not empty-handed
// on a report protected by primary suppression alone.
func TestDisclosuresFindsWhatArithmeticGives(t *testing.T) {
	r := cohort{orgs: []int{8, 3, 1}, coached: 10, late: 6, escalated: 5, made: 6, acked: 5}.figures()
	got := strings.Join(disclosures(&r), "\n")
	for _, want := range []string{
		"referred by organisation (referred by organisation: part 1 + referred by organisation: part 2) = 4",
		"referred with a coach (referred with a coach: rest) = 2",
		"late steps escalated (late steps escalated: rest) = 1",
		"handovers to ocmw acknowledged (handovers to ocmw acknowledged: rest) = 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("disclosures lack %q:\n%s", want, got)
		}
	}
	r.StepsLate.Part.Suppressed = true
	r.StepsLate.publish()
	r.StepsLate.Value = new(float64)
	r.ToIntake = Durations{Count: count(3), MedianDay: new(float64)}
	got = strings.Join(disclosures(&r), "\n")
	for _, want := range []string{"report.StepsLate: share 0 printed beside a hidden part", "report.ToIntake: median of 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("disclosures lack %q:\n%s", want, got)
		}
	}
}

// TestProtectTables: single sums, each with a remainder of 1 to 4 (and
// hidden cells that can only be 1), give nothing back once protected, and
// did before.
func TestProtectTables(t *testing.T) {
	type table struct {
		name  string
		total int
		parts []int
		exact bool
		gives bool // before protection
	}
	var cases []table
	for rem := 1; rem < SuppressBelow; rem++ {
		cases = append(cases,
			table{"two parts", 20, []int{20 - rem, rem}, true, true},
			table{"three parts", 20, []int{10, 10 - rem, rem}, true, true},
			table{"two small parts", 20, []int{20 - rem, 1, rem - 1}, true, true},
			table{"within", 20, []int{20 - rem}, false, true},
			table{"within, the rest below zero", 10, []int{10 + rem}, false, true},
			table{"within, a small part", 20, []int{rem}, false, false},
			table{"a small total of one part", rem, []int{rem}, true, false},
			table{"a small total within", rem, []int{0}, false, false},
		)
	}
	cases = append(cases,
		table{"five ones", 5, []int{1, 1, 1, 1, 1}, true, true},
		table{"six ones and a seven", 13, []int{7, 1, 1, 1, 1, 1, 1}, true, true},
		table{"nothing small", 20, []int{10, 10}, true, false})
	for _, c := range cases {
		total := count(c.total)
		rel := relation{name: c.name, total: &total, exact: c.exact}
		for _, n := range c.parts {
			p := count(n)
			rel.parts = append(rel.parts, &p)
		}
		rels := []relation{rel}
		if got := relationDisclosures(rels); (len(got) > 0) != c.gives {
			t.Errorf("%s %d = %v: before protection %q, want some: %v", c.name, c.total, c.parts, got, c.gives)
		}
		suppressComplements(rels)
		if got := relationDisclosures(rels); len(got) > 0 {
			t.Errorf("%s %d = %v: gives %q", c.name, c.total, c.parts, got)
		}
		if !c.gives && (total.Suppressed != small(c.total)) {
			t.Errorf("%s %d = %v: nothing to protect, yet the total is suppressed", c.name, c.total, c.parts)
		}
	}
}
