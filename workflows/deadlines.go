package workflows

import (
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// waitForStep sleeps until the earliest reminder or alert the trajectory
// owes is due, or until an Update changes what is owed. Leaving, it cancels
// its timer, so a step done in time never leaves a reminder behind.
func (w *trajectoryWorkflow) waitForStep(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	// Only a trajectory whose timings have a manager asks the change: the
	// runs from before it never had one.
	manager := w.c.Timings.ManagerEscalationAfter > 0 && w.takes(ctx, changeManagerEscalation)
	due, ok := w.earliestNotification(now, manager)
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()

	fired := false
	sel := workflow.NewSelector(ctx)
	if ok {
		timer := workflow.NewTimerWithOptions(timerCtx, max(due.at.Sub(now), 0), workflow.TimerOptions{Summary: due.summary()})
		sel.AddFuture(timer, func(f workflow.Future) { fired = f.Get(ctx, nil) == nil })
	}
	sel.AddReceive(w.stepChanged, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.Select(ctx)
	cancelTimer()
	if !fired {
		return nil
	}
	// An Update in the same workflow task may have settled what was owed.
	again, ok := w.earliestNotification(now, manager)
	if !ok || again.key() != due.key() {
		return nil
	}
	// A step re-planned meanwhile (a moved visit) owes it later.
	if again.at.After(workflow.Now(ctx)) && w.takes(ctx, changeVisitRescheduling) {
		return nil
	}
	// again points at the step as it stands now.
	return w.notify(ctx, again)
}

// pastDue is owed at a step's due instant: no email, the trajectory only
// shows itself overdue to supervisors.
const pastDue trajectory.NotificationKind = "past_due"

// linkExpired is owed when a handover's acknowledgement link expires: the
// service can no longer acknowledge, so nothing more is owed for it.
const linkExpired trajectory.NotificationKind = "link_expired"

// managerAlert is owed manager_escalation_after the alert about a step
// still open: an alert to the programme's manager, once.
const managerAlert trajectory.NotificationKind = "manager_alert"

// owed is a reminder or alert the trajectory will send at an instant
// unless the step it is about is done first.
type owed struct {
	kind trajectory.NotificationKind
	step *trajectory.Step
	at   time.Time
}

func (o owed) key() string     { return o.step.Key() + "/" + string(o.kind) }
func (o owed) summary() string { return string(o.kind) + " " + o.step.Key() }

// openSteps are all steps the trajectory waits for: the coach's next step,
// the birth, the end of follow-up and each unacknowledged handover.
func (w *trajectoryWorkflow) openSteps() []*trajectory.Step {
	var steps []*trajectory.Step
	for _, s := range []*trajectory.Step{w.c.State.Next, w.c.State.Birth, w.c.State.FollowUpEnd} {
		if s != nil {
			steps = append(steps, s)
		}
	}
	for i := range w.c.State.Handovers {
		if ack := w.c.State.Handovers[i].Ack; ack != nil {
			steps = append(steps, ack)
		}
	}
	steps = append(steps, w.c.State.Milestones...)
	return append(steps, w.c.State.PlanActions...)
}

// earliestDueStep is the open step due first, as the read model shows it.
func (w *trajectoryWorkflow) earliestDueStep() (*trajectory.Step, bool) {
	var first *trajectory.Step
	for _, s := range w.openSteps() {
		if first == nil || s.DueAt.Before(first.DueAt) {
			first = s
		}
	}
	return first, first != nil
}

func (w *trajectoryWorkflow) overdue() bool {
	for _, s := range w.openSteps() {
		if s.PastDue {
			return true
		}
	}
	return false
}

func (w *trajectoryWorkflow) escalated() bool {
	for _, s := range w.openSteps() {
		if s.Alerted {
			return true
		}
	}
	return false
}

// earliestNotification is the next reminder or alert owed, if any; with
// manager, the manager's alerts too.
func (w *trajectoryWorkflow) earliestNotification(now time.Time, manager bool) (owed, bool) {
	var earliest owed
	found := false
	consider := func(o owed) {
		if !found || o.at.Before(earliest.at) {
			earliest, found = o, true
		}
	}
	for _, step := range w.openSteps() {
		remindAt, hasReminder, alertAt := w.timing(*step)
		if hasReminder && !step.Reminded && now.Before(alertAt) {
			consider(owed{trajectory.Reminder, step, remindAt})
		}
		if !step.Alerted {
			consider(owed{trajectory.Alert, step, alertAt})
		} else if manager && !step.Escalated {
			consider(owed{managerAlert, step, alertAt.Add(w.c.Timings.ManagerEscalationAfter.Std())})
		}
		if !step.PastDue {
			consider(owed{pastDue, step, step.DueAt})
		}
		if step.Kind == trajectory.StepHandoverAck {
			consider(owed{linkExpired, step, w.c.State.Handovers[step.Number-1].LinkExpiresAt})
		}
	}
	for _, o := range w.heldHandoverExpiries() {
		consider(o)
	}
	return earliest, found
}

// timing is when a step's reminder and alert are due, from the timings:
//   - assignment: no coach to remind; the supervisor is alerted at the limit;
//   - intake and home visit: the coach reminded reminder_lead before, the
//     supervisor alerted alert_grace after;
//   - birth: due at the due date plus birth_record_margin; the coach is
//     reminded then to record it, the supervisor alerted alert_grace later;
//   - end of follow-up: the coach reminded closing_handover_lead before to
//     prepare the closing handover, the supervisor alerted alert_grace after;
//   - handover acknowledgement: the service reminded at the limit, the
//     supervisor alerted alert_grace later (the coach, in runs from before
//     changeHandoverAlertToSupervisor).
//
// A reminder whose instant passed before there was anyone to remind (a
// coach assigned late) goes out at once, as long as the alert is not due.
func (w *trajectoryWorkflow) timing(step trajectory.Step) (remindAt time.Time, hasReminder bool, alertAt time.Time) {
	t := w.c.Timings
	grace := t.AlertGrace.Std()
	hasCoach := w.c.State.CoachID != ""
	switch step.Kind {
	case trajectory.StepAssignment:
		return time.Time{}, false, step.DueAt
	case trajectory.StepHandoverAck:
		return step.DueAt, true, step.DueAt.Add(grace)
	case trajectory.StepBirth:
		return step.DueAt, hasCoach, step.DueAt.Add(grace)
	case trajectory.StepFollowUpEnd:
		var lead time.Duration
		if t.Perinatal != nil {
			lead = t.Perinatal.ClosingHandoverLead.Std()
		}
		return step.DueAt.Add(-lead), hasCoach, step.DueAt.Add(grace)
	case trajectory.StepMilestone:
		lead := t.ReminderLead
		if m, ok := t.Milestone(step.Milestone); ok && m.ReminderLead > 0 {
			lead = m.ReminderLead
		}
		return step.DueAt.Add(-lead.Std()), hasCoach, step.DueAt.Add(grace)
	default:
		return step.DueAt.Add(-t.ReminderLead.Std()), hasCoach, step.DueAt.Add(grace)
	}
}

// notify settles what is owed: a step past due shows the trajectory
// overdue, an expired link ends its handover, and a reminder or alert goes
// out (beside the main loop since changeEmailsBeside, inline before).
func (w *trajectoryWorkflow) notify(ctx workflow.Context, o owed) error {
	switch o.kind {
	case pastDue:
		o.step.PastDue = true
		return w.publish(ctx)
	case linkExpired:
		h := &w.c.State.Handovers[o.step.Number-1]
		h.Ack = nil
		w.c.PendingHandovers = slices.DeleteFunc(w.c.PendingHandovers, func(p trajectory.PendingHandover) bool { return p.Number == h.Number })
		return w.record(ctx, w.event(ctx, "link/"+w.handoverKey(*h)+"@"+h.LinkExpiresAt.UTC().Format(time.RFC3339), trajectory.EventHandoverLinkExpired, "elkgezin", map[string]string{
			"handover": strconv.Itoa(h.Number), "service": h.Service.ID,
		}))
	}
	if w.takes(ctx, changeEmailsBeside) {
		return w.notifyBeside(ctx, o)
	}
	return w.notifyInline(ctx, o)
}

// recipient of a reminder (the coach), an alert (the supervisor; the coach
// for a handover the service did not acknowledge, in runs from before
// changeHandoverAlertToSupervisor) or a manager's alert.
func (w *trajectoryWorkflow) recipient(ctx workflow.Context, o owed) trajectory.Recipient {
	switch {
	case o.kind == managerAlert:
		return trajectory.Recipient{Role: trajectory.RoleManager}
	case o.kind == trajectory.Reminder && o.step.Kind == trajectory.StepPlanAction:
		return w.actionOwner(*o.step)
	case o.kind == trajectory.Reminder:
		return w.coach()
	case o.step.Kind == trajectory.StepHandoverAck && !w.takes(ctx, changeHandoverAlertToSupervisor):
		return w.coach()
	}
	return trajectory.Recipient{Role: trajectory.RoleSupervisor}
}

// emailKind is the kind of the email owed: a manager's alert is an alert.
func (o owed) emailKind() trajectory.NotificationKind {
	if o.kind == managerAlert {
		return trajectory.Alert
	}
	return o.kind
}

// given marks what is owed as given, so it is not owed again.
func (o owed) given() {
	switch o.kind {
	case trajectory.Reminder:
		o.step.Reminded = true
	case managerAlert:
		o.step.Escalated = true
	default:
		o.step.Alerted = true
	}
}

// detail is sentDetail, with the escalation level of a manager's alert.
func (o owed) detail(to trajectory.Recipient) map[string]string {
	d := sentDetail(*o.step, to)
	if o.kind == managerAlert {
		d["level"] = string(trajectory.RoleManager)
	}
	return d
}

func (w *trajectoryWorkflow) coach() trajectory.Recipient {
	return trajectory.Recipient{Role: trajectory.RoleCoach, CoachID: w.c.State.CoachID}
}
