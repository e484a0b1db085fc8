package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// A planned home visit moved to a new appointment, and one that did not
// take place. Both put the open visit at a new instant with fresh timers:
// the reminder and the alert follow it there, and nothing is sent for the
// instant it left. Neither counts as a visit done.

// validateOpenVisit refuses a move or a missed visit unless step names the
// home visit that is open now.
func (w *trajectoryWorkflow) validateOpenVisit(step string) error {
	switch w.c.State.Phase {
	case trajectory.PhaseReferred, trajectory.PhaseCoachAssigned:
		return reject(trajectory.CodeVisitBeforeIntake, nil, "the intake is not recorded yet: home visits follow the intake")
	}
	next := w.c.State.Next
	if next == nil || next.Kind != trajectory.StepHomeVisit {
		return reject(trajectory.CodeVisitNotPlanned, nil, "no home visit is planned in this trajectory")
	}
	if step != next.Key() {
		return reject(trajectory.CodeVisitStepNotOpen, map[string]string{trajectory.ArgStep: step, trajectory.ArgOpenStep: next.Key()},
			"%s is not the home visit planned now; that is %s", step, next.Key())
	}
	return nil
}

func (w *trajectoryWorkflow) validateMoveVisit(ctx workflow.Context, req trajectory.MoveVisit) error {
	if err := rejectProblems(trajectory.MoveVisitProblems(workflow.Now(ctx), req)); err != nil {
		return err
	}
	if err := w.validateOpenVisit(req.Step); err != nil {
		return err
	}
	if req.To.Equal(w.c.State.Next.DueAt) {
		return reject(trajectory.CodeVisitAlreadyAt, map[string]string{trajectory.ArgDueAt: rfc3339(req.To)},
			"the home visit is already planned at %s", rfc3339(req.To))
	}
	return nil
}

// moveVisit puts the open home visit at its new appointment.
func (w *trajectoryWorkflow) moveVisit(ctx workflow.Context, req trajectory.MoveVisit) (trajectory.State, error) {
	w.markRescheduling(ctx)
	from := w.replanVisit(req.To)
	detail := map[string]string{
		"step": from.Key(), "visit": strconv.Itoa(from.Number),
		"from": rfc3339(from.DueAt), "next_visit_due": rfc3339(req.To),
	}
	if req.Reason != "" {
		detail["reason"] = req.Reason
	}
	w.confirmVisitBySMS(ctx)
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventVisitMoved, req.By, detail))
}

func (w *trajectoryWorkflow) validateRecordMissedVisit(ctx workflow.Context, req trajectory.MissedVisit) error {
	if err := rejectProblems(trajectory.MissedVisitProblems(workflow.Now(ctx), req)); err != nil {
		return err
	}
	return w.validateOpenVisit(req.Step)
}

// recordMissedVisit records that the open home visit did not take place
// and plans it again at the new appointment: the same visit, still to be
// done, so the number of visits done and the last visit stay.
func (w *trajectoryWorkflow) recordMissedVisit(ctx workflow.Context, req trajectory.MissedVisit) (trajectory.State, error) {
	w.markRescheduling(ctx)
	from := w.replanVisit(req.Next)
	planned := req.PlannedAt
	if planned.IsZero() {
		planned = from.DueAt
	}
	detail := map[string]string{
		"step": from.Key(), "visit": strconv.Itoa(from.Number), "step_due_at": rfc3339(from.DueAt),
		"planned_at": rfc3339(planned), "reason": string(req.Reason), "next_visit_due": rfc3339(req.Next),
	}
	if req.Note != "" {
		detail["note"] = req.Note
	}
	w.confirmVisitBySMS(ctx)
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventVisitMissed, req.By, detail))
}

// replanVisit replaces the open home visit by the same visit at a new
// instant, planned with the family, with none of its reminder, alert or
// lateness given yet, and wakes the main loop, which cancels the timer of
// the old instant. It returns the visit as it was.
func (w *trajectoryWorkflow) replanVisit(at time.Time) trajectory.Step {
	from := *w.c.State.Next
	w.c.State.Next = &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: from.Number, DueAt: at, Planned: true}
	w.answerDateRequests()
	w.wakeMainLoop()
	return from
}

// markRescheduling records the change's marker in the run. No history
// from before the change holds these Updates, so no run takes an old branch.
func (w *trajectoryWorkflow) markRescheduling(ctx workflow.Context) {
	_ = w.takes(ctx, changeVisitRescheduling)
}
