package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestTeamFiguresPerMonth: the team page's figures per Belgian month of
// referral, of the supervisor's programmes only: a month of six referrals
// with its medians to coach and intake, a month of two suppressed with no
// median, as the reports do.
func TestTeamFiguresPerMonth(t *testing.T) {
	s := newStore(t)
	seed := func(programmeID string, n int, refAt time.Time, coached bool) {
		for i := range n {
			g := &gen{t: t, s: s, id: fmt.Sprintf("tr-%s-%s-%d", programmeID, refAt.Format("0102"), i), refAt: refAt.Add(time.Duration(i) * time.Minute),
				org: "org-a", programmeID: programmeID}
			g.seq++
			if err := s.RecordEvent(t.Context(), trajectory.Event{TrajectoryID: g.id, Seq: g.seq, Kind: trajectory.EventReferred, Actor: "partner", At: g.refAt,
				Summary: trajectory.Summary{ProgrammeID: programmeID, ReferrerOrg: g.org, Phase: trajectory.PhaseReferred, ReferredAt: g.refAt}}); err != nil {
				t.Fatal(err)
			}
			if coached {
				g.event(trajectory.EventCoachAssigned, g.refAt.Add(48*time.Hour), map[string]string{"coach": "c"})
				// The intake as done four days after the referral, recorded a day later.
				g.event(trajectory.EventIntakeDone, g.refAt.Add(120*time.Hour), map[string]string{"done_at": rfc(g.refAt.Add(96 * time.Hour))})
			}
		}
	}
	// 31 March 23:30 UTC is 1 April in Brussels.
	seed("p1", 6, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), true)
	seed("p1", 2, time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), true)
	seed("p2", 7, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), true)

	got, err := s.TeamFigures(t.Context(), []string{"p1"}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("figures: %+v, want March and April", got)
	}
	march, april := got[0], got[1]
	if march.Year != 2026 || march.Month != time.March || march.Referred != (Count{N: 6}) ||
		march.MedianToCoach == nil || *march.MedianToCoach != 2 || march.MedianToIntake == nil || *march.MedianToIntake != 4 {
		t.Errorf("March: %+v", march)
	}
	if april.Month != time.April || !april.Referred.Suppressed || april.MedianToCoach != nil || april.MedianToIntake != nil {
		t.Errorf("April: %+v, want the two referrals suppressed, no medians", april)
	}
}
