package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestCoWorkerTakesOnlyItsRolesSteps: a co-worker signs in with a token
// of their own; they see and act on a trajectory once the read model lists
// them beside the coach, and not before (404, as for a trajectory that
// does not exist), and take only the steps the programme gives their role
// (403 for the others). Their steps are theirs in the log.
func TestCoWorkerTakesOnlyItsRolesSteps(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	_, token, err := w.store.CreateToken(ctx, store.TokenCoWorker, "test-brugfiguur", []string{"test-seconds"}, "co-worker")
	if err != nil {
		t.Fatal(err)
	}
	w.tokens["co-worker"] = token
	path := "/v1/trajectories/" + w.mine
	visit := `{"note":"Contact aan de schoolpoort."}`
	if status, _ := w.do(t, "co-worker", http.MethodGet, path, ""); status != http.StatusNotFound {
		t.Fatalf("before the assignment the co-worker gets %d, want 404", status)
	}
	if status, _ := w.do(t, "co-worker", http.MethodPost, path+"/visits", visit); status != http.StatusNotFound {
		t.Fatalf("before the assignment the co-worker records a visit: %d, want 404", status)
	}
	if status, body := w.do(t, "co-worker", http.MethodGet, "/v1/trajectories", ""); status != http.StatusOK || strings.Contains(string(body), w.mine) {
		t.Fatalf("before the assignment the co-worker's list: %d %s, want 200 without the trajectory", status, body)
	}
	row, err := w.store.Trajectory(ctx, w.mine)
	if err != nil {
		t.Fatal(err)
	}
	e := trajectory.Event{TrajectoryID: w.mine, Seq: 3, Kind: trajectory.EventCoWorkerAssigned, Actor: "supervisor:x", At: row.UpdatedAt,
		Detail: map[string]string{"co_worker": "test-brugfiguur", "role": "brugfiguur"},
		Summary: trajectory.Summary{ProgrammeID: "test-seconds", ReferrerOrg: row.ReferrerOrg, Phase: row.Phase, CoachID: row.CoachID,
			ReferredAt: row.ReferredAt, CoWorkers: []string{"test-brugfiguur"}}}
	if err := w.store.RecordEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	w.temporal.state = trajectory.State{TrajectoryID: w.mine, ProgrammeID: "test-seconds", Phase: row.Phase, CoachID: row.CoachID,
		CoWorkers: []trajectory.CoWorker{{ID: "test-brugfiguur", Role: "brugfiguur"}}}
	if status, body := w.do(t, "co-worker", http.MethodGet, path, ""); status != http.StatusOK || !strings.Contains(string(body), `"co_workers":[{"id":"test-brugfiguur","role":"brugfiguur"}]`) {
		t.Errorf("the co-worker gets %d %s, want 200 with the co-workers", status, body)
	}
	if status, body := w.do(t, "co-worker", http.MethodGet, "/v1/trajectories", ""); status != http.StatusOK || !strings.Contains(string(body), w.mine) {
		t.Errorf("the co-worker's list: %d %s, want 200 with the trajectory", status, body)
	}
	// The programme file describes no role: a bridge figure records a
	// visit (a contact) and a consultation, nothing else.
	if status, body := w.do(t, "co-worker", http.MethodPost, path+"/visits", visit); status != http.StatusOK {
		t.Errorf("the co-worker records a visit: %d %s", status, body)
	}
	if n := len(w.temporal.updates); n == 0 {
		t.Fatal("no Update sent for the co-worker's visit")
	} else if req, ok := w.temporal.updates[n-1].Args[0].(trajectory.RecordVisit); !ok || req.By != "co_worker:test-brugfiguur" {
		t.Errorf("the visit's Update: %#v, want By co_worker:test-brugfiguur", w.temporal.updates[n-1].Args[0])
	}
	status, body := w.do(t, "co-worker", http.MethodPost, path+"/milestones/opleiding_gestart", `{}`)
	if status != http.StatusForbidden || !strings.Contains(string(body), "Brugfiguur may not record a milestone") || !strings.Contains(string(body), "record a home visit") {
		t.Errorf("the co-worker records a milestone its role is not given: %d %s, want 403 naming the role's steps", status, body)
	}
	// Steps no co-worker takes are refused whatever the trajectory.
	for _, step := range []string{"/birth", "/intake", "/closure", "/assignment"} {
		if status, body := w.do(t, "co-worker", http.MethodPost, path+step, `{}`); status != http.StatusForbidden {
			t.Errorf("the co-worker POSTs %s: %d %s, want 403", step, status, body)
		}
	}
	if status, body := w.do(t, "co-worker", http.MethodPost, "/v1/consultations", `{"programme":"test-seconds","organisation":"test-partner","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`); status != http.StatusCreated {
		t.Errorf("the co-worker records a consultation: %d %s", status, body)
	}
	if status, _ := w.do(t, "coach-b", http.MethodGet, path, ""); status != http.StatusNotFound {
		t.Errorf("another coach sees the trajectory: %d", status)
	}
	// A coach token for the co-worker's id gives nothing: they are no coach.
	_, coachToken, err := w.store.CreateToken(ctx, store.TokenCoach, "test-brugfiguur", []string{"test-seconds"}, "wrong kind")
	if err != nil {
		t.Fatal(err)
	}
	w.tokens["co-worker-as-coach"] = coachToken
	if status, _ := w.do(t, "co-worker-as-coach", http.MethodGet, path, ""); status != http.StatusNotFound {
		t.Errorf("a coach token of the co-worker sees the trajectory: %d, want 404", status)
	}
}

// TestConsultationRefusesPersonalData: a consultation is anonymous.
func TestConsultationRefusesPersonalData(t *testing.T) {
	w := newWorld(t)
	for _, body := range []string{
		`{"programme":"test-seconds","situation":"Mama belt op 0470 12 34 56.","advice":"x"}`,
		`{"programme":"test-seconds","situation":"Schrijf naar mama@example.org.","advice":"x"}`,
		`{"programme":"test-seconds","situation":"Een vraag.","advice":"x","name":"Yasmina"}`,
	} {
		if status, resp := w.do(t, "partner", http.MethodPost, pathConsultations, body); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, status, resp)
		}
	}
}
