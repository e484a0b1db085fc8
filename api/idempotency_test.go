package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Visits, handovers and resends are not the same when done twice: without
// an Idempotency-Key they are refused before anything reaches the workflow.
func TestIdempotencyKeyRequired(t *testing.T) {
	handover := `{"service":"ocmw-vilvoorde","reason":"Hulp bij de huur.","consent":{"given":true,"recorded_on":"` + inDays(0) + `","shares":["contact"]}}`
	for _, tc := range []struct{ step, body, update string }{
		{"visits", `{"note":"Bezoek."}`, trajectory.UpdateRecordVisit},
		{"handovers", handover, trajectory.UpdateHandOver},
		{"handovers/1/resend", `{"service":"ocmw-vilvoorde"}`, trajectory.UpdateResendHandover},
	} {
		f := newFixture(t)
		f.store.add(openID, trajectory.PhaseInSupport)
		res := f.do(http.MethodPost, stepPath(tc.step), tc.body, authHeader, asCoach, withoutKey, "1")
		res.want(t, http.StatusBadRequest)
		if res.err.Code != CodeIdempotencyKeyRequired || !strings.Contains(res.err.Detail, "same value when you retry") {
			t.Errorf("%s without a key: %+v", tc.step, res.err)
		}
		if len(f.temporal.updates) != 0 {
			t.Fatalf("%s without a key reached the workflow", tc.step)
		}
		f.do(http.MethodPost, stepPath(tc.step), tc.body, authHeader, asCoach, IdempotencyKeyHeader, "visit-7f3a").want(t, http.StatusOK)
		if u := f.temporal.updates[0]; u.UpdateName != tc.update || u.UpdateID != keyedUpdateID(tc.update, "coach:test-coach", "visit-7f3a") {
			t.Errorf("%s: update %s with id %q", tc.step, u.UpdateName, u.UpdateID)
		}
	}
}

// A step that is the same when done twice gets, without a key, one derived
// from the step, the caller and the request: the same for the same request,
// another for any difference.
func TestDerivedIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	send := func(as, step, body string) string {
		t.Helper()
		f.do(http.MethodPost, stepPath(step), body, authHeader, as).want(t, http.StatusOK)
		return f.temporal.updates[len(f.temporal.updates)-1].UpdateID
	}
	first := send(asSupervisor, "assignment", `{"coach":"test-coach-2"}`)
	if again := send(asSupervisor, "assignment", `{"coach": "test-coach-2"}`); again != first {
		t.Errorf("the same assignment twice: %q, then %q", first, again)
	}
	if other := send(asSupervisor, "assignment", `{"coach":"test-coach"}`); other == first {
		t.Error("another coach got the same Update id")
	}
	byCoach := send(asCoach, "closure", `{"reason":"goals_reached"}`)
	bySupervisor := send(asSupervisor, "closure", `{"reason":"goals_reached"}`)
	if byCoach == bySupervisor {
		t.Error("the same closure by two callers got the same Update id")
	}
	if !strings.HasPrefix(first, trajectory.UpdateAssignCoach+"/derived-") || len(first) > len(trajectory.UpdateAssignCoach)+1+128 {
		t.Errorf("derived Update id %q", first)
	}

	// The key is the request's, not a random one: computed again, it is the same.
	k1, err := derivedKey(trajectory.UpdateClose, "coach:test-coach", trajectory.Close{Reason: trajectory.CloseGoalsReached, By: "coach:test-coach"})
	if err != nil {
		t.Fatal(err)
	}
	if byCoach != trajectory.UpdateClose+"/"+k1 {
		t.Errorf("Update id %q, want %q", byCoach, trajectory.UpdateClose+"/"+k1)
	}
}

// keyedUpdateID is the Update id of a step that actor sent with an
// Idempotency-Key: the key scoped to the caller, as a digest.
func keyedUpdateID(update, actor, key string) string {
	return update + "/" + scopedUpdateKey(actor, key)
}

// Another caller's key is another Update: one caller's retry does not
// stand in for another's step; and the key itself stays out of the id.
func TestUpdateIDScopedToCaller(t *testing.T) {
	a, b := scopedUpdateKey("coach:an", "1"), scopedUpdateKey("coach:piet", "1")
	if a == b || a != scopedUpdateKey("coach:an", "1") || !strings.HasPrefix(a, "key-") {
		t.Errorf("keys %q and %q", a, b)
	}
}
