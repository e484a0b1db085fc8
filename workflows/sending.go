package workflows

import (
	"slices"
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Emails beside the main loop (changeEmailsBeside). Each email goes out in
// a coroutine of its own, and the main loop goes on waiting for every
// other obligation of the trajectory: a mail server that keeps answering
// "try later" for one address delays that email only. An email not
// delivered within the trajectory's delivery limit is recorded as failed
// and reported to the supervisor. Emails on their way are carried state
// (Carried.Sending): a run that continues as new sends them again under
// the same keys, and the ledger sends each once.

// send puts an email on its way.
func (w *trajectoryWorkflow) send(ctx workflow.Context, s trajectory.Sending) {
	w.c.Sending = append(w.c.Sending, s)
	w.startSending(ctx, s)
}

// resumeSending sends again what the previous run had on its way: its
// emails, and the feedback to the referrer (resumeFeedback).
func (w *trajectoryWorkflow) resumeSending(ctx workflow.Context) {
	for _, s := range w.c.Sending {
		w.startSending(ctx, s)
	}
	w.resumeFeedback(ctx)
}

func (w *trajectoryWorkflow) startSending(ctx workflow.Context, s trajectory.Sending) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		opts := w.withEmailOptions(ctx, w.c.Timings.DeliveryLimit())
		var err error
		if s.Handover != nil {
			err = workflow.ExecuteActivity(opts, (*activities.Activities).SendHandover, *s.Handover).Get(ctx, nil)
		} else {
			err = workflow.ExecuteActivity(opts, (*activities.Activities).SendNotification, *s.Notification).Get(ctx, nil)
		}
		w.settle(ctx, s, err)
	})
}

// settle records how an email ended: delivered (its event), or failed or
// in doubt (email_failed, and the supervisor told). An email in doubt may
// well have arrived, so it counts as delivered too. Nothing here can fail
// the trajectory.
func (w *trajectoryWorkflow) settle(ctx workflow.Context, s trajectory.Sending, err error) {
	defer w.wakeMainLoop()
	w.c.Sending = slices.DeleteFunc(w.c.Sending, func(x trajectory.Sending) bool { return x.Key() == s.Key() })
	delivered := err == nil
	if err != nil {
		reason := failureReason(err)
		delivered = reason == activities.ErrTypeEmailInDoubt
		f := trajectory.EmailFailure{Kind: s.Kind(), Step: s.About.Key(), To: s.To().ID(), Reason: reason}
		_ = w.emailFailed(ctx, s.Key(), s.About, f)
	}
	if s.Handover != nil && s.Handover.Kind == trajectory.HandoverNotice {
		w.handoverSettled(ctx, s, delivered)
		return
	}
	if !delivered {
		_ = w.publish(ctx)
		return
	}
	_ = w.record(ctx, w.event(ctx, emailTrigger(s.Key()), s.Event, "elkgezin", s.Detail))
}

// handoverToSend says whether a handover waits for its email to go out.
func (w *trajectoryWorkflow) handoverToSend() bool {
	return slices.ContainsFunc(w.c.PendingHandovers, func(p trajectory.PendingHandover) bool { return !p.Held && !p.Sending })
}

// dispatchHandovers puts the email of every handover waiting on its way;
// its link is valid from now.
func (w *trajectoryWorkflow) dispatchHandovers(ctx workflow.Context) {
	for i := range w.c.PendingHandovers {
		p := &w.c.PendingHandovers[i]
		if p.Held || p.Sending {
			continue
		}
		p.Sending = true
		h := &w.c.State.Handovers[p.Number-1]
		if w.takes(ctx, changeLinkExpiryFromSend) {
			h.LinkExpiresAt = workflow.Now(ctx).Add(w.c.Timings.LinkValidFor.Std())
		}
		email, about := w.handoverEmail(w.handoverKey(*h), trajectory.HandoverNotice, p.Number)
		w.send(ctx, trajectory.Sending{Handover: &email, About: about, Event: trajectory.EventHandoverSent,
			Detail: map[string]string{"handover": strconv.Itoa(p.Number), "service": h.Service.ID}})
	}
}

// handoverSettled: a handover delivered waits for the service's
// acknowledgement, with its reminder and alert; one whose email failed is
// held for the coach to correct the address.
func (w *trajectoryWorkflow) handoverSettled(ctx workflow.Context, s trajectory.Sending, delivered bool) {
	number := s.Handover.Number
	i := slices.IndexFunc(w.c.PendingHandovers, func(p trajectory.PendingHandover) bool { return p.Number == number })
	h := &w.c.State.Handovers[number-1]
	if !delivered {
		h.Failed = true
		if i >= 0 {
			w.c.PendingHandovers[i].Held, w.c.PendingHandovers[i].Sending = true, false
		}
		_ = w.publish(ctx)
		return
	}
	if i >= 0 {
		w.c.PendingHandovers = slices.Delete(w.c.PendingHandovers, i, i+1)
	}
	now := workflow.Now(ctx)
	h.SentAt = now
	// A quick service may acknowledge before the send is reported back.
	if h.AcknowledgedAt.IsZero() {
		h.Ack = &trajectory.Step{Kind: trajectory.StepHandoverAck, Number: number, DueAt: now.Add(w.c.Timings.AcknowledgementLimit.Std())}
	}
	_ = w.record(ctx, w.event(ctx, emailTrigger(s.Key()), s.Event, "elkgezin", s.Detail))
}

// notifyBeside puts a reminder or alert on its way, with the copies of a
// coach's reminder, and counts it as given at once: the main loop goes on
// to the next obligation. A coach reassigned meanwhile is owed it again
// (owedToNewCoach), under a key of their own.
func (w *trajectoryWorkflow) notifyBeside(ctx workflow.Context, o owed) error {
	event := trajectory.EventReminderSent
	if o.kind != trajectory.Reminder {
		event = trajectory.EventAlertSent
	}
	if o.step.Kind == trajectory.StepHandoverAck && o.kind == trajectory.Reminder {
		to := trajectory.Recipient{Role: trajectory.RoleService, ServiceID: w.c.State.Handovers[o.step.Number-1].Service.ID}
		email, _ := w.handoverEmail(w.emailKey(*o.step, o.kind, to), trajectory.Reminder, o.step.Number)
		w.send(ctx, trajectory.Sending{Handover: &email, About: *o.step, Event: event, Detail: sentDetail(*o.step, to)})
	} else {
		to := w.recipient(ctx, o)
		n := w.notification(o.emailKind(), *o.step, to, nil)
		w.send(ctx, trajectory.Sending{Notification: &n, About: *o.step, Event: event, Detail: o.detail(to)})
		if o.kind == trajectory.Reminder && to.Role == trajectory.RoleCoach {
			w.sendReminderCopiesBeside(ctx, *o.step)
		}
	}
	o.given()
	return w.publish(ctx)
}

// sendReminderCopiesBeside puts a copy of a reminder to the coach on its
// way to each co-worker whose role the programme names.
func (w *trajectoryWorkflow) sendReminderCopiesBeside(ctx workflow.Context, step trajectory.Step) {
	to := w.copyRecipients()
	if len(to) == 0 || !w.takes(ctx, changeReminderCopies) {
		return
	}
	for _, r := range to {
		n := w.notification(trajectory.Reminder, step, r, nil)
		detail := sentDetail(step, r)
		detail["copy"] = "true"
		w.send(ctx, trajectory.Sending{Notification: &n, About: step, Event: trajectory.EventReminderSent, Detail: detail})
	}
}
