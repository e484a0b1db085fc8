package trajectory

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// Why a step is refused, for a program: the workflow's validators and the
// shared rules (rules.go) give each refusal a stable code beside their
// English message, so an adapter can say it in its own language (the
// pages in Dutch) and a client can switch on it. A refusal's Args hold
// only ids, codes, numbers and dates (instants in RFC 3339, days as
// YYYY-MM-DD), never personal data: no names, notes, birth dates or text
// that a person typed.

// RefusalCode names why a step was refused. Codes are stable: a client
// may switch on them, so one is never renamed or given another meaning.
type RefusalCode string

const (
	// Every step.
	CodeTrajectoryClosed RefusalCode = "trajectory_closed" // ArgReason
	// The trajectory moved on since the version the step was decided on
	// (Precondition): ArgVersion is its version now.
	CodeVersionChanged RefusalCode = "precondition_failed" // ArgVersion

	// Assignment, intake, home visits, closure.
	CodeCoachRequired          RefusalCode = "coach_required"
	CodeCoachAlreadyAssigned   RefusalCode = "coach_already_assigned" // ArgCoach
	CodeIntakeNeedsCoach       RefusalCode = "intake_needs_coach"
	CodeIntakeAlreadyRecorded  RefusalCode = "intake_already_recorded" // ArgDoneAt when known
	CodeVisitBeforeIntake      RefusalCode = "visit_before_intake"
	CodeVisitNotPlanned        RefusalCode = "visit_not_planned"
	CodeDoneAtInFuture         RefusalCode = "done_at_in_future"
	CodeNextVisitNotInFuture   RefusalCode = "next_visit_due_at_not_in_future"
	CodeNextVisitTooFar        RefusalCode = "next_visit_due_at_too_far"
	CodeDoneAtBeforeReferral   RefusalCode = "done_at_before_referral"       // ArgDoneAt, ArgNotBefore
	CodeDoneAtBeforeVisit      RefusalCode = "done_at_before_previous_visit" // ArgDoneAt, ArgNotBefore
	CodeCloseReasonRequired    RefusalCode = "close_reason_required"
	CodeCloseReasonUnknown     RefusalCode = "close_reason_unknown"
	CodeCloseTextRequired      RefusalCode = "close_text_required"
	CodeCloseHandoverNotAcked  RefusalCode = "close_handover_not_acknowledged"
	CodeHandoverNeedsCoach     RefusalCode = "handover_needs_coach"
	CodeConsentMissing         RefusalCode = "consent_missing"
	CodeConsentShareUnknown    RefusalCode = "consent_share_unknown"
	CodeHandoverServiceMissing RefusalCode = "handover_service_missing"
	CodeHandoverReasonRequired RefusalCode = "handover_reason_required"

	// A handover's acknowledgement and resending.
	CodeHandoverUnknown             RefusalCode = "handover_unknown"              // ArgHandover
	CodeHandoverAlreadyAcknowledged RefusalCode = "handover_already_acknowledged" // ArgHandover, ArgAcknowledgedAt
	CodeHandoverUndelivered         RefusalCode = "handover_undelivered"          // ArgHandover
	CodeHandoverLinkExpired         RefusalCode = "handover_link_expired"         // ArgHandover, ArgExpiredAt
	CodeHandoverNotResendable       RefusalCode = "handover_not_resendable"       // ArgHandover

	// Birth and follow-up.
	CodeBirthAlreadyRecorded     RefusalCode = "birth_already_recorded"
	CodeBirthNotExpected         RefusalCode = "birth_not_expected" // ArgProgramme
	CodeBirthDateRequired        RefusalCode = "birth_date_required"
	CodeBirthDateInFuture        RefusalCode = "birth_date_in_future"
	CodeFollowUpNotExtendable    RefusalCode = "follow_up_not_extendable"
	CodeExtensionNotAfterEnd     RefusalCode = "extension_not_after_end" // ArgUntil, ArgFollowUpEnd
	CodeExtensionReasonRequired  RefusalCode = "extension_reason_required"
	CodeTimingsIncomplete        RefusalCode = "timings_incomplete" // ArgTiming
	CodeTimingsNeedPerinatal     RefusalCode = "timings_need_perinatal"
	CodeTimingsMilestonesInvalid RefusalCode = "timings_milestones_invalid" // ArgField
	CodeTimingsReasonRequired    RefusalCode = "timings_reason_required"

	// Milestones, co-workers, collective activities.
	CodeNoMilestones            RefusalCode = "programme_has_no_milestones"
	CodeMilestoneUnknown        RefusalCode = "milestone_unknown" // ArgMilestone, ArgMilestones
	CodeMilestoneNeedsCoach     RefusalCode = "milestone_needs_coach"
	CodeMilestoneAlreadyReached RefusalCode = "milestone_already_reached" // ArgMilestone
	CodeMilestoneNotOpen        RefusalCode = "milestone_not_open"        // ArgMilestone, ArgAfter
	CodeMilestoneInFuture       RefusalCode = "milestone_done_at_in_future"
	CodeMilestoneBeforeAfter    RefusalCode = "milestone_done_at_before_previous" // ArgDoneAt, ArgAfter, ArgNotBefore
	CodeCoWorkerRequired        RefusalCode = "co_worker_required"
	CodeCoWorkerIsCoach         RefusalCode = "co_worker_is_coach"         // ArgCoWorker
	CodeCoWorkerNotAssigned     RefusalCode = "co_worker_not_assigned"     // ArgCoWorker
	CodeCoWorkerAlreadyAssigned RefusalCode = "co_worker_already_assigned" // ArgCoWorker, ArgRole
	CodeAttendanceIncomplete    RefusalCode = "attendance_incomplete"

	// A moved or missed home visit (visits.go).
	CodeVisitStepRequired    RefusalCode = "visit_step_required"
	CodeVisitStepNotOpen     RefusalCode = "visit_step_not_open"  // ArgStep, ArgOpenStep when a visit is open
	CodeAppointmentRequired  RefusalCode = "appointment_required" // ArgField
	CodeMissedReasonRequired RefusalCode = "missed_visit_reason_required"
	CodeMissedReasonUnknown  RefusalCode = "missed_visit_reason_unknown"
	CodeVisitTextTooLong     RefusalCode = "visit_text_too_long" // ArgField, ArgMax
	CodeVisitTextInvalid     RefusalCode = "visit_text_invalid"  // ArgField
	CodeVisitAlreadyAt       RefusalCode = "visit_already_at"    // ArgDueAt

	// The family plan (plan.go). ArgField names the field of the request.
	CodePlanNeedsCoach             RefusalCode = "plan_needs_coach"
	CodePlanNotAgreed              RefusalCode = "plan_not_agreed"
	CodePlanAgreedOnRequired       RefusalCode = "plan_agreed_on_required"
	CodePlanAgreedOnInFuture       RefusalCode = "plan_agreed_on_in_future"
	CodePlanAgreedOnBeforePrevious RefusalCode = "plan_agreed_on_before_previous" // ArgNotBefore
	CodePlanGoalsRequired          RefusalCode = "plan_goals_required"
	CodePlanTooMany                RefusalCode = "plan_too_many" // ArgMax
	CodePlanIDRequired             RefusalCode = "plan_id_required"
	CodePlanIDInvalid              RefusalCode = "plan_id_invalid"
	CodePlanIDDuplicate            RefusalCode = "plan_id_duplicate"
	CodePlanTextRequired           RefusalCode = "plan_text_required"
	CodePlanTextTooLong            RefusalCode = "plan_text_too_long" // ArgMax
	CodePlanTextInvalid            RefusalCode = "plan_text_invalid"
	CodePlanDateInFuture           RefusalCode = "plan_date_in_future"
	CodeGoalDomainRequired         RefusalCode = "goal_domain_required"
	CodeGoalDomainUnknown          RefusalCode = "goal_domain_unknown"
	CodeGoalStatusUnknown          RefusalCode = "goal_status_unknown"
	CodeGoalLetGoReasonRequired    RefusalCode = "goal_let_go_reason_required"
	CodeGoalUnknown                RefusalCode = "goal_unknown"          // ArgGoal when it is an id
	CodeGoalStatusUnchanged        RefusalCode = "goal_status_unchanged" // ArgGoal, ArgStatus
	CodeActionOwnerUnknown         RefusalCode = "action_owner_unknown"
	CodeActionOwnerIDRequired      RefusalCode = "action_owner_id_required"
	CodeActionOwnerIDUnexpected    RefusalCode = "action_owner_id_unexpected"
	CodeActionServiceUnknown       RefusalCode = "action_service_not_in_network"
	CodeActionDueInPast            RefusalCode = "action_due_in_past"
	CodeActionDueTooFar            RefusalCode = "action_due_too_far"
	CodeActionUnknown              RefusalCode = "plan_action_unknown"      // ArgGoal, ArgAction
	CodeActionAlreadyDone          RefusalCode = "plan_action_already_done" // ArgGoal, ArgAction, ArgDoneAt
)

// RefusalCodes lists every code, once: the pages' table of Dutch
// sentences and the API's documentation are checked against it.
var RefusalCodes = []RefusalCode{
	CodeTrajectoryClosed, CodeVersionChanged,
	CodeCoachRequired, CodeCoachAlreadyAssigned, CodeIntakeNeedsCoach, CodeIntakeAlreadyRecorded,
	CodeVisitBeforeIntake, CodeVisitNotPlanned, CodeDoneAtInFuture, CodeNextVisitNotInFuture, CodeNextVisitTooFar,
	CodeDoneAtBeforeReferral, CodeDoneAtBeforeVisit,
	CodeCloseReasonRequired, CodeCloseReasonUnknown, CodeCloseTextRequired, CodeCloseHandoverNotAcked,
	CodeHandoverNeedsCoach, CodeConsentMissing, CodeConsentShareUnknown, CodeHandoverServiceMissing, CodeHandoverReasonRequired,
	CodeHandoverUnknown, CodeHandoverAlreadyAcknowledged, CodeHandoverUndelivered, CodeHandoverLinkExpired, CodeHandoverNotResendable,
	CodeBirthAlreadyRecorded, CodeBirthNotExpected, CodeBirthDateRequired, CodeBirthDateInFuture, CodeBirthDateTooLongAgo,
	CodeFollowUpNotExtendable, CodeExtensionNotAfterEnd, CodeExtensionReasonRequired, CodeExtensionNotInFuture, CodeExtensionTooFar,
	CodeTimingsIncomplete, CodeTimingsNeedPerinatal, CodeTimingsMilestonesInvalid, CodeTimingsReasonRequired,
	CodeNoMilestones, CodeMilestoneUnknown, CodeMilestoneNeedsCoach, CodeMilestoneAlreadyReached, CodeMilestoneNotOpen,
	CodeMilestoneInFuture, CodeMilestoneBeforeAfter,
	CodeCoWorkerRequired, CodeCoWorkerIsCoach, CodeCoWorkerNotAssigned, CodeCoWorkerAlreadyAssigned,
	CodeAttendanceIncomplete,
	CodeVisitStepRequired, CodeVisitStepNotOpen, CodeAppointmentRequired, CodeMissedReasonRequired, CodeMissedReasonUnknown,
	CodeVisitTextTooLong, CodeVisitTextInvalid, CodeVisitAlreadyAt,
	CodePlanNeedsCoach, CodePlanNotAgreed, CodePlanAgreedOnRequired, CodePlanAgreedOnInFuture, CodePlanAgreedOnBeforePrevious,
	CodePlanGoalsRequired, CodePlanTooMany, CodePlanIDRequired, CodePlanIDInvalid, CodePlanIDDuplicate,
	CodePlanTextRequired, CodePlanTextTooLong, CodePlanTextInvalid, CodePlanDateInFuture,
	CodeGoalDomainRequired, CodeGoalDomainUnknown, CodeGoalStatusUnknown, CodeGoalLetGoReasonRequired, CodeGoalUnknown, CodeGoalStatusUnchanged,
	CodeActionOwnerUnknown, CodeActionOwnerIDRequired, CodeActionOwnerIDUnexpected, CodeActionServiceUnknown,
	CodeActionDueInPast, CodeActionDueTooFar, CodeActionUnknown, CodeActionAlreadyDone,
}

// The keys of a refusal's Args.
const (
	ArgReason         = "reason"          // a CloseReason
	ArgCoach          = "coach"           // a coach's id
	ArgCoWorker       = "co_worker"       // a co-worker's id
	ArgRole           = "role"            // a co-worker's role, as the programme names it
	ArgDoneAt         = "done_at"         // RFC 3339
	ArgNotBefore      = "not_before"      // RFC 3339
	ArgAcknowledgedAt = "acknowledged_at" // RFC 3339
	ArgExpiredAt      = "expired_at"      // RFC 3339
	ArgHandover       = "handover"        // a handover's number
	ArgProgramme      = "programme"       // a programme's id
	ArgUntil          = "until"           // YYYY-MM-DD
	ArgFollowUpEnd    = "follow_up_end"   // YYYY-MM-DD
	ArgTiming         = "timing"          // a field of Timings, such as intake_deadline
	ArgField          = "field"           // a dotted path in the request
	ArgMilestone      = "milestone"       // a milestone's id
	ArgMilestones     = "milestones"      // milestone ids, comma separated
	ArgAfter          = "after"           // the milestone a milestone follows
	ArgStep           = "step"            // a step's key (Step.Key)
	ArgOpenStep       = "open_step"       // the key of the step that is open
	ArgMax            = "max"             // a number of characters
	ArgDueAt          = "due_at"          // RFC 3339
	ArgGoal           = "goal"            // a goal's id in the family plan
	ArgAction         = "action"          // an action's id within its goal
	ArgStatus         = "status"          // a GoalStatus
	ArgVersion        = "version"         // a trajectory's version: the number of its last event
)

// Refusal is one reason a step was refused, for a program.
type Refusal struct {
	Code RefusalCode       `json:"code"`
	Args map[string]string `json:"args,omitempty"`
}

// Refused is the error a workflow's validator refuses a step with: an
// ApplicationError of type ErrStepRejected whose message is English for
// the API's clients and whose details are the refusals, one or more.
func Refused(message string, rs ...Refusal) error {
	return temporal.NewApplicationErrorWithOptions(message, ErrStepRejected,
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{rs}})
}

// RefusalOf finds a refused step in err: its English message and its
// refusals. ok is false for any other error. A refusal from a worker
// older than the codes has a message and no refusals.
func RefusalOf(err error) (message string, rs []Refusal, ok bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrStepRejected {
		return "", nil, false
	}
	if appErr.HasDetails() {
		// Details that do not decode are a worker's bug; the message still says why.
		_ = appErr.Details(&rs)
	}
	return appErr.Message(), rs, true
}
