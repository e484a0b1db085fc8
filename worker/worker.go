// Package worker runs the Temporal worker of elkgezin: it hosts the
// trajectory workflow and the activities that write PostgreSQL and send email.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"elkgezin/activities"
	"elkgezin/handoverlink"
	"elkgezin/mailer"
	"elkgezin/programme"
	"elkgezin/retention"
	"elkgezin/store"
	"elkgezin/trajectory"
	"elkgezin/workflows"
)

// Config is what the worker process needs.
type Config struct {
	Temporal      client.Client
	Namespace     string
	Store         *store.Store
	Mail          mailer.Config // Mail.Timeout must be set: the stop timeout derives from it
	Programmes    programme.Catalogue
	PublicBaseURL string
	Links         *handoverlink.Signer
	Logger        *slog.Logger
	// RetentionEvery is how often the retention schedule erases the
	// trajectories past their programme's retention; 0 registers no
	// schedule (an existing one keeps running).
	RetentionEvery time.Duration
}

// StopTimeout is how long a stopping worker lets its running activities
// finish before it cancels them: twice one whole SMTP transaction, so that a
// deploy never cuts an email in half (an email cut after its final "."
// would end unconfirmed instead of sent).
func StopTimeout(mail mailer.Config) time.Duration { return 2 * mail.Timeout }

// New builds a worker with the trajectory workflow and its activities registered.
func New(cfg Config) (sdkworker.Worker, error) {
	if cfg.Mail.Timeout <= 0 {
		return nil, errors.New("worker: Mail.Timeout is not set; the worker's stop timeout is derived from it")
	}
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return nil, fmt.Errorf("load time zone for emails: %w", err)
	}
	w := sdkworker.New(cfg.Temporal, trajectory.TaskQueue, sdkworker.Options{
		WorkerStopTimeout: StopTimeout(cfg.Mail),
	})
	w.RegisterWorkflowWithOptions(workflows.Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
	w.RegisterActivity(&activities.Activities{
		Events:        cfg.Store,
		Ledger:        cfg.Store,
		Mail:          mailer.NewSender(cfg.Mail),
		From:          cfg.Mail.From,
		PublicBaseURL: cfg.PublicBaseURL,
		Links:         cfg.Links,
		Location:      loc,
		Programmes:    cfg.Programmes,
	})
	// Retention is its own workflow on the same task queue; it erases
	// through the same store and ends the erased trajectories' workflows.
	w.RegisterWorkflowWithOptions(retention.Workflow, workflow.RegisterOptions{Name: retention.WorkflowName})
	w.RegisterActivity(&retention.Activities{
		Eraser:     retention.Eraser{Temporal: cfg.Temporal, Store: cfg.Store},
		Programmes: cfg.Programmes,
		Logger:     cfg.Logger,
	})
	return w, nil
}

// Run checks that the namespace has the search attributes, then runs the
// worker until ctx is cancelled and stops it gracefully: activities in
// flight get StopTimeout to finish. A fatal worker error (the namespace
// gone, the worker refused) ends Run with that error.
func Run(ctx context.Context, cfg Config) error {
	if err := CheckSearchAttributes(ctx, cfg.Temporal.OperatorService(), cfg.Namespace); err != nil {
		return err
	}
	w, err := New(cfg)
	if err != nil {
		return err
	}
	if cfg.RetentionEvery > 0 {
		if err := retention.EnsureSchedule(ctx, cfg.Temporal, cfg.RetentionEvery); err != nil {
			return err
		}
	}
	cfg.Logger.Info("worker starting", "task_queue", trajectory.TaskQueue, "stop_timeout", StopTimeout(cfg.Mail).String())
	if err := w.Run(interruptOn(ctx)); err != nil {
		return fmt.Errorf("worker on task queue %s: %w", trajectory.TaskQueue, err)
	}
	cfg.Logger.Info("worker stopped")
	return nil
}

// interruptOn adapts ctx (the process's signal context) to the channel
// sdkworker.Run stops on. The SDK's own InterruptCh would install a second
// signal handler beside the process's one.
func interruptOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	context.AfterFunc(ctx, func() { close(ch) })
	return ch
}
