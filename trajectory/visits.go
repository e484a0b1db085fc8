package trajectory

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// A planned home visit the family asks to postpone is moved; one that did
// not take place is recorded as missed, with the next appointment. Neither
// is a visit done, and neither alerts: the reminder and the alert follow
// the visit to its new time.

const (
	UpdateMoveVisit         = "move-visit"
	UpdateRecordMissedVisit = "record-missed-visit"
)

// Event kinds of a moved and of a missed visit.
const (
	EventVisitMoved  = "visit_moved"
	EventVisitMissed = "visit_missed"
)

// MoveVisit moves the planned home visit to a new appointment.
type MoveVisit struct {
	Precondition
	// Step is the key of the open home visit, as State.Next shows it
	// (Step.Key, such as "home_visit-3").
	Step string    `json:"step"`
	To   time.Time `json:"to"`
	// Reason is optional and short; it is what a person typed.
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
}

// MissedVisitReason is why a planned visit did not take place; the list is
// fixed so reports can count them.
type MissedVisitReason string

const (
	MissedNotHome           MissedVisitReason = "not_home"
	MissedCancelledByFamily MissedVisitReason = "cancelled_by_family"
	MissedCoachUnavailable  MissedVisitReason = "coach_unavailable"
	MissedOther             MissedVisitReason = "other"
)

// MissedVisitReasons lists the allowed reasons.
var MissedVisitReasons = []MissedVisitReason{MissedNotHome, MissedCancelledByFamily, MissedCoachUnavailable, MissedOther}

// MissedVisit records that the planned home visit did not take place, and
// the new appointment made with the family.
type MissedVisit struct {
	Precondition
	// Step is the key of the open home visit (see MoveVisit.Step).
	Step string `json:"step"`
	// PlannedAt is when the visit was to take place; zero means the
	// visit's due instant as the trajectory has it.
	PlannedAt time.Time         `json:"planned_at"`
	Reason    MissedVisitReason `json:"reason"`
	// Next is the new appointment; required.
	Next time.Time `json:"next"`
	Note string    `json:"note,omitempty"`
	By   string    `json:"by,omitempty"`
}

// MaxVisitReasonLength bounds a moved visit's reason: a few words, not a note.
const MaxVisitReasonLength = 200

// MoveVisitProblems checks a move against now: the step named, the new
// time in the future and within MaxPlanAhead, a short one-line reason.
// Whether the step is the open home visit is the workflow's to check.
func MoveVisitProblems(now time.Time, req MoveVisit) []Problem {
	ps := visitStepProblems(req.Step)
	ps = append(ps, appointmentProblems("to", now, req.To)...)
	return append(ps, textProblems("reason", req.Reason, MaxVisitReasonLength, false)...)
}

// MissedVisitProblems checks a missed visit against now: the step named, a
// reason from MissedVisitReasons, the next appointment in the future and
// within MaxPlanAhead, a note of at most MaxNoteLength.
func MissedVisitProblems(now time.Time, req MissedVisit) []Problem {
	ps := visitStepProblems(req.Step)
	names := make([]string, len(MissedVisitReasons))
	for i, r := range MissedVisitReasons {
		names[i] = string(r)
	}
	switch {
	case req.Reason == "":
		ps = append(ps, Problem{Field: "reason", Message: "is required: one of " + strings.Join(names, ", "), Code: CodeMissedReasonRequired})
	case !slices.Contains(MissedVisitReasons, req.Reason):
		ps = append(ps, Problem{Field: "reason", Message: "must be one of " + strings.Join(names, ", "), Code: CodeMissedReasonUnknown})
	}
	ps = append(ps, appointmentProblems("next", now, req.Next)...)
	return append(ps, textProblems("note", req.Note, MaxNoteLength, true)...)
}

func visitStepProblems(step string) []Problem {
	if strings.TrimSpace(step) == "" {
		return []Problem{{Field: "step", Message: "is required: the key of the planned home visit, as next_step shows it", Code: CodeVisitStepRequired}}
	}
	return nil
}

// appointmentProblems checks a new appointment by the rule of a planned
// next visit (VisitTimeProblems): in the future, within MaxPlanAhead.
func appointmentProblems(field string, now, at time.Time) []Problem {
	if at.IsZero() {
		return []Problem{{Field: field, Message: "is required: the new appointment with the family", Code: CodeAppointmentRequired,
			Args: map[string]string{ArgField: field}}}
	}
	ps := VisitTimeProblems(now, time.Time{}, at)
	for i := range ps {
		ps[i].Field = field
	}
	return ps
}

// textProblems checks a typed text by CleanText.
func textProblems(field, v string, max int, multiline bool) []Problem {
	_, p := CleanText(v, false, max, multiline)
	switch p {
	case "":
		return nil
	case TextTooLong:
		return []Problem{{Field: field, Message: "is too long: at most " + strconv.Itoa(max) + " characters", Code: CodeVisitTextTooLong,
			Args: map[string]string{ArgField: field, ArgMax: strconv.Itoa(max)}}}
	}
	return []Problem{{Field: field, Message: "must be plain text without control or formatting characters", Code: CodeVisitTextInvalid,
		Args: map[string]string{ArgField: field}}}
}
