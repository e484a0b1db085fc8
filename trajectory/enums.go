package trajectory

// The lists below name every value of the vocabulary the API shows, once:
// the API's OpenAPI document is checked against them, and a test checks
// that each holds every constant of its kind declared in this package.

// EventKinds lists every kind of event the log holds.
var EventKinds = []string{
	EventReferred, EventCoachAssigned, EventIntakeDone, EventVisitDone,
	EventReminderSent, EventAlertSent, EventClosed,
	EventBirthRecorded, EventFollowUpExtended,
	EventHandoverRequested, EventHandoverSent, EventHandoverAcknowledged, EventHandoverLinkExpired, EventHandoverResent,
	EventEmailFailed, EventAssignmentNoticeSent, EventTimingsAdopted,
	EventMilestoneReached, EventCoWorkerAssigned, EventActivityAttended,
	EventVisitMoved, EventVisitMissed,
	EventPlanAgreed, EventActionDone, EventGoalReached, EventGoalLetGo, EventGoalReopened, EventGoalsReviewed, EventNewDateRequested,
	EventSMSSent, EventSMSFailed,
}

// StepKinds lists every kind of step that falls due.
var StepKinds = []StepKind{StepAssignment, StepIntake, StepHomeVisit, StepBirth, StepFollowUpEnd, StepHandoverAck, StepMilestone, StepPlanAction}
