package api

import (
	"strings"
	"testing"
	"time"

	"elkgezin/store"
)

// TestReportCSVWritesSuppressedAlike: a small count and a larger one
// suppressed beside it are written the same, and neither's number appears.
func TestReportCSVWritesSuppressedAlike(t *testing.T) {
	median := 4.5
	r := store.ProgrammeReport{ProgrammeID: "p1", From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		Referred:   store.Count{N: 20},
		ReferredBy: []store.Bucket{{Key: "org-a", Count: store.Count{N: 17, Suppressed: true}}, {Key: "org-b", Count: store.Count{N: 3, Suppressed: true}}},
		ToCoach:    store.Durations{Count: store.Count{N: 19, Suppressed: true}, MedianDay: &median, P90Day: &median},
		StepsLate:  store.Share{Part: store.Count{N: 13, Suppressed: true}, Whole: store.Count{N: 20}},
	}
	var b strings.Builder
	if err := WriteReportCSV(&b, []store.ProgrammeReport{r}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"p1,2026-01-01,2026-04-01,referred,,20\n",
		"p1,2026-01-01,2026-04-01,referred_by,org-a,suppressed\n",
		"p1,2026-01-01,2026-04-01,referred_by,org-b,suppressed\n",
		"p1,2026-01-01,2026-04-01,referral_to_coach_days,count,suppressed\n",
		"p1,2026-01-01,2026-04-01,referral_to_coach_days,median,4.5\n",
		"p1,2026-01-01,2026-04-01,steps_late,part,suppressed\n",
		"p1,2026-01-01,2026-04-01,steps_late,share,suppressed\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CSV lacks %q:\n%s", want, got)
		}
	}
	for _, number := range []string{",17\n", ",3\n", ",19\n", ",13\n", "<5"} {
		if strings.Contains(got, number) {
			t.Errorf("CSV has %q:\n%s", number, got)
		}
	}
}
