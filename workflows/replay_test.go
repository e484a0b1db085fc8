package workflows

import (
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"elkgezin/payloadcodec"
	"elkgezin/trajectory"
)

// recordedKeys are the test keys the end-to-end stack (e2e.testPayloadKeys)
// encrypted the recorded histories with.
const recordedKeys = "e2e-1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// TestReplayRecordedHistories replays histories recorded on a real server
// against today's workflow code. A change that would break running
// trajectories (anything not guarded by workflow.GetVersion) fails here.
// Record them as the README says ("Changing the workflow").
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

// TestReplayCatchesANonDeterministicChange proves the replay test has
// teeth: a workflow that starts with a timer the recorded run never had
// must fail to replay.
func TestReplayCatchesANonDeterministicChange(t *testing.T) {
	ring, err := payloadcodec.ParseKeyRing(recordedKeys)
	if err != nil {
		t.Fatal(err)
	}
	dc, fc := payloadcodec.ClientOptions(ring)
	changed := func(ctx workflow.Context, in trajectory.Start) (trajectory.State, error) {
		if err := workflow.Sleep(ctx, time.Minute); err != nil {
			return trajectory.State{}, err
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
			t.Errorf("%s replayed against a workflow with an extra timer; want a non-determinism error", file)
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
