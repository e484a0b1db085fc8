package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
)

var queues = []client.WorkerDeploymentTaskQueueInfo{
	{Name: "trajectories", Type: client.TaskQueueTypeWorkflow},
	{Name: "trajectories", Type: client.TaskQueueTypeActivity},
	{Name: "email", Type: client.TaskQueueTypeActivity},
}

// world is a Worker Deployment as Temporal keeps it, and the workers that
// poll its versions. It records every change in events and, after each,
// checks what a rollout must never break: the current version and every
// version still draining have workers polling every queue, so no task is
// left without a poller.
type world struct {
	t        *testing.T
	versions map[string]*version
	current  string
	events   []string
	// registerAfter is how many DescribeVersion calls a started version's
	// queues take to register, one more queue each time; -1: the last
	// queue never registers.
	registerAfter int
	// drainAfter is how many DescribeVersion calls an old version takes to
	// drain; -1: it never does (a workflow pinned to it stays open).
	drainAfter int
	// refuseCurrent is how many SetCurrentVersion calls fail first, as
	// when the deployment's record lags its new version.
	refuseCurrent int
}

type version struct {
	workers    bool
	registered int // how many of queues a worker of it registered
	asked      int // DescribeVersion calls since it started or stopped being current
	draining   bool
	drained    bool
}

func newWorld(t *testing.T, current string) *world {
	w := &world{t: t, versions: map[string]*version{}, registerAfter: 1, drainAfter: 2}
	if current != "" {
		w.versions[current] = &version{workers: true, registered: len(queues)}
		w.current = current
	}
	return w
}

func (w *world) event(format string, args ...any) {
	w.events = append(w.events, fmt.Sprintf(format, args...))
	for id, v := range w.versions {
		needed := id == w.current || (v.draining && !v.drained)
		if needed && (!v.workers || v.registered < len(queues)) {
			w.t.Errorf("after %q: version %s has work but not every queue has a poller of it (workers %v, %d of %d queues)",
				w.events[len(w.events)-1], id, v.workers, v.registered, len(queues))
		}
	}
}

func (w *world) workers() Workers {
	return Workers{
		Start: func(_ context.Context, p Plan) error {
			w.versions[p.To] = &version{workers: true}
			w.event("start %s", p.To)
			return nil
		},
		Retire: func(_ context.Context, p Plan) error {
			for _, id := range p.Old {
				w.versions[id].workers = false
			}
			w.event("retire %s", strings.Join(p.Old, ","))
			return nil
		},
	}
}

func (w *world) Describe(context.Context, client.WorkerDeploymentDescribeOptions) (client.WorkerDeploymentDescribeResponse, error) {
	if len(w.versions) == 0 {
		return client.WorkerDeploymentDescribeResponse{}, serviceerror.NewNotFound("no deployment")
	}
	var resp client.WorkerDeploymentDescribeResponse
	if w.current != "" {
		resp.Info.RoutingConfig.CurrentVersion = &sdkworker.WorkerDeploymentVersion{DeploymentName: "d", BuildID: w.current}
	}
	for id, v := range w.versions {
		s := client.WorkerDeploymentVersionSummary{Version: sdkworker.WorkerDeploymentVersion{DeploymentName: "d", BuildID: id}}
		if v.draining {
			s.DrainageStatus = client.WorkerDeploymentVersionDrainageStatusDraining
		}
		if v.drained {
			s.DrainageStatus = client.WorkerDeploymentVersionDrainageStatusDrained
		}
		resp.Info.VersionSummaries = append(resp.Info.VersionSummaries, s)
	}
	return resp, nil
}

func (w *world) DescribeVersion(_ context.Context, o client.WorkerDeploymentDescribeVersionOptions) (client.WorkerDeploymentVersionDescription, error) {
	v, ok := w.versions[o.BuildID]
	if !ok || (v.registered == 0 && v.asked < w.registerAfter) {
		if ok {
			v.asked++
		}
		return client.WorkerDeploymentVersionDescription{}, serviceerror.NewNotFound("version not found")
	}
	v.asked++
	if v.workers && v.registered < len(queues) && v.asked >= w.registerAfter && !(w.registerAfter < 0 && v.registered == len(queues)-1) {
		v.registered++
	}
	if v.draining && !v.drained && w.drainAfter >= 0 && v.asked >= w.drainAfter {
		v.drained = true
		w.event("drained %s", o.BuildID)
	}
	var desc client.WorkerDeploymentVersionDescription
	desc.Info.TaskQueuesInfos = slices.Clone(queues[:v.registered])
	if v.draining {
		desc.Info.DrainageInfo = &client.WorkerDeploymentVersionDrainageInfo{DrainageStatus: client.WorkerDeploymentVersionDrainageStatusDraining}
		if v.drained {
			desc.Info.DrainageInfo.DrainageStatus = client.WorkerDeploymentVersionDrainageStatusDrained
		}
	}
	return desc, nil
}

// SetCurrentVersion refuses, as Temporal does, a version that does not poll
// every queue.
func (w *world) SetCurrentVersion(_ context.Context, o client.WorkerDeploymentSetCurrentVersionOptions) (client.WorkerDeploymentSetCurrentVersionResponse, error) {
	v, ok := w.versions[o.BuildID]
	if !ok || v.registered < len(queues) {
		w.t.Errorf("SetCurrentVersion(%s) before it polls every queue", o.BuildID)
		return client.WorkerDeploymentSetCurrentVersionResponse{}, serviceerror.NewFailedPrecondition("missing task queues")
	}
	if w.refuseCurrent > 0 {
		w.refuseCurrent--
		return client.WorkerDeploymentSetCurrentVersionResponse{}, serviceerror.NewFailedPrecondition("deployment not yet synced")
	}
	if old, ok := w.versions[w.current]; ok && w.current != o.BuildID {
		old.draining, old.asked = true, 0
	}
	w.current = o.BuildID
	w.event("current %s", o.BuildID)
	return client.WorkerDeploymentSetCurrentVersionResponse{}, nil
}

func options(log *bytes.Buffer) Options {
	return Options{Queues: queues, PollTimeout: 300 * time.Millisecond, DrainTimeout: 300 * time.Millisecond, Every: time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(log, nil))}
}

// steps are the steps of a rollout's log, in order.
func steps(t *testing.T, log *bytes.Buffer) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var l struct{ Msg, Step string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Msg == "rollout" {
			out = append(out, l.Step)
		}
	}
	return out
}

func TestRolloutKeepsEveryQueuePolled(t *testing.T) {
	w := newWorld(t, "n")
	w.refuseCurrent = 2
	var log bytes.Buffer
	if err := Run(context.Background(), w, w.workers(), "n1", options(&log)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"start n1", "current n1", "drained n", "retire n"}; !reflect.DeepEqual(w.events, want) {
		t.Errorf("events %q, want %q", w.events, want)
	}
	if got, want := steps(t, &log), []string{"start", "polled", "current", "drained", "retire"}; !reflect.DeepEqual(got, want) {
		t.Errorf("logged steps %q, want %q", got, want)
	}
}

func TestNotCurrentUntilItPollsEveryQueue(t *testing.T) {
	w := newWorld(t, "n")
	w.registerAfter = -1 // the email queue never registers
	var log bytes.Buffer
	err := Run(context.Background(), w, w.workers(), "n1", options(&log))
	if err == nil || !strings.Contains(err.Error(), "email (activity)") {
		t.Fatalf("error %v, want the email queue named", err)
	}
	if want := []string{"start n1"}; !reflect.DeepEqual(w.events, want) || w.current != "n" {
		t.Errorf("events %q, current %s; want only the start, n still current", w.events, w.current)
	}
}

func TestOldWorkersStayWhileTheirVersionDrains(t *testing.T) {
	w := newWorld(t, "n")
	w.drainAfter = -1 // a workflow pinned to n stays open
	var log bytes.Buffer
	err := Run(context.Background(), w, w.workers(), "n1", options(&log))
	if err == nil || !strings.Contains(err.Error(), "version n was not drained") {
		t.Fatalf("error %v, want n not drained", err)
	}
	if want := []string{"start n1", "current n1"}; !reflect.DeepEqual(w.events, want) || !w.versions["n"].workers {
		t.Errorf("events %q; want n's workers kept", w.events)
	}
}

// A rollout run again after it stopped while n drained makes nothing
// current again, and still waits for n before retiring it.
func TestRolloutAgainWaitsForTheVersionStillDraining(t *testing.T) {
	w := newWorld(t, "n")
	w.drainAfter = -1
	if err := Run(context.Background(), w, w.workers(), "n1", options(new(bytes.Buffer))); err == nil {
		t.Fatal("first rollout: no error while n drains")
	}
	w.drainAfter, w.events = 2, nil
	if err := Run(context.Background(), w, Workers{Retire: w.workers().Retire}, "n1", options(new(bytes.Buffer))); err != nil {
		t.Fatal(err)
	}
	if want := []string{"drained n", "retire n"}; !reflect.DeepEqual(w.events, want) {
		t.Errorf("events %q, want %q", w.events, want)
	}
}

// The first version of a deployment: no current version to drain, and
// without Retire no wait for one (deploy/cluster at start).
func TestFirstVersion(t *testing.T) {
	w := newWorld(t, "")
	var log bytes.Buffer
	if err := Run(context.Background(), w, Workers{Start: w.workers().Start}, "n", options(&log)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"start n", "current n"}; !reflect.DeepEqual(w.events, want) {
		t.Errorf("events %q, want %q", w.events, want)
	}
	if got, want := steps(t, &log), []string{"start", "polled", "current"}; !reflect.DeepEqual(got, want) {
		t.Errorf("logged steps %q, want %q", got, want)
	}
}
