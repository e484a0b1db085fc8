package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Every change to the commands the workflow produces is a change id below,
// asked with workflow.GetVersion where the new code parts from the old: a
// running trajectory that started before the change replays the old
// branch, a new one takes the new. docs/design/versioning.md says how a change is
// retired once no running trajectory needs its old branch.

// Change ids whose old branch only runs of an earlier code revision take:
// runs of the revision retired names or later take the new branch without asking
// GetVersion, so they record no marker for them (see takes).
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
	// alert to the previous coach was on its way is owed it too.
	changeReassignedWhileSending = "reassigned-while-sending"
	// changeEventsWrittenLocally: the referred event is written by a local
	// activity within the first workflow task (each event was an activity
	// with a workflow task of its own after it).
	changeEventsWrittenLocally = "events-written-locally"
	// changeEmailInDoubtReported: an email that may or may not have reached
	// the mail server is recorded and reported to the supervisor like a
	// failed one (it used to be settled as sent).
	changeEmailInDoubtReported = "email-in-doubt-reported"
	// changeMilestones: a programme's own milestones open at the referral
	// (or when their predecessor is reached), with a reminder and an alert.
	changeMilestones = "milestones"
	// changeReminderCopies: co-workers of a role the programme names get a
	// copy of each reminder to the coach.
	changeReminderCopies = "reminder-copies"
)

// Change ids retired at revision 2 (listed in retired): runs of revision 1
// still ask them.
const (
	// changeEventsFromHistory: an event after the referral is kept in the
	// carried state and written by an activity that the history schedules
	// (several at once), never by a workflow task Temporal may lose; an
	// Update completes without waiting for the write, and its answer
	// carries the events for the caller to write at once.
	changeEventsFromHistory = "events-from-history"
	// changeEmailsBeside: each email goes out in a coroutine beside the
	// main loop and is given up after the trajectory's delivery limit, so
	// an address that keeps answering "try later" holds up no other step's
	// reminder or alert.
	changeEmailsBeside = "emails-beside"
	// changeHistoryCheckedAfterUpdates: an Update that leaves the history
	// long wakes the main loop, which continues as new.
	changeHistoryCheckedAfterUpdates = "history-checked-after-updates"
	// changeVisitRescheduling: a planned home visit can be moved or
	// recorded as missed (Updates move-visit, record-missed-visit); its
	// timers follow it, and an obligation whose instant moved on while its
	// timer fired is not sent early.
	changeVisitRescheduling = "visit-rescheduling"
	// changeHandoverAlertToSupervisor: a handover the service did not
	// acknowledge is escalated to the supervisor (it was the coach), and a
	// coach who takes over is not owed that alert again.
	changeHandoverAlertToSupervisor = "handover-alert-to-supervisor"
	// changeManagerEscalation: a step still open manager_escalation_after
	// the supervisor's alert is escalated once to the programme's manager.
	changeManagerEscalation = "manager-escalation"
	// changeBirthAtReferral: a family referred to a perinatal programme
	// after the birth (a child below the follow-up age listed, no due
	// date) gets the postnatal schedule and follow-up from that birth.
	changeBirthAtReferral = "birth-at-referral"
	// changeFamilyPlan: the family plan (Updates agree-plan,
	// record-action-done, set-goal-status, review-goals,
	// request-new-date); an action the coach, a co-worker or a service owes
	// by a date is reminded and alerted like a step.
	changeFamilyPlan = "family-plan"
)

// Change ids that runs of revision 3 or later take without asking (listed
// in retired at 3): runs of earlier revisions ask them. Each is made in the
// release that raised the revision, because a new trajectory's first task
// records no marker; as for every revision, the workers are deployed
// before the APIs that start runs of it.
const (
	// changeEventsWrittenOnDemand: the events recorded in the history are
	// written by a coroutine that runs only while some wait, instead of one
	// that lives as long as the run.
	changeEventsWrittenOnDemand = "events-written-on-demand"
)

// Change ids retired at revision 3 as well, made in the release before it:
// changeSMSToFamilies (sms.go) and changeReferralFeedback (feedback.go).
// Every trajectory asked the second at its first assignment.

// changeCodeRevision is asked once, at the start of every run, with the
// code's Revision as its newest version: it records which revision of this
// code began the run (older runs answer DefaultVersion, revision 0). The
// search attribute TemporalChangeVersion then holds "code-revision-N",
// which is how `elkgezin versions` finds the runs still to roll over.
const changeCodeRevision = "code-revision"

// Revision numbers this code (trajectory.CodeRevision, which the API
// sends with a referral's start). It goes up by one in a release that
// retires change ids (listed in retired with this revision).
const Revision = workflow.Version(trajectory.CodeRevision)

// retired maps a change id to the revision from which runs take its new
// branch without asking: every worker that can run a trajectory of that
// revision (this release's and the one before, in a rolling deploy) has
// the change. A change is retired one release after it was made, at the
// earliest; once no running trajectory is of an earlier revision (`elkgezin
// versions`), its old branch can be deleted.
var retired = map[string]workflow.Version{
	changeAssignmentNotice:       1,
	changeEmailFailureCarriesOn:  1,
	changePublishChangesOnly:     1,
	changeLinkExpiryFromSend:     1,
	changeMorningDeadlines:       1,
	changeDedupeUpdates:          1,
	changeInvalidEventSkipped:    1,
	changeEmailTaskQueue:         1,
	changeReassignedWhileSending: 1,
	changeEventsWrittenLocally:   1,
	changeEmailInDoubtReported:   1,
	changeMilestones:             1,
	changeReminderCopies:         1,

	changeEventsFromHistory:          2,
	changeEmailsBeside:               2,
	changeHistoryCheckedAfterUpdates: 2,
	changeVisitRescheduling:          2,
	changeHandoverAlertToSupervisor:  2,
	changeManagerEscalation:          2,
	changeBirthAtReferral:            2,
	changeFamilyPlan:                 2,

	changeEventsWrittenOnDemand: 3,
	changeSMSToFamilies:         3,
	changeReferralFeedback:      3,
}

// retiredBranchesDeleted makes takes answer as if the old branch of every
// change retired at this revision or below were deleted from the code (0:
// none). Only tests of the retirement procedure set it
// (ReplayAsIfRetiredBranchesDeleted).
var retiredBranchesDeleted workflow.Version

// takes says whether this run takes the new branch of change.
func (w *trajectoryWorkflow) takes(ctx workflow.Context, change string) bool {
	if from, ok := retired[change]; ok && (w.revision >= from || from <= retiredBranchesDeleted) {
		return true
	}
	w.listRevision(ctx)
	return workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1) >= 1
}

// listRevision keeps a new trajectory's code revision in
// TemporalChangeVersion, where `elkgezin versions` reads it. The API sets
// "code-revision-N" with the start, and the run asks no marker for it
// (codeRevision); but the SDK's upsert after a GetVersion lists only the
// change ids the run asked, which would drop it. So before the first
// change id such a run asks, it asks code-revision too, with its own
// revision. A run of the current revision asks none (every change it meets
// is retired at it), so this only ever runs for a change made after it.
func (w *trajectoryWorkflow) listRevision(ctx workflow.Context) {
	if !w.revisionUnlisted {
		return
	}
	w.revisionUnlisted = false
	workflow.GetVersion(ctx, changeCodeRevision, workflow.DefaultVersion, w.revision)
}

// codeRevision is the revision of the code that began this run. A new
// trajectory whose start named a revision this code has (Start.CodeRevision;
// the API then set TemporalChangeVersion to "code-revision-N" with the
// start) takes it from its input: its first task records no marker and
// upserts nothing. Any other run asks GetVersion, which records the
// revision of the worker that runs its first task.
//
// fromInput says the revision came from the input, with no marker
// (listRevision).
func codeRevision(ctx workflow.Context, in *trajectory.Start) (revision workflow.Version, fromInput bool) {
	if in.Carried == nil && in.State == nil && in.CodeRevision >= 2 && workflow.Version(in.CodeRevision) <= Revision {
		return workflow.Version(in.CodeRevision), true
	}
	return max(workflow.GetVersion(ctx, changeCodeRevision, workflow.DefaultVersion, Revision), 0), false
}

// ReplayAsIfRetiredBranchesDeleted runs replay (a replay of histories)
// with the old branch of every change retired at revision through or below
// as good as deleted from the code: the proof, before deleting them, that
// no history to be replayed still takes one. For tests of the retirement
// procedure only: no worker may run in the same process meanwhile.
func ReplayAsIfRetiredBranchesDeleted(through workflow.Version, replay func() error) error {
	retiredBranchesDeleted = through
	defer func() { retiredBranchesDeleted = 0 }()
	return replay()
}
