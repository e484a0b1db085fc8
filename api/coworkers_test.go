package api

import (
	"net/http"
	"strings"
	"testing"

	"elkgezin/store"
	"elkgezin/trajectory"
)

// TestCoWorkerSeesAndActsLikeTheCoach: a co-worker's coach token sees and
// acts on the trajectory once the read model lists them beside the coach,
// and not before.
func TestCoWorkerSeesAndActsLikeTheCoach(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	_, token, err := w.store.CreateToken(ctx, store.TokenCoach, "test-brugfiguur", []string{"test-seconds"}, "co-worker")
	if err != nil {
		t.Fatal(err)
	}
	w.tokens["co-worker"] = token
	path := "/v1/trajectories/" + w.mine
	if status, _ := w.do(t, "co-worker", http.MethodGet, path, ""); status != http.StatusNotFound {
		t.Fatalf("before the assignment the co-worker gets %d, want 404", status)
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
	if status, body := w.do(t, "co-worker", http.MethodGet, path, ""); status != http.StatusOK || !strings.Contains(string(body), `"co_workers":["test-brugfiguur"]`) {
		t.Errorf("the co-worker gets %d %s, want 200 with the co-workers", status, body)
	}
	if status, body := w.do(t, "co-worker", http.MethodPost, path+"/milestones/opleiding_gestart", `{}`); status != http.StatusOK {
		t.Errorf("the co-worker records a milestone: %d %s", status, body)
	}
	if status, _ := w.do(t, "coach-b", http.MethodGet, path, ""); status != http.StatusNotFound {
		t.Errorf("another coach sees the trajectory: %d", status)
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
