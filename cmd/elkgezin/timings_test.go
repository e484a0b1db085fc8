package main

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// fakeWorkflows answers Updates as Temporal would for one Update id per
// workflow: a repeated id is answered without being applied again.
type fakeWorkflows struct {
	applied map[string][]trajectory.AdoptTimings // by workflow id
	seen    map[string]bool                      // workflow id + Update id
	ids     []string                             // Update ids, in order
	errs    map[string]error                     // by workflow id
}

func (f *fakeWorkflows) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.ids = append(f.ids, o.UpdateID)
	if err := f.errs[o.WorkflowID]; err != nil {
		return nil, err
	}
	if o.UpdateName != trajectory.UpdateAdoptTimings {
		return nil, errors.New("unexpected update " + o.UpdateName)
	}
	if !f.seen[o.WorkflowID+" "+o.UpdateID] {
		f.seen[o.WorkflowID+" "+o.UpdateID] = true
		f.applied[o.WorkflowID] = append(f.applied[o.WorkflowID], o.Args[0].(trajectory.AdoptTimings))
	}
	return doneHandle{o}, nil
}

type doneHandle struct{ o client.UpdateWorkflowOptions }

func (h doneHandle) WorkflowID() string             { return h.o.WorkflowID }
func (h doneHandle) RunID() string                  { return "run" }
func (h doneHandle) UpdateID() string               { return h.o.UpdateID }
func (h doneHandle) Get(context.Context, any) error { return nil }

func TestAdoptTimings(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	st = st.WithKeys(keys.MustGenerate("test", keys.TestProgrammes...))
	p := programme.Programme{ID: "test-seconds", Name: "Testprogramma",
		AssignmentLimit: programme.Duration(20 * time.Second), IntakeDeadline: programme.Duration(40 * time.Second),
		HomeVisitCadence: programme.Duration(20 * time.Second), ReminderLead: programme.Duration(6 * time.Second),
		AlertGrace: programme.Duration(6 * time.Second)}
	other := p
	other.ID = "other-programme"
	refer := func(p programme.Programme, reference string, closed bool) string {
		ref := trajectory.Referral{ProgrammeID: p.ID, Referrer: trajectory.Referrer{Organisation: "test-partner", Reference: reference},
			Family: trajectory.Family{ContactName: "Gezin " + reference}, Reason: "test"}
		id := trajectory.ID(testIDKey, p.ID, "test-partner", reference)
		e := trajectory.ReferredEvent(id, p.ID, p.Timings(), ref, time.Now().Add(-time.Hour))
		if err := st.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if closed {
			c := e
			c.Seq, c.Cause, c.Kind, c.Referral, c.At = 2, "closed/update/c", trajectory.EventClosed, nil, e.At.Add(time.Minute)
			c.Summary.Phase = trajectory.PhaseClosed
			if err := st.RecordEvent(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	a, b, c := refer(p, "A", false), refer(p, "B", false), refer(p, "C", false)
	refer(p, "closed", true)
	refer(other, "elders", false)

	adoptPageSize = 2 // three running trajectories: two pages
	t.Cleanup(func() { adoptPageSize = store.MaxListLimit })
	wf := &fakeWorkflows{applied: map[string][]trajectory.AdoptTimings{}, seen: map[string]bool{},
		errs: map[string]error{c: serviceerror.NewNotFound("workflow execution already completed")}}
	var out bytes.Buffer
	if err := adoptTimings(ctx, st, wf, p, "Kortere intake.", &out); err != nil {
		t.Fatal(err)
	}
	if want := "programme test-seconds: 2 of 3 running trajectories adopted the current timings (0 refused, 1 ended meanwhile, 0 failed)\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	for _, id := range []string{a, b} {
		got := wf.applied[id]
		if len(got) != 1 || !reflect.DeepEqual(got[0].Timings, p.Timings()) || got[0].Reason != "Kortere intake." || got[0].By != adoptActor {
			t.Errorf("trajectory %s got %+v", id, got)
		}
	}
	if len(wf.applied) != 2 {
		t.Errorf("Updates reached %d trajectories, want 2: %v", len(wf.applied), wf.applied)
	}

	// Run again: the same Update ids, so nothing is applied twice.
	first := append([]string{}, wf.ids...)
	wf.ids = nil
	out.Reset()
	if err := adoptTimings(ctx, st, wf, p, "Nog eens.", &out); err != nil {
		t.Fatal(err)
	}
	if strings.Join(wf.ids, ",") != strings.Join(first, ",") {
		t.Errorf("second run's Update ids %v, first run's %v", wf.ids, first)
	}
	for _, id := range []string{a, b} {
		if n := len(wf.applied[id]); n != 1 {
			t.Errorf("trajectory %s adopted %d times", id, n)
		}
	}

	// New timings in the file: a new Update id. A refusal is counted, an
	// unreachable trajectory is an error once the others were tried.
	p.IntakeDeadline *= 2
	wf.ids = nil
	wf.errs[a] = temporal.NewNonRetryableApplicationError("the trajectory is closed", trajectory.ErrStepRejected, nil)
	wf.errs[b] = serviceerror.NewUnavailable("connection refused")
	delete(wf.errs, c)
	out.Reset()
	err = adoptTimings(ctx, st, wf, p, "Nog langer.", &out)
	if err == nil || !strings.Contains(err.Error(), "1 trajectories could not be reached") {
		t.Errorf("err = %v", err)
	}
	if wf.ids[0] == first[0] {
		t.Error("new timings were sent with the old Update id")
	}
	if len(wf.applied[c]) != 1 || wf.applied[c][0].Timings.IntakeDeadline != trajectory.Duration(p.IntakeDeadline) {
		t.Errorf("trajectory C got %+v", wf.applied[c])
	}
	if !strings.Contains(out.String(), a+": refused: the trajectory is closed") ||
		!strings.Contains(out.String(), "1 of 3 running trajectories adopted the current timings (1 refused, 0 ended meanwhile, 1 failed)") {
		t.Errorf("printed %q", out.String())
	}
}

func TestAdoptTimingsFlags(t *testing.T) {
	t.Setenv("PROGRAMMES_DIR", t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--programme is required"},
		{[]string{"--programme", "test-seconds"}, "--reason is required"},
		{[]string{"--programme", "test-seconds", "--reason", "x", "extra"}, `unexpected argument "extra"`},
	} {
		err := runAdoptTimings(t.Context(), testConfig(t, "check"), tc.args, &bytes.Buffer{}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

// testIDKey keys the trajectory ids of these tests.
var testIDKey = func() trajectory.IDKey {
	k, err := trajectory.ParseIDKey("nQlQsXRF6mWdnsDMs64Z7ser77llwM7L7Ozvwyj2Pa0=")
	if err != nil {
		panic(err)
	}
	return k
}()
