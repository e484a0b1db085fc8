package store

import (
	"errors"
	"testing"
	"time"
)

// TestReportPeriod: a calendar quarter or a calendar year that has ended,
// and each refusal names its field and says what was meant.
func TestReportPeriod(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	const (
		covers    = ": a report covers one calendar quarter or one calendar year"
		included  = covers + ", and to is included"
		quarterOf = "must be the first day of a quarter (1 January, 1 April, 1 July or 1 October), such as "
	)
	for _, c := range []struct {
		from, to string
		want     Period
		problems map[string]string
	}{
		{from: "2026-01-01", to: "2026-03-31", want: Period{day(2026, 1, 1), day(2026, 4, 1)}},
		{from: "2026-07-01", to: "2026-09-30", want: Period{day(2026, 7, 1), day(2026, 10, 1)}},
		{from: "2025-10-01", to: "2025-12-31", want: Period{day(2025, 10, 1), day(2026, 1, 1)}},
		{from: "2025-01-01", to: "2025-12-31", want: Period{day(2025, 1, 1), day(2026, 1, 1)}},
		// A month, a half year, two quarters, two years.
		{from: "2026-03-01", to: "2026-03-31", problems: map[string]string{"from": quarterOf + "2026-01-01" + covers}},
		{from: "2026-02-01", to: "2026-02-28", problems: map[string]string{"from": quarterOf + "2026-01-01" + covers,
			"to": "must be the last day of a quarter, such as 2026-03-31" + included}},
		{from: "2026-01-01", to: "2026-06-30", problems: map[string]string{"to": "must be 2026-03-31 (the first quarter) or 2026-12-31 (the year)" + included}},
		{from: "2026-04-01", to: "2026-09-30", problems: map[string]string{"to": "must be 2026-06-30, the last day of the quarter that from begins" + included}},
		{from: "2024-01-01", to: "2025-12-31", problems: map[string]string{"to": "must be 2024-03-31 (the first quarter) or 2024-12-31 (the year)" + included}},
		{from: "2025-07-01", to: "2026-06-30", problems: map[string]string{"to": "must be 2025-09-30, the last day of the quarter that from begins" + included}},
		// A day later or earlier than a quarter's bound.
		{from: "2026-01-02", to: "2026-03-31", problems: map[string]string{"from": quarterOf + "2026-01-01" + covers}},
		{from: "2025-12-31", to: "2026-03-31", problems: map[string]string{"from": quarterOf + "2025-10-01" + covers}},
		{from: "2026-01-01", to: "2026-03-30", problems: map[string]string{"to": "must be 2026-03-31 (the first quarter) or 2026-12-31 (the year)" + included}},
		{from: "2026-04-01", to: "2026-07-01", problems: map[string]string{"to": "must be 2026-06-30, the last day of the quarter that from begins" + included}},
		{from: "2026-01-15", to: "2026-01-16", problems: map[string]string{"from": quarterOf + "2026-01-01" + covers,
			"to": "must be the last day of a quarter, such as 2026-03-31" + included}},
		{from: "2026-04-01", to: "2026-03-31", problems: map[string]string{"to": "must be 2026-06-30, the last day of the quarter that from begins" + included}},
		// The quarter and the year under way, and those to come.
		{from: "2026-10-01", to: "2026-12-31", problems: map[string]string{"to": "must be the last day of a quarter that has ended (the latest is 2026-09-30): " +
			"a report of a quarter under way would change from day to day"}},
		{from: "2026-01-01", to: "2026-12-31", problems: map[string]string{"to": "must be the last day of a year that has ended (the latest is 2025-12-31): " +
			"a report of a year under way would change from day to day"}},
		{from: "2027-01-01", to: "2027-03-31", problems: map[string]string{"to": "must be the last day of a quarter that has ended (the latest is 2026-09-30): " +
			"a report of a quarter under way would change from day to day"}},
		{from: "", to: "", problems: map[string]string{"from": "is required: a date written YYYY-MM-DD", "to": "is required: a date written YYYY-MM-DD"}},
		{from: "2026-1-1", to: "2026-02-30", problems: map[string]string{"from": "must be a date written YYYY-MM-DD, such as 2026-01-31",
			"to": "must be a date written YYYY-MM-DD, such as 2026-01-31"}},
	} {
		p, err := ReportPeriod(c.from, c.to, now)
		var pe PeriodError
		switch {
		case c.problems == nil && err != nil:
			t.Errorf("%s to %s: %v", c.from, c.to, err)
		case c.problems == nil && p != c.want:
			t.Errorf("%s to %s: %v, want %v", c.from, c.to, p, c.want)
		case c.problems != nil && !errors.As(err, &pe):
			t.Errorf("%s to %s: %v (%v), want a PeriodError", c.from, c.to, p, err)
		case c.problems != nil:
			got := map[string]string{}
			for _, problem := range pe {
				got[problem.Field] = problem.Message
			}
			if len(got) != len(c.problems) {
				t.Errorf("%s to %s: problems %v, want %v", c.from, c.to, got, c.problems)
			}
			for field, want := range c.problems {
				if got[field] != want {
					t.Errorf("%s to %s: %s %q, want %q", c.from, c.to, field, got[field], want)
				}
			}
		}
	}
	// The quarter that ended at midnight (UTC) may be asked for at once,
	// and so may the year.
	if _, err := ReportPeriod("2026-07-01", "2026-09-30", day(2026, 10, 1)); err != nil {
		t.Errorf("the third quarter at the first instant of October: %v", err)
	}
	if _, err := ReportPeriod("2025-01-01", "2025-12-31", day(2026, 1, 1)); err != nil {
		t.Errorf("2025 at the first instant of 2026: %v", err)
	}
}

// TestReportPeriodsNeverOverlapButAsYearAndQuarters tries every period
// whose bounds are days from October 2024 to March 2026 and accepts
// exactly the quarters and the year among them: two periods that can be
// asked for are apart, or a year and one of its quarters, so no two
// reports differ by a month (nor by a day).
func TestReportPeriodsNeverOverlapButAsYearAndQuarters(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	first, last := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	var accepted []Period
	for from := first; !from.After(last); from = from.AddDate(0, 0, 1) {
		for to := from.AddDate(0, 0, -2); !to.After(last); to = to.AddDate(0, 0, 1) {
			if p, err := ReportPeriod(from.Format(time.DateOnly), to.Format(time.DateOnly), now); err == nil {
				accepted = append(accepted, p)
			}
		}
	}
	// The fourth quarter of 2024, 2025 and its quarters, the first of 2026.
	if len(accepted) != 7 {
		t.Errorf("%d periods accepted, want the 6 quarters and the year: %v", len(accepted), accepted)
	}
	for i, p := range accepted {
		if !p.isYear() && !p.To.Equal(p.From.AddDate(0, 3, 0)) {
			t.Errorf("%v accepted: neither a quarter nor a year", p)
		}
		for _, q := range accepted[i+1:] {
			apart := !p.To.After(q.From) || !q.To.After(p.From)
			yearAndQuarter := (p.isYear() || q.isYear()) && p.year() == q.year()
			if !apart && !yearAndQuarter {
				t.Errorf("%v and %v overlap", p, q)
			}
		}
	}
}

// TestReportRefusesAPeriodThatIsNotAQuarterOrAYear: the store itself
// refuses what the API and the export refuse, before it reads anything.
func TestReportRefusesAPeriodThatIsNotAQuarterOrAYear(t *testing.T) {
	var s Store
	y := time.Now().UTC().Year()
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, p := range []Period{
		{date(2025, 1, 1), date(2025, 1, 15)},
		{date(2025, 1, 1), date(2025, 2, 1)},
		{date(2025, 1, 1), date(2025, 7, 1)},
		{date(2025, 4, 1), date(2025, 10, 1)},
		{date(2025, 1, 2), date(2025, 4, 1)},
		// The last quarter of this year and this year, under way.
		{date(y, 10, 1), date(y+1, 1, 1)},
		{date(y, 1, 1), date(y+1, 1, 1)},
	} {
		var pe PeriodError
		if _, err := s.Report(t.Context(), []string{"p1"}, p, nil); !errors.As(err, &pe) {
			t.Errorf("%v: %v, want a PeriodError", p, err)
		}
	}
}
