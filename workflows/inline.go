package workflows

import (
	"slices"
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Emails sent inline, by the main loop waiting for each: runs from before
// changeEmailsBeside. Their commands must stay as they were.

func (w *trajectoryWorkflow) sendNotification(ctx workflow.Context, n trajectory.Notification) (delivered bool, err error) {
	failure := trajectory.EmailFailure{Kind: n.Kind, Step: n.Step.Key(), To: n.Recipient.ID()}
	return w.sendEmail(ctx, (*activities.Activities).SendNotification, n, n.Key, n.Step, failure)
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
func (w *trajectoryWorkflow) sendEmail(ctx workflow.Context, activity, arg any, key string, about trajectory.Step, failure trajectory.EmailFailure) (delivered bool, err error) {
	err = workflow.ExecuteActivity(w.withEmailOptions(ctx, 0), activity, arg).Get(ctx, nil)
	if err == nil {
		return true, nil
	}
	if hasErrorType(err, activities.ErrTypeEmailInDoubt) {
		// Before the change, the activity settled such an email as sent.
		if !w.takes(ctx, changeEmailInDoubtReported) {
			return true, nil
		}
		failure.Reason = activities.ErrTypeEmailInDoubt
		return true, w.emailFailed(ctx, key, about, failure)
	}
	switch {
	case hasErrorType(err, activities.ErrTypeEmailRejected):
		failure.Reason = activities.ErrTypeEmailRejected
	case hasErrorType(err, activities.ErrTypeInvalidNotification):
		failure.Reason = activities.ErrTypeInvalidNotification
	default:
		return false, err
	}
	if !w.takes(ctx, changeEmailFailureCarriesOn) {
		return false, err
	}
	return false, w.emailFailed(ctx, key, about, failure)
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
		kind, detail := noticeEvent(n)
		if err := w.record(ctx, w.event(ctx, emailTrigger(n.Key), kind, "elkgezin", detail)); err != nil {
			return err
		}
	}
	return nil
}

// sendHandovers emails every handover waiting to go out; the service then
// has the programme's limit to acknowledge it. One whose email fails for
// good is held for the coach to correct.
func (w *trajectoryWorkflow) sendHandovers(ctx workflow.Context) error {
	for {
		i := slices.IndexFunc(w.c.PendingHandovers, func(p trajectory.PendingHandover) bool { return !p.Held })
		if i < 0 {
			return nil
		}
		p := w.c.PendingHandovers[i]
		h := &w.c.State.Handovers[p.Number-1]
		if w.takes(ctx, changeLinkExpiryFromSend) {
			h.LinkExpiresAt = workflow.Now(ctx).Add(w.c.Timings.LinkValidFor.Std())
		}
		key := w.handoverKey(*h)
		delivered, err := w.sendHandoverEmail(ctx, key, trajectory.HandoverNotice, p.Number)
		if err != nil {
			return err
		}
		h = &w.c.State.Handovers[p.Number-1]
		if !delivered {
			h.Failed = true
			w.c.PendingHandovers[i].Held = true
			if err := w.publish(ctx); err != nil {
				return err
			}
			continue
		}
		w.c.PendingHandovers = slices.Delete(w.c.PendingHandovers, i, i+1)
		now := workflow.Now(ctx)
		h.SentAt = now
		// A quick service may acknowledge before the send is reported back.
		if h.AcknowledgedAt.IsZero() {
			h.Ack = &trajectory.Step{Kind: trajectory.StepHandoverAck, Number: p.Number, DueAt: now.Add(w.c.Timings.AcknowledgementLimit.Std())}
		}
		if err := w.record(ctx, w.event(ctx, emailTrigger(key), trajectory.EventHandoverSent, "elkgezin", map[string]string{
			"handover": strconv.Itoa(p.Number), "service": h.Service.ID,
		})); err != nil {
			return err
		}
	}
}

// sendHandoverEmail sends the handover (kind HandoverNotice) or a reminder
// to acknowledge it, and waits for it.
func (w *trajectoryWorkflow) sendHandoverEmail(ctx workflow.Context, key string, kind trajectory.NotificationKind, number int) (delivered bool, err error) {
	email, about := w.handoverEmail(key, kind, number)
	to := trajectory.Recipient{Role: trajectory.RoleService, ServiceID: email.Service.ID}
	return w.sendEmail(ctx, (*activities.Activities).SendHandover, email, key, about, trajectory.EmailFailure{Kind: kind, Step: about.Key(), To: to.ID()})
}

// notifyInline sends what is owed and waits for it, then records that it
// went out, or that it could not be delivered: either way it is settled,
// never sent again.
func (w *trajectoryWorkflow) notifyInline(ctx workflow.Context, o owed) error {
	var to trajectory.Recipient
	var key string
	var delivered bool
	var err error
	if o.step.Kind == trajectory.StepHandoverAck && o.kind == trajectory.Reminder {
		h := w.c.State.Handovers[o.step.Number-1]
		to = trajectory.Recipient{Role: trajectory.RoleService, ServiceID: h.Service.ID}
		key = w.emailKey(*o.step, o.kind, to)
		delivered, err = w.sendHandoverEmail(ctx, key, trajectory.Reminder, o.step.Number)
	} else {
		to = w.recipient(ctx, o)
		n := w.notification(o.emailKind(), *o.step, to, nil)
		key = n.Key
		delivered, err = w.sendNotification(ctx, n)
	}
	if err != nil {
		return err
	}
	if o.kind == trajectory.Reminder && to.Role == trajectory.RoleCoach {
		if err := w.sendReminderCopies(ctx, *o.step); err != nil {
			return err
		}
	}
	eventKind := trajectory.EventReminderSent
	if o.kind != trajectory.Reminder {
		eventKind = trajectory.EventAlertSent
	}
	// An Update may have reassigned the coach while the email was on its
	// way; that reset what the previous coach was told, so the new coach is
	// still owed it and the next wait sends it to them.
	reassigned := to.Role == trajectory.RoleCoach && to.CoachID != w.c.State.CoachID &&
		w.takes(ctx, changeReassignedWhileSending)
	if !reassigned {
		o.given()
	}
	if !delivered {
		return w.publish(ctx)
	}
	return w.record(ctx, w.event(ctx, emailTrigger(key), eventKind, "elkgezin", o.detail(to)))
}

// sendReminderCopies sends a copy of a reminder to the coach to each
// co-worker whose role the programme names in copy_reminders_to. Each copy
// is its own obligation (its own key), recorded like the reminder.
func (w *trajectoryWorkflow) sendReminderCopies(ctx workflow.Context, step trajectory.Step) error {
	to := w.copyRecipients()
	if len(to) == 0 || !w.takes(ctx, changeReminderCopies) {
		return nil
	}
	for _, r := range to {
		n := w.notification(trajectory.Reminder, step, r, nil)
		delivered, err := w.sendNotification(ctx, n)
		if err != nil {
			return err
		}
		if !delivered {
			continue
		}
		detail := sentDetail(step, r)
		detail["copy"] = "true"
		if err := w.record(ctx, w.event(ctx, emailTrigger(n.Key), trajectory.EventReminderSent, "elkgezin", detail)); err != nil {
			return err
		}
	}
	return nil
}
