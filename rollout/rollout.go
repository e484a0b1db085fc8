// Package rollout moves the workers of a Worker Deployment from the
// current version N to a new version N+1 in the one order that leaves no
// task without a poller:
//
//  1. start N+1's workers (N's keep polling);
//  2. wait until N+1 polls every task queue the workers serve, for every
//     kind of task;
//  3. make N+1 the current version: new trajectories start on it, running
//     ones (AutoUpgrade) move to it at their next workflow task;
//  4. wait until N is drained: no open workflow is pinned to it;
//  5. only then retire N's workers.
//
// `elkgezin rollout` runs it with the orchestrator's commands as steps 1
// and 5 (deploy/cluster upgrade). On Kubernetes the Temporal Worker
// Controller keeps the same order (deploy/k8s).
package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Deployment is what a rollout asks of Temporal about one Worker
// Deployment; client.WorkerDeploymentHandle has it.
type Deployment interface {
	Describe(context.Context, client.WorkerDeploymentDescribeOptions) (client.WorkerDeploymentDescribeResponse, error)
	DescribeVersion(context.Context, client.WorkerDeploymentDescribeVersionOptions) (client.WorkerDeploymentVersionDescription, error)
	SetCurrentVersion(context.Context, client.WorkerDeploymentSetCurrentVersionOptions) (client.WorkerDeploymentSetCurrentVersionResponse, error)
}

// Plan is the move a rollout makes.
type Plan struct {
	// From is the version current when the rollout began; empty when
	// there was none (a first deploy).
	From string
	// To is the new version.
	To string
	// Old are the versions whose workers Retire stops: From, and any
	// other still draining from an earlier rollout.
	Old []string
}

// Workers starts and retires the workers of a version. Start may be nil
// when they run already; Retire nil when there is nothing to retire, and
// then the rollout does not wait for the old version to drain.
type Workers struct {
	Start  func(context.Context, Plan) error
	Retire func(context.Context, Plan) error
}

// Step names a step of the rollout in its log.
type Step string

const (
	StepStart   Step = "start"   // the new version's workers are started
	StepPolled  Step = "polled"  // the new version polls every task queue
	StepCurrent Step = "current" // the new version is current
	StepDrained Step = "drained" // the old versions have no pinned work left
	StepRetire  Step = "retire"  // the old versions' workers are stopped
)

// Options tune a rollout.
type Options struct {
	// Queues are the task queues, with their kinds of task, that each
	// worker of the deployment polls (worker.Queues).
	Queues []client.WorkerDeploymentTaskQueueInfo
	// PollTimeout bounds the wait for the new version's pollers;
	// DrainTimeout the wait for the old versions to drain. On either
	// the rollout stops with an error, and the old workers keep running.
	PollTimeout, DrainTimeout time.Duration
	// Every is how often Temporal is asked again while waiting.
	Every time.Duration
	// Logger gets one line per step (msg "rollout", attribute step).
	Logger *slog.Logger
}

// Run rolls d to the version to (see the package comment).
func Run(ctx context.Context, d Deployment, w Workers, to string, o Options) error {
	if len(o.Queues) == 0 || o.PollTimeout <= 0 || o.DrainTimeout <= 0 || o.Every <= 0 || o.Logger == nil {
		return errors.New("rollout: Options needs Queues, PollTimeout, DrainTimeout, Every and Logger")
	}
	r := runner{d: d, o: o}
	from, err := r.current(ctx)
	if err != nil {
		return err
	}
	p := Plan{From: from, To: to}
	if w.Start != nil {
		r.log(StepStart, p)
		if err := w.Start(ctx, p); err != nil {
			return fmt.Errorf("rollout: starting the workers of %s: %w", to, err)
		}
	}
	if err := r.waitPolled(ctx, to); err != nil {
		return err
	}
	r.log(StepPolled, p)
	if from != to {
		if err := r.setCurrent(ctx, to); err != nil {
			return err
		}
	}
	r.log(StepCurrent, p)
	if w.Retire == nil {
		return nil
	}
	if p.Old, err = r.old(ctx, p); err != nil {
		return err
	}
	if err := r.waitDrained(ctx, p.Old); err != nil {
		return err
	}
	r.log(StepDrained, p)
	if err := w.Retire(ctx, p); err != nil {
		return fmt.Errorf("rollout: retiring the workers of %v: %w", p.Old, err)
	}
	r.log(StepRetire, p)
	return nil
}

type runner struct {
	d Deployment
	o Options
}

func (r runner) log(s Step, p Plan) {
	r.o.Logger.Info("rollout", "step", string(s), "from", p.From, "to", p.To, "old", p.Old)
}

// current is the deployment's current version; "" when it has none or
// does not exist yet (no worker of it ever polled).
func (r runner) current(ctx context.Context) (string, error) {
	desc, err := r.d.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("rollout: describing the deployment: %w", err)
	}
	if v := desc.Info.RoutingConfig.CurrentVersion; v != nil {
		return v.BuildID, nil
	}
	return "", nil
}

// old are the versions to drain before retiring: the one current before,
// and any other still draining (an earlier rollout that stopped there).
func (r runner) old(ctx context.Context, p Plan) ([]string, error) {
	var old []string
	if p.From != "" && p.From != p.To {
		old = append(old, p.From)
	}
	desc, err := r.d.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	if err != nil {
		return nil, fmt.Errorf("rollout: describing the deployment: %w", err)
	}
	for _, v := range desc.Info.VersionSummaries {
		id := v.Version.BuildID
		if id != p.To && v.DrainageStatus == client.WorkerDeploymentVersionDrainageStatusDraining && !slices.Contains(old, id) {
			old = append(old, id)
		}
	}
	return old, nil
}

// waitPolled waits until version to has registered every queue of
// Options.Queues: a worker of it polled each, for each kind of task.
func (r runner) waitPolled(ctx context.Context, to string) error {
	missing := r.o.Queues
	return r.wait(ctx, r.o.PollTimeout, func() (bool, error) {
		desc, err := r.d.DescribeVersion(ctx, client.WorkerDeploymentDescribeVersionOptions{BuildID: to})
		if err != nil {
			return false, err // not registered yet: no worker of it polled
		}
		missing = nil
		for _, q := range r.o.Queues {
			if !slices.Contains(desc.Info.TaskQueuesInfos, q) {
				missing = append(missing, q)
			}
		}
		return len(missing) == 0, nil
	}, func() string { return fmt.Sprintf("version %s did not poll %s", to, describeQueues(missing)) })
}

// setCurrent makes version to current. Temporal refuses a version that
// does not poll every queue the current one did, and its deployment's
// record may lag the version's by a moment: both are asked again.
func (r runner) setCurrent(ctx context.Context, to string) error {
	return r.wait(ctx, r.o.PollTimeout, func() (bool, error) {
		_, err := r.d.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: to})
		return err == nil, err
	}, func() string { return "version " + to + " was not made current" })
}

// waitDrained waits until no open workflow is pinned to any of old.
func (r runner) waitDrained(ctx context.Context, old []string) error {
	var draining string
	return r.wait(ctx, r.o.DrainTimeout, func() (bool, error) {
		for _, id := range old {
			desc, err := r.d.DescribeVersion(ctx, client.WorkerDeploymentDescribeVersionOptions{BuildID: id})
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				continue // deleted: nothing can run on it
			}
			if err != nil {
				draining = id
				return false, err
			}
			if d := desc.Info.DrainageInfo; d == nil || d.DrainageStatus != client.WorkerDeploymentVersionDrainageStatusDrained {
				draining = id
				return false, nil
			}
		}
		return true, nil
	}, func() string { return "version " + draining + " was not drained (its workers keep running)" })
}

// wait asks done every Options.Every until it says yes, ctx ends or
// limit passes; failed says what did not happen.
func (r runner) wait(ctx context.Context, limit time.Duration, done func() (bool, error), failed func() string) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := done()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("rollout: %s within %s: %w", failed(), limit, err)
			}
			return fmt.Errorf("rollout: %s within %s", failed(), limit)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rollout: %s: %w", failed(), ctx.Err())
		case <-time.After(r.o.Every):
		}
	}
}

func describeQueues(qs []client.WorkerDeploymentTaskQueueInfo) string {
	var s []string
	for _, q := range qs {
		kind := "activity"
		if q.Type == client.TaskQueueTypeWorkflow {
			kind = "workflow"
		}
		s = append(s, q.Name+" ("+kind+")")
	}
	return strings.Join(s, ", ")
}
