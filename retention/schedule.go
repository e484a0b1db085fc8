package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Overlap is what the schedule does when a run is due while the one before
// still runs: skip it. A run erases everything expired when each page is
// read, so the skipped run would find only what expired meanwhile, which
// the next one erases an interval later; a buffered run would start the
// moment a long one ends and keep retention running back to back, against
// the same rows, for nothing retention's years-long deadlines need.
const Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP

// RunTimeout ends a run that does not finish (say, a workflow task that
// keeps failing): under Overlap every later run would be skipped behind it.
const RunTimeout = 24 * time.Hour

// EnsureSchedule creates the schedule that starts the retention workflow
// every interval, or sets its interval, overlap policy and action if it
// exists.
func EnsureSchedule(ctx context.Context, tc client.Client, every time.Duration) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID:                       ScheduleID + "-run",
		Workflow:                 WorkflowName,
		TaskQueue:                trajectory.TaskQueue,
		WorkflowExecutionTimeout: RunTimeout,
	}
	_, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      ScheduleID,
		Spec:    spec,
		Overlap: Overlap,
		Action:  action,
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := tc.ScheduleClient().GetHandle(ctx, ScheduleID)
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = Overlap
			return &client.ScheduleUpdate{Schedule: &s}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("retention schedule %s: %w", ScheduleID, err)
	}
	return nil
}
