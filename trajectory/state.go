package trajectory

import "time"

// State is the workflow's state, as a Query returns it. It holds no
// personal data but the family plan and the family's requests for another
// date (Plan, DateRequests): the query's answer and the history are
// encrypted under the trajectory's key, and State is never logged.
type State struct {
	TrajectoryID string      `json:"trajectory_id"`
	ProgrammeID  string      `json:"programme"`
	ReferrerOrg  string      `json:"referrer_organisation"`
	Phase        Phase       `json:"phase"`
	CoachID      string      `json:"coach,omitempty"`
	ReferredAt   time.Time   `json:"referred_at"`
	Next         *Step       `json:"next_step,omitempty"`
	Escalated    bool        `json:"escalated"`
	Overdue      bool        `json:"overdue"`
	VisitsDone   int         `json:"visits_done"`
	StepsDone    []DoneStep  `json:"steps_done"`
	CloseReason  CloseReason `json:"close_reason,omitempty"`
	// Perinatal follow-up: the birth still to be recorded, the birth date
	// once it is, and the end of follow-up (with any extension).
	Birth       *Step      `json:"birth,omitempty"`
	BornOn      Date       `json:"born_on"`
	FollowUpEnd *Step      `json:"follow_up_end,omitempty"`
	Extensions  []string   `json:"extensions,omitempty"`
	Handovers   []Handover `json:"handovers,omitempty"`
	// EmailFailed is set once an email of this trajectory failed for good;
	// EmailFailures says which (the last StepsDoneKept of them).
	EmailFailed   bool           `json:"email_failed,omitempty"`
	EmailFailures []EmailFailure `json:"email_failures,omitempty"`
	// IntakeDoneAt and LastVisitAt survive the trimming of StepsDone.
	IntakeDoneAt time.Time `json:"intake_done_at"`
	LastVisitAt  time.Time `json:"last_visit_at"`
	// Milestones are the programme's milestones now open, each with its
	// timers; MilestonesReached those the family reached.
	Milestones        []*Step            `json:"milestones,omitempty"`
	MilestonesReached []ReachedMilestone `json:"milestones_reached,omitempty"`
	// CoWorkers work on the trajectory beside the coach.
	CoWorkers []CoWorker `json:"co_workers,omitempty"`
	// ActivitiesAttended counts the collective activities the family took part in.
	ActivitiesAttended int `json:"activities_attended,omitempty"`
	// ConsultationID is the anonymous consultation the referral came from.
	ConsultationID string `json:"consultation_id,omitempty"`
	// Plan is the family plan as last agreed, nil until one is.
	Plan *Plan `json:"plan,omitempty"`
	// PlanActions are the open actions of the plan with a due date owed by
	// the coach, a co-worker or a service, each with its timers; the
	// family's own actions are in Plan only (FamilyActions).
	PlanActions []*Step `json:"plan_actions,omitempty"`
	// DateRequests are the family's last requests for another appointment
	// (at most DateRequestsKept).
	DateRequests []DateRequest `json:"date_requests,omitempty"`
	// EventSeq numbers the events of the log in the order of the
	// workflow's history.
	EventSeq int64 `json:"event_seq"`
}

// StepResult is what a step's Update answers: the state after the step,
// and the events the step recorded, which the caller writes to the log
// before it answers (the workflow writes them too, and the second write of
// an event changes nothing). Temporal returns an Update's outcome only
// once the workflow task that completed it is in the history, so these
// events are the history's own. State is embedded, so a caller that reads
// the answer as a State still can.
type StepResult struct {
	State
	Recorded []Event `json:"recorded,omitempty"`
}
