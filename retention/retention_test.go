package retention

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// temporalClient is a client of the Temporal dev server (bin/temporal)
// that TestMain starts for the package: erasures end workflows there, and
// the schedule is made there.
var temporalClient client.Client

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	server, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: "../bin/temporal",
		LogLevel:     "error",
		ExtraArgs:    []string{"--dynamic-config-value", "frontend.enableServerVersionCheck=false"},
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "retention tests: start the Temporal dev server (make bin/temporal):", err)
		os.Exit(1)
	}
	temporalClient = server.Client()
	code := m.Run()
	_ = server.Stop()
	os.Exit(code)
}

var idKey = func() trajectory.IDKey {
	k, err := trajectory.ParseIDKey("nQlQsXRF6mWdnsDMs64Z7ser77llwM7L7Ozvwyj2Pa0=")
	if err != nil {
		panic(err)
	}
	return k
}()

// year is p1's retention_after_closure; p2 keeps its data.
const year = 365 * 24 * time.Hour

var programmes = programme.Catalogue{
	"p1": {ID: "p1", RetentionAfterClosure: programme.Duration(year)},
	"p2": {ID: "p2"},
}

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st.WithKeys(keys.MustGenerate("test", "p1", "p2"))
}

// closeAt records a trajectory of programmeID referred at `at` and closed
// an hour later, with its data key, and returns its id.
func closeAt(t *testing.T, st *store.Store, programmeID, reference string, at time.Time) string {
	t.Helper()
	r := trajectory.Referral{
		ProgrammeID: programmeID,
		Referrer:    trajectory.Referrer{Organisation: "org", Reference: reference},
		Family:      trajectory.Family{ContactName: "Family " + reference, Phone: "+32 470 00 00 00", Language: "nl"},
		Reason:      "reason",
	}
	p := programme.Programme{ID: programmeID, AssignmentLimit: programme.Duration(48 * time.Hour)}
	referred := trajectory.ReferredEvent(trajectory.ID(idKey, programmeID, "org", reference), p.ID, p.Timings(), r, at)
	closed := trajectory.Event{TrajectoryID: referred.TrajectoryID, Seq: referred.Seq + 1, Kind: trajectory.EventClosed,
		Actor: "coach:an", At: at.Add(time.Hour), Summary: referred.Summary}
	closed.Summary.Phase = trajectory.PhaseClosed
	for _, e := range []trajectory.Event{referred, closed} {
		if err := st.RecordEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	return referred.TrajectoryID
}

// fixture is a database with n trajectories of p1 past its retention
// (their ids sorted), and three that must stay: one of p1 closed lately,
// one of p2 (no retention), one of p1 still open.
func fixture(t *testing.T, n int) (st *store.Store, expired, kept []string) {
	t.Helper()
	st = newStore(t)
	longAgo := time.Now().Add(-2 * year)
	for i := range n {
		expired = append(expired, closeAt(t, st, "p1", fmt.Sprintf("OLD-%d", i), longAgo))
	}
	slices.Sort(expired)
	kept = []string{closeAt(t, st, "p1", "RECENT", time.Now().Add(-48*time.Hour)), closeAt(t, st, "p2", "NO-RETENTION", longAgo)}
	open := trajectory.ReferredEvent(trajectory.ID(idKey, "p1", "org", "OPEN"), (programme.Programme{ID: "p1"}).ID, (programme.Programme{ID: "p1"}).Timings(),
		trajectory.Referral{ProgrammeID: "p1", Referrer: trajectory.Referrer{Organisation: "org", Reference: "OPEN"},
			Family: trajectory.Family{ContactName: "Family OPEN", Language: "nl"}, Reason: "reason"}, longAgo)
	if err := st.RecordEvent(t.Context(), open); err != nil {
		t.Fatal(err)
	}
	return st, expired, append(kept, open.TrajectoryID)
}

// checkErased fails unless exactly the expired trajectories are erased,
// each with one audit entry by retention, and the kept ones are readable.
func checkErased(t *testing.T, st *store.Store, expired, kept []string) {
	t.Helper()
	for _, id := range expired {
		if _, err := st.Vault().Key(t.Context(), id); !errors.Is(err, keys.ErrErased) {
			t.Errorf("%s past its retention: %v; want it erased", id, err)
		}
		entries, err := st.AuditEntries(t.Context(), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if e.Action == ActionErase && e.Actor == Actor && e.Detail["key_destroyed"] == "true" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s has %d erasure entries by %s, want 1", id, n, Actor)
		}
	}
	for _, id := range kept {
		if _, err := st.Vault().Key(t.Context(), id); err != nil {
			t.Errorf("%s within its retention (or without one): %v; want its key", id, err)
		}
	}
}

func newEnv(t *testing.T, acts *Activities) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger{t})
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Workflow, workflow.RegisterOptions{Name: WorkflowName})
	env.RegisterActivity(acts)
	return env
}

// pages counts the ErasePage attempts that started and lists the sizes
// (Seen) of the pages that completed.
func pages(env *testsuite.TestWorkflowEnvironment) (started *atomic.Int32, sizes func() []int) {
	started = new(atomic.Int32)
	var mu sync.Mutex
	var seen []int
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "ErasePage" {
			started.Add(1)
		}
	})
	env.SetOnActivityCompletedListener(func(info *activity.Info, result converter.EncodedValue, err error) {
		var p Page
		if info.ActivityType.Name == "ErasePage" && err == nil && result.Get(&p) == nil {
			mu.Lock()
			seen = append(seen, p.Seen)
			mu.Unlock()
		}
	})
	return started, func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(seen) }
}

// quietLogger passes on only warnings and errors: the SDK's debug lines
// would bury a failing test's own output.
type quietLogger struct{ t testing.TB }

func (quietLogger) Debug(string, ...any)          {}
func (quietLogger) Info(string, ...any)           {}
func (l quietLogger) Warn(msg string, kv ...any)  { l.t.Log(append([]any{"WARN", msg}, kv...)...) }
func (l quietLogger) Error(msg string, kv ...any) { l.t.Log(append([]any{"ERROR", msg}, kv...)...) }

func TestRetentionErasesMoreThanAPage(t *testing.T) {
	st, expired, kept := fixture(t, 7)
	env := newEnv(t, &Activities{Eraser: Eraser{Temporal: temporalClient, Store: st}, Programmes: programmes, PageSize: 3})
	started, sizes := pages(env)
	env.ExecuteWorkflow(WorkflowName, Progress{})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var n int
	if err := env.GetWorkflowResult(&n); err != nil || n != 7 {
		t.Errorf("result %d, %v; want 7 erased", n, err)
	}
	if n, got := started.Load(), sizes(); n != 3 || !slices.Equal(got, []int{3, 3, 1}) {
		t.Errorf("%d pages started, of sizes %v; want 3, 3, 1", n, got)
	}
	checkErased(t, st, expired, kept)
}

// A run that is told to continue as new hands its progress to the next:
// the chain erases every page once.
func TestRetentionContinuesAsNewWithItsProgress(t *testing.T) {
	st, expired, kept := fixture(t, 7)
	acts := &Activities{Eraser: Eraser{Temporal: temporalClient, Store: st}, Programmes: programmes, PageSize: 3}
	from, runs := Progress{}, 0
	for ; runs < 5; runs++ {
		env := newEnv(t, acts)
		env.SetContinueAsNewSuggested(true)
		env.ExecuteWorkflow(WorkflowName, from)
		var can *workflow.ContinueAsNewError
		if err := env.GetWorkflowError(); !errors.As(err, &can) {
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := env.GetWorkflowResult(&n); err != nil || n != 7 {
				t.Errorf("the last run's result %d, %v; want 7 over the chain", n, err)
			}
			break
		}
		var next Progress
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatal(err)
		}
		if want := min(3*(runs+1), 7); next.Erased != want || next.After != expired[want-1] {
			t.Errorf("run %d hands on %+v; want %d erased, after %s", runs+1, next, want, expired[want-1])
		}
		from = next
	}
	if runs != 2 {
		t.Errorf("the chain ended in run %d, want the third (pages of 3, 3, 1)", runs+1)
	}
	checkErased(t, st, expired, kept)
}

// crashOnce is the dev server's client whose third termination panics,
// once, as a worker that dies in the middle of a page.
type crashOnce struct {
	client.Client
	calls atomic.Int32
}

func (c *crashOnce) TerminateWorkflow(ctx context.Context, id, runID, reason string, details ...any) error {
	if c.calls.Add(1) == 3 {
		panic("the worker dies in the middle of a page")
	}
	return c.Client.TerminateWorkflow(ctx, id, runID, reason, details...)
}

// A page that fails after two erasures is retried from its heartbeat: the
// retry erases the page's other three, not five more, the count goes on
// from two, and nothing is audited twice.
func TestARetriedPageResumesFromItsHeartbeat(t *testing.T) {
	st, expired, kept := fixture(t, 7)
	env := newEnv(t, &Activities{Eraser: Eraser{Temporal: &crashOnce{Client: temporalClient}, Store: st}, Programmes: programmes, PageSize: 5})
	started, sizes := pages(env)
	var resumedAfter atomic.Value
	env.SetOnActivityStartedListener(func(info *activity.Info, ctx context.Context, _ converter.EncodedValues) {
		started.Add(1)
		var p Page
		if info.Attempt == 2 && activity.GetHeartbeatDetails(ctx, &p) == nil {
			resumedAfter.Store(p)
		}
	})
	env.ExecuteWorkflow(WorkflowName, Progress{})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := env.GetWorkflowResult(&n); err != nil || n != 7 {
		t.Errorf("result %d, %v; want 7: a retry that started the page over would count 5", n, err)
	}
	if p, _ := resumedAfter.Load().(Page); p.After != expired[1] || p.Seen != 2 || p.Erased != 2 {
		t.Errorf("the second attempt resumed from %+v; want after %s with 2 seen and erased", p, expired[1])
	}
	if n, got := started.Load(), sizes(); n != 3 || !slices.Equal(got, []int{5, 2}) {
		t.Errorf("%d attempts started, pages of sizes %v; want 3 attempts, pages of 5 (over two attempts) and 2", n, got)
	}
	checkErased(t, st, expired, kept)
}

// A run begun before pages (no version marker in its history) still runs
// its one EraseExpired, which erases every page.
func TestARunBegunBeforePagesErasesInOneActivity(t *testing.T) {
	st, expired, kept := fixture(t, 4)
	env := newEnv(t, &Activities{Eraser: Eraser{Temporal: temporalClient, Store: st}, Programmes: programmes, PageSize: 3})
	env.OnGetVersion(pagesChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	var types []string
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		types = append(types, info.ActivityType.Name)
	})
	env.ExecuteWorkflow(WorkflowName, Progress{})
	var n int
	if err := env.GetWorkflowResult(&n); err != nil || n != 4 || !slices.Equal(types, []string{"EraseExpired"}) {
		t.Errorf("result %d, %v, activities %v; want 4 erased by one EraseExpired", n, err, types)
	}
	checkErased(t, st, expired, kept)
}

func TestEnsureScheduleSetsTheOverlapPolicy(t *testing.T) {
	ctx := t.Context()
	sc := temporalClient.ScheduleClient()
	// A schedule as an older worker left it: another interval, no policy.
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:     ScheduleID,
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: 2 * time.Hour}}},
		Paused: true,
		Action: &client.ScheduleWorkflowAction{ID: ScheduleID + "-run", Workflow: WorkflowName, TaskQueue: trajectory.TaskQueue},
		// ALLOW_ALL, so that the test sees the update, not the server's default.
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := sc.GetHandle(ctx, ScheduleID)
	t.Cleanup(func() { _ = h.Delete(context.Background()) })

	for _, step := range []string{"updated", "ensured again"} {
		if err := EnsureSchedule(ctx, temporalClient, time.Hour); err != nil {
			t.Fatal(err)
		}
		d, err := h.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := d.Schedule
		if s.Policy == nil || s.Policy.Overlap != Overlap {
			t.Errorf("%s: overlap policy %v, want %v", step, s.Policy, Overlap)
		}
		if len(s.Spec.Intervals) != 1 || s.Spec.Intervals[0].Every != time.Hour {
			t.Errorf("%s: intervals %+v, want every hour", step, s.Spec.Intervals)
		}
		if a, ok := s.Action.(*client.ScheduleWorkflowAction); !ok || a.WorkflowExecutionTimeout != RunTimeout || a.Workflow != WorkflowName {
			t.Errorf("%s: action %+v, want %s with a run timeout of %v", step, s.Action, WorkflowName, RunTimeout)
		}
	}

	// A new namespace's schedule is made with the policy.
	if err := h.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if err := EnsureSchedule(ctx, temporalClient, time.Hour); err != nil {
		t.Fatal(err)
	}
	if d, err := h.Describe(ctx); err != nil || d.Schedule.Policy == nil || d.Schedule.Policy.Overlap != Overlap {
		t.Errorf("created: %v; want overlap %v", err, Overlap)
	}
}
