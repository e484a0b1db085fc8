// Package worker runs the Temporal worker of elkgezin: it hosts the
// trajectory workflow and the activities that write PostgreSQL and send email.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/mailer/ledger"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/retention"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/webhook"
	"github.com/elkgezin/elkgezin/workflows"
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
	// Webhooks are the partners' endpoints for feedback on their referrals.
	Webhooks webhook.Endpoints
	// RetentionEvery is how often the retention schedule erases the
	// trajectories past their programme's retention; 0 registers no
	// schedule (an existing one keeps running).
	RetentionEvery time.Duration
	// EmailsPerSecond caps the rate at which email activities start, over
	// all workers of the namespace (the task queue's rate limit), so a
	// storm of reminders reaches the mail server at a pace it accepts.
	// Zero means DefaultEmailsPerSecond.
	EmailsPerSecond float64
	// EmailSessions caps the emails the worker sends at once, each an SMTP
	// session of its own; zero means DefaultEmailSessions.
	EmailSessions int
	// WorkflowCacheSize is how many trajectories the process keeps in
	// memory between their workflow tasks (the SDK's sticky cache, shared
	// by both workers); one not cached is replayed from its history on its
	// next task. Zero means DefaultWorkflowCacheSize.
	WorkflowCacheSize int
	// DataKeyMaxStale, when set, makes Store's vault (which the client's
	// codec must use) keep the data keys of the last WorkflowCacheSize
	// (at least ServedKeysKept) trajectories it served and use them for up to this long while
	// PostgreSQL does not answer (keys.Vault.KeepServed).
	DataKeyMaxStale time.Duration
	// Deployment, when set, turns on Worker Deployment Versioning: both
	// workers poll as this version, and trajectories auto-upgrade to the
	// deployment's current version (see Deployment).
	Deployment *sdkworker.WorkerDeploymentVersion
	// Tracer, when set, traces each email's SMTP transaction.
	Tracer trace.Tracer
	// SMS sends SMS to families; nil: none are sent.
	SMS *activities.SMSActivities
}

// DefaultWorkflowCacheSize is sized to the working set, not to every open
// trajectory: a trajectory wakes a few times per step (its reminder, its
// due instant, the coach's Update and the tasks that follow it within
// seconds), and steps are one to four weeks apart, so about 2 % of the open
// trajectories wake in an hour. The rule: a worker's cache holds the
// trajectories it serves that wake within a few hours, which for 20,000
// open trajectories per worker is about 2,000. One that fell out of the
// cache is replayed from its history at its next task: milliseconds, once
// a week. An explicit value, so an SDK upgrade that changes the SDK's
// default (10,000) does not change a worker's memory unnoticed.
const DefaultWorkflowCacheSize = 2000

// ServedKeysKept is how many trajectories' wrapped data keys a worker
// keeps at least (keys.Vault.KeepServed), whatever its cache: a wrapped key
// is a few hundred bytes, and one kept lets a trajectory that wakes once a
// week go on through a PostgreSQL outage.
const ServedKeysKept = 10000

// MemoryPerCachedTrajectory is what each trajectory in the workflow cache
// adds to the worker's resident memory with Go's default GOGC: 67 to 88 KB
// measured (BENCHMARKS.md, beside about 30 KB for a bare workflow). A
// binding GOMEMLIMIT brings it towards the live heap and stacks (65 KB
// measured), at the cost of more collections.
const MemoryPerCachedTrajectory = 80 << 10

// baselineMemory is a worker's resident memory with an empty cache (41 MB
// measured), rounded up.
const baselineMemory = 64 << 20

// MemoryBudget is the memory a worker needs with a full cache of
// cacheSize trajectories: what its memory limit (GOMEMLIMIT, and the
// container's limit above it) must allow.
func MemoryBudget(cacheSize int) int64 {
	return baselineMemory + int64(cacheSize)*MemoryPerCachedTrajectory
}

// memoryWarning says what is wrong when a full cache would not fit the
// process's memory limit (GOMEMLIMIT; math.MaxInt64 when unset), or "".
func memoryWarning(cacheSize int, limit int64) string {
	if limit == math.MaxInt64 || MemoryBudget(cacheSize) <= limit {
		return ""
	}
	return fmt.Sprintf("a full workflow cache of %d trajectories needs about %d MiB, more than GOMEMLIMIT's %d MiB: "+
		"the worker will spend its CPU collecting garbage, or be killed; lower WORKFLOW_CACHE_SIZE or raise the limit",
		cacheSize, MemoryBudget(cacheSize)>>20, limit>>20)
}

// DefaultEmailsPerSecond lets a storm of 10,000 reminders out in under four
// minutes (the goal is five); a mail server that takes less is protected by
// a lower EMAIL_SEND_RATE.
const DefaultEmailsPerSecond = 50

// DefaultEmailSessions is the worker's default cap on SMTP sessions at
// once: far above what a few dozen emails a second need, far below what a
// mail server allows one client.
const DefaultEmailSessions = 16

// StopTimeout is how long a stopping worker lets its running activities
// finish before it cancels them: twice one whole SMTP transaction, so that a
// deploy never cuts an email in half (an email cut after its final "."
// would end unconfirmed instead of sent).
func StopTimeout(mail mailer.Config) time.Duration { return 2 * mail.Timeout }

// New builds the two workers: one with the trajectory workflow and its
// activities on trajectory.TaskQueue (trajectories that predate the email
// queue still send there), and one that runs only the emails of
// trajectory.EmailTaskQueue, at most cfg.EmailsPerSecond.
func New(cfg Config) (main, email sdkworker.Worker, err error) {
	if cfg.Mail.Timeout <= 0 {
		return nil, nil, errors.New("worker: Mail.Timeout is not set; the worker's stop timeout is derived from it")
	}
	loc := trajectory.Belgium()
	rate := cfg.EmailsPerSecond
	if rate <= 0 {
		rate = DefaultEmailsPerSecond
	}
	var deployment sdkworker.DeploymentOptions
	if cfg.Deployment != nil {
		deployment = Deployment(*cfg.Deployment)
	}
	// Pollers scale with the backlog (the server says when more would get
	// tasks): with the SDK's fixed two per kind, a worker took about 15
	// workflow tasks a second off a backlog on the PostgreSQL-backed
	// cluster, each poll a round trip, while its CPU idled (BENCHMARKS.md).
	autoscale := func() sdkworker.PollerBehavior {
		return sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{})
	}
	main = sdkworker.New(cfg.Temporal, trajectory.TaskQueue, sdkworker.Options{
		WorkerStopTimeout:          StopTimeout(cfg.Mail),
		DeploymentOptions:          deployment,
		WorkflowTaskPollerBehavior: autoscale(),
		ActivityTaskPollerBehavior: autoscale(),
	})
	sessions := cfg.EmailSessions
	if sessions <= 0 {
		sessions = DefaultEmailSessions
	}
	email = sdkworker.New(cfg.Temporal, trajectory.EmailTaskQueue, sdkworker.Options{
		WorkerStopTimeout:            StopTimeout(cfg.Mail),
		TaskQueueActivitiesPerSecond: rate,
		// Each email activity is one SMTP session.
		MaxConcurrentActivityExecutionSize: sessions,
		DisableWorkflowWorker:              true,
		DeploymentOptions:                  deployment,
		ActivityTaskPollerBehavior:         autoscale(),
	})
	main.RegisterWorkflowWithOptions(workflows.Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
	var mail ledger.Sender = mailer.NewSender(cfg.Mail)
	if cfg.Tracer != nil {
		mail = tracedSender{next: mail, tracer: cfg.Tracer}
	}
	acts := &activities.Activities{
		Events:        cfg.Store,
		Ledger:        cfg.Store,
		Mail:          mail,
		From:          cfg.Mail.From,
		PublicBaseURL: cfg.PublicBaseURL,
		Links:         cfg.Links,
		Location:      loc,
		Programmes:    cfg.Programmes,
		Webhooks:      cfg.Webhooks,
		Deliveries:    cfg.Store,
	}
	main.RegisterActivity(acts)
	email.RegisterActivity(acts)
	main.RegisterActivity(cmp.Or(cfg.SMS, &activities.SMSActivities{}))
	// Retention is its own workflow on the main task queue; it erases
	// through the same store and ends the erased trajectories' workflows.
	main.RegisterWorkflowWithOptions(retention.Workflow, workflow.RegisterOptions{Name: retention.WorkflowName})
	main.RegisterActivity(&retention.Activities{
		Eraser:     retention.Eraser{Temporal: cfg.Temporal, Namespace: cfg.Namespace, Store: cfg.Store},
		Programmes: cfg.Programmes,
		Logger:     cfg.Logger,
	})
	return main, email, nil
}

// Run checks that the namespace has the search attributes, then runs the
// worker until ctx is cancelled and stops it gracefully: activities in
// flight get StopTimeout to finish. A fatal worker error (the namespace
// gone, the worker refused) ends Run with that error.
func Run(ctx context.Context, cfg Config) error {
	if err := CheckSearchAttributes(ctx, cfg.Temporal.OperatorService(), cfg.Namespace); err != nil {
		return err
	}
	if cfg.EmailsPerSecond <= 0 {
		cfg.EmailsPerSecond = DefaultEmailsPerSecond
	}
	if cfg.WorkflowCacheSize <= 0 {
		cfg.WorkflowCacheSize = DefaultWorkflowCacheSize
	}
	// The SDK reads it when the first worker is made.
	sdkworker.SetStickyWorkflowCacheSize(cfg.WorkflowCacheSize)
	// The trajectories whose keys it keeps: those the workflow cache holds,
	// and more that wake less often.
	vault := cfg.Store.Vault()
	if vault != nil && cfg.DataKeyMaxStale > 0 {
		vault.KeepServed(max(cfg.WorkflowCacheSize, ServedKeysKept), cfg.DataKeyMaxStale)
	}
	main, email, err := New(cfg)
	if err != nil {
		return err
	}
	if vault != nil {
		// What earlier releases left in clear and migrations could not
		// seal without the data keys; once done, a look that finds nothing.
		switch n, err := cfg.Store.SealClearFields(ctx); {
		case err != nil:
			cfg.Logger.Warn("data left in clear by earlier releases not all sealed; the next start tries again", "sealed", n, "error", err)
		case n > 0:
			cfg.Logger.Info("data left in clear by earlier releases sealed", "sealed", n)
		}
	}
	if cfg.RetentionEvery > 0 {
		if err := retention.EnsureSchedule(ctx, cfg.Temporal, cfg.RetentionEvery); err != nil {
			return err
		}
	}
	version := "unversioned"
	if cfg.Deployment != nil {
		version = cfg.Deployment.DeploymentName + "." + cfg.Deployment.BuildID
	}
	memoryLimit := debug.SetMemoryLimit(-1) // -1 reads it
	if warning := memoryWarning(cfg.WorkflowCacheSize, memoryLimit); warning != "" {
		cfg.Logger.Warn(warning)
	}
	cfg.Logger.Info("worker starting", "task_queue", trajectory.TaskQueue, "email_task_queue", trajectory.EmailTaskQueue,
		"emails_per_second", cfg.EmailsPerSecond, "workflow_cache_size", cfg.WorkflowCacheSize, "memory_budget_mib", MemoryBudget(cfg.WorkflowCacheSize)>>20,
		"stop_timeout", StopTimeout(cfg.Mail).String(), "deployment_version", version)
	// Either worker ending (a fatal error) stops the other: the process
	// must not run half a worker.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go keepStatisticsFresh(ctx, cfg.Store, StatisticsCheckEvery, cfg.Logger)
	if vault != nil && cfg.DataKeyMaxStale > 0 {
		go vault.KeepConfirmed(ctx, func(err error) {
			cfg.Logger.Warn("kept data keys not confirmed; they are used for at most DATA_KEY_MAX_STALE after the last confirmation", "error", err)
		})
	}
	errs := make(chan error, 2)
	for queue, w := range map[string]sdkworker.Worker{trajectory.TaskQueue: main, trajectory.EmailTaskQueue: email} {
		go func() {
			defer cancel()
			if err := w.Run(interruptOn(ctx)); err != nil {
				errs <- fmt.Errorf("worker on task queue %s: %w", queue, err)
				return
			}
			errs <- nil
		}()
	}
	err = errors.Join(<-errs, <-errs)
	if err == nil {
		cfg.Logger.Info("worker stopped")
	}
	return err
}

// StatisticsCheckEvery is how often the worker looks for tables whose
// statistics are stale: autovacuum's own default naptime.
const StatisticsCheckEvery = time.Minute

// keepStatisticsFresh refreshes the statistics of elkgezin's tables every
// interval until ctx ends, so the supervisor's list keeps its
// plan on a PostgreSQL whose autovacuum is off (store.RefreshStatistics). A
// failed refresh (PostgreSQL down) is tried again at the next tick.
func keepStatisticsFresh(ctx context.Context, st *store.Store, every time.Duration, logger *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		analyzed, err := st.RefreshStatistics(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("statistics not refreshed; trying again at the next check", "error", err, "every", every.String())
		case len(analyzed) > 0:
			logger.Info("statistics refreshed", "tables", analyzed)
		}
	}
}

// interruptOn adapts ctx (the process's signal context) to the channel
// sdkworker.Run stops on. The SDK's own InterruptCh would install a second
// signal handler beside the process's one.
func interruptOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	context.AfterFunc(ctx, func() { close(ch) })
	return ch
}
