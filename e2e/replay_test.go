package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/workflows"
)

// replayTrajectory replays a finished trajectory's whole history, every
// run from the first, against today's workflow code, as a worker does after
// a restart: a change to the workflow that is not deterministic (one that
// needed workflow.GetVersion) fails here. With ELKGEZIN_RECORD_HISTORIES=dir
// it also writes each run's history there, the last as <name>.json and any
// run before it (ending in continue-as-new) as <name>-run-<n>.json, for
// workflows/testdata (see CONTRIBUTING.md, "Changing the workflow").
func (s *stack) replayTrajectory(id, name string) {
	s.t.Helper()
	ring, err := payloadcodec.ParseKeyRing(testPayloadKeys)
	if err != nil {
		s.t.Fatal(err)
	}
	dc, fc := payloadcodec.ClientOptionsWithDataKeys(ring, s.keyedStore().Vault())
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
	if err != nil {
		s.t.Fatal(err)
	}
	replayer.RegisterWorkflowWithOptions(workflows.Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
	desc, err := s.client.DescribeWorkflow(context.Background(), id, "")
	if err != nil {
		s.t.Fatal(err)
	}
	run := desc.RawResponse.GetWorkflowExecutionInfo().GetFirstRunId()
	for n := 1; run != ""; n++ {
		history := s.history(id, run)
		// The trajectory's own id, as the worker had it: the codec picks the
		// trajectory's data key by it when the replay encodes commands.
		opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id, RunID: run}}
		if err := replayer.ReplayWorkflowHistoryWithOptions(quietLogger{}, history, opts); err != nil {
			s.t.Errorf("replaying trajectory %s, run %d: %v", id, n, err)
		}
		file := name
		run = history.Events[len(history.Events)-1].GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
		if run != "" {
			file += "-run-" + strconv.Itoa(n)
		}
		if dir := os.Getenv("ELKGEZIN_RECORD_HISTORIES"); dir != "" {
			s.writeHistory(id, history, filepath.Join(dir, file+".json"))
		}
	}
}

// history is one run's history (run "": the trajectory's current run).
func (s *stack) history(id, run string) *historypb.History {
	s.t.Helper()
	h := &historypb.History{}
	iter := s.client.GetWorkflowHistory(context.Background(), id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			s.t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	return h
}

// writeHistory writes a trajectory's history to path for
// workflows/testdata. The trajectory's data key dies with the stack's
// database, so the recording is encrypted under the test ring instead:
// what TestReplayRecordedHistories decodes with.
func (s *stack) writeHistory(id string, history *historypb.History, path string) {
	s.t.Helper()
	ring, err := payloadcodec.ParseKeyRing(testPayloadKeys)
	if err != nil {
		s.t.Fatal(err)
	}
	history = proto.Clone(history).(*historypb.History)
	dataKeys := payloadcodec.NewCodec(ring).WithDataKeys(s.keyedStore().Vault())
	ringOnly := payloadcodec.NewCodec(ring)
	err = proxy.VisitPayloads(context.Background(), history, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			plain, err := dataKeys.Decode(p)
			if err != nil {
				return nil, err
			}
			return ringOnly.Encode(plain)
		},
	})
	if err != nil {
		s.t.Fatalf("re-encrypting the history of %s under the test ring: %v", id, err)
	}
	b, err := protojson.MarshalOptions{Indent: " "}.Marshal(history)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		s.t.Fatal(err)
	}
}
