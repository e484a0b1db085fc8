package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"elkgezin/trajectory"
)

// isPerinatal: the programme follows pregnancies and this family expects a child.
func (w *trajectoryWorkflow) isPerinatal() bool {
	return w.in.Programme.Perinatal != nil && !w.in.Referral.ExpectedDueDate.IsZero()
}

// planPerinatal hangs two steps on the expected due date: recording the
// birth, and the end of follow-up when the child reaches the programme's
// age. The birth re-plans both from the real date.
func (w *trajectoryWorkflow) planPerinatal() {
	if !w.isPerinatal() {
		return
	}
	pn := w.in.Programme.Perinatal
	due := w.in.Referral.ExpectedDueDate.Time
	w.state.Birth = &trajectory.Step{Kind: trajectory.StepBirth, DueAt: due.Add(pn.BirthRecordMargin.Std())}
	w.state.FollowUpEnd = &trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: pn.FollowUpEnd(due)}
}

// supportPhase is the phase of a family in support: before or after the
// birth in a perinatal trajectory, otherwise simply in support.
func (w *trajectoryWorkflow) supportPhase() trajectory.Phase {
	switch {
	case !w.isPerinatal():
		return trajectory.PhaseInSupport
	case w.state.BornOn.IsZero():
		return trajectory.PhasePrenatal
	default:
		return trajectory.PhasePostnatal
	}
}

// defaultNextVisit is when the next home visit is due when the coach and
// the family planned none: the prenatal cadence before the birth, the
// programme's postnatal schedule after it (the first point of the schedule
// after the visit just done), the programme's cadence otherwise.
func (w *trajectoryWorkflow) defaultNextVisit(doneAt time.Time) time.Time {
	pn := w.in.Programme.Perinatal
	switch w.supportPhase() {
	case trajectory.PhasePrenatal:
		return doneAt.Add(pn.PrenatalVisitCadence.Std())
	case trajectory.PhasePostnatal:
		for n := 1; ; n++ {
			if due := pn.PostnatalVisitDue(w.state.BornOn.Time, n); due.After(doneAt) {
				return due
			}
		}
	}
	return doneAt.Add(w.in.Programme.HomeVisitCadence.Std())
}

func (w *trajectoryWorkflow) validateRecordBirth(ctx workflow.Context, req trajectory.RecordBirth) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	if !w.state.BornOn.IsZero() {
		return reject("the birth was already recorded: born on %s", w.state.BornOn)
	}
	if w.state.Birth == nil {
		return reject("no birth is expected in this trajectory: the referral gave no expected due date, or programme %s has no perinatal follow-up", w.in.Programme.ID)
	}
	if req.BornOn.IsZero() {
		return reject("born_on is required")
	}
	if req.BornOn.After(workflow.Now(ctx)) {
		return reject("born_on %s lies in the future", req.BornOn)
	}
	return nil
}

// recordBirth re-plans everything that hung on the due date from the real
// birth: the end of follow-up, and the next home visit, which becomes the
// first visit of the postnatal schedule unless the coach planned an
// earlier one with the family.
func (w *trajectoryWorkflow) recordBirth(ctx workflow.Context, req trajectory.RecordBirth) (trajectory.State, error) {
	pn := w.in.Programme.Perinatal
	w.state.BornOn = req.BornOn
	w.state.Birth = nil
	w.in.Referral.Children = append(w.in.Referral.Children, trajectory.Child{Name: req.Name, BirthDate: req.BornOn})
	end := pn.FollowUpEnd(req.BornOn.Time)
	if len(w.state.Extensions) == 0 || end.After(w.state.FollowUpEnd.DueAt) {
		w.state.FollowUpEnd = &trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: end}
	}
	if next := w.state.Next; next != nil && next.Kind == trajectory.StepHomeVisit {
		first := pn.PostnatalVisitDue(req.BornOn.Time, 1)
		if !next.Planned || first.Before(next.DueAt) {
			w.state.Next = &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: next.Number, DueAt: first}
		}
	}
	if w.state.Phase == trajectory.PhasePrenatal {
		w.state.Phase = trajectory.PhasePostnatal
	}
	w.wakeMainLoop()
	detail := map[string]string{"born_on": req.BornOn.String(), "follow_up_end": w.state.FollowUpEnd.DueAt.UTC().Format(time.RFC3339)}
	if req.Name != "" {
		detail["name"] = req.Name
	}
	return w.state, w.record(ctx, w.event(ctx, trajectory.EventBirthRecorded, req.By, detail))
}

func (w *trajectoryWorkflow) validateExtendFollowUp(ctx workflow.Context, req trajectory.ExtendFollowUp) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	if w.state.FollowUpEnd == nil {
		return reject("this trajectory has no perinatal follow-up to extend")
	}
	if !req.Until.After(w.state.FollowUpEnd.DueAt) {
		return reject("until %s must lie after the current end of follow-up, %s", req.Until, trajectory.DateOf(w.state.FollowUpEnd.DueAt))
	}
	if req.Reason == "" {
		return reject("an extension needs a reason")
	}
	return nil
}

// extendFollowUp moves the end of follow-up; its reminder and alert are
// owed again for the new date.
func (w *trajectoryWorkflow) extendFollowUp(ctx workflow.Context, req trajectory.ExtendFollowUp) (trajectory.State, error) {
	previous := w.state.FollowUpEnd.DueAt
	w.state.FollowUpEnd = &trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: req.Until.Time}
	w.state.Extensions = append(w.state.Extensions, req.Until.String())
	w.wakeMainLoop()
	return w.state, w.record(ctx, w.event(ctx, trajectory.EventFollowUpExtended, req.By, map[string]string{
		"until": req.Until.String(), "previous_end": previous.UTC().Format(time.RFC3339), "reason": req.Reason,
	}))
}
