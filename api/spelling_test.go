package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestRequestsSpellAsAnswers: at every route that takes a renamed field,
// the old name is a 400 that names the new one, the new name is taken
// and reaches the workflow, and a bad value under the new name is
// pointed at by its new name.
func TestRequestsSpellAsAnswers(t *testing.T) {
	next := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	born := inDays(-1)
	for _, tc := range []struct {
		step     string
		phase    trajectory.Phase
		old, new string
		good     string // a value the new name takes
		bad      string // a value of the right type that the rules refuse
		// got is the value the workflow received in the Update.
		got func(arg any) string
	}{
		{"intake", trajectory.PhaseCoachAssigned, "next_visit_due", "next_visit_due_at", next.Format(time.RFC3339), "morgen",
			func(arg any) string { return arg.(trajectory.RecordIntake).NextVisitDue.UTC().Format(time.RFC3339) }},
		{"visits", trajectory.PhaseInSupport, "next_visit_due", "next_visit_due_at", next.Format(time.RFC3339), "morgen",
			func(arg any) string { return arg.(trajectory.RecordVisit).NextVisitDue.UTC().Format(time.RFC3339) }},
		{"birth", trajectory.PhasePrenatal, "born_on", "birth_date", born, inDays(2),
			func(arg any) string { return arg.(trajectory.RecordBirth).BornOn.String() }},
	} {
		t.Run(tc.step+" "+tc.old, func(t *testing.T) {
			f := newFixture(t)
			f.store.add(openID, tc.phase)
			res := f.do(http.MethodPost, stepPath(tc.step), `{"`+tc.old+`":"`+tc.good+`"}`, authHeader, asFor(tc.step))
			checkFields(t, res, "unknown field", []string{tc.old})
			if len(res.err.Errors) != 1 || res.err.Errors[0].Pointer != "/"+tc.old ||
				!strings.Contains(res.err.Errors[0].Detail, "is now named "+tc.new) {
				t.Errorf("the old name is answered %s, want a problem at /%s that names %s", res.body, tc.old, tc.new)
			}
			if len(f.temporal.updates) != 0 {
				t.Error("a body with the old name reached the workflow")
			}
		})
		t.Run(tc.step+" "+tc.new, func(t *testing.T) {
			f := newFixture(t)
			f.store.add(openID, tc.phase)
			f.do(http.MethodPost, stepPath(tc.step), `{"`+tc.new+`":"`+tc.good+`"}`, authHeader, asFor(tc.step)).want(t, http.StatusOK)
			if len(f.temporal.updates) != 1 {
				t.Fatalf("%d updates, want the step's", len(f.temporal.updates))
			}
			if got := tc.got(f.temporal.updates[0].Args[0]); got != tc.good {
				t.Errorf("the workflow got %s = %s, want %s", tc.new, got, tc.good)
			}

			res := f.do(http.MethodPost, stepPath(tc.step), `{"`+tc.new+`":"`+tc.bad+`"}`, authHeader, asFor(tc.step))
			checkFields(t, res, "invalid "+tc.step, []string{tc.new})
			if len(res.err.Errors) != 1 || res.err.Errors[0].Pointer != "/"+tc.new {
				t.Errorf("a bad %s is answered %s, want a problem at /%s", tc.new, res.body, tc.new)
			}
		})
	}
}

// TestEventDetailSpellsAsRequests: the event log keeps the workflow's
// born_on and next_visit_due; answers show them as requests name them.
func TestEventDetailSpellsAsRequests(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhasePostnatal)
	at := time.Date(2025, 3, 4, 10, 30, 0, 0, time.UTC)
	f.store.mu.Lock()
	row := f.store.rows[openID]
	row.Events = append(row.Events,
		store.EventRow{Seq: 8, Kind: trajectory.EventIntakeDone, Actor: "coach:test-coach", At: at,
			Detail: map[string]string{"done_at": "2025-03-04T10:30:00Z", "next_visit_due": "2025-03-18T10:30:00Z"}},
		store.EventRow{Seq: 9, Kind: trajectory.EventBirthRecorded, Actor: "coach:test-coach", At: at.Add(time.Hour),
			Detail: map[string]string{"born_on": "2025-03-03", "follow_up_end": "2025-09-03T22:00:00Z"}})
	f.store.rows[openID] = row
	f.store.mu.Unlock()

	res := f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach)
	res.want(t, http.StatusOK)
	var tr Trajectory
	res.decode(t, &tr)
	want := map[int64]map[string]string{
		8: {"done_at": "2025-03-04T10:30:00Z", "next_visit_due_at": "2025-03-18T10:30:00Z"},
		9: {"birth_date": "2025-03-03", "follow_up_end": "2025-09-03T22:00:00Z"},
	}
	for _, e := range tr.Events {
		w, ok := want[e.Seq]
		if !ok {
			continue
		}
		delete(want, e.Seq)
		if len(e.Detail) != len(w) {
			t.Errorf("event %d has detail %v, want %v", e.Seq, e.Detail, w)
		}
		for k, v := range w {
			if e.Detail[k] != v {
				t.Errorf("event %d has detail %v, want %v", e.Seq, e.Detail, w)
			}
		}
	}
	if len(want) != 0 {
		t.Errorf("events %v not answered", want)
	}
	// The family's export shows the trajectory as GET does.
	export := f.do(http.MethodGet, "/v1/trajectories/"+openID+"/export", nil, authHeader, asCoach)
	export.want(t, http.StatusOK)
	for _, body := range [][]byte{res.body, export.body} {
		if strings.Contains(string(body), `"born_on"`) || strings.Contains(string(body), `"next_visit_due"`) ||
			!strings.Contains(string(body), `"birth_date":"2025-03-03"`) {
			t.Errorf("the answer holds an old name, or not the new: %s", body)
		}
	}
	if row.Events[len(row.Events)-1].Detail["born_on"] != "2025-03-03" {
		t.Error("answering changed the stored event's detail")
	}
}
