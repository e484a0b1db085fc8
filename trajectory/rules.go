package trajectory

import (
	"slices"
	"strings"
	"time"
)

// Rules about a step's own data, written once: the API calls them to answer
// 400 with the field, and the workflow's validators call them again, so a
// client that goes to Temporal directly meets the same rules. What depends
// on where the trajectory stands is checked by the validators alone.

// Problem is one thing wrong with a step's data, by the field it is in.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Field + " " + p.Message }

// ClockSkew is how far a done_at may lie ahead of the clock that checks it:
// a phone's clock a little ahead must not make a visit "in the future".
const ClockSkew = time.Minute

// MaxPlanAhead bounds next_visit_due: a visit planned further ahead would
// silence the reminders for too long.
const MaxPlanAhead = 366 * 24 * time.Hour

// VisitTimeProblems checks the times of an intake or home visit against
// now. A zero doneAt means "now"; a zero nextDue means "by the programme".
func VisitTimeProblems(now, doneAt, nextDue time.Time) []Problem {
	var ps []Problem
	if doneAt.After(now.Add(ClockSkew)) {
		ps = append(ps, Problem{"done_at", "lies in the future: record a visit after it took place"})
	}
	if !nextDue.IsZero() {
		after := now
		if doneAt.After(now) {
			after = doneAt
		}
		switch {
		case !nextDue.After(after):
			ps = append(ps, Problem{"next_visit_due", "must lie in the future"})
		case nextDue.After(now.Add(MaxPlanAhead)):
			ps = append(ps, Problem{"next_visit_due", "must lie within a year; plan a nearer visit"})
		}
	}
	return ps
}

// CloseProblems checks a closure: a reason from CloseReasons, and a text
// that says why when the reason is other.
func CloseProblems(reason CloseReason, text string) []Problem {
	var ps []Problem
	names := make([]string, len(CloseReasons))
	for i, c := range CloseReasons {
		names[i] = string(c)
	}
	switch {
	case reason == "":
		ps = append(ps, Problem{"reason", "is required: one of " + strings.Join(names, ", ")})
	case !slices.Contains(CloseReasons, reason):
		ps = append(ps, Problem{"reason", "must be one of " + strings.Join(names, ", ")})
	}
	if reason == CloseOther && strings.TrimSpace(text) == "" {
		ps = append(ps, Problem{"text", "is required when the reason is other: say why the trajectory ends"})
	}
	return ps
}

// ConsentProblems checks the family's consent to a handover: given,
// recorded on a date, and naming only known categories.
func ConsentProblems(c Consent) []Problem {
	var ps []Problem
	if !c.Given || c.RecordedOn.IsZero() {
		ps = append(ps, Problem{"consent", "the family's consent to this handover is not recorded"})
	}
	for _, s := range c.Shares {
		if !slices.Contains(ShareCategories, s) {
			ps = append(ps, Problem{"consent.shares", "names " + s + ", which is not one of " + strings.Join(ShareCategories, ", ")})
		}
	}
	return ps
}
