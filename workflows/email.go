package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
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

// sentDetail is the detail of the event that records an email about step
// to a recipient as sent: the step's key, its due instant, the recipient's
// id and role, so the timeline can say for which step and to whom.
func sentDetail(step trajectory.Step, to trajectory.Recipient) map[string]string {
	return map[string]string{"step": step.Key(), "due_at": step.DueAt.UTC().Format(time.RFC3339), "to": to.ID(), "role": string(to.Role)}
}

// sendOwed sends the notices and handovers the trajectory owes: beside the
// main loop since changeEmailsBeside, inline before.
func (w *trajectoryWorkflow) sendOwed(ctx workflow.Context) error {
	if len(w.c.PendingNotices) == 0 && !w.handoverToSend() {
		return nil
	}
	if w.takes(ctx, changeEmailsBeside) {
		w.dispatchNotices(ctx)
		w.dispatchHandovers(ctx)
		return nil
	}
	if err := w.sendNotices(ctx); err != nil {
		return err
	}
	return w.sendHandovers(ctx)
}

// queueNotice owes an email that is not tied to a step's instant; the main
// loop sends it, so the Update that caused it does not wait for the mail server.
func (w *trajectoryWorkflow) queueNotice(kind trajectory.NotificationKind, about trajectory.Step, to trajectory.Recipient, failed *trajectory.EmailFailure) {
	w.c.PendingNotices = append(w.c.PendingNotices, w.notification(kind, about, to, failed))
	w.wakeMainLoop()
}

// noticeEvent is the event that records a notice as sent.
func noticeEvent(n trajectory.Notification) (kind string, detail map[string]string) {
	kind = trajectory.EventAssignmentNoticeSent
	if n.Kind == trajectory.EmailFailedNotice {
		kind = trajectory.EventAlertSent
	}
	detail = sentDetail(n.Step, n.Recipient)
	detail["notice"] = string(n.Kind)
	return kind, detail
}

// dispatchNotices puts every notice owed on its way.
func (w *trajectoryWorkflow) dispatchNotices(ctx workflow.Context) {
	for _, n := range w.c.PendingNotices {
		kind, detail := noticeEvent(n)
		w.send(ctx, trajectory.Sending{Notification: &n, About: n.Step, Event: kind, Detail: detail})
	}
	w.c.PendingNotices = nil
}

// emailFailed records an email that failed for good and tells the
// supervisor, unless it was the supervisor's own email that failed: then
// the search attribute EmailFailed is the way they learn it.
func (w *trajectoryWorkflow) emailFailed(ctx workflow.Context, key string, about trajectory.Step, f trajectory.EmailFailure) error {
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
	return w.record(ctx, w.event(ctx, emailTrigger(key), trajectory.EventEmailFailed, "elkgezin", map[string]string{
		"kind": string(f.Kind), "step": f.Step, "to": f.To, "reason": f.Reason,
	}))
}

// failureReason is why an email activity failed, for an EmailFailure: a
// refusal, an email that cannot be built, one in doubt, or one not
// delivered within the trajectory's delivery limit (or not at all).
func failureReason(err error) string {
	for _, reason := range []string{activities.ErrTypeEmailRejected, activities.ErrTypeInvalidNotification, activities.ErrTypeEmailInDoubt} {
		if hasErrorType(err, reason) {
			return reason
		}
	}
	return trajectory.EmailNotDelivered
}

// The email activity heartbeats every second, so one whose worker died is
// retried after a few seconds instead of after StartToCloseTimeout. Emails
// wait their turn on the rate-limited email queue; one that is not
// delivered within the trajectory's delivery limit (limit, zero for runs
// from before it) is given up and reported.
func (w *trajectoryWorkflow) withEmailOptions(ctx workflow.Context, limit time.Duration) workflow.Context {
	opts := workflow.ActivityOptions{
		ScheduleToCloseTimeout: limit,
		StartToCloseTimeout:    20 * time.Second,
		HeartbeatTimeout:       5 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	}
	if w.takes(ctx, changeEmailTaskQueue) {
		opts.TaskQueue = trajectory.EmailTaskQueue
	}
	return workflow.WithActivityOptions(ctx, opts)
}
