package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Period is what a report covers: [From, To), one calendar quarter or one
// calendar year of UTC.
type Period struct {
	From, To time.Time
}

// PeriodProblem is what is wrong with one bound of a report's period, by
// the name the API gives it: "from" or "to".
type PeriodProblem struct {
	Field, Message string
}

// PeriodError lists the problems of a period that was refused.
type PeriodError []PeriodProblem

func (e PeriodError) Error() string {
	parts := make([]string, len(e))
	for i, p := range e {
		parts[i] = p.Field + " " + p.Message
	}
	return "report period: " + strings.Join(parts, "; ")
}

// ReportPeriod reads a period as the API and the fund's export take it:
// one calendar quarter or one calendar year that has ended, from its first
// day to its last (both included, YYYY-MM-DD). So no two periods that can
// be asked for overlap, but as a year and its quarters, which Report
// suppresses together (report_hierarchy.go): two runs of months, one
// beside the other, would give the months they differ by. Ended ones only,
// so that the same report asked on two days does not differ either. The
// error is a PeriodError.
func ReportPeriod(from, to string, now time.Time) (Period, error) {
	var e PeriodError
	first := parseBound(&e, "from", from)
	last := parseBound(&e, "to", to)
	if len(e) > 0 {
		return Period{}, e
	}
	p := Period{From: first, To: last.AddDate(0, 0, 1)}
	if e = p.problems(now); len(e) > 0 {
		return Period{}, e
	}
	return p, nil
}

func parseBound(e *PeriodError, field, v string) time.Time {
	if v == "" {
		*e = append(*e, PeriodProblem{field, "is required: a date written YYYY-MM-DD"})
		return time.Time{}
	}
	d, err := trajectory.ParseDate(v)
	if err != nil {
		*e = append(*e, PeriodProblem{field, "must be a date written YYYY-MM-DD, such as 2026-01-31"})
	}
	return d.Time
}

// coverage is what every refusal of a bound ends with.
const coverage = "a report covers one calendar quarter or one calendar year"

// problems checks the period's bounds as instants: a quarter or a year of
// UTC, ended by now. Report checks them again, so that no caller of the
// store can ask for a period the API would refuse.
func (p Period) problems(now time.Time) PeriodError {
	var e PeriodError
	from, to := p.From.UTC(), p.To.UTC()
	quarter, year := quarterOf(from), quarterOf(from).year()
	switch {
	case !from.Equal(quarter.From):
		e = append(e, PeriodProblem{"from", "must be the first day of a quarter (1 January, 1 April, 1 July or 1 October), such as " +
			quarter.From.Format(time.DateOnly) + ": " + coverage})
		if end := quarterOf(to.AddDate(0, 0, -1)); !to.Equal(end.To) {
			e = append(e, PeriodProblem{"to", "must be the last day of a quarter, such as " + end.last() + ": " + coverage + ", and to is included"})
		}
	case from.Equal(year.From) && !to.Equal(quarter.To) && !to.Equal(year.To):
		e = append(e, PeriodProblem{"to", "must be " + quarter.last() + " (the first quarter) or " + year.last() + " (the year): " + coverage + ", and to is included"})
	case !from.Equal(year.From) && !to.Equal(quarter.To):
		e = append(e, PeriodProblem{"to", "must be " + quarter.last() + ", the last day of the quarter that from begins: " + coverage + ", and to is included"})
	}
	if len(e) == 0 && to.After(now) {
		latest := quarterOf(now.UTC()).From
		what := "quarter"
		if p.isYear() {
			latest, what = quarterOf(now.UTC()).year().From, "year"
		}
		e = append(e, PeriodProblem{"to", fmt.Sprintf("must be the last day of a %s that has ended (the latest is %s): "+
			"a report of a %[1]s under way would change from day to day", what, latest.AddDate(0, 0, -1).Format(time.DateOnly))})
	}
	return e
}

// quarterOf is the calendar quarter that t lies in.
func quarterOf(t time.Time) Period {
	y, m, _ := t.UTC().Date()
	from := time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, time.UTC)
	return Period{From: from, To: from.AddDate(0, 3, 0)}
}

// year is the calendar year the period begins in.
func (p Period) year() Period {
	from := time.Date(p.From.UTC().Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	return Period{From: from, To: from.AddDate(1, 0, 0)}
}

func (p Period) isYear() bool { return p.From.Equal(p.year().From) && p.To.Equal(p.year().To) }

// quarters are the quarters of a year.
func (p Period) quarters() []Period {
	qs := make([]Period, 4)
	for i := range qs {
		from := p.From.AddDate(0, 3*i, 0)
		qs[i] = Period{From: from, To: from.AddDate(0, 3, 0)}
	}
	return qs
}

// last is the period's last day, as to names it.
func (p Period) last() string { return p.To.AddDate(0, 0, -1).Format(time.DateOnly) }
