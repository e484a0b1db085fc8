package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"elkgezin/trajectory"
)

func reject(format string, args ...any) error {
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf(format, args...), trajectory.ErrStepRejected, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// registerHandlers makes the trajectory answer its Updates and Query. Each
// validator rejects a step out of order before anything reaches history;
// each handler then acts.
func (w *trajectoryWorkflow) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, trajectory.QueryState, func() (trajectory.State, error) {
		return w.state, nil
	}); err != nil {
		return err
	}
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{trajectory.UpdateAssignCoach, w.assignCoach, w.validateAssignCoach},
		{trajectory.UpdateRecordIntake, w.recordIntake, w.validateRecordIntake},
		{trajectory.UpdateRecordVisit, w.recordVisit, w.validateRecordVisit},
		{trajectory.UpdateClose, w.close, w.validateClose},
		{trajectory.UpdateRecordBirth, w.recordBirth, w.validateRecordBirth},
		{trajectory.UpdateExtendFollowUp, w.extendFollowUp, w.validateExtendFollowUp},
		{trajectory.UpdateHandOver, w.handOver, w.validateHandOver},
		{trajectory.UpdateAcknowledgeHandover, w.acknowledgeHandover, w.validateAcknowledgeHandover},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return fmt.Errorf("register update %s: %w", u.name, err)
		}
	}
	return nil
}

func (w *trajectoryWorkflow) rejectIfClosed() error {
	if w.state.Phase == trajectory.PhaseClosed {
		return reject("this trajectory is closed (%s); no further steps can be recorded", w.state.CloseReason)
	}
	return nil
}

func (w *trajectoryWorkflow) validateAssignCoach(ctx workflow.Context, req trajectory.AssignCoach) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	if _, ok := w.in.Programme.Coach(req.CoachID); !ok {
		return reject("%q is not a coach of programme %s", req.CoachID, w.in.Programme.ID)
	}
	if req.CoachID == w.state.CoachID {
		return reject("%s is already the fixed coach of this trajectory", req.CoachID)
	}
	return nil
}

// assignCoach gives the family its fixed coach; a later call reassigns,
// for a coach who leaves the team, without changing the phase.
func (w *trajectoryWorkflow) assignCoach(ctx workflow.Context, req trajectory.AssignCoach) (trajectory.State, error) {
	previous := w.state.CoachID
	w.state.CoachID = req.CoachID
	detail := map[string]string{"coach": req.CoachID}
	if previous != "" {
		detail["previous_coach"] = previous
	}
	if w.state.Phase == trajectory.PhaseReferred {
		w.completeStep(ctx, req.By, &trajectory.Step{Kind: trajectory.StepIntake, DueAt: w.state.ReferredAt.Add(w.in.Programme.IntakeDeadline.Std())})
		w.state.Phase = trajectory.PhaseCoachAssigned
	} else {
		// The new coach has not been reminded of the open step yet.
		w.state.Next.Reminded = false
		w.wakeMainLoop()
	}
	return w.state, w.record(ctx, w.event(ctx, trajectory.EventCoachAssigned, req.By, detail))
}

func (w *trajectoryWorkflow) validateRecordIntake(ctx workflow.Context, req trajectory.RecordIntake) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	switch w.state.Phase {
	case trajectory.PhaseReferred:
		return reject("no coach is assigned yet: assign the fixed coach before recording the intake")
	case trajectory.PhaseIntakeDone, trajectory.PhaseInSupport:
		return reject("the intake was already recorded on %s", w.doneAt(trajectory.EventIntakeDone))
	}
	return w.validateVisitTimes(ctx, req.DoneAt, req.NextVisitDue, w.state.ReferredAt, "the referral")
}

func (w *trajectoryWorkflow) recordIntake(ctx workflow.Context, req trajectory.RecordIntake) (trajectory.State, error) {
	doneAt := orNow(ctx, req.DoneAt)
	next := w.nextVisit(1, doneAt, req.NextVisitDue)
	w.completeStep(ctx, req.By, next)
	w.state.Phase = trajectory.PhaseIntakeDone
	if w.isPerinatal() {
		w.state.Phase = w.supportPhase()
	}
	return w.state, w.record(ctx, w.event(ctx, trajectory.EventIntakeDone, req.By, visitDetail(doneAt, next, req.Note)))
}

func (w *trajectoryWorkflow) validateRecordVisit(ctx workflow.Context, req trajectory.RecordVisit) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	if w.state.Phase == trajectory.PhaseReferred || w.state.Phase == trajectory.PhaseCoachAssigned {
		return reject("the intake is not recorded yet: home visits follow the intake")
	}
	return w.validateVisitTimes(ctx, req.DoneAt, req.NextVisitDue, w.lastVisitAt(), "the previous visit")
}

func (w *trajectoryWorkflow) recordVisit(ctx workflow.Context, req trajectory.RecordVisit) (trajectory.State, error) {
	doneAt := orNow(ctx, req.DoneAt)
	number := w.state.Next.Number
	next := w.nextVisit(number+1, doneAt, req.NextVisitDue)
	w.state.VisitsDone++
	w.completeStep(ctx, req.By, next)
	w.state.Phase = w.supportPhase()
	detail := visitDetail(doneAt, next, req.Note)
	detail["visit"] = strconv.Itoa(number)
	return w.state, w.record(ctx, w.event(ctx, trajectory.EventVisitDone, req.By, detail))
}

func (w *trajectoryWorkflow) validateClose(ctx workflow.Context, req trajectory.Close) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	if !slices.Contains(trajectory.CloseReasons, req.Reason) {
		return reject("closing reason %q is not one of %v", req.Reason, trajectory.CloseReasons)
	}
	if req.Reason == trajectory.CloseOther && strings.TrimSpace(req.Text) == "" {
		return reject("closing with reason %q needs a text that says why", trajectory.CloseOther)
	}
	if req.Reason == trajectory.CloseHandedOver && !w.anyHandoverAcknowledged() {
		return reject("closing with reason %q needs at least one handover that the service acknowledged", trajectory.CloseHandedOver)
	}
	return nil
}

func (w *trajectoryWorkflow) anyHandoverAcknowledged() bool {
	for _, h := range w.state.Handovers {
		if !h.AcknowledgedAt.IsZero() {
			return true
		}
	}
	return false
}

// close ends the trajectory: the coach owes no step any more; handovers
// still waiting for the service's acknowledgement stay open (finished).
func (w *trajectoryWorkflow) close(ctx workflow.Context, req trajectory.Close) (trajectory.State, error) {
	w.state.Birth, w.state.FollowUpEnd = nil, nil
	w.completeStep(ctx, req.By, nil)
	w.state.Phase = trajectory.PhaseClosed
	w.state.CloseReason = req.Reason
	detail := map[string]string{"reason": string(req.Reason)}
	if req.Text != "" {
		detail["text"] = req.Text
	}
	return w.state, w.record(ctx, w.event(ctx, trajectory.EventClosed, req.By, detail))
}

// completeStep marks the coach's open step done, opens the next one (nil
// when the trajectory ends) and wakes the main loop, which cancels the old
// timer.
func (w *trajectoryWorkflow) completeStep(ctx workflow.Context, by string, next *trajectory.Step) {
	if done := w.state.Next; done != nil {
		w.state.StepsDone = append(w.state.StepsDone, trajectory.DoneStep{Kind: string(done.Kind), Number: done.Number, At: workflow.Now(ctx), By: by})
	}
	w.state.Next = next
	w.wakeMainLoop()
}

func (w *trajectoryWorkflow) wakeMainLoop() {
	// A token already waiting wakes the loop just as well.
	w.stepChanged.SendAsync(struct{}{})
}

// nextVisit plans the next home visit: when the coach planned it with the
// family, or by the programme's cadence or schedule.
func (w *trajectoryWorkflow) nextVisit(number int, doneAt, planned time.Time) *trajectory.Step {
	if !planned.IsZero() {
		return &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: number, DueAt: planned, Planned: true}
	}
	return &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: number, DueAt: w.defaultNextVisit(doneAt)}
}

func (w *trajectoryWorkflow) validateVisitTimes(ctx workflow.Context, doneAt, nextDue, notBefore time.Time, notBeforeName string) error {
	now := workflow.Now(ctx)
	if doneAt.After(now) {
		return reject("done_at %s lies in the future: record a visit after it took place", doneAt.UTC().Format(time.RFC3339))
	}
	if !doneAt.IsZero() && doneAt.Before(notBefore) {
		return reject("done_at %s is before %s (%s)", doneAt.UTC().Format(time.RFC3339), notBeforeName, notBefore.UTC().Format(time.RFC3339))
	}
	if !nextDue.IsZero() && !nextDue.After(now) {
		return reject("next_visit_due %s must lie in the future", nextDue.UTC().Format(time.RFC3339))
	}
	return nil
}

// lastVisitAt is when the intake or the last home visit was recorded.
func (w *trajectoryWorkflow) lastVisitAt() time.Time {
	for i := len(w.state.StepsDone) - 1; i >= 0; i-- {
		if k := trajectory.StepKind(w.state.StepsDone[i].Kind); k == trajectory.StepIntake || k == trajectory.StepHomeVisit {
			return w.state.StepsDone[i].At
		}
	}
	return w.state.ReferredAt
}

func (w *trajectoryWorkflow) doneAt(eventKind string) string {
	for _, s := range w.state.StepsDone {
		if eventKind == trajectory.EventIntakeDone && trajectory.StepKind(s.Kind) == trajectory.StepIntake {
			return s.At.UTC().Format(time.RFC3339)
		}
	}
	return "an earlier date"
}

func orNow(ctx workflow.Context, t time.Time) time.Time {
	if t.IsZero() {
		return workflow.Now(ctx)
	}
	return t
}

func visitDetail(doneAt time.Time, next *trajectory.Step, note string) map[string]string {
	d := map[string]string{"done_at": doneAt.UTC().Format(time.RFC3339), "next_visit_due": next.DueAt.UTC().Format(time.RFC3339)}
	if note != "" {
		d["note"] = note
	}
	return d
}
