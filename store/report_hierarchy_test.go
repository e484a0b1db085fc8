package store

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/keys"
)

// year2025 is the year every year of cohorts is reported over: one that
// has ended, so that its report and its quarters' can all be asked for.
var year2025 = Period{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}

// year is a programme's 2025, a cohort a quarter.
type year [4]cohort

// figures are the reports of the year's quarters and of the year, in that
// order, before any complementary suppression: a quarter's are its
// cohort's, with the coaches assigned in it to families of the quarter
// before as steps done; the year's are its quarters' added up, and what
// it counts beyond them: coaches assigned, and children six months old,
// after a quarter ended but within the year.
func (y year) figures() []*ProgrammeReport {
	var rs []*ProgrammeReport
	for k, q := range year2025.quarters() {
		c := y[k]
		r := c.figures()
		r.From, r.To = q.From, q.To
		if k > 0 {
			r.StepsLate = share(c.late, c.coached+y[k-1].later)
			r.StepsEscalated = share(c.escalated, c.coached+y[k-1].later)
		}
		rs = append(rs, &r)
	}
	all := addUp(year2025, rs)
	for k, c := range y {
		if k < 3 {
			all.ToCoach.Count = count(all.ToCoach.Count.N + c.later)
		}
		// Born in January or April: six months old in July or October.
		if f := all.FollowedToFollowUpAge; k < 2 && f != nil {
			*f = share(f.Part.N+c.bornLater, f.Whole.N+c.bornLater)
		}
	}
	return append(rs, &all)
}

// addUp is the report whose every count is the reports' added up.
func addUp(p Period, reports []*ProgrammeReport) ProgrammeReport {
	var referred, consulted, coached, intakes, done, planned, late, escalated, steps, attended, consultations int
	orgs, closures, milestones, made, acked := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	var followed *Share
	var plans Share
	set, reached := map[string]int{}, map[string]int{}
	for _, r := range reports {
		plans.Part.N, plans.Whole.N = plans.Part.N+r.PlanAgreed.Part.N, plans.Whole.N+r.PlanAgreed.Whole.N
		for _, g := range r.Goals {
			set[g.Domain] += g.Set.N
			reached[g.Domain] += g.Reached.N
		}
		referred, consulted, attended, consultations = referred+r.Referred.N, consulted+r.FromConsultation.N, attended+r.ActivitiesAttended.N, consultations+r.Consultations.N
		coached, intakes, done, planned = coached+r.ToCoach.Count.N, intakes+r.ToIntake.Count.N, done+r.VisitsDone.N, planned+r.VisitsPlanned.N
		late, escalated, steps = late+r.StepsLate.Part.N, escalated+r.StepsEscalated.Part.N, steps+r.StepsLate.Whole.N
		for _, add := range []struct {
			to   map[string]int
			from []Bucket
		}{{orgs, r.ReferredBy}, {closures, r.ClosureReasons}, {milestones, r.Milestones}} {
			for _, b := range add.from {
				add.to[b.Key] += b.Count.N
			}
		}
		for _, h := range r.Handovers {
			made[h.Service] += h.Made.N
			acked[h.Service] += h.Acknowledged.N
		}
		if f := r.FollowedToFollowUpAge; f != nil {
			if followed == nil {
				followed = &Share{}
			}
			followed.Part.N, followed.Whole.N = followed.Part.N+f.Part.N, followed.Whole.N+f.Whole.N
		}
	}
	sum := ProgrammeReport{From: p.From, To: p.To, Referred: count(referred), ReferredBy: buckets(orgs), FromConsultation: count(consulted),
		ToCoach: Durations{Count: count(coached)}, ToIntake: Durations{Count: count(intakes)}, VisitsDone: count(done), VisitsPlanned: count(planned),
		StepsLate: share(late, steps), StepsEscalated: share(escalated, steps), Handovers: []ServiceHandovers{},
		ClosureReasons: buckets(closures), Milestones: buckets(milestones), ActivitiesAttended: count(attended), Consultations: count(consultations),
		PlanAgreed: share(plans.Part.N, plans.Whole.N), Goals: domainGoals(set, reached)}
	for _, service := range slices.Sorted(maps.Keys(made)) {
		sum.Handovers = append(sum.Handovers, ServiceHandovers{Service: service, Made: count(made[service]), Acknowledged: count(acked[service])})
	}
	if followed != nil {
		s := share(followed.Part.N, followed.Whole.N)
		sum.FollowedToFollowUpAge = &s
	}
	return sum
}

// yearCases are the remainder cases of one report, and cohorts that make a
// count of a quarter small while the year's is not: the year less the
// other quarters would give it back. The last two leave the remainder
// between the year and its quarters added up, in counts of what was
// recorded by a period's end.
func yearCases(rem int) []remainderCase {
	return append(remainderCases(rem),
		remainderCase{"the year's referred", cohort{orgs: []int{rem}, consulted: rem, coached: rem, intakes: rem, born: rem, followed: rem, made: rem, acked: rem}},
		remainderCase{"the year's referred_from_consultation", with(func(c *cohort) { c.consulted = rem })},
		remainderCase{"the year's referral_to_coach", with(func(c *cohort) { c.coached, c.late, c.escalated, c.intakes, c.visits = rem, rem, rem, rem, rem })},
		remainderCase{"the year's referral_to_intake", with(func(c *cohort) { c.intakes, c.visits = rem, rem })},
		remainderCase{"the year's visits_done", with(func(c *cohort) { c.intakes, c.visits = rem, 0 })},
		remainderCase{"the year's steps_late part", with(func(c *cohort) { c.late, c.escalated = rem, rem })},
		remainderCase{"the year's steps_escalated part", with(func(c *cohort) { c.escalated = rem })},
		remainderCase{"the year's handovers_made ocmw", with(func(c *cohort) { c.made, c.acked = rem, 0 })},
		remainderCase{"the year's handovers_acknowledged ocmw", with(func(c *cohort) { c.acked = rem })},
		remainderCase{"the year's followed_to_six_months", with(func(c *cohort) { c.born, c.followed = rem, rem })},
		remainderCase{"the year's milestone_reached", with(func(c *cohort) { c.milestones = rem })},
		remainderCase{"the year's activities_attended", with(func(c *cohort) { c.attended = rem })},
		remainderCase{"the year's referral_to_coach, a coach after the quarter", with(func(c *cohort) { c.coached, c.later = 10, rem })},
		remainderCase{"the year's followed_to_six_months, six months after the quarter", with(func(c *cohort) { c.bornLater = rem })},
	)
}

// TestRemaindersAcrossAYearGiveNothingBack places each remainder case of
// 1 to 4 in each quarter of a year whose other quarters are the baseline:
// with small counts suppressed alone, the year and its quarters give a
// count of 1 to 4 back by arithmetic across them; protected together, no
// published cell of the five reports, no sum or difference across them,
// gives one. A quarter's report is the same as when it was protected
// alone, before its year ended.
func TestRemaindersAcrossAYearGiveNothingBack(t *testing.T) {
	base := year{baseline(), baseline(), baseline(), baseline()}
	reports := base.figures()
	protectReports(reports)
	for _, r := range reports {
		walkReport(r, r.period().last(), func(path string, c *Count) {
			if c.Suppressed {
				t.Errorf("baseline: %s suppressed, with nothing small to protect", path)
			}
		}, nil, nil)
	}
	for rem := 1; rem < SuppressBelow; rem++ {
		for _, tc := range yearCases(rem) {
			testsSomething := false
			for k := range 4 {
				y := base
				y[k] = tc.cohort
				reports := y.figures()
				periodRelationsHold(t, reports)
				testsSomething = testsSomething || len(disclosures(reports...)) > 0
				protectReports(reports)
				if got := disclosures(reports...); len(got) > 0 {
					t.Errorf("%s, %d over in quarter %d: the year and its quarters give back\n%s", tc.relation, rem, k+1, strings.Join(got, "\n"))
				}
				for q := range 3 {
					alone := y.figures()[q]
					protectReports([]*ProgrammeReport{alone})
					if got, want := suppressedCells(reports[q]), suppressedCells(alone); got != want {
						t.Errorf("%s, %d over in quarter %d: quarter %d suppressed\n%s\nwith its year, and alone\n%s", tc.relation, rem, k+1, q+1, got, want)
					}
				}
			}
			if !testsSomething {
				t.Errorf("%s, %d over: primary suppression alone gives nothing back in any quarter; the case tests nothing", tc.relation, rem)
			}
		}
	}
}

// periodRelationsHold: each exact relation between the year and its
// quarters adds up, and the year's count of what was recorded by its end
// is no less than its quarters' together.
func periodRelationsHold(t *testing.T, reports []*ProgrammeReport) {
	t.Helper()
	for _, rel := range periodRelations(reports[len(reports)-1], reports) {
		if len(rel.parts) != 4 || (rel.exact && rel.rest() != 0) || rel.rest() < 0 {
			t.Errorf("%s: %d over %d quarters", rel.name, rel.rest(), len(rel.parts))
		}
	}
	keys := map[string]bool{}
	for _, c := range reports[len(reports)-1].cells() {
		keys[c.key] = true
	}
	for _, q := range reports[:len(reports)-1] {
		for _, c := range q.cells() {
			if !keys[c.key] {
				t.Errorf("%s: %s is not in the year's report", q.period().last(), c.key)
			}
		}
	}
}

func suppressedCells(r *ProgrammeReport) string {
	var hidden []string
	walkReport(r, "report", func(path string, c *Count) {
		if c.Suppressed {
			hidden = append(hidden, path)
		}
	}, nil, nil)
	return strings.Join(hidden, " ")
}

// TestRemaindersAcrossAYearInTheStore writes every year case as
// trajectories, four cases to a programme, one in each quarter of 2025,
// and asks the store for the report of each quarter and of the year, one
// request each as the fund would: their counts are those of the cases,
// the year's relations to its quarters hold in what PostgreSQL counts,
// and no published cell, sum or difference across the five gives a count
// of 1 to 4 back.
func TestRemaindersAcrossAYearInTheStore(t *testing.T) {
	var placed []remainderCase
	for rem := 1; rem < SuppressBelow; rem++ {
		for _, tc := range yearCases(rem) {
			tc.relation = fmt.Sprintf("%s, %d over", tc.relation, rem)
			placed = append(placed, tc)
		}
	}
	for len(placed)%4 != 0 {
		placed = append(placed, remainderCase{"baseline", baseline()})
	}
	type programme struct {
		id    string
		year  year
		cases [4]string
	}
	programmes := []programme{{id: "year-base", year: year{baseline(), baseline(), baseline(), baseline()}}}
	for i := 0; i < len(placed); i += 4 {
		p := programme{id: fmt.Sprintf("year-%02d", i/4)}
		for k := range 4 {
			p.year[k], p.cases[k] = placed[i+k].cohort, placed[i+k].relation
		}
		programmes = append(programmes, p)
	}
	ids := make([]string, len(programmes))
	for i, p := range programmes {
		ids[i] = p.id
	}
	s := newStore(t).WithKeys(keys.MustGenerate("test", ids...))
	t.Run("seed", func(t *testing.T) {
		for _, p := range programmes {
			t.Run(p.id, func(t *testing.T) {
				t.Parallel()
				for k, q := range year2025.quarters() {
					seedCohort(t, s, p.id, q.From, p.year[k])
				}
			})
		}
	})
	periods := append(year2025.quarters(), year2025)
	asked := make([][]ProgrammeReport, len(periods))
	for i, period := range periods {
		var err error
		if asked[i], err = s.Report(t.Context(), ids, period, sixMonths(ids...)); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range programmes {
		want := p.year.figures()
		reports := make([]*ProgrammeReport, len(periods))
		for j := range periods {
			reports[j] = &asked[j][i]
			if got, want := countsOf(reports[j]), countsOf(want[j]); got != want {
				t.Errorf("%s %v: %s to %s counts\n%s\nwant\n%s", p.id, p.cases, periods[j].From.Format(time.DateOnly), periods[j].last(), got, want)
			}
		}
		periodRelationsHold(t, reports)
		if d := disclosures(reports...); len(d) > 0 {
			t.Errorf("%s %v: the year and its quarters give back\n%s", p.id, p.cases, strings.Join(d, "\n"))
		}
	}
}

func countsOf(r *ProgrammeReport) string {
	var counts []string
	walkReport(r, "report", func(path string, c *Count) { counts = append(counts, fmt.Sprintf("%s=%d", path, c.N)) }, nil, nil)
	return strings.Join(counts, " ")
}
