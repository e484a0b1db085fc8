package trajectory

import (
	"testing"
	"time"
)

func TestDurationsAndSchedule(t *testing.T) {
	for in, want := range map[string]time.Duration{"14d": 14 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "30s": 30 * time.Second, "1y": 365 * 24 * time.Hour} {
		if d, err := ParseDuration(in); err != nil || d.Std() != want {
			t.Errorf("%s: %v %v", in, d.Std(), err)
		}
	}
	for _, bad := range []string{"", "2x", "-3d", "1.5w"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q read as a duration", bad)
		}
	}
	pn := PerinatalTimings{PostnatalVisits: []Duration{Duration(7 * 24 * time.Hour), Duration(14 * 24 * time.Hour)}, PostnatalCadence: Duration(28 * 24 * time.Hour), FollowUpMonths: 6}
	born := time.Date(2026, 7, 13, 0, 0, 0, 0, time.UTC)
	if got := pn.PostnatalVisitDue(born, 3); !got.Equal(born.Add(42 * 24 * time.Hour)) {
		t.Errorf("third postnatal visit %s", got)
	}
	if got := pn.FollowUpEnd(born); !got.Equal(time.Date(2027, 1, 13, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("follow-up end %s", got)
	}
}
