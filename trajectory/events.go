package trajectory

import "time"

// Event kinds in the append-only event log.
const (
	EventReferred             = "referred"
	EventCoachAssigned        = "coach_assigned"
	EventIntakeDone           = "intake_done"
	EventVisitDone            = "home_visit_done"
	EventReminderSent         = "reminder_sent"
	EventAlertSent            = "alert_sent"
	EventClosed               = "closed"
	EventBirthRecorded        = "birth_recorded"
	EventFollowUpExtended     = "follow_up_extended"
	EventHandoverRequested    = "handover_requested"
	EventHandoverSent         = "handover_sent"
	EventHandoverAcknowledged = "handover_acknowledged"
	// EventHandoverLinkExpired: the service never acknowledged, and now can't.
	EventHandoverLinkExpired = "handover_link_expired"
	// EventEmailFailed: an email failed for good, or may not have arrived
	// (reason EmailInDoubt); the detail names its kind, step and recipient
	// role, never an address.
	EventEmailFailed = "email_failed"
	// EventAssignmentNoticeSent: the coach was told a family was assigned.
	EventAssignmentNoticeSent = "assignment_notice_sent"
	EventHandoverResent       = "handover_resent"
	EventTimingsAdopted       = "programme_timings_adopted"
)

// Event is one row of the event log and the read model it updates. Cause
// names what made it, uniquely within the trajectory: the Update of a
// step, an email's idempotency key, a link's expiry. A second write of the
// same cause changes nothing, so a retried write is the same row by
// construction. Seq is its place in the workflow's history and the read
// model's version.
type Event struct {
	TrajectoryID string `json:"trajectory_id"`
	Seq          int64  `json:"seq"`
	Cause        string `json:"cause,omitempty"`
	// FirstRunID is the first run of the workflow that made the event (it
	// stays the same across continue-as-new). The log refuses an event of
	// any other run, so a workflow started again under a trajectory's id
	// can never write into its log.
	FirstRunID string    `json:"first_run_id,omitempty"`
	Kind       string    `json:"kind"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
	// Detail holds the step's data; notes in it are personal data.
	Detail map[string]string `json:"detail,omitempty"`
	// Referral is set on the "referred" event only.
	Referral *Referral `json:"referral,omitempty"`
	// Summary is the trajectory as it stands after this event.
	Summary Summary `json:"summary"`
}

// Summary is the read model row of a trajectory, without personal data.
type Summary struct {
	ProgrammeID string      `json:"programme"`
	ReferrerOrg string      `json:"referrer_organisation"`
	Phase       Phase       `json:"phase"`
	CoachID     string      `json:"coach,omitempty"`
	NextStep    string      `json:"next_step,omitempty"`
	NextDueAt   *time.Time  `json:"next_due_at,omitempty"`
	Escalated   bool        `json:"escalated"`
	CloseReason CloseReason `json:"close_reason,omitempty"`
	ReferredAt  time.Time   `json:"referred_at"`
	// EmailFailed is State.EmailFailed: an email of the trajectory failed
	// for good, and supervisors should look.
	EmailFailed bool `json:"email_failed"`
	// CoWorkers are the ids of the co-workers assigned beside the coach:
	// they may see and act on the trajectory like the coach.
	CoWorkers []string `json:"co_workers,omitempty"`
}
