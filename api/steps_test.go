package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/trajectory"
)

var openID = testID("test-seconds", "test-partner", "open")

func stepPath(step string) string { return "/v1/trajectories/" + openID + "/" + step }

// asFor is the caller who may do the step on the open trajectory: its
// supervisor for an assignment or an extension, its coach otherwise.
func asFor(step string) string {
	if step == "assignment" || step == "follow-up-extension" {
		return asSupervisor
	}
	return asCoach
}

func TestStepBodyValidation(t *testing.T) {
	future := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	past := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name   string
		step   string
		body   string
		short  string
		fields []string
	}{
		{"assignment without coach", "assignment", `{}`, "invalid assignment", []string{"coach"}},
		{"assignment of a blank coach", "assignment", `{"coach":" "}`, "invalid assignment", []string{"coach"}},
		{"assignment of a coach of another programme", "assignment", `{"coach":"coach-an"}`, "invalid assignment", []string{"coach"}},
		{"assignment setting by", "assignment", `{"coach":"test-coach","by":"supervisor:boss"}`, "unknown field", []string{"by"}},
		{"assignment with a number", "assignment", `{"coach":7}`, "invalid body", []string{"coach"}},
		{"intake with a date only", "intake", `{"done_at":"2025-03-01"}`, "invalid intake", []string{"done_at"}},
		{"intake with a number date", "intake", `{"done_at":20250301}`, "invalid body", []string{"done_at"}},
		{"intake done in the future", "intake", `{"done_at":"` + future + `"}`, "invalid intake", []string{"done_at"}},
		{"intake next visit in the past", "intake", `{"next_visit_due_at":"` + past + `"}`, "invalid intake", []string{"next_visit_due_at"}},
		{"intake next visit in two years", "intake", `{"next_visit_due_at":"` + time.Now().AddDate(2, 0, 0).UTC().Format(time.RFC3339) + `"}`, "invalid intake", []string{"next_visit_due_at"}},
		{"intake note too long", "intake", `{"note":"` + strings.Repeat("n", 4001) + `"}`, "invalid intake", []string{"note"}},
		{"intake all wrong", "intake", `{"done_at":"gisteren","next_visit_due_at":"morgen","note":"a\u0000b"}`, "invalid intake", []string{"done_at", "next_visit_due_at", "note"}},
		{"visit with an unknown field", "visits", `{"number":2}`, "unknown field", []string{"number"}},
		{"visit done in the future", "visits", `{"done_at":"` + future + `","next_visit_due_at":"` + past + `"}`, "invalid visit", []string{"done_at", "next_visit_due_at"}},
		{"closure without reason", "closure", `{}`, "invalid closure", []string{"reason"}},
		{"closure with an unknown reason", "closure", `{"reason":"bored"}`, "invalid closure", []string{"reason"}},
		{"closure other without text", "closure", `{"reason":"other"}`, "invalid closure", []string{"text"}},
		{"closure other with blank text", "closure", `{"reason":"other","text":"  "}`, "invalid closure", []string{"text"}},
		{"closure text too long", "closure", `{"reason":"moved_away","text":"` + strings.Repeat("t", 4001) + `"}`, "invalid closure", []string{"text"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.store.add(openID, trajectory.PhaseInSupport)
			res := f.do(http.MethodPost, stepPath(tc.step), tc.body, authHeader, asFor(tc.step))
			checkFields(t, res, tc.short, tc.fields)
			if len(f.temporal.updates) != 0 {
				t.Error("an invalid step reached the workflow")
			}
		})
	}
}

func TestValidStepBodies(t *testing.T) {
	past := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct{ step, body string }{
		{"assignment", `{"coach":"test-coach-2"}`},
		{"intake", `{}`},
		{"intake", `{"done_at":"` + past + `","next_visit_due_at":"` + future + `","note":"Eerste bezoek.\nGoed verlopen."}`},
		{"visits", `{"done_at":null,"next_visit_due_at":null}`},
		{"closure", `{"reason":"goals_reached"}`},
		{"closure", `{"reason":"other","text":"Gezin verhuist naar het buitenland."}`},
	} {
		f := newFixture(t)
		f.store.add(openID, trajectory.PhaseInSupport)
		f.do(http.MethodPost, stepPath(tc.step), tc.body, authHeader, asFor(tc.step)).want(t, http.StatusOK)
	}
}

func TestStepSendsUpdate(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseReferred)
	f.temporal.state = trajectory.State{TrajectoryID: openID, Phase: trajectory.PhaseCoachAssigned, CoachID: "test-coach"}

	res := f.do(http.MethodPost, stepPath("assignment"), `{"coach":"test-coach"}`,
		authHeader, asSupervisor, IdempotencyKeyHeader, "4b5d0c1e-assign-1")
	res.want(t, http.StatusOK)
	var state Trajectory
	res.decode(t, &state)
	if state.Phase != trajectory.PhaseCoachAssigned || state.Coach == nil || *state.Coach != "test-coach" {
		t.Errorf("state %+v", state)
	}
	if !strings.Contains(string(res.body), `"handovers":[]`) || !strings.Contains(string(res.body), `"intake_done_at":null`) {
		t.Errorf("handovers is not an empty list, or intake_done_at not null: %s", res.body)
	}

	u := f.temporal.updates[0]
	if u.WorkflowID != openID || u.UpdateName != trajectory.UpdateAssignCoach || u.WaitForStage != client.WorkflowUpdateStageCompleted {
		t.Errorf("update options %+v", u)
	}
	if u.UpdateID != keyedUpdateID(trajectory.UpdateAssignCoach, "supervisor:sup-vilvoorde", "4b5d0c1e-assign-1") {
		t.Errorf("update id %q does not carry the Idempotency-Key", u.UpdateID)
	}
	req, ok := u.Args[0].(trajectory.AssignCoach)
	if !ok || req.CoachID != "test-coach" || req.By != "supervisor:sup-vilvoorde" {
		t.Errorf("update args %+v", u.Args)
	}

	// Without a key, the same request from the same caller is the same
	// Update; another request another one.
	f.do(http.MethodPost, stepPath("intake"), `{"note":"x"}`, authHeader, asCoach).want(t, http.StatusOK)
	f.do(http.MethodPost, stepPath("intake"), `{"note":"x"}`, authHeader, asCoach).want(t, http.StatusOK)
	a, b := f.temporal.updates[1], f.temporal.updates[2]
	if a.UpdateID != b.UpdateID || !strings.HasPrefix(a.UpdateID, trajectory.UpdateRecordIntake+"/derived-") {
		t.Errorf("update ids %q and %q, want one derived id", a.UpdateID, b.UpdateID)
	}
	intake, ok := a.Args[0].(trajectory.RecordIntake)
	if !ok || intake.By != "coach:test-coach" || intake.Note != "x" || !intake.DoneAt.IsZero() {
		t.Errorf("intake args %+v", a.Args)
	}

	done := time.Date(2025, 3, 4, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	f.do(http.MethodPost, stepPath("visits"), `{"done_at":"2025-03-04T10:30:00+01:00"}`, authHeader, asCoach).want(t, http.StatusOK)
	visit, ok := f.temporal.updates[3].Args[0].(trajectory.RecordVisit)
	if !ok || !visit.DoneAt.Equal(done) || visit.By != "coach:test-coach" || f.temporal.updates[3].UpdateName != trajectory.UpdateRecordVisit {
		t.Errorf("visit update %+v", f.temporal.updates[3])
	}

	f.do(http.MethodPost, stepPath("closure"), `{"reason":"other","text":"Verhuisd."}`, authHeader, asCoach).want(t, http.StatusOK)
	cl, ok := f.temporal.updates[4].Args[0].(trajectory.Close)
	if !ok || cl.Reason != trajectory.CloseOther || cl.Text != "Verhuisd." || cl.By != "coach:test-coach" || f.temporal.updates[4].UpdateName != trajectory.UpdateClose {
		t.Errorf("close update %+v", f.temporal.updates[4])
	}
}

func TestStepIdempotencyKeyFormat(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	for _, key := range []string{"has space", strings.Repeat("k", 129), "é"} {
		res := f.do(http.MethodPost, stepPath("intake"), `{}`, authHeader, asCoach, IdempotencyKeyHeader, key)
		res.want(t, http.StatusBadRequest)
		if !strings.Contains(res.err.Detail, IdempotencyKeyHeader) {
			t.Errorf("detail %q", res.err.Detail)
		}
	}
	f.do(http.MethodPost, stepPath("intake"), `{}`, authHeader, asCoach, IdempotencyKeyHeader, "a", IdempotencyKeyHeader, "b").want(t, http.StatusBadRequest)
}

func TestStepTrajectoryState(t *testing.T) {
	f := newFixture(t)
	closedID := testID("test-seconds", "test-partner", "closed")
	f.store.add(closedID, trajectory.PhaseClosed)

	res := f.do(http.MethodPost, stepPath("assignment"), `{"coach":"test-coach"}`, authHeader, asSupervisor)
	res.want(t, http.StatusNotFound)
	if res.err.Code != CodeTrajectoryNotFound {
		t.Errorf("error %+v", res.err)
	}
	f.do(http.MethodPost, "/v1/trajectories/not-an-id/intake", `{}`, authHeader, asCoach).want(t, http.StatusNotFound)

	// The workflow of a closed trajectory has completed.
	f.temporal.updateErr = serviceerror.NewNotFound("workflow execution already completed")
	res = f.do(http.MethodPost, "/v1/trajectories/"+closedID+"/visits", `{}`, authHeader, asCoach)
	res.want(t, http.StatusConflict)
	if res.err.Detail != "this trajectory is closed; no further steps can be recorded" {
		t.Errorf("detail %q", res.err.Detail)
	}

	f.store.readErr = errors.New("read trajectory: dial tcp: postgres://elkgezin:s3cret@db:5432/elkgezin refused")
	res = f.do(http.MethodPost, stepPath("intake"), `{}`, authHeader, asCoach)
	res.want(t, http.StatusServiceUnavailable)
	if !strings.Contains(res.err.Detail, "PostgreSQL") || strings.Contains(string(res.body), "s3cret") || strings.Contains(string(res.body), "postgres://") {
		t.Errorf("store error answered %s", res.body)
	}
	if len(f.temporal.updates) != 1 {
		t.Errorf("%d Updates sent, want 1 (for the closed trajectory only)", len(f.temporal.updates))
	}
}

func TestStepErrorMapping(t *testing.T) {
	rejected := trajectory.Refused("no coach is assigned yet: assign the fixed coach before recording the intake",
		trajectory.Refusal{Code: trajectory.CodeIntakeNeedsCoach})
	cases := []struct {
		name       string
		updateErr  error
		getErr     error
		closeAfter bool
		status     int
		code       ProblemCode
		detail     string
	}{
		{"rejected by the validator", nil, rejected, false, http.StatusConflict, ProblemCode(trajectory.CodeIntakeNeedsCoach), "no coach is assigned yet: assign the fixed coach before recording the intake"},
		{"rejected when sending", rejected, nil, false, http.StatusConflict, ProblemCode(trajectory.CodeIntakeNeedsCoach), "no coach is assigned yet"},
		{"rejected by a worker older than the codes", nil, stepRejected("no coach is assigned yet"), false, http.StatusConflict, CodeStepRefused, "no coach is assigned yet"},
		{"workflow not found", serviceerror.NewNotFound("workflow not found for ID: " + openID), nil, false, http.StatusNotFound, CodeTrajectoryNotRunning, "not running"},
		{"workflow completed while the update ran, store says closed", nil,
			temporal.NewNonRetryableApplicationError("Workflow Update failed because the Workflow completed before the Update completed.", "AcceptedUpdateCompletedWorkflow", nil),
			true, http.StatusConflict, CodeTrajectoryClosed, "this trajectory is closed; no further steps can be recorded"},
		// Errors are told apart by type, never by their text.
		{"an error that only reads like a completed workflow", errors.New("workflow execution already completed"), nil, true, http.StatusInternalServerError, CodeInternalError, "logged"},
		{"workflow not found, store says closed", nil, serviceerror.NewNotFound("workflow execution already completed"), true, http.StatusConflict, CodeTrajectoryClosed, "closed"},
		{"temporal unavailable", serviceerror.NewUnavailable("connection refused"), nil, false, http.StatusServiceUnavailable, CodeWorkflowUnavailable, "retry with the same Idempotency-Key"},
		{"temporal deadline", serviceerror.NewDeadlineExceeded("context deadline exceeded"), nil, false, http.StatusServiceUnavailable, CodeWorkflowUnavailable, "the step may not be recorded"},
		{"namespace unreadable on an overloaded server", serviceerror.NewNamespaceNotFound("stack"), nil, false, http.StatusServiceUnavailable, CodeWorkflowUnavailable, "retry with the same Idempotency-Key"},
		{"workflow task failed under the update (its worker died)", serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to unexpected workflow task failure."), nil, false, http.StatusServiceUnavailable, CodeWorkflowUnavailable, "retry with the same Idempotency-Key"},
		{"update call timed out", client.NewWorkflowUpdateServiceTimeoutOrCanceledError(serviceerror.NewDeadlineExceeded("poll")), nil, false, http.StatusServiceUnavailable, CodeWorkflowUnavailable, "retry with the same Idempotency-Key"},
		{"context deadline from Get", nil, context.DeadlineExceeded, false, http.StatusServiceUnavailable, CodeWorkflowUnavailable, "the workflow service did not answer in time"},
		{"other application error", nil, temporal.NewApplicationError("boom", "Panic"), false, http.StatusInternalServerError, CodeInternalError, "Idempotency-Key"},
		{"other error", serviceerror.NewInternal("oops"), nil, false, http.StatusInternalServerError, CodeInternalError, "logged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.store.add(openID, trajectory.PhaseCoachAssigned)
			f.store.closeAfter, f.store.afterReads = tc.closeAfter, 0 // a step reads only the access columns before its Update
			f.temporal.updateErr, f.temporal.getErr = tc.updateErr, tc.getErr
			res := f.do(http.MethodPost, stepPath("intake"), `{}`, authHeader, asCoach)
			res.want(t, tc.status)
			if res.err.Code != tc.code || !strings.Contains(res.err.Detail, tc.detail) {
				t.Errorf("answered %+v, want %q with %q", res.err, tc.code, tc.detail)
			}
		})
	}
}

// stepRejected is how a workflow validator refuses a step.
func stepRejected(msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, trajectory.ErrStepRejected, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// TestStepWritesItsEventsBeforeItAnswers: a step's answer carries the
// events the workflow recorded; the API writes them before it answers, so
// the caller's next read (and a coach just assigned) finds the step. When
// the database is away the step stays taken but is answered 503: the same
// request again (the same Update) answers 200 once the log has it, and the
// event is written once.
func TestStepWritesItsEventsBeforeItAnswers(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseCoachAssigned)
	visit := trajectory.Event{TrajectoryID: openID, Seq: 4, Cause: "home_visit_done/update/v1", Kind: trajectory.EventVisitDone, Actor: "coach:test-coach"}
	f.temporal.state = trajectory.State{TrajectoryID: openID, Phase: trajectory.PhaseInSupport, CoachID: "test-coach"}
	f.temporal.recorded = []trajectory.Event{visit}
	for _, path := range []string{stepPath("visits"), stepPath("visits")} {
		f.do(http.MethodPost, path, `{}`, authHeader, asCoach, IdempotencyKeyHeader, "visit-key-1").want(t, http.StatusOK)
	}
	if len(f.store.events) != 1 || f.store.events[0].Cause != visit.Cause {
		t.Errorf("events written %+v, want the visit once", f.store.events)
	}

	closed := trajectory.Event{TrajectoryID: openID, Seq: 5, Cause: "closed/update/c1", Kind: trajectory.EventClosed}
	f.temporal.recorded = []trajectory.Event{closed}
	f.store.recordErr = errors.New("connection refused")
	res := f.do(http.MethodPost, stepPath("closure"), `{"reason":"goals_reached"}`, authHeader, asCoach, IdempotencyKeyHeader, "close-key-1")
	res.want(t, http.StatusServiceUnavailable)
	if res.header.Get("Retry-After") == "" || !strings.Contains(string(res.body), "same Idempotency-Key") {
		t.Errorf("503 %s without Retry-After or the way on", res.body)
	}
	if !strings.Contains(f.logs.String(), "the workflow writes them") {
		t.Errorf("the failed write is not logged: %s", f.logs.String())
	}
	f.store.recordErr = nil
	f.do(http.MethodPost, stepPath("closure"), `{"reason":"goals_reached"}`, authHeader, asCoach, IdempotencyKeyHeader, "close-key-1").want(t, http.StatusOK)
	if u := f.temporal.updates; u[len(u)-1].UpdateID != u[len(u)-2].UpdateID {
		t.Errorf("the retry was Update %q, want the first's %q", u[len(u)-1].UpdateID, u[len(u)-2].UpdateID)
	}
	if len(f.store.events) != 2 || f.store.events[1].Cause != closed.Cause {
		t.Errorf("events written %+v, want the closure once", f.store.events)
	}
}
