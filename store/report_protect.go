package store

import "maps"

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
		// The share of plans agreed is over the families referred.
		{"referred, as the whole of plans agreed", &r.Referred, []*Count{&r.PlanAgreed.Whole}, true},
		{"referred with an agreed plan", &r.Referred, []*Count{&r.PlanAgreed.Part}, false},
		{"plans agreed of the whole", &r.PlanAgreed.Whole, []*Count{&r.PlanAgreed.Part}, false},
	}
	for i := range r.Handovers {
		h := &r.Handovers[i]
		rels = append(rels, relation{"handovers to " + h.Service + " acknowledged", &h.Made, []*Count{&h.Acknowledged}, false})
	}
	if f := r.FollowedToFollowUpAge; f != nil {
		rels = append(rels,
			relation{"referred with a child of the follow-up age", &r.Referred, []*Count{&f.Whole}, false},
			relation{"children followed to the follow-up age", &f.Whole, []*Count{&f.Part}, false},
			relation{"referred with a child followed to the follow-up age", &r.Referred, []*Count{&f.Part}, false})
	}
	return rels
}

// suppressComplements suppresses cells, a relation at a time, until no
// relation gives a hidden count back. A cell can be in several relations
// (the families referred are the total of six), so a cell suppressed for
// one is seen hidden by the others on the next round. A pinned cell is
// never suppressed: it stays as published before, or the cells published
// before give it (pinnedBy).
func suppressComplements(rels []relation, pinned map[*Count]bool) {
	for changed := true; changed; {
		changed = false
		for _, rel := range rels {
			if c := rel.complement(pinned); c != nil {
				c.Suppressed = true
				changed = true
			}
		}
	}
}

// pinnedBy are the cells that suppressing would not hide: the fixed ones,
// of reports published before (report_hierarchy.go), and a published one
// that an exact relation gives from published fixed cells and zeros (a
// year's count whose first three quarters are published and whose fourth
// is zero). A zero is never hidden.
func pinnedBy(rels []relation, fixed map[*Count]bool) map[*Count]bool {
	pinned := map[*Count]bool{}
	maps.Copy(pinned, fixed)
	known := func(c *Count) bool { return c.N == 0 || (pinned[c] && !c.Suppressed) }
	for changed := true; changed; {
		changed = false
		for _, rel := range rels {
			if !rel.exact {
				continue
			}
			var open []*Count
			for _, c := range append([]*Count{rel.total}, rel.parts...) {
				if !known(c) {
					open = append(open, c)
				}
			}
			if len(open) == 1 && !open[0].Suppressed {
				pinned[open[0]], changed = true, true
			}
		}
	}
	return pinned
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
// nothing) or pinned, or else its total; nil when the relation is safe.
func (rel relation) complement(pinned map[*Count]bool) *Count {
	if !rel.gives() {
		return nil
	}
	var next *Count
	for _, p := range rel.parts {
		if !p.Suppressed && p.N != 0 && !pinned[p] && (next == nil || p.N < next.N) {
			next = p
		}
	}
	if next == nil && !rel.total.Suppressed && rel.total.N != 0 && !pinned[rel.total] {
		next = rel.total
	}
	return next
}

// small is a count that could point at a family, or a difference as small.
func small(n int) bool { return n != 0 && n > -SuppressBelow && n < SuppressBelow }
