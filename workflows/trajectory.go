// Package workflows holds the deterministic workflow code of elkgezin: one
// long-running Trajectory workflow per family, from referral to closure. All
// I/O happens in activities; all durations come from the programme.
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"elkgezin/activities"
	"elkgezin/trajectory"
)

// DefaultHistoryLimit is the history length after which a trajectory
// continues as new. A weekly visit costs about 25 events, so one run holds
// well over a year of visits while staying far below Temporal's limits.
const DefaultHistoryLimit = 2000

// trajectoryWorkflow is the whole state of one family's trajectory.
type trajectoryWorkflow struct {
	in    trajectory.Start
	state trajectory.State
	// stepChanged wakes the main loop when an Update completed the step it
	// guards, so the step's timers are cancelled at once.
	stepChanged workflow.Channel
}

// Trajectory runs one family's trajectory: it waits for each step in turn,
// reminds the coach before the step is due and alerts the supervisor when it
// is overdue, until a coach closes the trajectory.
func Trajectory(ctx workflow.Context, in trajectory.Start) (trajectory.State, error) {
	w := &trajectoryWorkflow{in: in, stepChanged: workflow.NewBufferedChannel(ctx, 1)}
	if err := w.registerHandlers(ctx); err != nil {
		return w.state, err
	}
	if in.State != nil {
		w.state = *in.State
	} else {
		w.begin(ctx)
		if err := w.record(ctx, trajectory.ReferredEvent(in.TrajectoryID, in.Programme, in.Referral, w.state.ReferredAt)); err != nil {
			return w.state, err
		}
	}

	for w.state.Phase != trajectory.PhaseClosed {
		if w.historyIsLong(ctx) {
			return w.state, w.continueAsNew(ctx)
		}
		if err := w.waitForStep(ctx); err != nil {
			return w.state, err
		}
	}
	// Let the closing Update finish recording before the run completes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return w.state, err
	}
	return w.state, nil
}

// begin sets up a new trajectory: referred, waiting for a coach.
func (w *trajectoryWorkflow) begin(ctx workflow.Context) {
	now := workflow.Now(ctx)
	w.state = trajectory.State{
		TrajectoryID: w.in.TrajectoryID,
		ProgrammeID:  w.in.Programme.ID,
		ReferrerOrg:  w.in.Referral.Referrer.Organisation,
		Phase:        trajectory.PhaseReferred,
		ReferredAt:   now,
		Next:         &trajectory.Step{Kind: trajectory.StepAssignment, DueAt: now.Add(w.in.Programme.AssignmentLimit.Std())},
		StepsDone:    []trajectory.DoneStep{},
		EventSeq:     1,
	}
}

// waitForStep sleeps until the earliest notification the trajectory owes
// is due, or until an Update changes what is owed. Leaving, it cancels its
// timer, so a step done in time never leaves a reminder behind.
func (w *trajectoryWorkflow) waitForStep(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	due, ok := w.earliestNotification(now)
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
	if again, ok := w.earliestNotification(now); !ok || again.key() != due.key() {
		return nil
	}
	return w.notify(ctx, due)
}

// owed is a reminder or alert the trajectory will send at a given instant
// unless the step it is about is done first.
type owed struct {
	kind trajectory.NotificationKind
	step *trajectory.Step
	at   time.Time
}

func (o owed) key() string     { return o.step.Key() + "/" + string(o.kind) }
func (o owed) summary() string { return string(o.kind) + " " + o.step.Key() }

// earliestNotification is the next reminder or alert owed, if any.
func (w *trajectoryWorkflow) earliestNotification(now time.Time) (owed, bool) {
	var all []owed
	if step := w.state.Next; step != nil {
		if at, ok := w.reminderAt(*step, now); ok {
			all = append(all, owed{trajectory.Reminder, step, at})
		}
		if !step.Alerted {
			all = append(all, owed{trajectory.Alert, step, w.alertAt(*step)})
		}
	}
	if len(all) == 0 {
		return owed{}, false
	}
	earliest := all[0]
	for _, o := range all[1:] {
		if o.at.Before(earliest.at) {
			earliest = o
		}
	}
	return earliest, true
}

// reminderAt is when the coach is reminded of a step: the programme's lead
// before it is due, or at once for a coach assigned after that moment. The
// assignment itself has no coach to remind, and a step already due needs
// an alert, not a reminder.
func (w *trajectoryWorkflow) reminderAt(step trajectory.Step, now time.Time) (time.Time, bool) {
	if step.Reminded || step.Kind == trajectory.StepAssignment || w.state.CoachID == "" || !now.Before(step.DueAt) {
		return time.Time{}, false
	}
	return step.DueAt.Add(-w.in.Programme.ReminderLead.Std()), true
}

// alertAt is when the supervisor is alerted: at the assignment limit itself,
// or the programme's grace period after any other step was due.
func (w *trajectoryWorkflow) alertAt(step trajectory.Step) time.Time {
	if step.Kind == trajectory.StepAssignment {
		return step.DueAt
	}
	return step.DueAt.Add(w.in.Programme.AlertGrace.Std())
}

// notify sends what is owed, then records that it went out.
func (w *trajectoryWorkflow) notify(ctx workflow.Context, o owed) error {
	to, role := w.in.Programme.SupervisorEmail, "supervisor"
	if o.kind == trajectory.Reminder {
		coach, _ := w.in.Programme.Coach(w.state.CoachID)
		to, role = coach.Email, "coach:"+coach.ID
	}
	n := trajectory.Notification{
		Key:           w.state.TrajectoryID + "/" + o.key(),
		Kind:          o.kind,
		To:            to,
		TrajectoryID:  w.state.TrajectoryID,
		ProgrammeName: w.in.Programme.Name,
		Step:          *o.step,
	}
	if err := workflow.ExecuteActivity(withEmailOptions(ctx), (*activities.Activities).SendNotification, n).Get(ctx, nil); err != nil {
		return err
	}
	eventKind := trajectory.EventReminderSent
	if o.kind == trajectory.Reminder {
		o.step.Reminded = true
	} else {
		o.step.Alerted = true
		w.state.Escalated = true
		eventKind = trajectory.EventAlertSent
	}
	return w.record(ctx, w.event(ctx, eventKind, "elkgezin", map[string]string{
		"step": o.step.Key(), "due_at": o.step.DueAt.UTC().Format(time.RFC3339), "to": role,
	}))
}

// historyIsLong says when to continue as new, so a trajectory of years of
// visits never grows a history Temporal would refuse.
func (w *trajectoryWorkflow) historyIsLong(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	limit := w.in.HistoryLimit
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= limit
}

// continueAsNew carries the state into a fresh run once every Update in
// flight has finished, so no step is lost at the seam.
func (w *trajectoryWorkflow) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	next := w.in
	state := w.state
	next.State = &state
	return workflow.NewContinueAsNewError(ctx, Trajectory, next)
}

// event numbers the next event of the log and snapshots the read model.
func (w *trajectoryWorkflow) event(ctx workflow.Context, kind, actor string, detail map[string]string) trajectory.Event {
	w.state.EventSeq++
	s := w.state
	summary := trajectory.Summary{
		ProgrammeID: s.ProgrammeID,
		ReferrerOrg: s.ReferrerOrg,
		Phase:       s.Phase,
		CoachID:     s.CoachID,
		Escalated:   s.Escalated,
		CloseReason: s.CloseReason,
		ReferredAt:  s.ReferredAt,
	}
	if s.Next != nil {
		due := s.Next.DueAt
		summary.NextStep, summary.NextDueAt = s.Next.Key(), &due
	}
	return trajectory.Event{
		TrajectoryID: s.TrajectoryID,
		Seq:          s.EventSeq,
		Kind:         kind,
		Actor:        actor,
		At:           workflow.Now(ctx),
		Detail:       detail,
		Summary:      summary,
	}
}

// record writes an event to PostgreSQL; retried until the database answers.
func (w *trajectoryWorkflow) record(ctx workflow.Context, e trajectory.Event) error {
	return workflow.ExecuteActivity(withRecordOptions(ctx), (*activities.Activities).RecordEvent, e).Get(ctx, nil)
}

// Activities are retried without limit: a database or mail server that is
// down only delays a step, it never loses one.
func withRecordOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

func withEmailOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}
