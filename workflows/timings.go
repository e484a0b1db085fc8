package workflows

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

func (w *trajectoryWorkflow) validateAdoptTimings(ctx workflow.Context, req trajectory.AdoptTimings) error {
	t := req.Timings
	for _, d := range []struct {
		name  string
		value int64
	}{
		{"assignment_limit", int64(t.AssignmentLimit)}, {"intake_deadline", int64(t.IntakeDeadline)},
		{"home_visit_cadence", int64(t.HomeVisitCadence)}, {"alert_grace", int64(t.AlertGrace)},
		{"acknowledgement_limit", int64(t.AcknowledgementLimit)}, {"link_valid_for", int64(t.LinkValidFor)},
	} {
		if d.value <= 0 {
			return reject(trajectory.CodeTimingsIncomplete, map[string]string{trajectory.ArgTiming: d.name}, "the new timings lack %s", d.name)
		}
	}
	if w.isPerinatal() && t.Perinatal == nil {
		return reject(trajectory.CodeTimingsNeedPerinatal, nil, "this trajectory follows a pregnancy: the new timings need a perinatal schedule")
	}
	if err := rejectProblems(t.MilestoneProblems()); err != nil {
		return err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return reject(trajectory.CodeTimingsReasonRequired, nil, "say why the trajectory moves to new timings")
	}
	return nil
}

// adoptTimings moves the trajectory to new timings. Due instants already
// planned with the family stay; reminders, alerts and every step planned
// from now on follow the new timings.
func (w *trajectoryWorkflow) adoptTimings(ctx workflow.Context, req trajectory.AdoptTimings) (trajectory.State, error) {
	w.c.Timings = req.Timings
	w.adoptMilestones(ctx)
	w.wakeMainLoop()
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventTimingsAdopted, req.By, map[string]string{"reason": req.Reason}))
}
