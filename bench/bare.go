package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The bare side: what Temporal alone costs for the same shapes of work,
// without elkgezin's API, codec, database or audit.
const (
	bareQueue    = "bench-bare"
	bareWorkflow = "BareTrajectory"
	bareUpdate   = "step"
	// bareWaiting is the bare side of the memory comparison.
	bareWaiting = "BareWaiting"
)

// BareTrajectory stays open like a trajectory; each step Update runs one
// activity and answers.
func BareTrajectory(ctx workflow.Context) error {
	steps := 0
	if err := workflow.SetUpdateHandler(ctx, bareUpdate, func(ctx workflow.Context) (int, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 15 * time.Second})
		if err := workflow.ExecuteActivity(ctx, BareActivity).Get(ctx, nil); err != nil {
			return 0, err
		}
		steps++
		return steps, nil
	}); err != nil {
		return err
	}
	// Like a trajectory, continue before the history grows long.
	if err := workflow.Await(ctx, func() bool { return steps >= 500 && workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, BareTrajectory)
}

// BareWaiting is the least a cached workflow can be: it waits on one
// timer, as a trajectory waits for its next step's reminder.
func BareWaiting(ctx workflow.Context) error {
	return workflow.Sleep(ctx, 14*24*time.Hour)
}

// BareActivity does nothing: the cost measured is Temporal's.
func BareActivity(context.Context) error { return nil }

func startBareWorker(c client.Client, queue string) (sdkworker.Worker, error) {
	// Polled as the elkgezin worker polls (worker.New): pollers that
	// scale with the backlog.
	autoscale := sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{})
	w := sdkworker.New(c, queue, sdkworker.Options{WorkflowTaskPollerBehavior: autoscale, ActivityTaskPollerBehavior: autoscale})
	w.RegisterWorkflowWithOptions(BareTrajectory, workflow.RegisterOptions{Name: bareWorkflow})
	w.RegisterWorkflowWithOptions(BareWaiting, workflow.RegisterOptions{Name: bareWaiting})
	w.RegisterActivity(BareActivity)
	return w, w.Start()
}

func bareStart(ctx context.Context, c client.Client, id string) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: bareQueue}, bareWorkflow)
	return err
}

func bareStep(ctx context.Context, c client.Client, id string) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: bareUpdate, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return fmt.Errorf("update %s: %w", id, err)
	}
	var n int
	return h.Get(ctx, &n)
}
