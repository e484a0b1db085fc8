package store

import (
	"strings"
	"testing"
)

// TestRelationsCoverTheReport: every count of the report is in a relation
// or named here as standing alone, and is a cell (report_hierarchy.go)
// under a key of its own, so a figure added later is placed in the report
// and in the sums of a year's counts over its quarters.
func TestRelationsCoverTheReport(t *testing.T) {
	r := baseline().figures()
	r.ClosureReasons = buckets(map[string]int{"moved_away": 6})
	r.Milestones = buckets(map[string]int{"opleiding_gestart": 7})
	r.Handovers = append(r.Handovers, ServiceHandovers{Service: "caw", Made: count(6), Acknowledged: count(5)})
	cells, keys := map[*Count]bool{}, map[string]bool{}
	for _, c := range r.cells() {
		if cells[c.count] || keys[c.key] {
			t.Errorf("cell %s is listed twice", c.key)
		}
		cells[c.count], keys[c.key] = true, true
	}
	placed := map[*Count]bool{
		// Standing alone: the report prints no total of closures or
		// milestones, and nothing that activities or consultations are
		// part of.
		&r.ClosureReasons[0].Count: true, &r.Milestones[0].Count: true, &r.ActivitiesAttended: true, &r.Consultations: true,
		// Goals are set and reached in different periods: neither is part
		// of the other, and the report prints no total of goals.
		&r.Goals[0].Set: true, &r.Goals[0].Reached: true,
	}
	for _, rel := range r.relations() {
		placed[rel.total] = true
		for _, p := range rel.parts {
			placed[p] = true
		}
	}
	walkReport(&r, "report", func(path string, c *Count) {
		if !placed[c] {
			t.Errorf("%s is in no relation (report_protect.go) and not named as standing alone", path)
		}
		if !cells[c] {
			t.Errorf("%s is not a cell (report_hierarchy.go): a year's report would not be protected with its quarters'", path)
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
		suppressComplements(rels, nil)
		if got := relationDisclosures(rels); len(got) > 0 {
			t.Errorf("%s %d = %v: gives %q", c.name, c.total, c.parts, got)
		}
		if !c.gives && (total.Suppressed != small(c.total)) {
			t.Errorf("%s %d = %v: nothing to protect, yet the total is suppressed", c.name, c.total, c.parts)
		}
	}
}

// TestProtectTakesRelationsTogether: a cell suppressed to protect one sum
// (22 = 2 + 20) that another pins down up to its rest (20 within 20) gives
// the small count back with that rest: relation by relation nothing shows,
// and protect suppresses one more cell.
func TestProtectTakesRelationsTogether(t *testing.T) {
	total, small, part, within := count(22), count(2), count(20), count(20)
	rels := []relation{
		{"sum", &total, []*Count{&small, &part}, true},
		{"within", &part, []*Count{&within}, false},
	}
	suppressComplements(rels, nil)
	if got := relationDisclosures(rels); len(got) == 0 || !part.Suppressed {
		t.Fatalf("relation by relation: %q, %+v; want the 20 suppressed and a small count given", got, part)
	}
	protect(rels, nil)
	if got := relationDisclosures(rels); len(got) > 0 || !within.Suppressed || total.Suppressed {
		t.Errorf("protected: %q; total %+v, within %+v", got, total, within)
	}
}
