package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestVisitMoveAndMissedRoutes: the coach moves the planned visit and
// records a missed one; each reaches the workflow as its Update with the
// caller as By, with the Idempotency-Key, and a body the shared rules
// refuse never does. A supervisor may do neither.
func TestVisitMoveAndMissedRoutes(t *testing.T) {
	next := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	past := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)

	f.do(http.MethodPost, stepPath("visits/move"), `{"step":"home_visit-2","to":"`+next.Format(time.RFC3339)+`","reason":"op reis"}`,
		authHeader, asCoach, IdempotencyKeyHeader, "4b5d0c1e-move-1").want(t, http.StatusOK)
	u := f.temporal.updates[0]
	mv, ok := u.Args[0].(trajectory.MoveVisit)
	if !ok || u.UpdateName != trajectory.UpdateMoveVisit || u.UpdateID != keyedUpdateID(trajectory.UpdateMoveVisit, "coach:test-coach", "4b5d0c1e-move-1") ||
		mv.Step != "home_visit-2" || !mv.To.Equal(next) || mv.Reason != "op reis" || mv.By != "coach:test-coach" {
		t.Errorf("move update %+v", u)
	}

	f.do(http.MethodPost, stepPath("visits/missed"), `{"step":"home_visit-2","reason":"not_home","next":"`+next.Format(time.RFC3339)+`","note":"Niemand thuis."}`,
		authHeader, asCoach).want(t, http.StatusOK)
	u = f.temporal.updates[1]
	ms, ok := u.Args[0].(trajectory.MissedVisit)
	if !ok || u.UpdateName != trajectory.UpdateRecordMissedVisit || ms.Reason != trajectory.MissedNotHome || !ms.Next.Equal(next) ||
		ms.Note != "Niemand thuis." || ms.By != "coach:test-coach" || !ms.PlannedAt.IsZero() {
		t.Errorf("missed update %+v", u)
	}

	for _, tc := range []struct {
		path, body, short string
		fields            []string
	}{
		{"visits/move", `{}`, "invalid move of a visit", []string{"step", "to"}},
		{"visits/move", `{"step":"home_visit-2","to":"` + past + `"}`, "invalid move of a visit", []string{"to"}},
		{"visits/move", `{"step":"home_visit-2","to":"morgen"}`, "invalid move of a visit", []string{"to"}},
		{"visits/move", `{"to":"morgen"}`, "invalid move of a visit", []string{"step", "to"}},
		{"visits/move", `{"step":"home_visit-2","to":"` + next.Format(time.RFC3339) + `","reason":"` + strings.Repeat("r", 201) + `"}`, "invalid move of a visit", []string{"reason"}},
		{"visits/missed", `{"step":"home_visit-2","next":"` + next.Format(time.RFC3339) + `"}`, "invalid missed visit", []string{"reason"}},
		{"visits/missed", `{"step":"home_visit-2","reason":"bored","next":"` + next.Format(time.RFC3339) + `"}`, "invalid missed visit", []string{"reason"}},
		{"visits/missed", `{"step":"home_visit-2","reason":"other"}`, "invalid missed visit", []string{"next"}},
	} {
		res := f.do(http.MethodPost, stepPath(tc.path), tc.body, authHeader, asCoach)
		checkFields(t, res, tc.short, tc.fields)
	}
	if len(f.temporal.updates) != 2 {
		t.Errorf("%d updates reached the workflow; an invalid body must not", len(f.temporal.updates))
	}
	f.do(http.MethodPost, stepPath("visits/move"), `{"step":"home_visit-2","to":"`+next.Format(time.RFC3339)+`"}`,
		authHeader, asSupervisor).want(t, http.StatusForbidden)
}
