// Package trajectory holds the vocabulary every part of elkgezin shares:
// the phases of a family's trajectory, the steps a coach completes, the
// names under which the workflow is reached, the records written to
// PostgreSQL, and the rules a trajectory runs by (Timings, durations,
// milestones, life domains, services), into which package programme
// converts the programme files. It does no I/O, so deterministic workflow
// code may use it.
package trajectory

import (
	"strconv"
	"time"
)

// Names under which workers and clients meet.
const (
	TaskQueue = "elkgezin-trajectories"
	// EmailTaskQueue carries only the email activities, so the worker can
	// cap the rate at which they reach the mail server.
	EmailTaskQueue = "elkgezin-email"
	WorkflowName   = "Trajectory"

	UpdateAssignCoach         = "assign-coach"
	UpdateRecordIntake        = "record-intake"
	UpdateRecordVisit         = "record-visit"
	UpdateClose               = "close"
	UpdateRecordBirth         = "record-birth"
	UpdateExtendFollowUp      = "extend-follow-up"
	UpdateHandOver            = "hand-over"
	UpdateAcknowledgeHandover = "acknowledge-handover"
	UpdateResendHandover      = "resend-handover"
	UpdateAdoptTimings        = "adopt-programme-timings"
	// UpdateRollOver makes a running trajectory continue as new on the
	// code its worker runs now, so that old branches of the workflow can
	// be retired (see workflows/versions.go).
	UpdateRollOver = "roll-over"
	QueryState     = "state"

	// ErrStepRejected is the error type of every validator rejection; its
	// message says why, and the API answers it with 409.
	ErrStepRejected = "StepRejected"
)

// Phase is where a trajectory stands.
type Phase string

const (
	PhaseReferred      Phase = "referred"
	PhaseCoachAssigned Phase = "coach_assigned"
	PhaseIntakeDone    Phase = "intake_done"
	// PhasePrenatal and PhasePostnatal are the in-support phases of a
	// pregnancy in a perinatal programme: before and after the birth.
	PhasePrenatal  Phase = "prenatal"
	PhasePostnatal Phase = "postnatal"
	PhaseInSupport Phase = "in_support"
	PhaseClosed    Phase = "closed"
)

// Phases lists every phase in trajectory order.
var Phases = []Phase{PhaseReferred, PhaseCoachAssigned, PhaseIntakeDone, PhasePrenatal, PhasePostnatal, PhaseInSupport, PhaseClosed}

// StepKind names a step that is due on a date.
type StepKind string

const (
	StepAssignment StepKind = "assignment"
	StepIntake     StepKind = "intake"
	StepHomeVisit  StepKind = "home_visit"
	// StepBirth is the birth to be recorded, due on the expected due date.
	StepBirth StepKind = "birth"
	// StepFollowUpEnd is the end of perinatal follow-up, when the child
	// reaches the programme's age: the coach closes with a handover.
	StepFollowUpEnd StepKind = "follow_up_end"
	// StepHandoverAck is a handover the service has not acknowledged yet.
	StepHandoverAck StepKind = "handover_ack"
)

// CloseReason is why a trajectory ended; the list is fixed so reports can count them.
type CloseReason string

const (
	CloseGoalsReached   CloseReason = "goals_reached"
	CloseMovedAway      CloseReason = "moved_away"
	CloseFamilyDeclined CloseReason = "family_declined"
	CloseHandedOver     CloseReason = "handed_over"
	CloseOther          CloseReason = "other"
)

// CloseReasons lists the allowed reasons.
var CloseReasons = []CloseReason{CloseGoalsReached, CloseMovedAway, CloseFamilyDeclined, CloseHandedOver, CloseOther}

// Step is the one step the trajectory is waiting for, with its timers.
type Step struct {
	Kind   StepKind `json:"kind"`
	Number int      `json:"number,omitempty"` // home visit number, from 1
	// Milestone is the id of a StepMilestone.
	Milestone string `json:"milestone,omitempty"`
	// Goal and Action name the action of the plan a StepPlanAction is.
	Goal   string    `json:"goal,omitempty"`
	Action string    `json:"action,omitempty"`
	DueAt  time.Time `json:"due_at"`
	// Planned is set for a home visit the coach planned with the family;
	// a visit from the programme's schedule is re-planned at the birth.
	Planned bool `json:"planned,omitempty"`
	// Reminded and Alerted record that the reminder and the alert for this
	// step went out, so a continued run never sends them again.
	Reminded bool `json:"reminded,omitempty"`
	Alerted  bool `json:"alerted,omitempty"`
	// Escalated records that the manager was alerted about this step too
	// (the programme's second escalation level).
	Escalated bool `json:"escalated,omitempty"`
	// PastDue records that the due instant passed with the step open: the
	// trajectory is then overdue for supervisors.
	PastDue bool `json:"past_due,omitempty"`
}

// Key names the step uniquely within its trajectory.
func (s Step) Key() string {
	if s.Kind == StepHomeVisit || s.Kind == StepHandoverAck {
		return string(s.Kind) + "-" + strconv.Itoa(s.Number)
	}
	if s.Kind == StepMilestone {
		return string(s.Kind) + "-" + s.Milestone
	}
	if s.Kind == StepPlanAction {
		return string(s.Kind) + "-" + s.Goal + "-" + s.Action
	}
	return string(s.Kind)
}

// DoneStep is a completed step, as the API lists it.
type DoneStep struct {
	Kind   string    `json:"kind"`
	Number int       `json:"number,omitempty"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}
