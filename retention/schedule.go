package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"elkgezin/trajectory"
)

// EnsureSchedule creates the schedule that starts the retention workflow
// every interval, or sets its interval if it exists.
func EnsureSchedule(ctx context.Context, tc client.Client, every time.Duration) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	_, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      ScheduleID,
		Spec:    spec,
		Overlap: 0, // skip a run while the previous one runs
		Action: &client.ScheduleWorkflowAction{
			ID:        ScheduleID + "-run",
			Workflow:  WorkflowName,
			TaskQueue: trajectory.TaskQueue,
		},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := tc.ScheduleClient().GetHandle(ctx, ScheduleID)
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &spec
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("retention schedule %s: %w", ScheduleID, err)
	}
	return nil
}
