package retention

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// twoRuns continues as new once, then waits: a trajectory whose workflow
// has a closed run beside its running one.
func twoRuns(ctx workflow.Context, run int) error {
	if run == 0 {
		return workflow.NewContinueAsNewError(ctx, twoRuns, 1)
	}
	workflow.GetSignalChannel(ctx, "never").Receive(ctx, nil)
	return nil
}

// TestErasureDeletesEveryRunFromTemporal: after an erasure, no run of the
// trajectory's workflow has a history, and visibility lists none; a
// second erasure, with nothing left in Temporal, is no error.
func TestErasureDeletesEveryRunFromTemporal(t *testing.T) {
	st := newStore(t)
	id := closeAt(t, st, "p1", "TEMPORAL-1", time.Now().Add(-2*year))
	queue := "erasure-" + id
	w := sdkworker.New(temporalClient, queue, sdkworker.Options{})
	w.RegisterWorkflow(twoRuns)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	ctx := t.Context()
	if _, err := temporalClient.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, twoRuns, 0); err != nil {
		t.Fatal(err)
	}
	var runs []string
	waitFor(t, "the second run", func() bool {
		runs = listed(t, id)
		return len(runs) == 2
	})

	e := Eraser{Temporal: temporalClient, Store: st}
	if erased, err := e.Erase(ctx, id); err != nil || !erased {
		t.Fatalf("erase: %v, %v", erased, err)
	}
	// Temporal deletes a run once it knows its closure was processed:
	// tens of seconds on the dev server.
	waitFor(t, "Temporal to delete both runs", func() bool {
		for _, run := range runs {
			iter := temporalClient.GetWorkflowHistory(ctx, id, run, false, 0)
			if _, err := iter.Next(); !isNotFound(err) {
				return false
			}
		}
		return len(listed(t, id)) == 0
	})
	if erased, err := e.Erase(ctx, id); err != nil || erased {
		t.Errorf("second erasure: %v, %v; want nothing to do and no error", erased, err)
	}
}

// listed is the runs visibility lists under the workflow id.
func listed(t *testing.T, id string) []string {
	t.Helper()
	resp, err := temporalClient.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: client.DefaultNamespace, Query: fmt.Sprintf("WorkflowId = %q", id)})
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		t.Fatal(err)
	}
	var runs []string
	for _, x := range resp.GetExecutions() {
		runs = append(runs, x.GetExecution().GetRunId())
	}
	return runs
}

func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for !done() {
		select {
		case <-ctx.Done():
			t.Fatalf("waited two minutes for %s", what)
		case <-time.After(time.Second):
		}
	}
}

// TestATrajectoryReferredBeforeDataKeysIsErasable: a trajectory written
// before data keys that no worker has sealed yet is sealed (its key made)
// and erased, leaving its clear columns empty; an id elkgezin never
// recorded is not erasable.
func TestATrajectoryReferredBeforeDataKeysIsErasable(t *testing.T) {
	st := newStore(t)
	ctx := t.Context()
	if _, err := st.Pool().Exec(ctx, `INSERT INTO trajectories (id, programme_id, referrer_org, referrer_reference, family, reason,
			phase, referred_at, updated_at, version)
		VALUES ('tr-before-keys', 'p1', 'org', 'PV/2024/000001', '{"contact_name": "Oud Gezin"}', 'oude reden', 'closed', now(), now(), 1)`); err != nil {
		t.Fatal(err)
	}
	e := Eraser{Temporal: temporalClient, Store: st}
	if erased, err := e.Erase(ctx, "tr-before-keys"); err != nil || !erased {
		t.Fatalf("erase: %v, %v", erased, err)
	}
	var left bool
	if err := st.Pool().QueryRow(ctx, `SELECT family IS NOT NULL OR reason IS NOT NULL OR referrer_reference IS NOT NULL OR personal IS NOT NULL
		FROM trajectories WHERE id = 'tr-before-keys'`).Scan(&left); err != nil || left {
		t.Errorf("after the erasure the read model keeps personal data (%v)", err)
	}
	if _, err := e.Erase(ctx, "tr-never-recorded"); !errors.Is(err, ErrNotErasable) {
		t.Errorf("erase an unknown trajectory: %v; want ErrNotErasable", err)
	}
}
