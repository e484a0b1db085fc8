package store

import "slices"

// Suppressing a small count alone is not enough: where the report also
// publishes the total it is part of, the total less the published parts
// gives it back (referred 12 beside one organisation's 8 and another's 3).
// So every sum the report publishes is written down once, as a relation,
// and cells are suppressed beyond the small ones until no relation gives a
// hidden count back: complementary suppression.

// A relation is a sum the report publishes. An exact one's parts make up
// the total (the referring organisations make up the families referred);
// the parts of one that is not exact lie within it, and the rest, which no
// figure prints, a reader computes as the total less the parts (handovers
// made less those acknowledged).
type relation struct {
	name  string
	total *Count
	parts []*Count
	exact bool
}

// relations are every sum in the report: a figure added to the report
// that is a total, a part or a subset of another belongs here
// (TestRelationsCoverTheReport fails until it is placed).
func (r *ProgrammeReport) relations() []relation {
	orgs := make([]*Count, len(r.ReferredBy))
	for i := range r.ReferredBy {
		orgs[i] = &r.ReferredBy[i].Count
	}
	rels := []relation{
		{"referred by organisation", &r.Referred, orgs, true},
		{"referred from a consultation", &r.Referred, []*Count{&r.FromConsultation}, false},
		{"referred with a coach", &r.Referred, []*Count{&r.ToCoach.Count}, false},
		{"coached with an intake", &r.ToCoach.Count, []*Count{&r.ToIntake.Count}, false},
		// A subset of a subset is a subset: without this, a hidden middle
		// (with a coach) leaves its two rests together to be read.
		{"referred with an intake", &r.Referred, []*Count{&r.ToIntake.Count}, false},
		// Both shares of steps are over the same steps done.
		{"steps done, twice", &r.StepsLate.Whole, []*Count{&r.StepsEscalated.Whole}, true},
		{"steps done late", &r.StepsLate.Whole, []*Count{&r.StepsLate.Part}, false},
		{"steps done escalated", &r.StepsEscalated.Whole, []*Count{&r.StepsEscalated.Part}, false},
		// The supervisor is alerted about a step once it is overdue.
		{"late steps escalated", &r.StepsLate.Part, []*Count{&r.StepsEscalated.Part}, false},
		// Planned less done is the visits missed.
		{"visits planned done", &r.VisitsPlanned, []*Count{&r.VisitsDone}, false},
	}
	for i := range r.Handovers {
		h := &r.Handovers[i]
		rels = append(rels, relation{"handovers to " + h.Service + " acknowledged", &h.Made, []*Count{&h.Acknowledged}, false})
	}
	if f := r.FollowedToSixMonths; f != nil {
		rels = append(rels,
			relation{"referred with a child six months old", &r.Referred, []*Count{&f.Whole}, false},
			relation{"children followed to six months", &f.Whole, []*Count{&f.Part}, false},
			relation{"referred with a child followed to six months", &r.Referred, []*Count{&f.Part}, false})
	}
	return rels
}

// protect suppresses cells until no relation gives a hidden count back,
// alone or taken together, then publishes each share whose part and whole
// are both published.
func (r *ProgrammeReport) protect() {
	protect(r.relations())
	for _, s := range []*Share{&r.StepsLate, &r.StepsEscalated, r.FollowedToSixMonths} {
		if s != nil {
			s.publish()
		}
	}
}

// protect suppresses cells until a reader of all the relations computes no
// small count from them: cell by cell through each relation, then, for
// what the relations give taken together (report_audit.go), the smallest
// cell that may still be suppressed of the relations that give it, and
// again. Should none be left, every cell is suppressed.
func protect(rels []relation) {
	for {
		suppressComplements(rels)
		r := newReader(rels)
		found := r.disclosures(1)
		if len(found) == 0 && !r.overflow {
			return
		}
		var next *Count
		for g, rel := range rels {
			if r.overflow || !found[0].from.has(g) {
				continue
			}
			for _, c := range append(slices.Clone(rel.parts), rel.total) {
				if !c.Suppressed && c.N != 0 && (next == nil || c.N < next.N) {
					next = c
				}
			}
		}
		if next == nil {
			for _, rel := range rels {
				for _, c := range append(slices.Clone(rel.parts), rel.total) {
					c.Suppressed = c.Suppressed || c.N != 0
				}
			}
			return
		}
		next.Suppressed = true
	}
}

// suppressComplements suppresses cells, a relation at a time, until no
// relation gives a hidden count back. A cell can be in several relations
// (the families referred are the total of six), so a cell suppressed for
// one is seen hidden by the others on the next round.
func suppressComplements(rels []relation) {
	for changed := true; changed; {
		changed = false
		for _, rel := range rels {
			if c := rel.complement(); c != nil {
				c.Suppressed = true
				changed = true
			}
		}
	}
}

// rest is the total less the parts: zero in an exact relation.
func (rel relation) rest() int {
	n := rel.total.N
	for _, p := range rel.parts {
		n -= p.N
	}
	return n
}

// gives tells whether a reader of the published cells of the relation can
// compute a hidden count, or the one hidden cell of it, from them.
func (rel relation) gives() bool {
	hidden, sum := 0, 0
	for _, p := range rel.parts {
		if p.Suppressed {
			hidden++
			sum += p.N
		}
	}
	if rel.total.Suppressed {
		// The published parts and their sum say nothing of the total
		// unless they are all of it: then they give it.
		return rel.exact && hidden == 0
	}
	if !rel.exact {
		// The rest is never printed: a reader learns it together with the
		// hidden parts, as the total less the published ones.
		sum += rel.rest()
	} else if hidden == 0 {
		return false
	}
	switch {
	case small(sum):
		// The hidden cells together (with the rest) are a small count.
		return true
	case rel.exact && hidden == 1:
		// One hidden cell beside its published total and siblings is given
		// back whatever it is, and a cell suppressed to protect another
		// must stay hidden.
		return true
	case hidden > 0 && sum == hidden:
		// Every hidden cell is at least 1: as many as their sum are all 1.
		return true
	}
	return false
}

// complement is the next cell to suppress when the relation gives a hidden
// count back: its smallest published part that is not zero (a zero hides
// nothing), or else its total; nil when the relation is safe.
func (rel relation) complement() *Count {
	if !rel.gives() {
		return nil
	}
	var next *Count
	for _, p := range rel.parts {
		if !p.Suppressed && p.N != 0 && (next == nil || p.N < next.N) {
			next = p
		}
	}
	if next == nil && !rel.total.Suppressed && rel.total.N != 0 {
		next = rel.total
	}
	return next
}

// small is a count that could point at a family, or a difference as small.
func small(n int) bool { return n != 0 && n > -SuppressBelow && n < SuppressBelow }
