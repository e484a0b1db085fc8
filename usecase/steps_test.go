package usecase

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
)

// TestStepTable: every step of the table is whole (a name, an audit
// action, who may take it, an API route, a Dutch title and result, an
// English phrase for the 403) and found again by its name, its Update and
// its route; no two steps share any of these.
func TestStepTable(t *testing.T) {
	seen := map[string]string{}
	once := func(what, v, step string) {
		if other, dup := seen[what+" "+v]; dup {
			t.Errorf("steps %s and %s share the %s %q", other, step, what, v)
		}
		seen[what+" "+v] = step
	}
	for _, s := range Steps {
		if s.Name == "" || s.Action == "" || len(s.Kinds) == 0 || s.Route == "" || s.Title == "" || s.Doing == "" || s.Done == "" {
			t.Errorf("step %+v is not whole", s)
		}
		// A step adds to a trajectory (POST), replaces a part of it agreed
		// as a whole (PUT: the family plan), or ends something (DELETE: the
		// family's link).
		if !strings.HasPrefix(s.Route, "POST /v1/") && !strings.HasPrefix(s.Route, "PUT /v1/") && !strings.HasPrefix(s.Route, "DELETE /v1/") {
			t.Errorf("step %s: route %q is no POST, PUT or DELETE of the API", s.Name, s.Route)
		}
		once("name", s.Name, s.Name)
		once("action", s.Action, s.Name)
		once("route", s.Route, s.Name)
		if s.Update != "" {
			once("update", s.Update, s.Name)
			if got, ok := StepOfUpdate(s.Update); !ok || got.Name != s.Name {
				t.Errorf("StepOfUpdate(%q) = %s, %v", s.Update, got.Name, ok)
			}
		}
		if got, ok := StepNamed(s.Name); !ok || got.Route != s.Route {
			t.Errorf("StepNamed(%q) = %+v, %v", s.Name, got, ok)
		}
		if got, ok := StepOfRoute(s.Route); !ok || got.Name != s.Name {
			t.Errorf("StepOfRoute(%q) = %s, %v", s.Route, got.Name, ok)
		}
		for _, k := range s.Kinds {
			if !slices.Contains([]string{KindPartner, KindCoach, KindSupervisor, KindCoWorker, KindAdmin}, k) {
				t.Errorf("step %s: unknown kind %q", s.Name, k)
			}
		}
	}
	if _, ok := StepNamed("nergens"); ok {
		t.Error("StepNamed finds a step that is not in the table")
	}
	if _, ok := StepOfUpdate(""); ok {
		t.Error("StepOfUpdate finds a step for no Update")
	}
}

// TestCoWorkerStepsAreTheTables: the steps a programme file may give a
// co-worker role (programme.CoWorkerSteps, which the loader checks) are
// exactly the steps of the table a co-worker may take.
func TestCoWorkerStepsAreTheTables(t *testing.T) {
	var table []string
	for _, s := range Steps {
		if slices.Contains(s.Kinds, KindCoWorker) {
			table = append(table, s.Name)
		}
	}
	got := slices.Sorted(slices.Values(programme.CoWorkerSteps))
	slices.Sort(table)
	if !slices.Equal(got, table) {
		t.Errorf("programme.CoWorkerSteps %v, the table's co-worker steps %v", got, table)
	}
	for _, name := range programme.DefaultCoWorkerSteps {
		if !slices.Contains(table, name) {
			t.Errorf("default co-worker step %q is no co-worker step of the table", name)
		}
	}
}

// TestStepAllows: a kind the step does not list may not take it; a
// co-worker takes only the steps the programme gives their role (the
// default ones when the file describes no role), in a programme that
// lists them.
func TestStepAllows(t *testing.T) {
	prog := programme.Programme{ID: "p",
		CoWorkers: []programme.CoWorker{
			{ID: "brug", Role: "brugfiguur"},
			{ID: "ervaring", Role: "ervaringsdeskundige"},
		},
		CoWorkerRoles: []programme.CoWorkerRole{{Role: "ervaringsdeskundige", Name: "Ervaringsdeskundige", Steps: []string{StepConsultation}}},
	}
	step := func(name string) Step {
		s, ok := StepNamed(name)
		if !ok {
			t.Fatalf("no step %s", name)
		}
		return s
	}
	for _, c := range []struct {
		p    Principal
		step string
		want bool
	}{
		{Principal{Kind: KindCoach, ID: "c"}, StepVisit, true},
		{Principal{Kind: KindCoach, ID: "c"}, StepAssign, false},
		{Principal{Kind: KindSupervisor, ID: "s"}, StepAssign, true},
		{Principal{Kind: KindPartner, ID: "org"}, StepVisit, false},
		{Principal{Kind: KindCoWorker, ID: "brug"}, StepVisit, true},        // default role steps
		{Principal{Kind: KindCoWorker, ID: "brug"}, StepConsultation, true}, // default role steps
		{Principal{Kind: KindCoWorker, ID: "brug"}, StepMilestone, false},   // not given by default
		{Principal{Kind: KindCoWorker, ID: "brug"}, StepClose, false},       // no co-worker's
		{Principal{Kind: KindCoWorker, ID: "ervaring"}, StepConsultation, true},
		{Principal{Kind: KindCoWorker, ID: "ervaring"}, StepVisit, false},      // the file gives only consultations
		{Principal{Kind: KindCoWorker, ID: "nobody"}, StepConsultation, false}, // not a co-worker of the programme
	} {
		if got := step(c.step).Allows(c.p, prog); got != c.want {
			t.Errorf("%s takes %s: %v, want %v", c.p.Actor(), c.step, got, c.want)
		}
	}
	cases := Cases{Programmes: programme.Catalogue{"p": prog}}
	err := cases.MayTake(Principal{Kind: KindCoWorker, ID: "ervaring"}, step(StepVisit), "p")
	var denied *StepDeniedError
	if !errors.As(err, &denied) || denied.Role != "Ervaringsdeskundige" || !slices.Equal(denied.Given, []string{StepConsultation}) {
		t.Errorf("MayTake: %v, want a StepDeniedError naming the role and its steps", err)
	}
}

// TestCoWorkerAccess: a co-worker sees and acts on the trajectories they
// are assigned to in their programmes, and no other; a coach token of a
// co-worker's id is no co-worker's.
func TestCoWorkerAccess(t *testing.T) {
	p := Principal{Kind: KindCoWorker, ID: "brug", Programmes: []string{"p"}}
	assigned := summary("p", "coach", "brug")
	if !MayAccess(p, assigned) {
		t.Error("the co-worker may not act on the trajectory they are assigned to")
	}
	if MayAccess(p, summary("p", "coach")) {
		t.Error("the co-worker acts on a trajectory they are not assigned to")
	}
	if MayAccess(p, summary("q", "coach", "brug")) {
		t.Error("the co-worker acts on a trajectory of a programme not theirs")
	}
	if MayAccess(Principal{Kind: KindCoach, ID: "brug", Programmes: []string{"p"}}, assigned) {
		t.Error("a coach token of the co-worker's id acts as the co-worker")
	}
	cat := programme.Catalogue{"p": {ID: "p", CoWorkers: []programme.CoWorker{{ID: "brug", Role: "brugfiguur"}}}, "q": {ID: "q"}}
	if got := Scope(cat, Principal{Kind: KindCoWorker, ID: "brug", Programmes: []string{"p", "q"}}); !slices.Equal(got.Programmes, []string{"p"}) {
		t.Errorf("Scope keeps %v, want the programme that lists the co-worker", got.Programmes)
	}
	if got := Scope(cat, Principal{Kind: KindCoach, ID: "brug", Programmes: []string{"p"}}); len(got.Programmes) != 0 {
		t.Errorf("Scope keeps %v for a coach token of a co-worker", got.Programmes)
	}
	if f := Filter(p, store.Filter{}); f.CoWorkerID != "brug" || f.CoachID != "" || !slices.Equal(f.ProgrammeIDs, []string{"p"}) {
		t.Errorf("Filter: %+v", f)
	}
}

func summary(prog, coach string, coWorkers ...string) store.TrajectorySummary {
	return store.TrajectorySummary{ID: "tr-x", ProgrammeID: prog, CoachID: coach, CoWorkers: coWorkers}
}
