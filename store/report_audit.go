package store

import (
	"fmt"
	"slices"
	"strings"
)

// Suppressing cell by cell, a relation at a time (report_protect.go),
// misses what a reader finds by taking several relations together: a
// cell suppressed for one relation can be pinned down by another up to a
// small rest, and the two together give a small count back (a year's
// count suppressed to protect a quarter's, and the year's visits planned
// less those done). So the suppression is checked as a reader would check it: every
// relation is an equation over what the reader does not know (each
// suppressed cell and each rest), solved by Gaussian elimination in
// integers, and a count of 1 to 4 among them, or a sum of a few, that the
// equations give is a disclosure; protect (report_hierarchy.go) suppresses
// a cell of the relations that give it, and checks again.

// A disclosure is a count of 1 to 4 that the published cells give back.
type disclosure struct {
	what string
	from bitset // the relations whose equations give it
}

// unknowns are what a reader does not know in each relation.
type unknowns struct {
	parts []int // unknown parts, the rest among them
	real  []int // of them, the report's cells
	total int   // -1 when published
}

// reader is what a reader can compute from the published cells of rels.
type reader struct {
	rels     []relation
	names    []string
	values   []int
	groups   []unknowns
	basis    []equation // in reduced echelon form
	pivots   []int
	overflow bool // too large to solve in int64: nothing is known safe
}

// An equation is a sum of unknowns, a coefficient each, that a reader
// knows the value of, and the relations it is made from.
type equation struct {
	v    map[int]int64
	from bitset
}

// newReader sets down the relations as equations, reduced.
func newReader(rels []relation) *reader {
	r := &reader{rels: rels, groups: make([]unknowns, len(rels))}
	index := map[*Count]int{}
	unknown := func(c *Count, name string) int {
		if i, ok := index[c]; ok {
			return i
		}
		index[c] = len(r.values)
		r.names, r.values = append(r.names, name), append(r.values, c.N)
		return index[c]
	}
	for g, rel := range rels {
		u := &r.groups[g]
		u.total = -1
		if rel.total.Suppressed {
			u.total = unknown(rel.total, rel.name+": total")
		}
		for i, p := range rel.parts {
			if p.Suppressed {
				n := unknown(p, fmt.Sprintf("%s: part %d", rel.name, i))
				u.parts, u.real = append(u.parts, n), append(u.real, n)
			}
		}
		if !rel.exact {
			u.parts = append(u.parts, unknown(&Count{N: rel.rest()}, rel.name+": rest"))
		}
	}
	// One equation per relation: total - parts - rest is a number the
	// reader knows.
	for g := range rels {
		e := equation{v: map[int]int64{}, from: newBitset(len(rels))}
		e.from.set(g)
		if t := r.groups[g].total; t >= 0 {
			e.v[t] = 1
		}
		for _, p := range r.groups[g].parts {
			e.v[p] = -1
		}
		r.add(e)
	}
	return r
}

// add brings the equation into the basis, keeping it reduced: each pivot
// in one equation only.
func (r *reader) add(e equation) {
	e = r.reduce(e)
	if len(e.v) == 0 {
		return
	}
	p := -1
	for k := range e.v {
		if p < 0 || k < p {
			p = k
		}
	}
	for i, b := range r.basis {
		if b.v[p] != 0 {
			r.basis[i] = r.eliminate(b, e, p)
		}
	}
	r.basis, r.pivots = append(r.basis, e), append(r.pivots, p)
}

// reduce takes the basis off e: what is left is zero when the basis gives e.
func (r *reader) reduce(e equation) equation {
	for i, b := range r.basis {
		if e.v[r.pivots[i]] != 0 {
			e = r.eliminate(e, b, r.pivots[i])
		}
	}
	return e
}

// eliminate takes b's multiple off w so that w has no p: b[p]·w − w[p]·b,
// divided by the greatest common divisor of its coefficients.
func (r *reader) eliminate(w, b equation, p int) equation {
	bp, wp := b.v[p], w.v[p]
	out := equation{v: map[int]int64{}, from: w.from.union(b.from)}
	for k, x := range w.v {
		out.v[k] = r.mul(bp, x)
	}
	for k, x := range b.v {
		out.v[k] -= r.mul(wp, x)
	}
	var g uint64
	for k, x := range out.v {
		if x == 0 {
			delete(out.v, k)
			continue
		}
		g = gcd(g, abs(x))
	}
	for k := range out.v {
		out.v[k] /= int64(g)
	}
	return out
}

// mul multiplies coefficients that are kept below 2³¹, so that neither
// the product nor the difference of two overflows.
func (r *reader) mul(a, b int64) int64 {
	if abs(a) >= 1<<31 || abs(b) >= 1<<31 {
		r.overflow = true
		return 0
	}
	return a * b
}

// gives tells whether the reader knows the sum v, and from which relations.
func (r *reader) gives(v map[int]int64) (bool, bitset) {
	e := r.reduce(equation{v: v, from: newBitset(len(r.rels))})
	return len(e.v) == 0, e.from
}

// disclosures are the small counts the reader computes, up to limit (0:
// all): each hidden cell or rest, the hidden parts of a sum together, a
// hidden total less some of its parts, and any two or three unknowns
// together, whatever relations they are in (a chain of subsets gives the
// rests of two relations together, a year and a quarter the rests of two
// others); and the hidden cells of a sum when they can only all be 1.
func (r *reader) disclosures(limit int) []disclosure {
	s := &search{r: r, limit: limit, seen: map[string]bool{}}
	for g := range r.rels {
		if s.sums(g) {
			return s.found
		}
	}
	s.few()
	return s.found
}

// A search looks through what a reader computes for disclosures.
type search struct {
	r     *reader
	limit int
	seen  map[string]bool
	found []disclosure
}

// try notes the sum v of unknowns, worth value, when it is small, or its
// ones hidden cells are all of its cells and can only all be 1, and the
// reader computes it; it tells whether the search has found enough.
func (s *search) try(v map[int]int64, value, ones, cells int, desc func() string) bool {
	if !small(value) && (ones == 0 || ones != cells || value != ones) {
		return false
	}
	key := vecKey(v)
	if s.seen[key] {
		return false
	}
	s.seen[key] = true
	if ok, from := s.r.gives(v); ok {
		s.found = append(s.found, disclosure{fmt.Sprintf("%s = %d", desc(), value), from})
	}
	return s.limit > 0 && len(s.found) >= s.limit
}

// sums tries the sums a reader of relation g would make: of its hidden
// parts and rest, with or without its hidden total less them, and the
// hidden total alone.
func (s *search) sums(g int) bool {
	r, u := s.r, s.r.groups[g]
	for _, subset := range subsets(len(u.parts)) {
		for _, withTotal := range []bool{false, true} {
			if withTotal && u.total < 0 {
				continue
			}
			v, value, ones, desc := map[int]int64{}, 0, 0, []string{}
			for _, i := range subset {
				p := u.parts[i]
				v[p], value, desc = 1, value+r.values[p], append(desc, r.names[p])
				if slices.Contains(u.real, p) {
					ones++
				}
			}
			if withTotal {
				for p := range v {
					v[p] = -1
				}
				v[u.total], value = 1, r.values[u.total]-value
				desc, ones = append([]string{r.names[u.total] + " less"}, desc...), 0
			}
			if s.try(v, value, ones, len(desc), func() string { return r.rels[g].name + " (" + strings.Join(desc, " + ") + ")" }) {
				return true
			}
		}
	}
	t := u.total
	return t >= 0 && s.try(map[int]int64{t: 1}, r.values[t], 0, 1, func() string { return r.names[t] })
}

// few tries any two or three unknowns together, of any relations, but
// those of which one is known alone (what it adds is known).
func (s *search) few() {
	r, n := s.r, len(s.r.values)
	alone := make([]bool, n)
	for u := range n {
		alone[u], _ = r.gives(map[int]int64{u: 1})
	}
	for a := range n {
		for b := a + 1; b < n; b++ {
			if alone[a] || alone[b] {
				continue
			}
			for c := b; c < n; c++ {
				set, value := []int{a, b}, r.values[a]+r.values[b]
				if c > b {
					set, value = append(set, c), value+r.values[c]
				}
				if (c > b && alone[c]) || !small(value) {
					continue
				}
				v := map[int]int64{}
				for _, u := range set {
					v[u] = 1
				}
				desc := func() string {
					names := make([]string, len(set))
					for i, u := range set {
						names[i] = r.names[u]
					}
					return strings.Join(names, " + ")
				}
				if s.try(v, value, 0, 0, desc) {
					return
				}
			}
		}
	}
}

// subsets are the sets of n parts a reader would add up: all of them, or
// for a sum of many hidden parts, those of up to three and what is left
// of the parts without them.
func subsets(n int) [][]int {
	var out [][]int
	if n <= 12 {
		for mask := 1; mask < 1<<n; mask++ {
			var s []int
			for i := range n {
				if mask&(1<<i) != 0 {
					s = append(s, i)
				}
			}
			out = append(out, s)
		}
		return out
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	add := func(s ...int) {
		out = append(out, s)
		out = append(out, slices.DeleteFunc(slices.Clone(all), func(i int) bool { return slices.Contains(s, i) }))
	}
	out = append(out, all)
	for a := range n {
		add(a)
		for b := a + 1; b < n; b++ {
			add(a, b)
			for c := b + 1; c < n; c++ {
				add(a, b, c)
			}
		}
	}
	return out
}

func vecKey(v map[int]int64) string {
	ks := make([]int, 0, len(v))
	for k := range v {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "%d:%d ", k, v[k])
	}
	return b.String()
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func abs(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

// bitset is a set of relations by index.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (s bitset) set(i int) { s[i/64] |= 1 << (i % 64) }

func (s bitset) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

func (s bitset) union(t bitset) bitset {
	u := slices.Clone(s)
	for i := range t {
		u[i] |= t[i]
	}
	return u
}
