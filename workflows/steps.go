package workflows

import (
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// The steps of the coach and the supervisor. Each validator refuses what
// the domain forbids where the trajectory stands (register adds the rules
// every step shares); each handler then acts and records one event.

func (w *trajectoryWorkflow) validateAssignCoach(ctx workflow.Context, req trajectory.AssignCoach) error {
	// Whether the coach belongs to the programme is checked by the API
	// against the programme files as they are now, so a coach added to the
	// team later can be assigned to a family referred before.
	if strings.TrimSpace(req.CoachID) == "" {
		return reject(trajectory.CodeCoachRequired, nil, "name the coach to assign")
	}
	if req.CoachID == w.c.State.CoachID {
		return reject(trajectory.CodeCoachAlreadyAssigned, map[string]string{trajectory.ArgCoach: req.CoachID},
			"%s is already the fixed coach of this trajectory", req.CoachID)
	}
	return nil
}

// assignCoach gives the family its fixed coach; a later call reassigns,
// for a coach who leaves the team, without changing the phase. The coach
// is told by email which step is owed when, and a new coach is owed every
// reminder still open.
func (w *trajectoryWorkflow) assignCoach(ctx workflow.Context, req trajectory.AssignCoach) (trajectory.State, error) {
	previous := w.c.State.CoachID
	w.c.State.CoachID = req.CoachID
	detail := map[string]string{"coach": req.CoachID}
	if previous != "" {
		detail["previous_coach"] = previous
	}
	notify := w.takes(ctx, changeAssignmentNotice)
	if w.c.State.Phase == trajectory.PhaseReferred {
		defer w.tellReferrer(ctx, feedbackAssigned)
		done := w.completeStep(ctx, req.By, &trajectory.Step{Kind: trajectory.StepIntake, DueAt: w.c.State.ReferredAt.Add(w.c.Timings.IntakeDeadline.Std())})
		stepDetail(detail, done, workflow.Now(ctx))
		w.c.State.Phase = trajectory.PhaseCoachAssigned
	} else {
		// The new coach has not been reminded of the open step yet.
		w.c.State.Next.Reminded = false
		if notify {
			w.owedToNewCoach(ctx)
		}
		w.wakeMainLoop()
	}
	if notify && w.c.State.Next != nil {
		w.queueNotice(trajectory.AssignmentNotice, *w.c.State.Next, w.coach(), nil)
	}
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventCoachAssigned, req.By, detail))
}

// owedToNewCoach makes every reminder and alert that went to the previous
// coach owed again, to the coach now in charge.
func (w *trajectoryWorkflow) owedToNewCoach(ctx workflow.Context) {
	for _, s := range append([]*trajectory.Step{w.c.State.Birth, w.c.State.FollowUpEnd}, w.c.State.Milestones...) {
		if s != nil {
			s.Reminded = false
		}
	}
	for _, s := range w.c.State.PlanActions {
		if w.actionOwner(*s).Role == trajectory.RoleCoach {
			s.Reminded = false
		}
	}
	for i := range w.c.State.Handovers {
		// In runs from before changeHandoverAlertToSupervisor the coach is
		// who is alerted about a handover; since, the supervisor is.
		if ack := w.c.State.Handovers[i].Ack; ack != nil && !w.takes(ctx, changeHandoverAlertToSupervisor) {
			ack.Alerted = false
		}
	}
}

func (w *trajectoryWorkflow) validateRecordIntake(ctx workflow.Context, req trajectory.RecordIntake) error {
	switch w.c.State.Phase {
	case trajectory.PhaseReferred:
		return reject(trajectory.CodeIntakeNeedsCoach, nil, "no coach is assigned yet: assign the fixed coach before recording the intake")
	case trajectory.PhaseCoachAssigned:
	default:
		at := w.intakeDoneAt()
		if at.IsZero() {
			return reject(trajectory.CodeIntakeAlreadyRecorded, nil, "the intake was already recorded on an earlier date")
		}
		return reject(trajectory.CodeIntakeAlreadyRecorded, map[string]string{trajectory.ArgDoneAt: rfc3339(at)},
			"the intake was already recorded on %s", rfc3339(at))
	}
	return w.validateVisitTimes(ctx, req.DoneAt, req.NextVisitDue, w.c.State.ReferredAt, trajectory.CodeDoneAtBeforeReferral)
}

func (w *trajectoryWorkflow) recordIntake(ctx workflow.Context, req trajectory.RecordIntake) (trajectory.State, error) {
	defer w.tellReferrer(ctx, feedbackInSupport)
	doneAt := orNow(ctx, req.DoneAt)
	next := w.nextVisit(ctx, 1, doneAt, req.NextVisitDue)
	done := w.completeStep(ctx, req.By, next)
	w.c.State.IntakeDoneAt, w.c.State.LastVisitAt = doneAt, doneAt
	w.c.State.Phase = trajectory.PhaseIntakeDone
	if w.isPerinatal() {
		w.c.State.Phase = w.supportPhase()
	}
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventIntakeDone, req.By, stepDetail(visitDetail(doneAt, next, req.Note), done, doneAt)))
}

func (w *trajectoryWorkflow) validateRecordVisit(ctx workflow.Context, req trajectory.RecordVisit) error {
	switch w.c.State.Phase {
	case trajectory.PhaseReferred, trajectory.PhaseCoachAssigned:
		return reject(trajectory.CodeVisitBeforeIntake, nil, "the intake is not recorded yet: home visits follow the intake")
	}
	if w.c.State.Next == nil || w.c.State.Next.Kind != trajectory.StepHomeVisit {
		return reject(trajectory.CodeVisitNotPlanned, nil, "no home visit is planned in this trajectory")
	}
	return w.validateVisitTimes(ctx, req.DoneAt, req.NextVisitDue, w.lastVisitAt(), trajectory.CodeDoneAtBeforeVisit)
}

func (w *trajectoryWorkflow) recordVisit(ctx workflow.Context, req trajectory.RecordVisit) (trajectory.State, error) {
	doneAt := orNow(ctx, req.DoneAt)
	number := w.c.State.Next.Number
	next := w.nextVisit(ctx, number+1, doneAt, req.NextVisitDue)
	w.c.State.VisitsDone++
	w.answerDateRequests()
	done := w.completeStep(ctx, req.By, next)
	w.c.State.LastVisitAt = doneAt
	w.c.State.Phase = w.supportPhase()
	detail := stepDetail(visitDetail(doneAt, next, req.Note), done, doneAt)
	detail["visit"] = strconv.Itoa(number)
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventVisitDone, req.By, detail))
}

func (w *trajectoryWorkflow) validateClose(ctx workflow.Context, req trajectory.Close) error {
	if err := rejectProblems(trajectory.CloseProblems(req.Reason, req.Text)); err != nil {
		return err
	}
	if err := rejectProblems(trajectory.OutcomeProblems(w.c.State.Plan, req.Outcomes)); err != nil {
		return err
	}
	if req.Reason == trajectory.CloseHandedOver && !w.anyHandoverAcknowledged() {
		return reject(trajectory.CodeCloseHandoverNotAcked, nil,
			"closing with reason %q needs at least one handover that the service acknowledged", trajectory.CloseHandedOver)
	}
	return nil
}

func (w *trajectoryWorkflow) anyHandoverAcknowledged() bool {
	for _, h := range w.c.State.Handovers {
		if !h.AcknowledgedAt.IsZero() {
			return true
		}
	}
	return false
}

// close ends the trajectory: the coach owes no step any more; handovers
// still waiting for the service's acknowledgement stay open (finished).
func (w *trajectoryWorkflow) close(ctx workflow.Context, req trajectory.Close) (trajectory.State, error) {
	defer w.tellReferrer(ctx, feedbackClosed)
	w.c.State.Birth, w.c.State.FollowUpEnd, w.c.State.Milestones = nil, nil, nil
	w.completeStep(ctx, req.By, nil)
	w.c.State.Phase = trajectory.PhaseClosed
	w.c.State.CloseReason = req.Reason
	detail := map[string]string{"reason": string(req.Reason)}
	if req.Text != "" {
		detail["text"] = req.Text
	}
	w.closePlan(req, detail)
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventClosed, req.By, detail))
}

// completeStep marks the coach's open step done, opens the next one (nil
// when the trajectory ends) and wakes the main loop, which cancels the old
// timer. Only the last StepsDoneKept steps are kept. It returns the step done.
func (w *trajectoryWorkflow) completeStep(ctx workflow.Context, by string, next *trajectory.Step) *trajectory.Step {
	done := w.c.State.Next
	if done != nil {
		w.c.State.StepsDone = append(w.c.State.StepsDone, trajectory.DoneStep{Kind: string(done.Kind), Number: done.Number, At: workflow.Now(ctx), By: by})
		if extra := len(w.c.State.StepsDone) - trajectory.StepsDoneKept; extra > 0 {
			w.c.State.StepsDone = append([]trajectory.DoneStep{}, w.c.State.StepsDone[extra:]...)
		}
	}
	w.c.State.Next = next
	w.wakeMainLoop()
	return done
}

func (w *trajectoryWorkflow) wakeMainLoop() {
	// A token already waiting wakes the loop just as well.
	w.stepChanged.SendAsync(struct{}{})
}

// nextVisit plans the next home visit: when the coach planned it with the
// family, or by the programme's cadence or schedule.
func (w *trajectoryWorkflow) nextVisit(ctx workflow.Context, number int, doneAt, planned time.Time) *trajectory.Step {
	if !planned.IsZero() {
		return &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: number, DueAt: planned, Planned: true}
	}
	return &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: number, DueAt: w.defaultNextVisit(ctx, doneAt)}
}

// validateVisitTimes applies the rule the API applies too, then what only
// the trajectory knows: a visit is not before the one before it (or the
// referral, as tooEarly says).
func (w *trajectoryWorkflow) validateVisitTimes(ctx workflow.Context, doneAt, nextDue, notBefore time.Time, tooEarly trajectory.RefusalCode) error {
	if err := rejectProblems(trajectory.VisitTimeProblems(workflow.Now(ctx), doneAt, nextDue)); err != nil {
		return err
	}
	if !doneAt.IsZero() && doneAt.Before(notBefore) {
		notBeforeName := "the previous visit"
		if tooEarly == trajectory.CodeDoneAtBeforeReferral {
			notBeforeName = "the referral"
		}
		return reject(tooEarly, map[string]string{trajectory.ArgDoneAt: rfc3339(doneAt), trajectory.ArgNotBefore: rfc3339(notBefore)},
			"done_at %s is before %s (%s)", rfc3339(doneAt), notBeforeName, rfc3339(notBefore))
	}
	return nil
}

// rfc3339 writes an instant as the refusals' messages and args do.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// lastVisitAt is when the intake or the last home visit took place.
func (w *trajectoryWorkflow) lastVisitAt() time.Time {
	if !w.c.State.LastVisitAt.IsZero() {
		return w.c.State.LastVisitAt
	}
	// Runs started before LastVisitAt existed: from the steps done.
	for i := len(w.c.State.StepsDone) - 1; i >= 0; i-- {
		if k := trajectory.StepKind(w.c.State.StepsDone[i].Kind); k == trajectory.StepIntake || k == trajectory.StepHomeVisit {
			return w.c.State.StepsDone[i].At
		}
	}
	return w.c.State.ReferredAt
}

// intakeDoneAt is when the intake took place; zero when no longer known.
func (w *trajectoryWorkflow) intakeDoneAt() time.Time {
	if at := w.c.State.IntakeDoneAt; !at.IsZero() {
		return at
	}
	for _, s := range w.c.State.StepsDone {
		if trajectory.StepKind(s.Kind) == trajectory.StepIntake {
			return s.At
		}
	}
	return time.Time{}
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
