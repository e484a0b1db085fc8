package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
)

// SMS to the family (changeSMSToFamilies): a family that agreed to SMS in
// its referral gets a reminder of each home visit planned with it, a day
// ahead (the programme's sms_reminder_lead), and a confirmation when a
// visit is moved or planned again after one missed. Each goes out in a
// coroutine beside the main loop, once through the ledger (the activity
// reads the number when it sends: the workflow carries none); one that
// fails within its bound is recorded (sms_failed) and the trajectory goes on.

// changeSMSToFamilies: SMS to families that agreed to them. Asked only
// for such a family, so no run from before (whose referrals hold no
// consent) meets it.
const changeSMSToFamilies = "sms-to-families"

// smsAttempts bounds the tries of one SMS; smsAttemptTimeout one try.
const (
	smsAttempts       = 20
	smsAttemptTimeout = 30 * time.Second
)

// startSMS turns SMS on for a family that agreed to them, sends again
// what the previous run had on its way, and sets the reminders' timers.
func (w *trajectoryWorkflow) startSMS(ctx workflow.Context) {
	f := w.in.Referral.Family
	if f.SMSConsent == nil || f.Phone == "" || !w.takes(ctx, changeSMSToFamilies) {
		return
	}
	if w.c.SMS == nil {
		w.c.SMS = &trajectory.SMSCarried{}
	}
	for _, m := range w.c.SMS.Sending {
		w.startSMSSend(ctx, m)
	}
	workflow.Go(ctx, w.remindBySMS)
}

// smsLead is how long before a planned visit its SMS reminder goes out.
func (w *trajectoryWorkflow) smsLead() time.Duration {
	if l := w.c.Timings.SMSReminderLead; l > 0 {
		return l.Std()
	}
	return trajectory.SMSReminderAhead
}

// smsReminderOwed is the planned home visit whose SMS reminder is still
// to be given, if any, and that reminder's key.
func (w *trajectoryWorkflow) smsReminderOwed() (trajectory.Step, string, bool) {
	next := w.c.State.Next
	if w.c.State.Phase == trajectory.PhaseClosed || next == nil || next.Kind != trajectory.StepHomeVisit || !next.Planned {
		return trajectory.Step{}, "", false
	}
	key := trajectory.SMSKey(w.c.State.TrajectoryID, *next, trajectory.SMSVisitReminder)
	return *next, key, key != w.c.SMS.Reminded
}

// remindBySMS waits, for as long as the run lasts, for each planned
// visit's instant less the lead, and sends its reminder then. A visit
// moved, done or missed meanwhile cancels the timer, and the next visit
// gets one of its own. A visit planned closer than the lead gets no
// reminder ("tomorrow" would be wrong): its confirmation told the family.
func (w *trajectoryWorkflow) remindBySMS(ctx workflow.Context) {
	for {
		var step trajectory.Step
		var key string
		if err := workflow.Await(ctx, func() bool {
			var owed bool
			step, key, owed = w.smsReminderOwed()
			return owed
		}); err != nil {
			return
		}
		wait := step.DueAt.Add(-w.smsLead()).Sub(workflow.Now(ctx))
		if wait <= 0 {
			w.c.SMS.Reminded = key
			continue
		}
		timerCtx, cancel := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(timerCtx, wait)
		err := workflow.Await(ctx, func() bool {
			_, now, owed := w.smsReminderOwed()
			return timer.IsReady() || !owed || now != key
		})
		if err != nil {
			cancel()
			return
		}
		if _, now, owed := w.smsReminderOwed(); !timer.IsReady() || !owed || now != key {
			cancel()
			continue
		}
		w.c.SMS.Reminded = key
		w.sendSMS(ctx, w.familySMS(step, trajectory.SMSVisitReminder))
	}
}

// confirmVisitBySMS tells the family of its visit's new appointment.
func (w *trajectoryWorkflow) confirmVisitBySMS(ctx workflow.Context) {
	if w.c.SMS == nil || w.c.State.Next == nil {
		return
	}
	w.sendSMS(ctx, w.familySMS(*w.c.State.Next, trajectory.SMSVisitMoved))
}

func (w *trajectoryWorkflow) familySMS(step trajectory.Step, kind trajectory.SMSKind) trajectory.FamilySMS {
	return trajectory.FamilySMS{Key: trajectory.SMSKey(w.c.State.TrajectoryID, step, kind), TrajectoryID: w.c.State.TrajectoryID,
		ProgrammeID: w.c.State.ProgrammeID, Kind: kind, Step: step.Key(), At: step.DueAt}
}

// sendSMS puts an SMS on its way; the carried state keeps it until it
// settles, so a run that continues as new sends it again under its key.
func (w *trajectoryWorkflow) sendSMS(ctx workflow.Context, m trajectory.FamilySMS) {
	if slices.ContainsFunc(w.c.SMS.Sending, func(x trajectory.FamilySMS) bool { return x.Key == m.Key }) {
		return
	}
	w.c.SMS.Sending = append(w.c.SMS.Sending, m)
	w.startSMSSend(ctx, m)
}

func (w *trajectoryWorkflow) startSMSSend(ctx workflow.Context, m trajectory.FamilySMS) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		var res trajectory.SMSResult
		err := workflow.ExecuteActivity(w.withSMSOptions(ctx), (*activities.SMSActivities).SendFamilySMS, m).Get(ctx, &res)
		w.smsSettled(ctx, m, res, err)
	})
}

// smsSettled records how an SMS ended: sent (sms_sent), failed or in
// doubt (sms_failed, which the coach sees in the timeline), or owed no
// more (no SMS gateway, consent withdrawn): nothing. Nothing here can
// fail the trajectory.
func (w *trajectoryWorkflow) smsSettled(ctx workflow.Context, m trajectory.FamilySMS, res trajectory.SMSResult, err error) {
	defer w.wakeMainLoop()
	w.c.SMS.Sending = slices.DeleteFunc(w.c.SMS.Sending, func(x trajectory.FamilySMS) bool { return x.Key == m.Key })
	detail := map[string]string{"sms": string(m.Kind), "step": m.Step}
	kind := trajectory.EventSMSSent
	switch {
	case err != nil:
		kind, detail["reason"] = trajectory.EventSMSFailed, smsFailureReason(err)
	case !res.Sent:
		return
	}
	_ = w.record(ctx, w.event(ctx, "sms/"+m.Key, kind, "elkgezin", detail))
}

// smsFailureReason is why an SMS failed: refused, in doubt, or not sent
// within its bound (the gateway down).
func smsFailureReason(err error) string {
	for _, reason := range []string{activities.ErrTypeSMSRejected, activities.ErrTypeSMSInDoubt} {
		if hasErrorType(err, reason) {
			return reason
		}
	}
	return "not_sent"
}

// withSMSOptions bounds an SMS: a few attempts, and no longer than the
// trajectory's delivery limit or the reminder's lead, whichever is
// shorter (a reminder after the visit helps nobody). A worker that dies
// mid-send is noticed by the heartbeat within seconds.
func (w *trajectoryWorkflow) withSMSOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: min(w.c.Timings.DeliveryLimit(), w.smsLead()),
		StartToCloseTimeout:    smsAttemptTimeout,
		HeartbeatTimeout:       5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: 5 * time.Minute, MaximumAttempts: smsAttempts},
	})
}
