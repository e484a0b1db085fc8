package workflows

import (
	"go.temporal.io/sdk/workflow"

	"elkgezin/activities"
	"elkgezin/trajectory"
)

// emailFailuresKept bounds State.EmailFailures; EmailFailed stays set.
const emailFailuresKept = 20

func (w *trajectoryWorkflow) emailKey(step trajectory.Step, kind trajectory.NotificationKind, to trajectory.Recipient) string {
	return trajectory.EmailKey(w.c.State.TrajectoryID, step, kind, to)
}

// notification is the email of kind about step to one of the trajectory's
// people, named by id: the worker looks the address up when it sends.
func (w *trajectoryWorkflow) notification(kind trajectory.NotificationKind, step trajectory.Step, to trajectory.Recipient, failed *trajectory.EmailFailure) trajectory.Notification {
	key := w.emailKey(step, kind, to)
	if failed != nil {
		// Each failed email is its own report to the supervisor.
		key += "/" + string(failed.Kind)
	}
	return trajectory.Notification{
		Key:           key,
		Kind:          kind,
		TrajectoryID:  w.c.State.TrajectoryID,
		ProgrammeID:   w.c.State.ProgrammeID,
		ProgrammeName: w.programmeName(),
		Step:          step,
		Recipient:     to,
		Failed:        failed,
		ReportInDoubt: true,
	}
}

func (w *trajectoryWorkflow) sendNotification(ctx workflow.Context, n trajectory.Notification) (delivered bool, err error) {
	failure := trajectory.EmailFailure{Kind: n.Kind, Step: n.Step.Key(), To: n.Recipient.ID()}
	return w.sendEmail(ctx, (*activities.Activities).SendNotification, n, n.Step, failure)
}

// sendEmail runs an email activity. The ledger behind it sends each key
// once; Temporal retries while the mail server is down. A failure no retry
// can mend (the server refused the address, the email cannot be built: an
// unknown coach, a missing address) does not fail the trajectory: it is
// recorded as an event without any address, shown to supervisors, reported
// to the supervisor by email, and the trajectory carries on.
//
// An email in doubt (a worker died as the server was accepting it) is
// reported the same way, but counts as delivered: it may well have
// arrived, so a handover still waits for its acknowledgement.
func (w *trajectoryWorkflow) sendEmail(ctx workflow.Context, activity, arg any, about trajectory.Step, failure trajectory.EmailFailure) (delivered bool, err error) {
	err = workflow.ExecuteActivity(withEmailOptions(ctx), activity, arg).Get(ctx, nil)
	if err == nil {
		return true, nil
	}
	if hasErrorType(err, activities.ErrTypeEmailInDoubt) {
		// Before the change, the activity settled such an email as sent.
		if workflow.GetVersion(ctx, changeEmailInDoubtReported, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return true, nil
		}
		failure.Reason = activities.ErrTypeEmailInDoubt
		return true, w.emailFailed(ctx, about, failure)
	}
	switch {
	case hasErrorType(err, activities.ErrTypeEmailRejected):
		failure.Reason = activities.ErrTypeEmailRejected
	case hasErrorType(err, activities.ErrTypeInvalidNotification):
		failure.Reason = activities.ErrTypeInvalidNotification
	default:
		return false, err
	}
	if workflow.GetVersion(ctx, changeEmailFailureCarriesOn, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, err
	}
	return false, w.emailFailed(ctx, about, failure)
}

// emailFailed records an email that failed for good and tells the
// supervisor, unless it was the supervisor's own email that failed: then
// the search attribute EmailFailed is the way they learn it.
func (w *trajectoryWorkflow) emailFailed(ctx workflow.Context, about trajectory.Step, f trajectory.EmailFailure) error {
	f.At = workflow.Now(ctx)
	s := &w.c.State
	s.EmailFailed = true
	s.EmailFailures = append(s.EmailFailures, f)
	if extra := len(s.EmailFailures) - emailFailuresKept; extra > 0 {
		s.EmailFailures = append([]trajectory.EmailFailure{}, s.EmailFailures[extra:]...)
	}
	supervisor := trajectory.Recipient{Role: trajectory.RoleSupervisor}
	if f.To != supervisor.ID() {
		failed := f
		w.queueNotice(trajectory.EmailFailedNotice, about, supervisor, &failed)
	}
	return w.record(ctx, w.event(ctx, trajectory.EventEmailFailed, "elkgezin", map[string]string{
		"kind": string(f.Kind), "step": f.Step, "to": f.To, "reason": f.Reason,
	}))
}

// queueNotice owes an email that is not tied to a step's instant; the main
// loop sends it, so the Update that caused it does not wait for the mail server.
func (w *trajectoryWorkflow) queueNotice(kind trajectory.NotificationKind, about trajectory.Step, to trajectory.Recipient, failed *trajectory.EmailFailure) {
	w.c.PendingNotices = append(w.c.PendingNotices, w.notification(kind, about, to, failed))
	w.wakeMainLoop()
}

// sendNotices sends every notice owed. A notice that fails is recorded
// like any email; a failed notice to the supervisor is not reported again.
func (w *trajectoryWorkflow) sendNotices(ctx workflow.Context) error {
	for len(w.c.PendingNotices) > 0 {
		n := w.c.PendingNotices[0]
		delivered, err := w.sendNotification(ctx, n)
		if err != nil {
			return err
		}
		w.c.PendingNotices = w.c.PendingNotices[1:]
		if !delivered {
			continue
		}
		kind := trajectory.EventAssignmentNoticeSent
		if n.Kind == trajectory.EmailFailedNotice {
			kind = trajectory.EventAlertSent
		}
		if err := w.record(ctx, w.event(ctx, kind, "elkgezin", map[string]string{
			"step": n.Step.Key(), "due_at": n.Step.DueAt.UTC().Format("2006-01-02T15:04:05Z07:00"), "to": n.Recipient.ID(), "notice": string(n.Kind),
		})); err != nil {
			return err
		}
	}
	return nil
}
