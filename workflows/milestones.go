package workflows

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Milestones are the programme's own steps, from the trajectory's frozen
// copy of the programme (Timings.Milestones): each opens at the referral
// or when the milestone before it is reached, and is owed like any step,
// with the coach reminded before it is due and the supervisor alerted
// after. One generic Update records any of them.

// openMilestones opens every milestone that follows after (the referral or
// a milestone id), due its deadline from from.
func (w *trajectoryWorkflow) openMilestones(after string, from time.Time) {
	for _, m := range w.c.Timings.Milestones {
		if m.After == after && !w.milestoneReached(m.ID) && w.openMilestone(m.ID) == nil {
			w.c.State.Milestones = append(w.c.State.Milestones, &trajectory.Step{
				Kind: trajectory.StepMilestone, Milestone: m.ID, DueAt: from.Add(m.Deadline.Std()),
			})
		}
	}
}

// beginMilestones opens the milestones that count from the referral.
func (w *trajectoryWorkflow) beginMilestones(ctx workflow.Context) {
	if len(w.c.Timings.Milestones) == 0 || !w.takes(ctx, changeMilestones) {
		return
	}
	w.openMilestones(trajectory.MilestoneAfterReferral, w.c.State.ReferredAt)
}

// adoptMilestones follows new timings: an open milestone they no longer
// name is dropped, one they add is opened from its anchor; the due
// instants of milestones already open stay.
func (w *trajectoryWorkflow) adoptMilestones(ctx workflow.Context) {
	if len(w.c.Timings.Milestones) == 0 && len(w.c.State.Milestones) == 0 {
		return
	}
	if !w.takes(ctx, changeMilestones) {
		return
	}
	w.c.State.Milestones = slices.DeleteFunc(w.c.State.Milestones, func(s *trajectory.Step) bool {
		_, kept := w.c.Timings.Milestone(s.Milestone)
		return !kept
	})
	w.openMilestones(trajectory.MilestoneAfterReferral, w.c.State.ReferredAt)
	for _, r := range w.c.State.MilestonesReached {
		w.openMilestones(r.ID, r.At)
	}
}

func (w *trajectoryWorkflow) openMilestone(id string) *trajectory.Step {
	for _, s := range w.c.State.Milestones {
		if s.Milestone == id {
			return s
		}
	}
	return nil
}

func (w *trajectoryWorkflow) milestoneReached(id string) bool {
	return slices.ContainsFunc(w.c.State.MilestonesReached, func(r trajectory.ReachedMilestone) bool { return r.ID == id })
}

func (w *trajectoryWorkflow) validateRecordMilestone(ctx workflow.Context, req trajectory.RecordMilestone) error {
	m, ok := w.c.Timings.Milestone(req.Milestone)
	switch {
	case !ok:
		ids := make([]string, len(w.c.Timings.Milestones))
		for i, m := range w.c.Timings.Milestones {
			ids[i] = m.ID
		}
		if len(ids) == 0 {
			return reject(trajectory.CodeNoMilestones, nil, "this trajectory's programme has no milestones")
		}
		return reject(trajectory.CodeMilestoneUnknown, map[string]string{trajectory.ArgMilestone: req.Milestone, trajectory.ArgMilestones: strings.Join(ids, ",")},
			"%q is not a milestone of this trajectory; its milestones are %s", req.Milestone, strings.Join(ids, ", "))
	case w.c.State.Phase == trajectory.PhaseReferred:
		return reject(trajectory.CodeMilestoneNeedsCoach, nil, "no coach is assigned yet: assign the fixed coach before recording a milestone")
	case w.milestoneReached(m.ID):
		return reject(trajectory.CodeMilestoneAlreadyReached, map[string]string{trajectory.ArgMilestone: m.ID}, "milestone %s was already reached", m.ID)
	case w.openMilestone(m.ID) == nil:
		return reject(trajectory.CodeMilestoneNotOpen, map[string]string{trajectory.ArgMilestone: m.ID, trajectory.ArgAfter: m.After},
			"milestone %s follows %s, which is not reached yet", m.ID, m.After)
	}
	if err := rejectProblems(trajectory.MilestoneTimeProblems(workflow.Now(ctx), req.DoneAt)); err != nil {
		return err
	}
	if from := w.milestoneOpenedAt(m); !req.DoneAt.IsZero() && req.DoneAt.Before(from) {
		return reject(trajectory.CodeMilestoneBeforeAfter,
			map[string]string{trajectory.ArgDoneAt: rfc3339(req.DoneAt), trajectory.ArgAfter: m.After, trajectory.ArgNotBefore: rfc3339(from)},
			"done_at %s is before %s was reached (%s)", rfc3339(req.DoneAt), m.After, rfc3339(from))
	}
	return nil
}

// milestoneOpenedAt is when the milestone's predecessor was reached.
func (w *trajectoryWorkflow) milestoneOpenedAt(m trajectory.MilestoneTiming) time.Time {
	for _, r := range w.c.State.MilestonesReached {
		if r.ID == m.After {
			return r.At
		}
	}
	return w.c.State.ReferredAt
}

// recordMilestone closes the milestone's step, with its timers, and opens
// the milestones that follow it, due from when it was reached.
func (w *trajectoryWorkflow) recordMilestone(ctx workflow.Context, req trajectory.RecordMilestone) (trajectory.State, error) {
	doneAt := orNow(ctx, req.DoneAt)
	step := w.openMilestone(req.Milestone)
	w.c.State.Milestones = slices.DeleteFunc(w.c.State.Milestones, func(s *trajectory.Step) bool { return s == step })
	late := doneAt.After(step.DueAt)
	w.c.State.MilestonesReached = append(w.c.State.MilestonesReached, trajectory.ReachedMilestone{ID: req.Milestone, At: doneAt, By: req.By, Late: late})
	w.openMilestones(req.Milestone, doneAt)
	w.wakeMainLoop()
	detail := stepDetail(map[string]string{"milestone": req.Milestone, "done_at": doneAt.UTC().Format(time.RFC3339)}, step, doneAt)
	if req.Note != "" {
		detail["note"] = req.Note
	}
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventMilestoneReached, req.By, detail))
}

// stepDetail adds to an event's detail which step it completed, when that
// step was due, and whether it was done late: the reports count them.
func stepDetail(detail map[string]string, done *trajectory.Step, at time.Time) map[string]string {
	if done == nil {
		return detail
	}
	detail["step"] = done.Key()
	detail["step_due_at"] = done.DueAt.UTC().Format(time.RFC3339)
	if at.After(done.DueAt) {
		detail["late"] = "true"
	}
	return detail
}

func (w *trajectoryWorkflow) validateAssignCoWorker(ctx workflow.Context, req trajectory.AssignCoWorker) error {
	// Whether the co-worker has that role in the programme is checked by
	// the API against the programme files as they are now, like a coach.
	if strings.TrimSpace(req.CoWorkerID) == "" || strings.TrimSpace(req.Role) == "" {
		return reject(trajectory.CodeCoWorkerRequired, nil, "name the co-worker and their role")
	}
	who := map[string]string{trajectory.ArgCoWorker: req.CoWorkerID}
	if req.CoWorkerID == w.c.State.CoachID {
		return reject(trajectory.CodeCoWorkerIsCoach, who, "%s is the coach of this trajectory", req.CoWorkerID)
	}
	i := w.coWorkerIndex(req.CoWorkerID)
	switch {
	case req.Remove && i < 0:
		return reject(trajectory.CodeCoWorkerNotAssigned, who, "%s is not a co-worker of this trajectory", req.CoWorkerID)
	case !req.Remove && i >= 0:
		role := w.c.State.CoWorkers[i].Role
		return reject(trajectory.CodeCoWorkerAlreadyAssigned, map[string]string{trajectory.ArgCoWorker: req.CoWorkerID, trajectory.ArgRole: role},
			"%s is already a co-worker of this trajectory (%s)", req.CoWorkerID, role)
	}
	return nil
}

func (w *trajectoryWorkflow) coWorkerIndex(id string) int {
	return slices.IndexFunc(w.c.State.CoWorkers, func(c trajectory.CoWorker) bool { return c.ID == id })
}

func (w *trajectoryWorkflow) assignCoWorker(ctx workflow.Context, req trajectory.AssignCoWorker) (trajectory.State, error) {
	detail := map[string]string{"co_worker": req.CoWorkerID, "role": req.Role}
	if req.Remove {
		w.c.State.CoWorkers = slices.Delete(w.c.State.CoWorkers, w.coWorkerIndex(req.CoWorkerID), w.coWorkerIndex(req.CoWorkerID)+1)
		detail["removed"] = "true"
	} else {
		w.c.State.CoWorkers = append(w.c.State.CoWorkers, trajectory.CoWorker{ID: req.CoWorkerID, Role: req.Role})
	}
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventCoWorkerAssigned, req.By, detail))
}

// copyRecipients are the co-workers whose role the programme names in
// copy_reminders_to: each gets a copy of every reminder to the coach.
func (w *trajectoryWorkflow) copyRecipients() []trajectory.Recipient {
	var to []trajectory.Recipient
	for _, c := range w.c.State.CoWorkers {
		if slices.Contains(w.c.Timings.CopyRemindersTo, c.Role) {
			to = append(to, trajectory.Recipient{Role: trajectory.RoleCoWorker, CoWorkerID: c.ID})
		}
	}
	return to
}

func (w *trajectoryWorkflow) validateRecordAttendance(ctx workflow.Context, req trajectory.RecordAttendance) error {
	if strings.TrimSpace(req.ActivityID) == "" || strings.TrimSpace(req.Kind) == "" || req.On.IsZero() {
		return reject(trajectory.CodeAttendanceIncomplete, nil, "an attendance names the activity, its kind and its date")
	}
	return nil
}

// recordAttendance: the family took part in a collective activity. The
// Update's id is the activity's, so a repeated request records it once.
func (w *trajectoryWorkflow) recordAttendance(ctx workflow.Context, req trajectory.RecordAttendance) (trajectory.State, error) {
	w.c.State.ActivitiesAttended++
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventActivityAttended, req.By, map[string]string{
		"activity": req.ActivityID, "kind": req.Kind, "on": req.On.String(),
	}))
}
