package e2e

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/rollover"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/workflows"
)

// previousRelease makes a worker run the trajectories it starts as the
// code before every change did: GetVersion answers DefaultVersion, as it
// does for a history recorded before the change (code revision 0).
func previousRelease(sdkworker.PreferredVersionProviderInput) *sdkworker.VersionPreference {
	return &sdkworker.VersionPreference{Version: workflow.DefaultVersion}
}

// TestRollOverRetiresOldBranches runs the retirement procedure of
// docs/design/versioning.md: trajectories of the previous release's code
// (revision 0, every old branch) run; the release that retires changes is
// deployed; `elkgezin versions roll-over` moves each onto it; `versions
// check` finds none left. The histories of the runs still open then replay
// with the old branches of every retired change deleted, while the
// histories before the roll-over need them (they are closed, never to be
// replayed again). The rolled-over trajectories carry on to their closure,
// their logs their histories.
func TestRollOverRetiresOldBranches(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	c := s.codecClient()
	const queue = "e2e-previous-release"
	previous := s.inProcessWorker(c, queue, previousRelease)
	timings := testSecondsTimings(t)
	timings.AssignmentLimit = trajectory.Duration(time.Hour) // no alert in the way
	referredOnly := s.startOn(c, queue, "E2E-ROLL-1", timings)
	inSupport := s.startOn(c, queue, "E2E-ROLL-2", timings)
	handedOver := s.startOn(c, queue, "E2E-ROLL-3", timings)
	ids := []string{referredOnly, inSupport, handedOver}
	for _, id := range ids[1:] {
		s.update(c, id, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: "test-coach", By: "supervisor:test"})
		s.update(c, id, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: time.Now().Add(time.Hour), By: "coach:test-coach"})
		s.waitEvent(id, trajectory.EventIntakeDone, 1, 30*time.Second)
	}
	s.update(c, handedOver, trajectory.UpdateHandOver, trajectory.HandOver{Service: trajectory.Service{ID: "caw", Name: "CAW", Email: "onthaal@caw.example"},
		Reason: "schulden", Consent: trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(time.Now()), Shares: []string{}}, By: "coach:test-coach"})
	s.waitEvent(handedOver, trajectory.EventHandoverSent, 1, 30*time.Second)
	runs, err := rollover.Running(ctx, s.client, s.namespace)
	if err != nil {
		t.Fatal(err)
	}
	if old := rollover.Below(runs, int(workflows.Revision)); len(old) != len(ids) {
		t.Fatalf("runs below revision %d: %+v, want the previous release's %d", workflows.Revision, old, len(ids))
	}
	previous.Stop()
	firstRuns := map[string]string{}
	for _, r := range runs {
		firstRuns[r.WorkflowID] = r.RunID
	}

	// The release that retires changes runs now.
	current := s.inProcessWorker(c, queue, nil)
	defer current.Stop()
	rolled, failures := rollover.RollOver(ctx, s.client, rollover.Below(runs, int(workflows.Revision)), rollover.Options{PerSecond: 50, By: "operator"})
	if rolled != len(ids) || len(failures) > 0 {
		t.Fatalf("rolled over %d of %d: %v", rolled, len(ids), failures)
	}
	waitUntil(t, 30*time.Second, "every run to begin on this revision", func() bool {
		runs, err := rollover.Running(ctx, s.client, s.namespace)
		return err == nil && len(runs) == len(ids) && len(rollover.Below(runs, int(workflows.Revision))) == 0
	})
	// The previous release's runs, to their continue-as-new, and the runs
	// open now.
	before, after := s.histories(firstRuns), s.histories(map[string]string{ids[0]: "", ids[1]: "", ids[2]: ""})
	for id, h := range before {
		if last := h.Events[len(h.Events)-1]; last.GetWorkflowExecutionContinuedAsNewEventAttributes() == nil {
			t.Errorf("the rolled-over run of %s ends in %s, want continue-as-new", id, last.GetEventType())
		}
	}

	replay := func(histories map[string]*historypb.History) error {
		ring, err := payloadcodec.ParseKeyRing(testPayloadKeys)
		if err != nil {
			return err
		}
		dc, fc := payloadcodec.ClientOptionsWithDataKeys(ring, s.keyedStore().Vault())
		replayer, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
		if err != nil {
			return err
		}
		replayer.RegisterWorkflowWithOptions(workflows.Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
		for _, id := range slices.Sorted(maps.Keys(histories)) {
			opts := sdkworker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id, RunID: histories[id].Events[0].GetWorkflowExecutionStartedEventAttributes().GetOriginalExecutionRunId()}}
			if err := replayer.ReplayWorkflowHistoryWithOptions(quietLogger{}, histories[id], opts); err != nil {
				return err
			}
		}
		return nil
	}
	if err := replay(before); err != nil {
		t.Errorf("this code does not replay the previous release's histories: %v", err)
	}
	if err := workflows.ReplayAsIfRetiredBranchesDeleted(workflows.Revision, func() error { return replay(after) }); err != nil {
		t.Errorf("a history after the roll-over needs an old branch: %v", err)
	}
	if err := workflows.ReplayAsIfRetiredBranchesDeleted(workflows.Revision, func() error { return replay(before) }); err == nil {
		t.Error("the histories before the roll-over replay without the old branches: the test deletes nothing")
	}
	if dir := os.Getenv("ELKGEZIN_RECORD_HISTORIES"); dir != "" {
		for i, id := range ids {
			s.writeHistory(id, before[id], filepath.Join(dir, "rollover-before-"+strconv.Itoa(i+1)+".json"))
			s.writeHistory(id, after[id], filepath.Join(dir, "rollover-after-"+strconv.Itoa(i+1)+".json"))
		}
	}

	// The trajectories carry on, on this revision, to their closure.
	s.update(c, referredOnly, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseFamilyDeclined, By: "supervisor:test"})
	s.update(c, inSupport, trajectory.UpdateRecordVisit, trajectory.RecordVisit{By: "coach:test-coach"})
	s.update(c, inSupport, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: "coach:test-coach"})
	s.update(c, handedOver, trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1, By: "service"})
	s.update(c, handedOver, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseHandedOver, By: "coach:test-coach"})
	for _, id := range ids {
		s.waitCompleted(id)
		s.assertLogIsHistory(id)
	}
}

// testSecondsTimings are the timings of the test-seconds programme.
func testSecondsTimings(t *testing.T) trajectory.Timings {
	t.Helper()
	catalogue, err := programme.LoadDir("../deploy/programmes")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := catalogue.Get("test-seconds")
	if !ok {
		t.Fatal("no programme test-seconds")
	}
	return p.Timings()
}

// inProcessWorker runs a trajectory worker in the test's process, on its
// own task queue, with the stack's database and mail server; prefer makes
// it the code of an earlier release (nil: this one).
func (s *stack) inProcessWorker(c client.Client, queue string, prefer sdkworker.PreferredVersionProvider) sdkworker.Worker {
	s.t.Helper()
	catalogue, err := programme.LoadDir("../deploy/programmes")
	if err != nil {
		s.t.Fatal(err)
	}
	linkKeys, err := handoverlink.ParseKeys("", testLinkSecret)
	if err != nil {
		s.t.Fatal(err)
	}
	links, err := handoverlink.NewSigner(linkKeys...)
	if err != nil {
		s.t.Fatal(err)
	}
	st := s.keyedStore()
	w := sdkworker.New(c, queue, sdkworker.Options{PreferredVersionProvider: prefer})
	w.RegisterWorkflowWithOptions(workflows.Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
	w.RegisterActivity(&activities.Activities{
		Events: st, Ledger: st, From: "elkgezin@e2e.example", PublicBaseURL: "http://127.0.0.1", Links: links, Programmes: catalogue,
		Mail: mailer.NewSender(mailer.Config{Addr: s.smtp.Addr(), From: "elkgezin@e2e.example", Timeout: 5 * time.Second}),
	})
	if err := w.Start(); err != nil {
		s.t.Fatal(err)
	}
	return w
}

// startOn starts a trajectory of the test-seconds programme on a task
// queue of the test's, as the API does.
func (s *stack) startOn(c client.Client, queue, reference string, t trajectory.Timings) string {
	s.t.Helper()
	ref := trajectory.Referral{
		ProgrammeID: "test-seconds", Referrer: trajectory.Referrer{Organisation: "test-partner", Reference: reference},
		Family: trajectory.Family{ContactName: "Gezin Rol", Phone: "+32 470 11 22 33"}, Reason: "roll-over",
	}
	id := trajectory.ID(testIDKey, "test-seconds", "test-partner", reference)
	if _, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: queue}, trajectory.WorkflowName,
		trajectory.Start{TrajectoryID: id, ProgrammeID: "test-seconds", ProgrammeName: "Testprogramma", Timings: &t, Referral: ref}); err != nil {
		s.t.Fatal(err)
	}
	s.waitEvent(id, trajectory.EventReferred, 1, 30*time.Second)
	return id
}

// histories are the histories of runs, by trajectory id (an empty run id:
// the trajectory's current run).
func (s *stack) histories(runs map[string]string) map[string]*historypb.History {
	s.t.Helper()
	out := map[string]*historypb.History{}
	for id, run := range runs {
		out[id] = s.history(id, run)
	}
	return out
}
