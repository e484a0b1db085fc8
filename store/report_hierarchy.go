package store

import "slices"

// A year's counts are its quarters' added up, so a year and its quarters
// are protected together, with those sums as relations beside the ones
// within each report (report_protect.go); a quarter's cells are fixed once
// it is published. Why: docs/reports.md, "Years and their quarters".

// A cell is a count of the report under a key that names the same figure
// in the report of every period ("referred_by org-a"). A cell byEnd counts,
// of the families referred in the period, what was recorded by its end:
// the year's may exceed its quarters' added up (a coach assigned in April
// to a family referred in March counts in the year's, not in the first
// quarter's). Every other count of a year is its quarters' added up.
type cell struct {
	key   string
	count *Count
	byEnd bool
}

// cells are every count of the report (TestRelationsCoverTheReport).
func (r *ProgrammeReport) cells() []cell {
	cs := []cell{
		{"referred", &r.Referred, false},
		{"referred_from_consultation", &r.FromConsultation, false},
		{"referral_to_coach", &r.ToCoach.Count, true},
		{"referral_to_intake", &r.ToIntake.Count, true},
		{"visits_done", &r.VisitsDone, false},
		{"visits_planned", &r.VisitsPlanned, false},
		{"steps_late part", &r.StepsLate.Part, false},
		{"steps_late whole", &r.StepsLate.Whole, false},
		{"steps_escalated part", &r.StepsEscalated.Part, false},
		{"steps_escalated whole", &r.StepsEscalated.Whole, false},
		{"activities_attended", &r.ActivitiesAttended, false},
		{"consultations", &r.Consultations, false},
		{"plan_agreed part", &r.PlanAgreed.Part, true},
		{"plan_agreed whole", &r.PlanAgreed.Whole, false},
	}
	for _, bs := range []struct {
		figure  string
		buckets []Bucket
	}{{"referred_by", r.ReferredBy}, {"closure_reason", r.ClosureReasons}, {"milestone_reached", r.Milestones}} {
		for i := range bs.buckets {
			cs = append(cs, cell{bs.figure + " " + bs.buckets[i].Key, &bs.buckets[i].Count, false})
		}
	}
	for i := range r.Handovers {
		h := &r.Handovers[i]
		cs = append(cs, cell{"handovers_made " + h.Service, &h.Made, false}, cell{"handovers_acknowledged " + h.Service, &h.Acknowledged, false})
	}
	for i := range r.Goals {
		g := &r.Goals[i]
		cs = append(cs, cell{"goals_set " + g.Domain, &g.Set, false}, cell{"goals_reached " + g.Domain, &g.Reached, false})
	}
	if f := r.FollowedToFollowUpAge; f != nil {
		cs = append(cs, cell{"followed_to_follow_up_age part", &f.Part, true}, cell{"followed_to_follow_up_age whole", &f.Whole, true})
	}
	return cs
}

func (r *ProgrammeReport) period() Period { return Period{From: r.From, To: r.To} }

// joint are the periods whose reports are protected together with p's:
// a quarter that ends before its year stands alone (its year's report
// cannot be asked for yet); the last quarter and the year are protected
// with the year's other quarters.
func (p Period) joint() []Period {
	year := p.year()
	if !p.To.Equal(year.To) {
		return []Period{p}
	}
	return append(year.quarters(), year)
}

// periodRelations are the sums that make each count of the year out of its
// quarters among the reports: exact, or with a rest for a cell byEnd. A
// figure that a quarter's report does not list (no handovers to that
// service in it) is zero there.
func periodRelations(year *ProgrammeReport, reports []*ProgrammeReport) []relation {
	var quarters []map[string]*Count
	for _, r := range reports {
		if r != year && !r.From.Before(year.From) && !r.To.After(year.To) {
			q := map[string]*Count{}
			for _, c := range r.cells() {
				q[c.key] = c.count
			}
			quarters = append(quarters, q)
		}
	}
	var rels []relation
	for _, c := range year.cells() {
		rel := relation{name: "the year's " + c.key + " over its quarters", total: c.count, exact: !c.byEnd}
		for _, q := range quarters {
			part := q[c.key]
			if part == nil {
				part = &Count{}
			}
			rel.parts = append(rel.parts, part)
		}
		rels = append(rels, rel)
	}
	return rels
}

// protectReports suppresses one programme's reports of the periods joint
// gives, in the order their periods end: those that end together are
// protected together, with their relations and, for a year, those to its
// quarters, while the cells of those that ended before stay fixed. Then
// each share is published whose part and whole are.
func protectReports(reports []*ProgrammeReport) {
	byEnd := slices.Clone(reports)
	slices.SortStableFunc(byEnd, func(a, b *ProgrammeReport) int { return a.To.Compare(b.To) })
	fixed := map[*Count]bool{}
	var rels []relation
	for i := 0; i < len(byEnd); {
		j := i + 1
		for j < len(byEnd) && byEnd[j].To.Equal(byEnd[i].To) {
			j++
		}
		for _, r := range byEnd[i:j] {
			rels = append(rels, r.relations()...)
			if r.period().isYear() {
				rels = append(rels, periodRelations(r, byEnd)...)
			}
		}
		protect(rels, fixed)
		for _, r := range byEnd[i:j] {
			for _, c := range r.cells() {
				fixed[c.count] = true
			}
		}
		i = j
	}
	for _, r := range reports {
		for _, s := range []*Share{&r.StepsLate, &r.StepsEscalated, r.FollowedToFollowUpAge, &r.PlanAgreed} {
			if s != nil {
				s.publish()
			}
		}
	}
}

// protect suppresses cells until a reader of all the relations computes no
// small count from them: cell by cell through each relation, then, for
// what the relations give taken together (report_audit.go), the smallest
// cell that may still be suppressed of the relations that give it, and
// again. Should none be left, every cell that is not fixed is suppressed:
// then the reports published before are all there is to read.
func protect(rels []relation, fixed map[*Count]bool) {
	pinned := pinnedBy(rels, fixed)
	for {
		suppressComplements(rels, pinned)
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
				if !c.Suppressed && c.N != 0 && !pinned[c] && (next == nil || c.N < next.N) {
					next = c
				}
			}
		}
		if next == nil {
			for _, rel := range rels {
				for _, c := range append(slices.Clone(rel.parts), rel.total) {
					c.Suppressed = c.Suppressed || (c.N != 0 && !fixed[c])
				}
			}
			return
		}
		next.Suppressed = true
	}
}
