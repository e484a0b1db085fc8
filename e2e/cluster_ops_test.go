//go:build cluster

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/elkgezin/elkgezin/apiclient"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/worker"
)

// These tests run against a running deploy/cluster (deploy/cluster-test
// starts one and sets E2E_CLUSTER_*): its two workers, two APIs, Temporal
// Server on PostgreSQL and Mailpit, in the namespace elkgezin.

// clusterConverter decodes the cluster's payloads (its PAYLOAD_KEYS).
var clusterConverter converter.DataConverter

// clusterStack is a stack whose processes are the cluster's: its
// database (DATABASE_URL, set by deploy/cluster-test) and its keys.
func clusterStack(t *testing.T) (*stack, string) {
	t.Helper()
	dir := os.Getenv("E2E_CLUSTER_DIR")
	if dir == "" || os.Getenv("DATABASE_URL") == "" {
		t.Fatal("E2E_CLUSTER_DIR or DATABASE_URL is not set: run deploy/cluster-test")
	}
	ring, err := payloadcodec.ParseKeyRing(readTrim(t, filepath.Join(dir, "payload-keys")))
	if err != nil {
		t.Fatal(err)
	}
	programmes, _ := filepath.Abs("../deploy/programmes")
	s := &stack{t: t, namespace: "elkgezin", apiURL: os.Getenv("E2E_CLUSTER_API"), tokens: map[string]string{},
		env: append(os.Environ(), "PROGRAMMES_DIR="+programmes), dbURL: os.Getenv("DATABASE_URL"),
		progKeys: readTrim(t, filepath.Join(dir, "programme-keys"))}
	// Each trajectory's payloads are sealed under its own data key.
	opts := client.Options{HostPort: os.Getenv("E2E_TEMPORAL_ADDRESS"), Namespace: "elkgezin", Logger: quietLogger{}}
	opts.DataConverter, opts.FailureConverter = payloadcodec.ClientOptionsWithDataKeys(ring, s.keyedStore().Vault())
	clusterConverter = opts.DataConverter
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s.client = c
	return s, dir
}

// referMany starts n trajectories of test-seconds and takes each through
// assignment and intake.
func (s *stack) referMany(n int, prefix string) []string {
	s.t.Helper()
	var ids []string
	for i := range n {
		id := s.refer("partner:test-partner", apiclient.Referral{
			Programme: "test-seconds",
			Referrer:  apiclient.Referrer{Organisation: "test-partner", Reference: prefix + "-" + strconv.Itoa(i)},
			Family:    apiclient.Family{ContactName: "Cluster Testgezin", Phone: ptr("+32 470 00 00 09")},
			Reason:    "cluster test",
		})
		s.retryStep("supervisor:cluster-test", id, "assignment", map[string]any{"coach": "test-coach"}, time.Minute)
		s.retryStep("coach:test-coach", id, "intake", map[string]any{"next_visit_due_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, time.Minute)
		ids = append(ids, id)
	}
	return ids
}

// retryStep posts a step with one Idempotency-Key until it is taken or
// limit passes, as a client does while a worker or the server restarts;
// the key makes the retries one step. It returns how long it took.
func (s *stack) retryStep(actor, id, step string, body map[string]any, limit time.Duration) time.Duration {
	s.t.Helper()
	began := time.Now()
	key := map[string]string{"Idempotency-Key": "cluster-" + id + "-" + step + "-" + randomHex(s.t)}
	for {
		status, out, err := s.request(s.token(actor), "POST", "/v1/trajectories/"+id+"/"+step, body, key)
		if err == nil && status == http.StatusOK {
			return time.Since(began)
		}
		if time.Since(began) > limit {
			s.t.Fatalf("%s of %s not taken within %s: %d %v %v", step, id, limit, status, out, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (s *stack) waitCompletedWithin(id string, limit time.Duration) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if err := s.client.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		s.t.Fatalf("trajectory %s did not complete within %s: %v", id, limit, err)
	}
}

func pidOf(t *testing.T, dir, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitRestarted waits until the cluster's supervisor runs name again.
func waitRestarted(t *testing.T, dir, name string, old int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if pid := pidOf(t, dir, name); pid != old && syscall.Kill(pid, 0) == nil {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("%s was not restarted within %s", name, limit)
}

// TestClusterWorkerKillAndServerRestart kills one of the two workers with
// SIGKILL while trajectories take steps, then restarts the Temporal Server
// process, and finishes every trajectory: each step is applied once, in
// Temporal and in PostgreSQL, each email reached the mail server once.
func TestClusterWorkerKillAndServerRestart(t *testing.T) {
	s, dir := clusterStack(t)
	ids := s.referMany(4, "KILL-"+randomHex(t))

	worker := pidOf(t, dir, "worker-1")
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The other worker takes over: a workflow task stuck on the dead
	// worker's sticky queue moves on after its 5s schedule-to-start
	// timeout, an activity after its start-to-close timeout.
	for _, id := range ids {
		if took := s.retryStep("coach:test-coach", id, "visits", map[string]any{"next_visit_due_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, time.Minute); took > 30*time.Second {
			t.Errorf("the visit of %s took %s after a worker was killed", id, took)
		}
	}
	waitRestarted(t, dir, "worker-1", worker, time.Minute)

	server := pidOf(t, dir, "temporal")
	if err := syscall.Kill(server, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitRestarted(t, dir, "temporal", server, 2*time.Minute)
	for _, id := range ids {
		s.retryStep("coach:test-coach", id, "closure", map[string]any{"reason": "goals_reached"}, 2*time.Minute)
		s.waitCompletedWithin(id, time.Minute)
	}
	for _, id := range ids {
		s.checkOnce(id, map[string]int{"coach_assigned": 1, "intake_done": 1, "home_visit_done": 1, "closed": 1}, 4)
	}
	s.checkMailOnce(os.Getenv("E2E_CLUSTER_MAILPIT"))
}

// checkOnce asserts that each step is in PostgreSQL's event log and in the
// workflow's history exactly once.
func (s *stack) checkOnce(id string, kinds map[string]int, updates int) {
	s.t.Helper()
	ctx := context.Background()
	conn := s.db()
	defer conn.Close(ctx)
	for kind, want := range kinds {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM trajectory_events WHERE trajectory_id = $1 AND kind = $2`, id, kind).Scan(&n); err != nil {
			s.t.Fatal(err)
		}
		if n != want {
			s.t.Errorf("%s: %d %s events, want %d", id, n, kind, want)
		}
	}
	if n := len(s.historyEvents(id, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)); n != updates {
		s.t.Errorf("%s: %d accepted Updates in history, want %d", id, n, updates)
	}
}

func (s *stack) historyEvents(id string, kind enumspb.EventType) []*historypb.HistoryEvent {
	s.t.Helper()
	var out []*historypb.HistoryEvent
	iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			s.t.Fatal(err)
		}
		if e.GetEventType() == kind {
			out = append(out, e)
		}
	}
	return out
}

// checkMailOnce asserts that the mail server received no Message-ID twice:
// the ledger's stable ids make a resent email visible as a duplicate.
func (s *stack) checkMailOnce(mailpit string) {
	s.t.Helper()
	resp, err := http.Get(mailpit + "/api/v1/messages?limit=5000")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Messages []struct{ MessageID, Subject string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		s.t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range list.Messages {
		if seen[m.MessageID] {
			s.t.Errorf("email %q (%s) reached the mail server twice", m.Subject, m.MessageID)
		}
		seen[m.MessageID] = true
	}
	if len(seen) == 0 {
		s.t.Error("no email reached Mailpit")
	}
}

// TestClusterUpgrade starts trajectories on the running version N, rolls
// the cluster to a build N+1 with a change behind workflow.GetVersion
// (the upgradetest tag), one process at a time, and finishes them: they
// auto-upgraded to N+1, which recorded the change, and none failed a task.
// The rollout took its steps in order, N+1 polled every queue the rollout
// waited for, and N was drained before its last worker moved.
func TestClusterUpgrade(t *testing.T) {
	s, dir := clusterStack(t)
	from := readTrim(t, filepath.Join(dir, "build-id"))
	to := from + "-probe"
	ids := s.referMany(3, "UPG-"+randomHex(t))

	cmd := exec.Command("../deploy/cluster", "upgrade")
	cmd.Env = append(os.Environ(), "CLUSTER_DIR="+dir, "CLUSTER_BUILD_TAGS=upgradetest", "CLUSTER_BUILD_ID="+to)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("deploy/cluster upgrade: %v\n%s", err, out)
	}
	if got := readTrim(t, filepath.Join(dir, "build-id")); got != to {
		t.Fatalf("current version %s after the upgrade, want %s", got, to)
	}
	checkRolloutSteps(t, out, from, to)
	checkVersions(t, s.client, from, to)
	for _, id := range ids {
		s.retryStep("coach:test-coach", id, "visits", map[string]any{"next_visit_due_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, time.Minute)
		s.retryStep("coach:test-coach", id, "closure", map[string]any{"reason": "goals_reached"}, time.Minute)
		s.waitCompletedWithin(id, time.Minute)
	}
	for _, id := range ids {
		tasks := s.historyEvents(id, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
		first := tasks[0].GetWorkflowTaskCompletedEventAttributes().GetDeploymentVersion().GetBuildId()
		last := tasks[len(tasks)-1].GetWorkflowTaskCompletedEventAttributes().GetDeploymentVersion().GetBuildId()
		if first != from || last != to {
			t.Errorf("%s: first workflow task on %q, last on %q; want %s then %s", id, first, last, from, to)
		}
		if n := len(s.historyEvents(id, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED)); n > 0 {
			t.Errorf("%s: %d failed workflow tasks (non-determinism?)", id, n)
		}
		if !s.hasVersionMarker(id, "upgrade-probe") {
			t.Errorf("%s: N+1 did not record its patched change", id)
		}
		s.checkOnce(id, map[string]int{"intake_done": 1, "home_visit_done": 1, "closed": 1}, 4)
	}
}

// checkRolloutSteps finds elkgezin rollout's log lines in the upgrade's
// output: each step once, in the order that leaves no queue unpolled.
func checkRolloutSteps(t *testing.T, out []byte, from, to string) {
	t.Helper()
	var steps []string
	for _, line := range strings.Split(string(out), "\n") {
		var l struct{ Msg, Step, From, To string }
		if json.Unmarshal([]byte(line), &l) != nil || l.Msg != "rollout" {
			continue
		}
		if l.From != from || l.To != to {
			t.Errorf("rollout step %s from %q to %q, want from %s to %s", l.Step, l.From, l.To, from, to)
		}
		steps = append(steps, l.Step)
	}
	if want := []string{"start", "polled", "current", "drained", "retire"}; !slices.Equal(steps, want) {
		t.Errorf("rollout steps %q, want %q\n%s", steps, want, out)
	}
}

// checkVersions asks the Temporal Server: N+1 is current and polls exactly
// the queues a rollout waits for (worker.Queues), N is drained.
func checkVersions(t *testing.T, c client.Client, from, to string) {
	t.Helper()
	ctx := context.Background()
	h := c.WorkerDeploymentClient().GetHandle("elkgezin")
	desc, err := h.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := desc.Info.RoutingConfig.CurrentVersion; v == nil || v.BuildID != to {
		t.Errorf("current version %+v, want %s", v, to)
	}
	next, err := h.DescribeVersion(ctx, client.WorkerDeploymentDescribeVersionOptions{BuildID: to})
	if err != nil {
		t.Fatal(err)
	}
	got := next.Info.TaskQueuesInfos
	same := len(got) == len(worker.Queues)
	for _, q := range worker.Queues {
		same = same && slices.Contains(got, q)
	}
	if !same {
		t.Errorf("version %s polls %+v, want %+v", to, got, worker.Queues)
	}
	old, err := h.DescribeVersion(ctx, client.WorkerDeploymentDescribeVersionOptions{BuildID: from})
	if err != nil {
		t.Fatal(err)
	}
	if d := old.Info.DrainageInfo; d == nil || d.DrainageStatus != client.WorkerDeploymentVersionDrainageStatusDrained {
		t.Errorf("version %s after the upgrade: drainage %+v, want drained", from, d)
	}
}

// hasVersionMarker says whether the history holds a GetVersion marker of
// change id (its details are payloads, encrypted by the codec).
func (s *stack) hasVersionMarker(id, change string) bool {
	s.t.Helper()
	dc := clusterConverter
	for _, e := range s.historyEvents(id, enumspb.EVENT_TYPE_MARKER_RECORDED) {
		a := e.GetMarkerRecordedEventAttributes()
		if a.GetMarkerName() != "Version" {
			continue
		}
		var got string
		if p := a.GetDetails()["change-id"]; p != nil && dc.FromPayloads(p, &got) == nil && got == change {
			return true
		}
	}
	return false
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
