package usecase

// Actions are the audit log's names of what a caller does; the API's
// routes and the pages use the same names for the same act.
const (
	ActionCreateReferral = "create_referral"
	ActionList           = "list_trajectories"
	ActionRead           = "read_trajectory"
	ActionAssign         = "assign_coach"
	ActionIntake         = "record_intake"
	ActionVisit          = "record_visit"
	ActionMoveVisit      = "move_visit"
	ActionMissedVisit    = "record_missed_visit"
	ActionBirth          = "record_birth"
	ActionHandOver       = "hand_over"
	ActionResend         = "resend_handover"
	ActionAdoptTimings   = "adopt_programme_timings"
	ActionClose          = "close_trajectory"
	ActionExtendFollowUp = "extend_follow_up"
	ActionCreateSession  = "create_session"
	ActionEndSession     = "end_session"

	// Milestones, co-workers, consultations, collective activities, reports.
	ActionRecordMilestone          = "record_milestone"
	ActionAssignCoWorker           = "assign_co_worker"
	ActionRecordConsultation       = "record_consultation"
	ActionReferConsultation        = "refer_consultation"
	ActionReadConsultation         = "read_consultation"
	ActionReadCollectiveActivity   = "read_collective_activity"
	ActionNameConsultationPartner  = "name_consultation_partner"
	ActionRecordCollectiveActivity = "record_collective_activity"
	ActionReadProgrammeReport      = "read_programme_report"

	// The family plan.
	ActionAgreePlan        = "agree_plan"
	ActionRecordActionDone = "record_plan_action_done"
	ActionSetGoalStatus    = "set_goal_status"
	ActionReviewGoals      = "review_goals"

	// Personal data: erasure and the family's subject-access export.
	ActionEraseTrajectory  = "erase_trajectory"
	ActionExportTrajectory = "export_trajectory"

	// The family's own page: a coach issues its link, a coach or
	// supervisor revokes it; the family opens it and asks for another date.
	ActionIssueFamilyLink  = "issue_family_link"
	ActionRevokeFamilyLink = "revoke_family_link"
	ActionOpenFamilyPage   = "open_family_page"
	ActionRequestNewDate   = "request_new_date"
)
