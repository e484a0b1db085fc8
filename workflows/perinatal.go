package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// isPerinatal: the trajectory follows a pregnancy or a young child: its
// timings have a perinatal schedule and this family expects a child, or
// was referred after the birth (BornOn set at the referral).
func (w *trajectoryWorkflow) isPerinatal() bool {
	return w.c.Timings.Perinatal != nil && (!w.in.Referral.ExpectedDueDate.IsZero() || !w.c.State.BornOn.IsZero())
}

// dayDeadline is when a step that falls on a calendar date is due: in the
// morning in Belgium, so reminders reach coaches in working hours and not
// all at once at night. Runs started before changeMorningDeadlines keep
// midnight UTC.
func (w *trajectoryWorkflow) dayDeadline(ctx workflow.Context, midnightUTC time.Time) time.Time {
	if !w.takes(ctx, changeMorningDeadlines) {
		return midnightUTC
	}
	return trajectory.MorningOf(midnightUTC)
}

// planPerinatal hangs two steps on the expected due date: recording the
// birth, and the end of follow-up when the child reaches the programme's
// age. The birth re-plans both from the real date. Without a due date, a
// birth the referral lists starts the follow-up (planFromBirthAtReferral).
func (w *trajectoryWorkflow) planPerinatal(ctx workflow.Context) {
	if w.in.Referral.ExpectedDueDate.IsZero() {
		w.planFromBirthAtReferral(ctx)
		return
	}
	if !w.isPerinatal() {
		return
	}
	pn := w.c.Timings.Perinatal
	due := w.in.Referral.ExpectedDueDate.Time
	w.c.State.Birth = &trajectory.Step{Kind: trajectory.StepBirth, DueAt: w.dayDeadline(ctx, due.Add(pn.BirthRecordMargin.Std()))}
	w.c.State.FollowUpEnd = &trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: w.dayDeadline(ctx, pn.FollowUpEnd(due))}
}

// planFromBirthAtReferral starts the postnatal schedule of a family
// referred after the birth from the birth the referral lists: the birth is
// known (there is none to record), the visits after the intake follow the
// postnatal schedule, and follow-up ends at the programme's age of the
// child, with the closing handover's reminder before it. Runs started
// before changeBirthAtReferral had no follow-up without a due date.
func (w *trajectoryWorkflow) planFromBirthAtReferral(ctx workflow.Context) {
	pn := w.c.Timings.Perinatal
	if pn == nil {
		return
	}
	born := pn.BirthFollowedFrom(w.in.Referral, w.c.State.ReferredAt)
	if born.IsZero() || !w.takes(ctx, changeBirthAtReferral) {
		return
	}
	w.c.State.BornOn = born
	w.c.State.FollowUpEnd = &trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: w.dayDeadline(ctx, pn.FollowUpEnd(born.Time))}
}

// supportPhase is the phase of a family in support: before or after the
// birth in a perinatal trajectory, otherwise simply in support.
func (w *trajectoryWorkflow) supportPhase() trajectory.Phase {
	switch {
	case !w.isPerinatal():
		return trajectory.PhaseInSupport
	case w.c.State.BornOn.IsZero():
		return trajectory.PhasePrenatal
	default:
		return trajectory.PhasePostnatal
	}
}

// defaultNextVisit is when the next home visit is due when the coach and
// the family planned none: the prenatal cadence before the birth, the
// programme's postnatal schedule after it (the first point of the schedule
// after the visit just done), the programme's cadence otherwise.
func (w *trajectoryWorkflow) defaultNextVisit(ctx workflow.Context, doneAt time.Time) time.Time {
	pn := w.c.Timings.Perinatal
	switch w.supportPhase() {
	case trajectory.PhasePrenatal:
		return doneAt.Add(pn.PrenatalVisitCadence.Std())
	case trajectory.PhasePostnatal:
		for n := 1; ; n++ {
			if due := w.postnatalVisitDue(ctx, n); due.After(doneAt) {
				return due
			}
		}
	}
	return doneAt.Add(w.c.Timings.HomeVisitCadence.Std())
}

func (w *trajectoryWorkflow) postnatalVisitDue(ctx workflow.Context, n int) time.Time {
	return w.dayDeadline(ctx, w.c.Timings.Perinatal.PostnatalVisitDue(w.c.State.BornOn.Time, n))
}

func (w *trajectoryWorkflow) validateRecordBirth(ctx workflow.Context, req trajectory.RecordBirth) error {
	if !w.c.State.BornOn.IsZero() {
		// The birth date stays out of the args: it is personal data.
		return reject(trajectory.CodeBirthAlreadyRecorded, nil, "the birth was already recorded: born on %s", w.c.State.BornOn)
	}
	if w.c.State.Birth == nil {
		return reject(trajectory.CodeBirthNotExpected, map[string]string{trajectory.ArgProgramme: w.c.State.ProgrammeID},
			"no birth is expected in this trajectory: the referral gave no expected due date, or programme %s has no perinatal follow-up", w.c.State.ProgrammeID)
	}
	if req.BornOn.IsZero() {
		return reject(trajectory.CodeBirthDateRequired, nil, "birth_date is required")
	}
	if req.BornOn.After(workflow.Now(ctx)) {
		return reject(trajectory.CodeBirthDateInFuture, nil, "birth_date %s lies in the future", req.BornOn)
	}
	return nil
}

// recordBirth re-plans everything that hung on the due date from the real
// birth: the end of follow-up (unless a supervisor extended it further),
// and the next home visit, which becomes the first visit of the postnatal
// schedule unless the coach planned an earlier one with the family.
func (w *trajectoryWorkflow) recordBirth(ctx workflow.Context, req trajectory.RecordBirth) (trajectory.State, error) {
	pn := w.c.Timings.Perinatal
	birth := w.c.State.Birth
	w.c.State.BornOn = req.BornOn
	w.c.State.Birth = nil
	w.c.BornChildren = append(w.c.BornChildren, trajectory.Child{Name: req.Name, BirthDate: req.BornOn})
	end := w.dayDeadline(ctx, pn.FollowUpEnd(req.BornOn.Time))
	if len(w.c.State.Extensions) == 0 || end.After(w.c.State.FollowUpEnd.DueAt) {
		w.c.State.FollowUpEnd = &trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: end}
	}
	if next := w.c.State.Next; next != nil && next.Kind == trajectory.StepHomeVisit {
		first := w.postnatalVisitDue(ctx, 1)
		if !next.Planned || first.Before(next.DueAt) {
			w.c.State.Next = &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: next.Number, DueAt: first}
		}
	}
	if w.c.State.Phase == trajectory.PhasePrenatal {
		w.c.State.Phase = trajectory.PhasePostnatal
	}
	w.wakeMainLoop()
	detail := stepDetail(map[string]string{"born_on": req.BornOn.String(), "follow_up_end": w.c.State.FollowUpEnd.DueAt.UTC().Format(time.RFC3339)}, birth, workflow.Now(ctx))
	if req.Name != "" {
		detail["name"] = req.Name
	}
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventBirthRecorded, req.By, detail))
}

func (w *trajectoryWorkflow) validateExtendFollowUp(ctx workflow.Context, req trajectory.ExtendFollowUp) error {
	if w.c.State.FollowUpEnd == nil {
		return reject(trajectory.CodeFollowUpNotExtendable, nil, "this trajectory has no perinatal follow-up to extend")
	}
	if end := trajectory.DateOf(w.c.State.FollowUpEnd.DueAt); !req.Until.After(end.Time) {
		return reject(trajectory.CodeExtensionNotAfterEnd, map[string]string{trajectory.ArgUntil: req.Until.String(), trajectory.ArgFollowUpEnd: end.String()},
			"until %s must lie after the current end of follow-up, %s", req.Until, end)
	}
	if req.Reason == "" {
		return reject(trajectory.CodeExtensionReasonRequired, nil, "an extension needs a reason")
	}
	return nil
}

// extendFollowUp moves the end of follow-up; its reminder and alert are
// owed again for the new date (a new obligation, with its own email key).
func (w *trajectoryWorkflow) extendFollowUp(ctx workflow.Context, req trajectory.ExtendFollowUp) (trajectory.State, error) {
	previous := w.c.State.FollowUpEnd.DueAt
	w.c.State.FollowUpEnd = &trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: w.dayDeadline(ctx, req.Until.Time)}
	w.c.State.Extensions = append(w.c.State.Extensions, req.Until.String())
	w.wakeMainLoop()
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventFollowUpExtended, req.By, map[string]string{
		"until": req.Until.String(), "previous_end": previous.UTC().Format(time.RFC3339), "reason": req.Reason,
	}))
}
