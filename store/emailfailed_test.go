package store

import (
	"slices"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// A trajectory one of whose emails failed is marked in the read model:
// by the email_failed event itself, and by the summary's flag after it;
// the list filters on it.
func TestEmailFailedReadModel(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	now := time.Now()
	ok := referredEvent("p1", "cpas", "ok", now.Add(-3*time.Hour))
	bounced := referredEvent("p1", "cpas", "bounced", now.Add(-2*time.Hour))
	// The event of a workflow that does not set the summary's flag still marks it.
	failed := nextEvent(bounced, trajectory.EventEmailFailed, nil)
	// A later event carries the flag in its summary.
	visit := nextEvent(failed, "visit_recorded", func(s *trajectory.Summary) { s.EmailFailed = true })
	record(t, s, ok, bounced, failed)

	row, err := s.Trajectory(t.Context(), bounced.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if !row.EmailFailed {
		t.Error("after the email_failed event the trajectory is not marked")
	}
	record(t, s, visit)
	if row, err = s.Trajectory(t.Context(), bounced.TrajectoryID); err != nil || !row.EmailFailed {
		t.Errorf("after a later event with the flag: email_failed = %v (%v)", row.EmailFailed, err)
	}
	if row, err = s.Trajectory(t.Context(), ok.TrajectoryID); err != nil || row.EmailFailed {
		t.Errorf("the other trajectory: email_failed = %v (%v)", row.EmailFailed, err)
	}

	yes, no := true, false
	if got := listIDs(t, s, Filter{EmailFailed: &yes}); !slices.Equal(got, []string{bounced.TrajectoryID}) {
		t.Errorf("email_failed=true lists %v", got)
	}
	if got := listIDs(t, s, Filter{EmailFailed: &no}); !slices.Equal(got, []string{ok.TrajectoryID}) {
		t.Errorf("email_failed=false lists %v", got)
	}
}
