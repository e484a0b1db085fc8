package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"elkgezin/programme"
	"elkgezin/trajectory"
)

// Names under which the worker and the schedule meet.
const (
	WorkflowName = "Retention"
	ScheduleID   = "elkgezin-retention"
	// Actor is who erases in the audit log.
	Actor = "system:retention"
)

// Workflow erases, in one activity, every trajectory past its
// programme's retention. Retried activities erase nothing twice (Erase is
// idempotent), and each run starts afresh, so it needs no state.
func Workflow(ctx workflow.Context) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	var n int
	err := workflow.ExecuteActivity(ctx, (*Activities).EraseExpired).Get(ctx, &n)
	return n, err
}

// Activities hold what the retention workflow's activity needs.
type Activities struct {
	Eraser     Eraser
	Programmes programme.Catalogue
	Logger     *slog.Logger
}

// EraseExpired erases the closed trajectories whose programme's
// retention_after_closure has passed since their closure, and audits each
// erasure. A programme without retention keeps its data.
func (a *Activities) EraseExpired(ctx context.Context) (int, error) {
	closed, err := a.Eraser.Store.ClosedNotErased(ctx)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	n := 0
	var errs []error
	for _, c := range closed {
		p, ok := a.Programmes.Get(c.ProgrammeID)
		if !ok || p.RetentionAfterClosure <= 0 || now.Before(c.ClosedAt.Add(p.RetentionAfterClosure.Std())) {
			continue
		}
		erased, err := a.Eraser.Erase(ctx, c.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := a.Eraser.Audit(ctx, Actor, c.ID, "retention_after_closure", erased); err != nil {
			errs = append(errs, err)
		}
		if a.Logger != nil {
			a.Logger.Info("retention: trajectory erased", "trajectory_id", c.ID, "programme", c.ProgrammeID)
		}
		n++
	}
	return n, errors.Join(errs...)
}

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
