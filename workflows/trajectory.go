// Package workflows holds the deterministic workflow code of elkgezin: one
// long-running Trajectory workflow per family, from referral to closure. All
// I/O happens in activities; all durations come from the programme.
package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"elkgezin/activities"
	"elkgezin/trajectory"
)

// DefaultHistoryLimit is the history length after which a trajectory
// continues as new. A home visit done in time costs about 20 history
// events, one that brings a reminder and an alert about 45 (measured on
// workflows/testdata), so a run holds a year or more of weekly visits while
// staying far below Temporal's limits.
const DefaultHistoryLimit = 2000

// trajectoryWorkflow is the whole state of one family's trajectory.
type trajectoryWorkflow struct {
	in    trajectory.Start
	state trajectory.State
	// stepChanged wakes the main loop when an Update completed the step it
	// guards, so the step's timers are cancelled at once.
	stepChanged workflow.Channel
}

// Trajectory runs one family's trajectory: it waits for the coach's next
// step (and, alongside it, a birth, the end of follow-up and handover
// acknowledgements), reminds before each is due and alerts when one is
// overdue, emails handovers, and ends once the trajectory is closed and
// nothing is left to hand over.
func Trajectory(ctx workflow.Context, in trajectory.Start) (trajectory.State, error) {
	w := &trajectoryWorkflow{in: in, stepChanged: workflow.NewBufferedChannel(ctx, 1)}
	// The state is set up before the handlers exist: an Update that arrives
	// with the start runs in the first workflow task, and must find it.
	if in.State != nil {
		w.state = *in.State
	} else {
		w.begin(ctx)
		w.planPerinatal()
	}
	if err := w.registerHandlers(ctx); err != nil {
		return w.state, err
	}
	if err := w.publish(ctx); err != nil {
		return w.state, err
	}
	if in.State == nil {
		if err := w.record(ctx, trajectory.ReferredEvent(in.TrajectoryID, *in.Programme, in.Referral, w.state.ReferredAt)); err != nil {
			return w.state, err
		}
	}

	for !w.finished() {
		if w.historyIsLong(ctx) {
			return w.state, w.continueAsNew(ctx)
		}
		if err := w.sendHandovers(ctx); err != nil {
			return w.state, err
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

// finished: the trajectory is closed and nothing is left to hand over. A
// handover requested before the closure is still emailed, and the workflow
// waits for the service to acknowledge it (with its reminder and alert)
// until its link expires: the closing handover is the point of it all.
func (w *trajectoryWorkflow) finished() bool {
	if w.state.Phase != trajectory.PhaseClosed || len(w.in.PendingHandovers) > 0 {
		return false
	}
	for _, h := range w.state.Handovers {
		if h.Ack != nil {
			return false
		}
	}
	return true
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

// publish shows where the trajectory stands to supervisors: the search
// attributes they filter on and the current details the UI shows. Neither
// holds personal data: they are stored in clear.
func (w *trajectoryWorkflow) publish(ctx workflow.Context) error {
	w.state.Escalated = w.escalated()
	w.state.Overdue = w.overdue()
	s := w.state
	updates := []temporal.SearchAttributeUpdate{
		trajectory.SearchProgramme.ValueSet(s.ProgrammeID),
		trajectory.SearchReferrerOrganisation.ValueSet(s.ReferrerOrg),
		trajectory.SearchPhase.ValueSet(string(s.Phase)),
		trajectory.SearchOverdue.ValueSet(s.Overdue),
		trajectory.SearchEscalated.ValueSet(s.Escalated),
	}
	if s.CoachID != "" {
		updates = append(updates, trajectory.SearchCoach.ValueSet(s.CoachID))
	}
	details := fmt.Sprintf("**Fase:** %s  \n**Coach:** %s", s.Phase, orNone(s.CoachID))
	if next, ok := w.earliestDueStep(); ok {
		updates = append(updates, trajectory.SearchNextStep.ValueSet(next.Key()), trajectory.SearchNextDueAt.ValueSet(next.DueAt))
		details += fmt.Sprintf("  \n**Volgende stap:** %s, gepland op %s", next.Key(), next.DueAt.UTC().Format("2006-01-02 15:04 UTC"))
	} else {
		updates = append(updates, trajectory.SearchNextStep.ValueUnset(), trajectory.SearchNextDueAt.ValueUnset())
	}
	if s.Overdue {
		details += "  \n**Te laat**"
	}
	if s.Escalated {
		details += " · **geëscaleerd naar de teamverantwoordelijke**"
	}
	if s.CloseReason != "" {
		details += fmt.Sprintf("  \n**Afgesloten:** %s", s.CloseReason)
	}
	workflow.SetCurrentDetails(ctx, details)
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

func orNone(s string) string {
	if s == "" {
		return "nog niet toegewezen"
	}
	return s
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
	if err := w.publish(ctx); err != nil {
		// Only an unregistered search attribute fails here; the worker
		// registers them at start. The event is still recorded.
		workflow.GetLogger(ctx).Error("search attributes not updated", "error", err)
	}
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
	if next, ok := w.earliestDueStep(); ok {
		due := next.DueAt
		summary.NextStep, summary.NextDueAt = next.Key(), &due
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

// The email activity heartbeats every second, so one whose worker died is
// retried after a few seconds instead of after StartToCloseTimeout.
func withEmailOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		HeartbeatTimeout:    5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}
