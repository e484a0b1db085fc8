package workflows

// Change ids of workflow.GetVersion, one per change to the commands the
// workflow produces. A running trajectory that started before a change
// replays the old branch; a new one takes the new. Never reuse or remove
// one while histories that predate it may still run.
const (
	// changeAssignmentNotice: assigning a coach emails the coach, and a
	// reassignment owes the new coach every reminder still open.
	changeAssignmentNotice = "assignment-notice"
	// changeEmailFailureCarriesOn: an email refused for good is recorded,
	// shown to supervisors and reported to the supervisor; the trajectory
	// goes on (it used to fail).
	changeEmailFailureCarriesOn = "email-failure-carries-on"
	// changePublishChangesOnly: an event upserts only the search
	// attributes that changed.
	changePublishChangesOnly = "publish-changes-only"
	// changeLinkExpiryFromSend: a handover link is valid from the send, not
	// from the request.
	changeLinkExpiryFromSend = "link-expiry-from-send"
	// changeMorningDeadlines: birth, end of follow-up and postnatal visits
	// fall due in the morning in Belgium, not at midnight UTC.
	changeMorningDeadlines = "morning-deadlines"
	// changeDedupeUpdates: an Update repeated after continue-as-new is
	// answered with the state and not applied again.
	changeDedupeUpdates = "dedupe-updates"
	// changeInvalidEventSkipped: an event the store refuses is logged and
	// the trajectory carries on (it used to retry forever).
	changeInvalidEventSkipped = "invalid-event-skipped"
	// changeEmailTaskQueue: emails go out on their own task queue, whose
	// worker caps the send rate so a storm of reminders cannot swamp the
	// mail server.
	changeEmailTaskQueue = "email-task-queue"
	// changeReassignedWhileSending: a coach reassigned while a reminder or
	// alert to the previous coach was on its way is owed it too (the
	// returning send used to mark it settled, and the new coach never
	// heard).
	changeReassignedWhileSending = "reassigned-while-sending"
	// changeEventsWrittenLocally: events are written by a local activity
	// within the workflow task that made them (each was an activity with a
	// workflow task of its own after it).
	changeEventsWrittenLocally = "events-written-locally"
	// changeEmailInDoubtReported: an email that may or may not have reached
	// the mail server (a worker died as it was accepting) is recorded and
	// reported to the supervisor like a failed one (the activity used to
	// settle it as sent, and nobody heard).
	changeEmailInDoubtReported = "email-in-doubt-reported"
)

// Change ids of the milestones and co-workers of issue 12. Trajectories
// started before them have neither, so these branches are new commands
// only for new trajectories; the ids keep that explicit.
const (
	// changeMilestones: a programme's own milestones open at the referral
	// (or when their predecessor is reached), with a reminder and an alert.
	changeMilestones = "milestones"
	// changeReminderCopies: co-workers of a role the programme names get a
	// copy of each reminder to the coach.
	changeReminderCopies = "reminder-copies"
)
