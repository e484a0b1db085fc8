package api

import (
	"encoding/json"
	"net/http"
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

// TestReportPeriodRefused: a period that is not one calendar quarter or
// one calendar year that has ended is refused with 400 naming the field,
// so that no two reports differ by a month or a day; quarters and years
// are answered.
func TestReportPeriodRefused(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	thisQuarter := time.Date(now.Year(), now.Month()-(now.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC)
	thisYear := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	period := func(from, to time.Time) string {
		return "from=" + from.Format(time.DateOnly) + "&to=" + to.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	for _, c := range []struct {
		query  string
		status int
		fields []string
	}{
		{"from=2025-01-01&to=2025-03-31", http.StatusOK, nil},
		{"from=2025-10-01&to=2025-12-31&format=csv", http.StatusOK, nil},
		{"from=2025-01-01&to=2025-12-31", http.StatusOK, nil},
		// A month, a half year, two quarters.
		{"from=2025-03-01&to=2025-03-31", http.StatusBadRequest, []string{"from"}},
		{"from=2025-01-01&to=2025-06-30", http.StatusBadRequest, []string{"to"}},
		{"from=2025-04-01&to=2025-09-30", http.StatusBadRequest, []string{"to"}},
		// One day more or less than a quarter.
		{"from=2025-01-01&to=2025-03-30", http.StatusBadRequest, []string{"to"}},
		{"from=2025-01-01&to=2025-04-01", http.StatusBadRequest, []string{"to"}},
		{"from=2025-01-02&to=2025-03-31", http.StatusBadRequest, []string{"from"}},
		{"from=2024-12-31&to=2025-03-31", http.StatusBadRequest, []string{"from"}},
		// This quarter and this year are under way.
		{period(thisQuarter, thisQuarter.AddDate(0, 3, 0)), http.StatusBadRequest, []string{"to"}},
		{period(thisYear, thisYear.AddDate(1, 0, 0)), http.StatusBadRequest, []string{"to"}},
		{"from=2025-04-01&to=2025-03-31", http.StatusBadRequest, []string{"to"}},
		{"to=2025-03-31", http.StatusBadRequest, []string{"from"}},
		{"from=2025-01-01&to=2025-03-31&format=xml", http.StatusBadRequest, []string{"format"}},
		{"from=2025-01-15&to=2025-01-16&format=xml", http.StatusBadRequest, []string{"from", "to", "format"}},
	} {
		status, body := w.do(t, "supervisor", http.MethodGet, "/v1/reports/programmes/test-seconds?"+c.query, "")
		if status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.query, status, c.status, body)
			continue
		}
		if c.status != http.StatusBadRequest {
			continue
		}
		var e Error
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatal(err)
		}
		if e.Error != "invalid report period" || len(e.Fields) != len(c.fields) {
			t.Errorf("%s: %+v, want fields %v", c.query, e, c.fields)
		}
		for _, f := range c.fields {
			if e.Fields[f] == "" || !strings.Contains(e.Detail, f+": ") {
				t.Errorf("%s: %+v does not name %s", c.query, e, f)
			}
		}
	}
}
