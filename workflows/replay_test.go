package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/trajectory"
)

// recordedKeys are the test keys the end-to-end stack (e2e.testPayloadKeys)
// encrypted the recorded histories with.
const recordedKeys = "e2e-1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// TestReplayRecordedHistories replays histories recorded on a real server
// against today's workflow code. A change that would break running
// trajectories (anything not guarded by workflow.GetVersion) fails here.
// Record them as CONTRIBUTING.md says ("Changing the workflow").
func TestReplayRecordedHistories(t *testing.T) {
	ring, err := payloadcodec.ParseKeyRing(recordedKeys)
	if err != nil {
		t.Fatal(err)
	}
	dc, fc := payloadcodec.ClientOptions(ring)
	for _, file := range recordedHistories(t) {
		t.Run(file, func(t *testing.T) {
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
			if err != nil {
				t.Fatal(err)
			}
			replayer.RegisterWorkflowWithOptions(Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}

// rolledOverTo is the revision the recorded roll-over moved its runs to:
// the branches retired at it or below are the ones deleted.
const rolledOverTo = 2

// TestRolledOverHistoriesNeedNoRetiredBranch runs the last step of the
// retirement procedure (docs/design/versioning.md) on recorded histories: the
// runs that began on the previous release's code (revision 0) were rolled
// over, ending in continue-as-new, and the runs that followed them
// (rollover-after-*) replay with the old branch of every retired change
// deleted; those previous runs (rollover-before-*) need those branches,
// which proves that the deletion is real.
func TestRolledOverHistoriesNeedNoRetiredBranch(t *testing.T) {
	ring, err := payloadcodec.ParseKeyRing(recordedKeys)
	if err != nil {
		t.Fatal(err)
	}
	dc, fc := payloadcodec.ClientOptions(ring)
	replay := func(file string) error {
		replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
		if err != nil {
			return err
		}
		replayer.RegisterWorkflowWithOptions(Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
		return replayer.ReplayWorkflowHistoryFromJSONFile(nil, file)
	}
	after, _ := filepath.Glob("testdata/rollover-after-*.json")
	before, _ := filepath.Glob("testdata/rollover-before-*.json")
	if len(after) == 0 || len(before) == 0 {
		t.Fatal("no recorded roll-over in testdata")
	}
	for _, file := range after {
		if err := ReplayAsIfRetiredBranchesDeleted(rolledOverTo, func() error { return replay(file) }); err != nil {
			t.Errorf("%s needs a retired branch: %v", file, err)
		}
	}
	needed := 0
	for _, file := range before {
		if ReplayAsIfRetiredBranchesDeleted(rolledOverTo, func() error { return replay(file) }) != nil {
			needed++
		}
	}
	if needed != len(before) {
		t.Errorf("%d of %d runs of the previous release replay without the retired branches; want none", len(before)-needed, len(before))
	}
	// Newer recordings (revision 1 and later) need none of them either.
	newer, _ := filepath.Glob("testdata/*-from-history.json")
	for _, file := range newer {
		if err := ReplayAsIfRetiredBranchesDeleted(rolledOverTo, func() error { return replay(file) }); err != nil {
			t.Errorf("%s needs a retired branch: %v", file, err)
		}
	}
}

// TestReplayCatchesANonDeterministicChange proves the replay test has
// teeth: a workflow that starts with a command the recorded run never had
// (a memo upserted) must fail to replay.
func TestReplayCatchesANonDeterministicChange(t *testing.T) {
	ring, err := payloadcodec.ParseKeyRing(recordedKeys)
	if err != nil {
		t.Fatal(err)
	}
	dc, fc := payloadcodec.ClientOptions(ring)
	changed := func(ctx workflow.Context, in *trajectory.Start) (*trajectory.State, error) {
		if err := workflow.UpsertMemo(ctx, map[string]any{"changed": true}); err != nil {
			return nil, err
		}
		return Trajectory(ctx, in)
	}
	for _, file := range recordedHistories(t) {
		replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
		if err != nil {
			t.Fatal(err)
		}
		replayer.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: trajectory.WorkflowName})
		if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err == nil {
			t.Errorf("%s replayed against a workflow with an extra command; want a non-determinism error", file)
		}
	}
}

// recordedHistories are every history in testdata.
func recordedHistories(t *testing.T) []string {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata: %v", err)
	}
	return files
}
