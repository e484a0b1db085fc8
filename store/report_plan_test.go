package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestReportPlanAndGoalsPerDomain: over trajectories whose plans are
// known, the report counts the families referred in the quarter with a
// plan agreed by its end, and per life domain the goals first agreed and
// those reached in it (a goal a changed plan lists again counts once);
// small counts are suppressed, and what would give one back. The words of the plan stay sealed: the
// clear detail the report reads holds codes only.
func TestReportPlanAndGoalsPerDomain(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	q := Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	plan := func(goals string) map[string]string {
		return map[string]string{trajectory.DetailGoals: goals, "goal:g1": "Een woning met twee slaapkamers.", "agreed_on": "2026-01-20"}
	}
	for i := range 12 {
		g := &gen{t: t, s: s, id: fmt.Sprintf("tr-plan-%02d", i), refAt: base.Add(time.Duration(i) * time.Hour), org: "kind-en-gezin"}
		g.event(trajectory.EventReferred, g.refAt, nil)
		day := func(d int) time.Time { return g.refAt.Add(time.Duration(d) * 24 * time.Hour) }
		switch {
		case i < 6:
			// Six plans with a goal in housing and one in health.
			g.event(trajectory.EventPlanAgreed, day(10), plan("g1:housing:open,g2:health:open"))
		case i < 8:
			// Two with housing only, one of them changed later in the
			// quarter: its housing goal again, and a goal in income.
			g.event(trajectory.EventPlanAgreed, day(10), plan("g1:housing:open"))
			if i == 7 {
				g.event(trajectory.EventPlanAgreed, day(30), plan("g1:housing:open,g2:income_debts:open"))
			}
		case i == 8:
			// Agreed after the quarter: not in its figures.
			g.event(trajectory.EventPlanAgreed, time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC), plan("g1:housing:open"))
		}
		if i < 7 {
			g.event(trajectory.EventGoalReached, day(40), map[string]string{trajectory.DetailGoal: "g1", trajectory.DetailDomain: "housing",
				trajectory.DetailGoalStatus: "reached"})
		}
		if i < 2 {
			g.event(trajectory.EventGoalLetGo, day(41), map[string]string{trajectory.DetailGoal: "g2", trajectory.DetailDomain: "health",
				trajectory.DetailGoalStatus: "let_go", trajectory.DetailReason: "Het gezin wil dit niet meer."})
		}
		if i == 2 || i == 3 {
			g.event(trajectory.EventGoalReached, day(42), map[string]string{trajectory.DetailGoal: "g2", trajectory.DetailDomain: "health",
				trajectory.DetailGoalStatus: "reached"})
		}
	}
	reports, err := s.Report(ctx, []string{"p1"}, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := reports[0]
	// Eight of twelve have a plan: the four without one are a small
	// count that 12 less 8 would give back, so the part is suppressed.
	if r.PlanAgreed.Part != (Count{N: 8, Suppressed: true}) || r.PlanAgreed.Whole != count(12) || r.PlanAgreed.Value != nil {
		t.Errorf("plan agreed %+v, want a suppressed part of 12 and no share", r.PlanAgreed)
	}
	want := []DomainGoals{
		{Domain: "health", Set: count(6), Reached: Count{N: 2, Suppressed: true}},
		{Domain: "housing", Set: count(8), Reached: count(7)},
		{Domain: "income_debts", Set: Count{N: 1, Suppressed: true}, Reached: count(0)},
	}
	if fmt.Sprint(r.Goals) != fmt.Sprint(want) {
		t.Errorf("goals per domain %+v, want %+v", r.Goals, want)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM trajectory_events WHERE trajectory_id LIKE 'tr-plan-%'
		AND (detail ? 'goal:g1' OR detail ? 'agreed_on' OR detail ? 'reason' OR detail::text LIKE '%woning%')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d events hold the plan's words or dates in the clear detail", n)
	}
}
