package trajectory

import "time"

// Requests of the Updates. By is the acting person, set by the API from the
// authenticated caller, never from the body. Their JSON names are in the
// recorded histories (an Update's argument), so they stay as they are even
// where the HTTP API spells a field otherwise (born_on is the API's
// birth_date, next_visit_due its next_visit_due_at).

// AssignCoach assigns (or reassigns) the trajectory's fixed coach.
type AssignCoach struct {
	Precondition
	CoachID string `json:"coach"`
	By      string `json:"by,omitempty"`
}

// RecordIntake records the intake, the first home visit.
type RecordIntake struct {
	Precondition
	DoneAt time.Time `json:"done_at"`
	// NextVisitDue is the next home visit as planned with the family; zero
	// means the programme's cadence.
	NextVisitDue time.Time `json:"next_visit_due"`
	Note         string    `json:"note,omitempty"`
	By           string    `json:"by,omitempty"`
}

// RecordVisit records a home visit.
type RecordVisit struct {
	Precondition
	DoneAt       time.Time `json:"done_at"`
	NextVisitDue time.Time `json:"next_visit_due"`
	Note         string    `json:"note,omitempty"`
	By           string    `json:"by,omitempty"`
}

// Close ends the trajectory.
type Close struct {
	Precondition
	Reason CloseReason `json:"reason"`
	Text   string      `json:"text,omitempty"`
	// Outcomes are the results of the plan's goals in words, by goal id.
	Outcomes map[string]string `json:"outcomes,omitempty"`
	By       string            `json:"by,omitempty"`
}

// RecordBirth records the birth of the expected child.
type RecordBirth struct {
	Precondition
	BornOn Date   `json:"born_on"`
	Name   string `json:"name,omitempty"`
	By     string `json:"by,omitempty"`
}

// ExtendFollowUp lets a supervisor keep perinatal follow-up going longer.
type ExtendFollowUp struct {
	Precondition
	Until  Date   `json:"until"`
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"`
}

// AdoptTimings moves a running trajectory to new timings, for example after
// the programme file changed. Due instants already planned stay; reminders,
// alerts and every step planned from now on follow the new timings.
type AdoptTimings struct {
	Precondition
	Timings Timings `json:"timings"`
	Reason  string  `json:"reason"`
	By      string  `json:"by,omitempty"`
}

// RollOver is the request of UpdateRollOver; By is the operator.
type RollOver struct {
	By string `json:"by,omitempty"`
}
