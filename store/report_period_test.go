package store

import (
	"errors"
	"testing"
	"time"
)

// TestReportPeriod: whole months that have ended, and each refusal names
// its field.
func TestReportPeriod(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		from, to string
		want     Period
		problems map[string]string
	}{
		{from: "2026-01-01", to: "2026-03-31", want: Period{month(2026, 1), month(2026, 4)}},
		{from: "2026-03-01", to: "2026-03-31", want: Period{month(2026, 3), month(2026, 4)}},
		{from: "2025-01-01", to: "2026-11-30", want: Period{month(2025, 1), month(2026, 12)}},
		{from: "2026-02-01", to: "2026-02-28", want: Period{month(2026, 2), month(2026, 3)}},
		// A day later or earlier than a month's bound.
		{from: "2026-01-02", to: "2026-03-31", problems: map[string]string{"from": "must be the first day of a month, such as 2026-01-01: reports cover whole months"}},
		{from: "2025-12-31", to: "2026-03-31", problems: map[string]string{"from": "must be the first day of a month, such as 2025-12-01: reports cover whole months"}},
		{from: "2026-01-01", to: "2026-03-30", problems: map[string]string{"to": "must be the last day of a month, such as 2026-03-31: reports cover whole months, and to is included"}},
		{from: "2026-01-01", to: "2026-04-01", problems: map[string]string{"to": "must be the last day of a month, such as 2026-03-31: reports cover whole months, and to is included"}},
		{from: "2026-01-15", to: "2026-01-16", problems: map[string]string{"from": "must be the first day of a month, such as 2026-01-01: reports cover whole months",
			"to": "must be the last day of a month, such as 2026-01-31: reports cover whole months, and to is included"}},
		// The month under way, and months to come.
		{from: "2026-12-01", to: "2026-12-31", problems: map[string]string{"to": "must be the last day of a month that has ended (the latest is 2026-11-30): " +
			"a report of a month under way would change from day to day"}},
		{from: "2026-01-01", to: "2027-01-31", problems: map[string]string{"to": "must be the last day of a month that has ended (the latest is 2026-11-30): " +
			"a report of a month under way would change from day to day"}},
		{from: "2026-03-01", to: "2026-02-28", problems: map[string]string{"to": "must not lie before from"}},
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
	// The month that ended at midnight (UTC) may be asked for at once.
	if _, err := ReportPeriod("2026-11-01", "2026-11-30", month(2026, 12)); err != nil {
		t.Errorf("November at the first instant of December: %v", err)
	}
}

// TestReportPeriodsDifferByWholeMonths tries every period whose bounds lie
// in four months and accepts exactly those of whole months: two accepted
// periods never differ by a day, only by whole months.
func TestReportPeriodsDifferByWholeMonths(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	first, last := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)
	accepted := 0
	for from := first; !from.After(last); from = from.AddDate(0, 0, 1) {
		for to := from; !to.After(last); to = to.AddDate(0, 0, 1) {
			p, err := ReportPeriod(from.Format(time.DateOnly), to.Format(time.DateOnly), now)
			if err != nil {
				continue
			}
			accepted++
			if p.From.Day() != 1 || p.To.Day() != 1 || !p.To.After(p.From) {
				t.Errorf("%s to %s accepted as %v", from.Format(time.DateOnly), to.Format(time.DateOnly), p)
			}
		}
	}
	// November to February: 4 + 3 + 2 + 1 runs of whole months.
	if accepted != 10 {
		t.Errorf("%d periods accepted, want the 10 runs of whole months", accepted)
	}
}

// TestReportRefusesAPeriodOfDays: the store itself refuses what the API
// and the export refuse, before it reads anything.
func TestReportRefusesAPeriodOfDays(t *testing.T) {
	var s Store
	y, m, _ := time.Now().UTC().Date()
	for _, p := range []Period{
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		// This month, under way.
		{time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		var pe PeriodError
		if _, err := s.Report(t.Context(), []string{"p1"}, p); !errors.As(err, &pe) {
			t.Errorf("%v: %v, want a PeriodError", p, err)
		}
	}
}
