package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// gen writes a generated trajectory's events through RecordEvent, as the
// workflow would.
type gen struct {
	t           *testing.T
	s           *Store
	id          string
	seq         int64
	refAt       time.Time
	org         string
	programmeID string // p1 when empty
}

func (g *gen) event(kind string, at time.Time, detail map[string]string) {
	g.t.Helper()
	g.seq++
	programmeID := g.programmeID
	if programmeID == "" {
		programmeID = "p1"
	}
	e := trajectory.Event{TrajectoryID: g.id, Seq: g.seq, Kind: kind, Actor: "test", At: at, Detail: detail,
		Summary: trajectory.Summary{ProgrammeID: programmeID, ReferrerOrg: g.org, Phase: trajectory.PhaseInSupport, ReferredAt: g.refAt}}
	if err := g.s.RecordEvent(g.t.Context(), e); err != nil {
		g.t.Fatal(err)
	}
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// sixMonths counts the children of the programmes ids at six months old,
// as Menen's perinatal programme does.
func sixMonths(ids ...string) FollowUpAges {
	ages := FollowUpAges{}
	for _, id := range ids {
		ages[id] = 6
	}
	return ages
}

// TestReportOverGeneratedTrajectories generates trajectories whose every
// figure is known and checks the report: small counts suppressed, and what
// would give one back.
func TestReportOverGeneratedTrajectories(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	orgs := []string{"kind-en-gezin", "kind-en-gezin", "kind-en-gezin", "kind-en-gezin", "kind-en-gezin", "kind-en-gezin",
		"kind-en-gezin", "kind-en-gezin", "clb", "clb", "clb", "politie"}
	consultation, err := s.CreateConsultation(ctx, Consultation{ProgrammeID: "p1", RecordedBy: "partner:clb", Situation: "s", Advice: "a"})
	if err != nil {
		t.Fatal(err)
	}
	for i, org := range orgs {
		g := &gen{t: t, s: s, id: fmt.Sprintf("tr-%02d", i), refAt: base.Add(time.Duration(i) * time.Hour), org: org}
		ref := trajectory.Referral{ProgrammeID: "p1", Referrer: trajectory.Referrer{Organisation: org, Reference: g.id}}
		if i == 0 {
			ref.ConsultationID = consultation.ID
		}
		g.seq++
		if err := s.RecordEvent(ctx, trajectory.Event{TrajectoryID: g.id, Seq: 1, Kind: trajectory.EventReferred, Actor: "partner", At: g.refAt, Referral: &ref,
			Summary: trajectory.Summary{ProgrammeID: "p1", ReferrerOrg: org, Phase: trajectory.PhaseReferred, ReferredAt: g.refAt}}); err != nil {
			t.Fatal(err)
		}
		// Ten of twelve get a coach after 1..10 days; the limit is 5 days,
		// so five are late, and about those the supervisor was alerted.
		if i < 10 {
			limit := g.refAt.Add(5 * 24 * time.Hour)
			at := g.refAt.Add(time.Duration(i+1) * 24 * time.Hour)
			detail := map[string]string{"coach": "c", "step": "assignment", "step_due_at": rfc(limit)}
			if at.After(limit) {
				detail["late"] = "true"
				g.event(trajectory.EventAlertSent, limit, map[string]string{"step": "assignment", "due_at": rfc(limit), "to": "supervisor"})
			}
			g.event(trajectory.EventCoachAssigned, at, detail)
		}
		// Four have an intake (one late) and a visit, which plans one more.
		if i < 4 {
			due := g.refAt.Add(14 * 24 * time.Hour)
			done := g.refAt.Add(10 * 24 * time.Hour)
			d := map[string]string{"done_at": rfc(done), "next_visit_due": rfc(g.refAt.Add(24 * 24 * time.Hour)), "step": "intake", "step_due_at": rfc(due)}
			if i == 3 {
				done = g.refAt.Add(15 * 24 * time.Hour)
				d["done_at"], d["late"] = rfc(done), "true"
			}
			g.event(trajectory.EventIntakeDone, done, d)
			g.event(trajectory.EventVisitDone, g.refAt.Add(20*24*time.Hour), map[string]string{"done_at": rfc(g.refAt.Add(20 * 24 * time.Hour)),
				"next_visit_due": rfc(g.refAt.Add(34 * 24 * time.Hour)), "step": "home_visit-1", "step_due_at": rfc(g.refAt.Add(24 * 24 * time.Hour)), "visit": "1"})
		}
		// Six handed over to the OCMW (five acknowledged), two to the CAW.
		switch {
		case i < 6:
			g.event(trajectory.EventHandoverRequested, g.refAt.Add(30*24*time.Hour), map[string]string{"handover": "1", "service": "ocmw"})
			if i < 5 {
				g.event(trajectory.EventHandoverAcknowledged, g.refAt.Add(31*24*time.Hour), map[string]string{"handover": "1", "service": "ocmw"})
			}
		case i < 8:
			g.event(trajectory.EventHandoverRequested, g.refAt.Add(30*24*time.Hour), map[string]string{"handover": "1", "service": "caw"})
		}
		if i < 6 {
			g.event(trajectory.EventMilestoneReached, g.refAt.Add(32*24*time.Hour), map[string]string{"milestone": "opleiding_gestart",
				"step": "milestone-opleiding_gestart", "step_due_at": rfc(g.refAt.Add(84 * 24 * time.Hour))})
		}
		if i < 2 {
			g.event(trajectory.EventMilestoneReached, g.refAt.Add(33*24*time.Hour), map[string]string{"milestone": "tewerkstelling",
				"step": "milestone-tewerkstelling", "step_due_at": rfc(g.refAt.Add(90 * 24 * time.Hour))})
		}
		if i < 7 {
			g.event(trajectory.EventActivityAttended, g.refAt.Add(35*24*time.Hour), map[string]string{"activity": "ac-1", "kind": "groep", "on": "2026-02-09"})
		}
		// Every child was born on 1 August 2025, six months on 1 February
		// 2026; five trajectories closed before that, three after.
		g.event(trajectory.EventBirthRecorded, g.refAt.Add(time.Hour), map[string]string{"born_on": "2025-08-01"})
		switch {
		case i >= 7:
			g.event(trajectory.EventClosed, time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC), map[string]string{"reason": "moved_away"})
		case i >= 4:
			g.event(trajectory.EventClosed, time.Date(2026, 2, 24, 9, 0, 0, 0, time.UTC), map[string]string{"reason": "goals_reached"})
		}
	}
	// Referred before the period: not in the cohort, but its assignment in
	// the period is work done in it.
	old := &gen{t: t, s: s, id: "tr-old", refAt: time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC), org: "clb"}
	old.event(trajectory.EventReferred, old.refAt, nil)
	old.event(trajectory.EventCoachAssigned, time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC), map[string]string{"coach": "c", "step": "assignment", "step_due_at": rfc(old.refAt.Add(40 * 24 * time.Hour))})

	reports, err := s.Report(ctx, []string{"p1"}, Period{From: from, To: to}, sixMonths("p1"))
	if err != nil {
		t.Fatal(err)
	}
	r := reports[0]
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		// 3 and 1 are hidden, and 8 too: 12 less 8 would give 3 and 1 together.
		`"referred":12`,
		`"referred_by":[{"key":"clb","count":null},{"key":"kind-en-gezin","count":null},{"key":"politie","count":null}]`,
		`"referred_from_consultation":null`,
		// Days to a coach 1..10: median 5.5, 90th percentile 9.1. Ten of
		// twelve: 10 beside 12 would give the 2 without a coach.
		`"referral_to_coach":{"count":null,"median_days":5.5,"p90_days":9.1}`,
		// Four intakes: too few for a median.
		`"referral_to_intake":{"count":null,"median_days":null,"p90_days":null}`,
		// Done: 4 intakes + 4 visits; planned: 4 intakes + 4 visits planned
		// at the intake + 4 planned at the visit. 8 beside 12 would give
		// the 4 visits missed.
		`"visits_done":null,"visits_planned":12`,
		// Steps done: 11 assignments, 4 intakes, 4 visits, 8 milestones =
		// 27; late: 5 assignments and 1 intake; escalated: 5 assignments,
		// hidden: 5 beside 6 late would give the 1 late step not escalated.
		`"steps_late":{"part":6,"whole":27,"share":0.22}`,
		`"steps_escalated":{"part":null,"whole":27,"share":null}`,
		// 5 acknowledged beside 6 made would give the 1 not acknowledged.
		`"handovers":[{"service":"caw","made":null,"acknowledged":0},{"service":"ocmw","made":6,"acknowledged":null}]`,
		`"closure_reasons":[{"key":"goals_reached","count":null},{"key":"moved_away","count":5}]`,
		// 12 children six months old by the end; 5 trajectories closed before.
		`"followed_to_follow_up_age":{"part":7,"whole":12,"share":0.58},"follow_up_months":6`,
		`"milestones_reached":[{"key":"opleiding_gestart","count":6},{"key":"tewerkstelling","count":null}]`,
		`"activities_attended":7`,
		// The consultation was recorded today, outside the period.
		`"consultations":0`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %s\n%s", want, got)
		}
	}
	linked, err := s.Consultation(ctx, consultation.ID)
	if err != nil || linked.TrajectoryID != "tr-00" {
		t.Errorf("consultation %+v (%v): want it linked to tr-00", linked, err)
	}
}

// TestReportOfAnEndedPeriodDoesNotChange: what is recorded after a period
// ended (a coach, an intake, a birth, for families referred in it) leaves
// its report as it was, so two reports asked days apart tell nothing.
func TestReportOfAnEndedPeriodDoesNotChange(t *testing.T) {
	s := newStore(t)
	c := baseline()
	c.coached, c.intakes, c.visits, c.born, c.followed = 15, 10, 10, 10, 10
	seedCohort(t, s, "p2", reportPeriod.From, c)
	report := func() string {
		t.Helper()
		reports, err := s.Report(t.Context(), []string{"p2"}, reportPeriod, sixMonths("p2"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(reports)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := report()
	april := func(day int) time.Time { return time.Date(2026, 4, day, 9, 0, 0, 0, time.UTC) }
	for i := 15; i < 20; i++ {
		// Families 15 to 19 had no coach, and no birth recorded, by April.
		g := &gen{t: t, s: s, id: cohortID("p2", reportPeriod.From, i), seq: 50, refAt: time.Date(2026, 1, 5, 9+i, 0, 0, 0, time.UTC), org: "org-b", programmeID: "p2"}
		g.event(trajectory.EventCoachAssigned, april(1), map[string]string{"coach": "c", "step": "assignment", "step_due_at": rfc(g.refAt.Add(5 * 24 * time.Hour)), "late": "true"})
		g.event(trajectory.EventIntakeDone, april(2), map[string]string{"done_at": rfc(april(2)), "next_visit_due": rfc(april(20))})
		g.event(trajectory.EventBirthRecorded, april(3), map[string]string{"born_on": "2025-09-01"})
	}
	if after := report(); after != before {
		t.Errorf("the report of the first quarter changed in April:\n%s\nwas\n%s", after, before)
	}
}
