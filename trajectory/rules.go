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

// Problem is one thing wrong with a step's data, by the field it is in:
// in English for the API (Message) and as a refusal's code and arguments
// for an adapter that speaks another language.
type Problem struct {
	Field   string            `json:"field"`
	Message string            `json:"message"`
	Code    RefusalCode       `json:"code"`
	Args    map[string]string `json:"args,omitempty"`
}

func (p Problem) String() string { return p.Field + " " + p.Message }

// Refusal is the problem as the refusal of a step.
func (p Problem) Refusal() Refusal { return Refusal{Code: p.Code, Args: p.Args} }

// ClockSkew is how far a done_at may lie ahead of the clock that checks it:
// a phone's clock a little ahead must not make a visit "in the future".
const ClockSkew = time.Minute

// MaxPlanAhead bounds the next visit planned (the API's next_visit_due_at): a visit planned further ahead would
// silence the reminders for too long.
const MaxPlanAhead = 366 * 24 * time.Hour

// VisitTimeProblems checks the times of an intake or home visit against
// now. A zero doneAt means "now"; a zero nextDue means "by the programme".
func VisitTimeProblems(now, doneAt, nextDue time.Time) []Problem {
	var ps []Problem
	if doneAt.After(now.Add(ClockSkew)) {
		ps = append(ps, Problem{Field: "done_at", Message: "lies in the future: record a visit after it took place", Code: CodeDoneAtInFuture})
	}
	if !nextDue.IsZero() {
		after := now
		if doneAt.After(now) {
			after = doneAt
		}
		switch {
		case !nextDue.After(after):
			ps = append(ps, Problem{Field: "next_visit_due_at", Message: "must lie in the future", Code: CodeNextVisitNotInFuture})
		case nextDue.After(now.Add(MaxPlanAhead)):
			ps = append(ps, Problem{Field: "next_visit_due_at", Message: "must lie within a year; plan a nearer visit", Code: CodeNextVisitTooFar})
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
		ps = append(ps, Problem{Field: "reason", Message: "is required: one of " + strings.Join(names, ", "), Code: CodeCloseReasonRequired})
	case !slices.Contains(CloseReasons, reason):
		ps = append(ps, Problem{Field: "reason", Message: "must be one of " + strings.Join(names, ", "), Code: CodeCloseReasonUnknown})
	}
	if reason == CloseOther && strings.TrimSpace(text) == "" {
		ps = append(ps, Problem{Field: "text", Message: "is required when the reason is other: say why the trajectory ends", Code: CodeCloseTextRequired})
	}
	return ps
}

// ConsentProblems checks the family's consent to a handover: given,
// recorded on a date, and naming only known categories.
func ConsentProblems(c Consent) []Problem {
	var ps []Problem
	if !c.Given || c.RecordedOn.IsZero() {
		ps = append(ps, Problem{Field: "consent", Message: "the family's consent to this handover is not recorded", Code: CodeConsentMissing})
	}
	for _, s := range c.Shares {
		if !slices.Contains(ShareCategories, s) {
			// No Args: the unknown name is whatever the client sent.
			ps = append(ps, Problem{Field: "consent.shares", Message: "names " + s + ", which is not one of " + strings.Join(ShareCategories, ", "),
				Code: CodeConsentShareUnknown})
		}
	}
	return ps
}

// ResendConsentProblems checks the consent of a resent handover: the family
// consented to share with one service, so a resend to another one (handedTo
// is the service the handover was last sent to) needs the family's consent
// for that service. A resend to the same service needs none (the first
// consent holds), and one that carries a consent must be a valid one.
func ResendConsentProblems(handedTo string, req ResendHandover) []Problem {
	if req.Consent != nil {
		return ConsentProblems(*req.Consent)
	}
	if handedTo == "" || req.Service.ID != handedTo {
		return []Problem{{Field: "consent", Code: CodeConsentMissing,
			Message: "the family's consent to hand over to this service is not recorded: a handover resent to another service needs it"}}
	}
	return nil
}
