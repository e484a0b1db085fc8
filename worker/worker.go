// Package worker runs the Temporal worker of elkgezin: it hosts the
// trajectory workflow and the activities that write PostgreSQL and send email.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"elkgezin/activities"
	"elkgezin/handoverlink"
	"elkgezin/mailer"
	"elkgezin/store"
	"elkgezin/trajectory"
	"elkgezin/workflows"
)

// Config is what the worker process needs.
type Config struct {
	Temporal      client.Client
	Namespace     string
	Store         *store.Store
	Mail          mailer.Config
	PublicBaseURL string
	Links         *handoverlink.Signer
	Logger        *slog.Logger
}

// New builds a worker with the trajectory workflow and its activities registered.
func New(cfg Config) (sdkworker.Worker, error) {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return nil, fmt.Errorf("load time zone for emails: %w", err)
	}
	w := sdkworker.New(cfg.Temporal, trajectory.TaskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
	w.RegisterActivity(&activities.Activities{
		Events:        cfg.Store,
		Ledger:        cfg.Store,
		Mail:          mailer.NewSender(cfg.Mail),
		From:          cfg.Mail.From,
		PublicBaseURL: cfg.PublicBaseURL,
		Links:         cfg.Links,
		Location:      loc,
	})
	return w, nil
}

// Run runs the worker until ctx is cancelled, then stops it gracefully:
// activities in flight finish or are retried by another worker.
func Run(ctx context.Context, cfg Config) error {
	if err := RegisterSearchAttributes(ctx, cfg.Temporal, cfg.Namespace); err != nil {
		return err
	}
	w, err := New(cfg)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", trajectory.TaskQueue, err)
	}
	cfg.Logger.Info("worker started", "task_queue", trajectory.TaskQueue)
	<-ctx.Done()
	w.Stop()
	cfg.Logger.Info("worker stopped")
	return nil
}
