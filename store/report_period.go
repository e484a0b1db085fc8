package store

import (
	"fmt"
	"strings"
	"time"

	"elkgezin/trajectory"
)

// Period is what a report covers: [From, To), from the first instant of a
// month (UTC) to the first instant of a later month.
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
// from is the first day of a month and to the last day of a month (both
// included, YYYY-MM-DD), and that month must have ended by now. Whole
// months only, so that no two reports differ by a day (which would give
// that day's referrals by subtraction), and ended ones only, so that the
// same report asked on two days does not either. The error is a PeriodError.
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

// problems checks the period's bounds as instants: whole months of UTC,
// at least one, all ended by now. Report checks them again, so that no
// caller of the store can ask for a period the API would refuse.
func (p Period) problems(now time.Time) PeriodError {
	var e PeriodError
	if !monthStart(p.From) {
		e = append(e, PeriodProblem{"from", "must be the first day of a month, such as " + p.From.Format("2006-01") + "-01: reports cover whole months"})
	}
	if !monthStart(p.To) {
		// to is the day before p.To, and is included: a first day of a
		// month was most likely meant as the end of the month before.
		to := p.To.AddDate(0, 0, -1)
		end := time.Date(to.Year(), to.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		if to.Day() == 1 {
			end = to
		}
		e = append(e, PeriodProblem{"to", "must be the last day of a month, such as " + end.AddDate(0, 0, -1).Format(time.DateOnly) +
			": reports cover whole months, and to is included"})
	}
	if len(e) == 0 && !p.To.After(p.From) {
		e = append(e, PeriodProblem{"to", "must not lie before from"})
	}
	if len(e) == 0 && p.To.After(now) {
		y, m, _ := now.UTC().Date()
		latest := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
		e = append(e, PeriodProblem{"to", fmt.Sprintf("must be the last day of a month that has ended (the latest is %s): "+
			"a report of a month under way would change from day to day", latest.Format(time.DateOnly))})
	}
	return e
}

func monthStart(t time.Time) bool {
	y, m, _ := t.UTC().Date()
	return t.Equal(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC))
}
