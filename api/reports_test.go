package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
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
		"p1,2026-01-01,2026-03-31,referred,,20\n",
		"p1,2026-01-01,2026-03-31,referred_by,org-a,suppressed\n",
		"p1,2026-01-01,2026-03-31,referred_by,org-b,suppressed\n",
		"p1,2026-01-01,2026-03-31,referral_to_coach_days,count,suppressed\n",
		"p1,2026-01-01,2026-03-31,referral_to_coach_days,median,4.5\n",
		"p1,2026-01-01,2026-03-31,steps_late,part,suppressed\n",
		"p1,2026-01-01,2026-03-31,steps_late,share,suppressed\n",
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

// TestReportEchoesPeriodAsAsked: the answer says the period as the query
// asked for it, dates both included: JSON and CSV alike, not the end of the
// period (the day after to) nor instants.
func TestReportEchoesPeriodAsAsked(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ from, to string }{{"2025-01-01", "2025-03-31"}, {"2025-10-01", "2025-12-31"}, {"2025-01-01", "2025-12-31"}} {
		path := "/v1/reports/programmes/test-seconds?from=" + c.from + "&to=" + c.to
		status, body := w.do(t, "supervisor", http.MethodGet, path, "")
		var got map[string]any
		if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		if got["from"] != c.from || got["to"] != c.to {
			t.Errorf("%s: answered from %v to %v", path, got["from"], got["to"])
		}
		status, body = w.do(t, "supervisor", http.MethodGet, path+"&format=csv", "")
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if status != http.StatusOK || len(lines) < 2 {
			t.Fatalf("%s as CSV: %d %s", path, status, body)
		}
		for _, line := range lines[1:] {
			if !strings.HasPrefix(line, "test-seconds,"+c.from+","+c.to+",") {
				t.Errorf("%s as CSV: row %q", path, line)
			}
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
		// One day: a day beside its quarter would give the rest of the
		// quarter back by difference.
		{"from=2025-03-31&to=2025-03-31", http.StatusBadRequest, []string{"from"}},
		{"from=2025-01-01&to=2025-01-01", http.StatusBadRequest, []string{"to"}},
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
		var e Problem
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatal(err)
		}
		fields, _ := problemFields(e)
		if e.Code != CodeInvalidRequest || len(fields) != len(c.fields) {
			t.Errorf("%s: %+v, want fields %v", c.query, e, c.fields)
		}
		for _, f := range c.fields {
			if fields[f] == "" || !strings.Contains(e.Detail, f+": ") {
				t.Errorf("%s: %+v does not name %s", c.query, e, f)
			}
		}
	}
}

// TestReportOfAYearAndItsQuarters asks the API for the report of 2025 and
// of each of its quarters, one request each: two families referred by
// org-b in the second quarter are suppressed there, and no organisation's
// count is hidden in one of the five reports alone (the other four would
// give it back by subtraction); the year's families are its quarters'
// added up, and asking again gives the same answer.
func TestReportOfAYearAndItsQuarters(t *testing.T) {
	w := newWorld(t)
	quarters := []string{"2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01"}
	referred := [4]map[string]int{{"org-a": 10, "org-b": 10}, {"org-a": 10, "org-b": 2}, {"org-a": 10, "org-b": 10}, {"org-a": 10, "org-b": 10}}
	for q, start := range quarters {
		from, _ := time.Parse(time.DateOnly, start)
		for org, n := range referred[q] {
			for i := range n {
				at := from.AddDate(0, 0, 4).Add(time.Duration(i) * time.Hour)
				id := fmt.Sprintf("report-%d-%s-%02d", q, org, i)
				if err := w.store.RecordEvent(t.Context(), trajectory.Event{TrajectoryID: id, Seq: 1, Kind: trajectory.EventReferred, Actor: "partner", At: at,
					Summary: trajectory.Summary{ProgrammeID: "test-seconds", ReferrerOrg: org, Phase: trajectory.PhaseReferred, ReferredAt: at}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	type report struct {
		Referred   *int `json:"referred"`
		ReferredBy []struct {
			Key   string `json:"key"`
			Count *int   `json:"count"`
		} `json:"referred_by"`
	}
	get := func(from, to string) (report, string) {
		t.Helper()
		status, body := w.do(t, "supervisor", http.MethodGet, "/v1/reports/programmes/test-seconds?from="+from+"&to="+to, "")
		var r report
		if status != http.StatusOK || json.Unmarshal(body, &r) != nil {
			t.Fatalf("%s to %s: %d %s", from, to, status, body)
		}
		return r, string(body)
	}
	year, body := get("2025-01-01", "2025-12-31")
	if _, again := get("2025-01-01", "2025-12-31"); again != body {
		t.Errorf("the year asked twice:\n%s\n%s", body, again)
	}
	hidden := map[string]int{}
	note := func(r report) {
		for _, b := range r.ReferredBy {
			if b.Count == nil {
				hidden[b.Key]++
			}
		}
	}
	note(year)
	sum := 0
	for q, from := range quarters {
		to := []string{"2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"}[q]
		r, _ := get(from, to)
		note(r)
		if r.Referred == nil {
			t.Fatalf("%s: families referred suppressed: %+v", from, r)
		}
		sum += *r.Referred
		if q == 1 && (len(r.ReferredBy) != 2 || r.ReferredBy[1].Count != nil) {
			t.Errorf("second quarter: %+v, want org-b's 2 suppressed", r)
		}
	}
	if year.Referred == nil || *year.Referred != sum || sum != 72 {
		t.Errorf("the year's families %v, its quarters' %d, want 72", year.Referred, sum)
	}
	for org, n := range hidden {
		if n == 1 {
			t.Errorf("%s is hidden in one report of five: the other four give it back", org)
		}
	}
	if hidden["org-b"] == 0 {
		t.Errorf("org-b is hidden nowhere")
	}
}
