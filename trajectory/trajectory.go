// Package trajectory holds the vocabulary every part of elkgezin shares:
// the phases of a family's trajectory, the steps a coach completes, the
// names under which the workflow is reached, and the records written to
// PostgreSQL. It does no I/O, so deterministic workflow code may use it.
package trajectory

import (
	"strconv"
	"time"

	"github.com/elkgezin/elkgezin/programme"
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

// Referral is what a partner sends. Family holds personal data: it goes to
// PostgreSQL and the workflow input, never into ids, search attributes or logs.
type Referral struct {
	ProgrammeID string   `json:"programme"`
	Referrer    Referrer `json:"referrer"`
	Family      Family   `json:"family"`
	Reason      string   `json:"reason"`
	// ExpectedDueDate is set for a pregnancy.
	ExpectedDueDate Date    `json:"expected_due_date"`
	Children        []Child `json:"children,omitempty"`
	// ConsultationID is set when the referral follows an anonymous
	// consultation, made with the family's consent: the link is kept.
	ConsultationID string `json:"consultation_id,omitempty"`
	// PreviousTrajectoryID names the family's earlier, closed trajectory
	// when the same partner refers the family again.
	PreviousTrajectoryID string `json:"previous_trajectory_id,omitempty"`
	// ReferredBy is who referred on the referrer's behalf (the actor of
	// the referred event): the coach or supervisor who turned the
	// partner's consultation into a referral. Empty: the partner itself.
	ReferredBy string `json:"referred_by,omitempty"`
}

// Child is one of the family's children. Personal data.
type Child struct {
	Name      string `json:"name,omitempty"`
	BirthDate Date   `json:"birth_date"`
}

// Referrer is the partner organisation and its own reference for the family.
type Referrer struct {
	Organisation string `json:"organisation"`
	Reference    string `json:"reference"`
	ContactEmail string `json:"contact_email,omitempty"`
}

// Family is the family's contact data. All of it is personal data.
type Family struct {
	ContactName string `json:"contact_name"`
	Address     string `json:"address,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Language    string `json:"language,omitempty"`
	// SMSConsent is set when the family agreed to SMS (SMS to families).
	SMSConsent *SMSConsent `json:"sms_consent,omitempty"`
}

// Start is the workflow's input: the referral as it was made, and the
// programme's timings at that moment. A continued run gets the same input
// with Carried set: everything the previous run handed on.
type Start struct {
	TrajectoryID  string   `json:"trajectory_id"`
	ProgrammeID   string   `json:"programme_id,omitempty"`
	ProgrammeName string   `json:"programme_name,omitempty"`
	Timings       *Timings `json:"timings,omitempty"`
	Referral      Referral `json:"referral"`
	// ReferredAt is when the API accepted the referral, so the workflow's
	// referred event is the API's, byte for byte; zero (a referral from an
	// older API) means the first workflow task's time.
	ReferredAt time.Time `json:"referred_at,omitzero"`
	// SearchAttributesSet says that the start carried the referral's search
	// attributes (StartSearchAttributes), so the first task need not
	// upsert them.
	SearchAttributesSet bool `json:"search_attributes_set,omitempty"`
	// CodeRevision is the code revision under which the API began a new
	// trajectory (CodeRevision), sent with TemporalChangeVersion set to
	// match in the start's search attributes (StartSearchAttributes), so
	// the first task records no version marker; 0 when the start carried no
	// search attributes.
	CodeRevision int `json:"code_revision,omitempty"`
	// Carried is set when the trajectory continues as new.
	Carried *Carried `json:"carried,omitempty"`
	// HistoryLimit overrides the number of history events after which the
	// workflow continues as new (tests use a small one).
	HistoryLimit int `json:"history_limit,omitempty"`

	// Programme, State and PendingHandovers are how runs started before
	// Timings and Carried existed hand their data on; they are read, never
	// written (see workflows.carriedFrom).
	Programme        *programme.Programme `json:"programme,omitempty"`
	State            *State               `json:"state,omitempty"`
	PendingHandovers []PendingHandover    `json:"pending_handovers,omitempty"`
}

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

// Requests of the Updates. By is the acting person, set by the API from the
// authenticated caller, never from the body.

// AssignCoach assigns (or reassigns) the trajectory's fixed coach.
type AssignCoach struct {
	CoachID string `json:"coach"`
	By      string `json:"by,omitempty"`
}

// RecordIntake records the intake, the first home visit.
type RecordIntake struct {
	DoneAt time.Time `json:"done_at"`
	// NextVisitDue is the next home visit as planned with the family; zero
	// means the programme's cadence.
	NextVisitDue time.Time `json:"next_visit_due"`
	Note         string    `json:"note,omitempty"`
	By           string    `json:"by,omitempty"`
}

// RecordVisit records a home visit.
type RecordVisit struct {
	DoneAt       time.Time `json:"done_at"`
	NextVisitDue time.Time `json:"next_visit_due"`
	Note         string    `json:"note,omitempty"`
	By           string    `json:"by,omitempty"`
}

// Close ends the trajectory.
type Close struct {
	Reason CloseReason `json:"reason"`
	Text   string      `json:"text,omitempty"`
	// Outcomes are the results of the plan's goals in words, by goal id.
	Outcomes map[string]string `json:"outcomes,omitempty"`
	By       string            `json:"by,omitempty"`
}

// RecordBirth records the birth of the expected child.
type RecordBirth struct {
	BornOn Date   `json:"born_on"`
	Name   string `json:"name,omitempty"`
	By     string `json:"by,omitempty"`
}

// ExtendFollowUp lets a supervisor keep perinatal follow-up going longer.
type ExtendFollowUp struct {
	Until  Date   `json:"until"`
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"`
}

// What the family may consent to share with a service. Without consent a
// service learns only the coach's contact and the reason of the handover.
const (
	ShareContact   = "contact"   // contact name, address, phone
	ShareChildren  = "children"  // the children and their birth dates
	SharePregnancy = "pregnancy" // the expected due date
)

// ShareCategories lists every category a consent may name.
var ShareCategories = []string{ShareContact, ShareChildren, SharePregnancy}

// Consent is the family's recorded consent to a handover.
type Consent struct {
	Given      bool     `json:"given"`
	RecordedOn Date     `json:"recorded_on"`
	Shares     []string `json:"shares"`
}

// HandOver hands the family over to a regular service by email.
type HandOver struct {
	Service programme.Service `json:"service"`
	Reason  string            `json:"reason"`
	Consent Consent           `json:"consent"`
	By      string            `json:"by,omitempty"`
}

// AcknowledgeHandover is the service confirming receipt, through the
// signed link in the handover email.
type AcknowledgeHandover struct {
	Number int    `json:"number"`
	By     string `json:"by,omitempty"`
}

// PendingHandover is a handover whose email has not gone out yet.
type PendingHandover struct {
	Number  int      `json:"number"`
	Request HandOver `json:"request"`
	// Held is set when its email failed for good: it waits for the coach
	// to correct the address (ResendHandover) until its link would expire.
	Held bool `json:"held,omitempty"`
	// Sending is set while its email is on its way (Carried.Sending).
	Sending bool `json:"sending,omitempty"`
}

// Handover is one handover as the workflow keeps it. It holds the service
// and what was shared, not the family's data itself.
type Handover struct {
	Number         int               `json:"number"`
	Service        programme.Service `json:"service"`
	RequestedAt    time.Time         `json:"requested_at"`
	SentAt         time.Time         `json:"sent_at"`
	Shares         []string          `json:"shares"`
	LinkExpiresAt  time.Time         `json:"link_expires_at"`
	AcknowledgedAt time.Time         `json:"acknowledged_at"`
	// Ack is the open acknowledgement step, nil once acknowledged.
	Ack *Step `json:"ack,omitempty"`
	// Failed is set when the email could not be delivered; the coach can
	// correct the address and send it again (ResendHandover), which counts
	// up Attempt.
	Failed  bool `json:"failed,omitempty"`
	Attempt int  `json:"attempt,omitempty"`
}

// HandoverEmail is the email to a service: the handover itself, or a
// reminder to acknowledge it. Shared holds only what the family consented to.
type HandoverEmail struct {
	Key           string            `json:"key"`
	Kind          NotificationKind  `json:"kind"` // "handover" or "reminder"
	TrajectoryID  string            `json:"trajectory_id"`
	ProgrammeName string            `json:"programme_name"`
	Number        int               `json:"number"`
	Service       programme.Service `json:"service"`
	Reason        string            `json:"reason"`
	Shared        SharedData        `json:"shared"`
	// ProgrammeID and CoachID let the worker look up the coach's name and
	// address when it sends. CoachName and CoachEmail are set only by runs
	// started before that (read, never written).
	ProgrammeID   string    `json:"programme_id,omitempty"`
	CoachID       string    `json:"coach_id,omitempty"`
	CoachName     string    `json:"coach_name,omitempty"`
	CoachEmail    string    `json:"coach_email,omitempty"`
	LinkExpiresAt time.Time `json:"link_expires_at"`
	// ReportInDoubt: see Notification.ReportInDoubt.
	ReportInDoubt bool `json:"report_in_doubt,omitempty"`
}

// SharedData is the family's data a service may see; empty where the
// family did not consent.
type SharedData struct {
	Contact         *Family `json:"contact,omitempty"`
	Children        []Child `json:"children,omitempty"`
	ExpectedDueDate Date    `json:"expected_due_date"`
}

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

// NotificationKind is a reminder to the coach or an alert to the supervisor.
type NotificationKind string

const (
	Reminder NotificationKind = "reminder"
	Alert    NotificationKind = "alert"
	// HandoverNotice is the handover email itself.
	HandoverNotice NotificationKind = "handover"
	// AssignmentNotice tells a coach a family was assigned to them and
	// which step is owed when (Step).
	AssignmentNotice NotificationKind = "assignment"
	// EmailFailedNotice tells the supervisor that an email to someone else
	// failed for good (Failed says which).
	EmailFailedNotice NotificationKind = "email_failed"
)

// Notification is one email about a step. Key makes sending it idempotent.
type Notification struct {
	Key           string           `json:"key"`
	Kind          NotificationKind `json:"kind"`
	TrajectoryID  string           `json:"trajectory_id"`
	ProgrammeID   string           `json:"programme_id,omitempty"`
	ProgrammeName string           `json:"programme_name"`
	Step          Step             `json:"step"`
	// Recipient is looked up in the programme files when the email is sent.
	Recipient Recipient `json:"recipient"`
	// Failed is set on an EmailFailedNotice: the email that failed.
	Failed *EmailFailure `json:"failed,omitempty"`
	// To is the address runs started before Recipient existed put here
	// (read, never written).
	To string `json:"to,omitempty"`
	// ReportInDoubt asks the activity to fail with EmailInDoubt when the
	// email may or may not have arrived, for the workflow to report it.
	// Runs from before that change (and a worker of theirs beside a newer
	// one in a rolling deploy) leave it unset, and the email is settled
	// as sent, as it was then.
	ReportInDoubt bool `json:"report_in_doubt,omitempty"`
}

// CauseReferred is the cause of a trajectory's referred event: there is one.
const CauseReferred = "referred"

// ReferredEvent is the first event of every trajectory. The API writes it as
// soon as the workflow has started, and the workflow writes it again: the
// same cause makes the second write a no-op, and the trajectory is listed
// at once.
func ReferredEvent(id string, p programme.Programme, r Referral, at time.Time) Event {
	return ReferredEventAt(id, p.ID, TimingsOf(p), r, at)
}

// DetailBornMonth is the referred event's detail that holds the month
// ("2006-01") of a birth known at referral, which the trajectory follows.
const DetailBornMonth = "born_month"

// ReferredEventAt is ReferredEvent from the trajectory's own timings.
func ReferredEventAt(id, programmeID string, t Timings, r Referral, at time.Time) Event {
	due := at.Add(t.AssignmentLimit.Std())
	var detail map[string]string
	if r.ConsultationID != "" {
		detail = map[string]string{"consultation": r.ConsultationID}
	}
	if r.PreviousTrajectoryID != "" {
		if detail == nil {
			detail = map[string]string{}
		}
		detail["previous_trajectory"] = r.PreviousTrajectoryID
	}
	if t.Perinatal != nil {
		// A family referred after the birth is followed from it; reports
		// know the birth by its month only.
		if born := t.Perinatal.BirthFollowedFrom(r, at); !born.IsZero() {
			if detail == nil {
				detail = map[string]string{}
			}
			detail[DetailBornMonth] = born.Format("2006-01")
		}
	}
	actor := "partner:" + r.Referrer.Organisation
	if r.ReferredBy != "" {
		actor = r.ReferredBy
	}
	return Event{
		Detail:       detail,
		TrajectoryID: id,
		Seq:          1,
		Cause:        CauseReferred,
		Kind:         EventReferred,
		Actor:        actor,
		At:           at,
		Referral:     &r,
		Summary: Summary{
			ProgrammeID: programmeID,
			ReferrerOrg: r.Referrer.Organisation,
			Phase:       PhaseReferred,
			NextStep:    string(StepAssignment),
			NextDueAt:   &due,
			ReferredAt:  at,
		},
	}
}
