package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/trajectory"
)

// checkFields asserts a 400 that names exactly these fields, in detail and fields.
func TestPerinatalStepValidation(t *testing.T) {
	cases := []struct {
		name   string
		step   string
		body   string
		short  string
		fields []string
	}{
		{"birth without date", "birth", `{}`, "invalid birth", []string{"birth_date"}},
		{"birth of null", "birth", `{"birth_date":null}`, "invalid birth", []string{"birth_date"}},
		{"birth with a date-time", "birth", `{"birth_date":"` + inDays(-1) + `T10:00:00Z"}`, "invalid birth", []string{"birth_date"}},
		{"birth written the Belgian way", "birth", `{"birth_date":"01-03-2025"}`, "invalid birth", []string{"birth_date"}},
		{"birth as a number", "birth", `{"birth_date":20250301}`, "invalid birth", []string{"birth_date"}},
		{"birth in the future", "birth", `{"birth_date":"` + inDays(2) + `"}`, "invalid birth", []string{"birth_date"}},
		{"birth more than a year ago", "birth", `{"birth_date":"` + inMonths(-13) + `"}`, "invalid birth", []string{"birth_date"}},
		{"birth name too long", "birth", `{"birth_date":"` + inDays(-1) + `","name":"` + strings.Repeat("n", 201) + `"}`, "invalid birth", []string{"name"}},
		{"birth name of two lines", "birth", `{"birth_date":"` + inDays(-1) + `","name":"A\nB"}`, "invalid birth", []string{"name"}},
		{"birth setting by", "birth", `{"birth_date":"` + inDays(-1) + `","by":"coach:x1"}`, "unknown field", []string{"by"}},
		{"birth all wrong", "birth", `{"birth_date":"gisteren","name":"a\u0000b"}`, "invalid birth", []string{"birth_date", "name"}},
		{"extension without anything", "follow-up-extension", `{}`, "invalid follow-up extension", []string{"until", "reason"}},
		{"extension until today", "follow-up-extension", `{"until":"` + inDays(0) + `","reason":"Nog nodig."}`, "invalid follow-up extension", []string{"until"}},
		{"extension until yesterday", "follow-up-extension", `{"until":"` + inDays(-1) + `","reason":"Nog nodig."}`, "invalid follow-up extension", []string{"until"}},
		{"extension until in 7 years", "follow-up-extension", `{"until":"` + inMonths(84) + `","reason":"Nog nodig."}`, "invalid follow-up extension", []string{"until"}},
		{"extension until badly written", "follow-up-extension", `{"until":"next year","reason":"Nog nodig."}`, "invalid follow-up extension", []string{"until"}},
		{"extension without reason", "follow-up-extension", `{"until":"` + inMonths(3) + `"}`, "invalid follow-up extension", []string{"reason"}},
		{"extension of a blank reason", "follow-up-extension", `{"until":"` + inMonths(3) + `","reason":" \n "}`, "invalid follow-up extension", []string{"reason"}},
		{"extension reason too long", "follow-up-extension", `{"until":"` + inMonths(3) + `","reason":"` + strings.Repeat("r", 2001) + `"}`, "invalid follow-up extension", []string{"reason"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.store.add(openID, trajectory.PhasePrenatal)
			res := f.do(http.MethodPost, stepPath(tc.step), tc.body, authHeader, asFor(tc.step))
			checkFields(t, res, tc.short, tc.fields)
			if len(f.temporal.updates) != 0 {
				t.Error("an invalid step reached the workflow")
			}
		})
	}
}

func TestRecordBirth(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhasePrenatal)
	f.temporal.state = trajectory.State{TrajectoryID: openID, Phase: trajectory.PhasePostnatal}
	born := inDays(-2)
	res := f.do(http.MethodPost, stepPath("birth"), `{"birth_date":"`+born+`","name":"Amira"}`,
		authHeader, asCoach, IdempotencyKeyHeader, "birth-1")
	res.want(t, http.StatusOK)
	var state Trajectory
	res.decode(t, &state)
	if state.Phase != trajectory.PhasePostnatal {
		t.Errorf("state %+v", state)
	}
	u := f.temporal.updates[0]
	req, ok := u.Args[0].(trajectory.RecordBirth)
	if u.WorkflowID != openID || u.UpdateName != trajectory.UpdateRecordBirth || u.UpdateID != keyedUpdateID(trajectory.UpdateRecordBirth, "coach:test-coach", "birth-1") ||
		!ok || req.BornOn.String() != born || req.Name != "Amira" || req.By != "coach:test-coach" {
		t.Errorf("update %+v", u)
	}

	// Today and exactly a year ago are fine; so is no name.
	f.do(http.MethodPost, stepPath("birth"), `{"birth_date":"`+inDays(0)+`"}`, authHeader, asCoach).want(t, http.StatusOK)
	f.do(http.MethodPost, stepPath("birth"), `{"birth_date":"`+inMonths(-12)+`"}`, authHeader, asCoach).want(t, http.StatusOK)

	// The workflow decides whether a birth is expected.
	f.temporal.updateErr = stepRejected("this trajectory expects no birth: its programme has no perinatal follow-up")
	res = f.do(http.MethodPost, stepPath("birth"), `{"birth_date":"`+born+`"}`, authHeader, asCoach)
	res.want(t, http.StatusConflict)
	if res.err.Code != CodeStepRefused || !strings.Contains(res.err.Detail, "expects no birth") {
		t.Errorf("answered %+v", res.err)
	}
	f.do(http.MethodPost, "/v1/trajectories/"+testID("x", "y", "z")+"/birth", `{"birth_date":"`+born+`"}`, authHeader, asCoach).want(t, http.StatusNotFound)
}

func TestExtendFollowUp(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhasePostnatal)
	until := inMonths(3)
	res := f.do(http.MethodPost, stepPath("follow-up-extension"), `{"until":"`+until+`","reason":"Moeder herstelt nog van de bevalling.\nOpvang nog niet geregeld."}`,
		authHeader, asSupervisor)
	res.want(t, http.StatusOK)
	u := f.temporal.updates[0]
	req, ok := u.Args[0].(trajectory.ExtendFollowUp)
	if u.UpdateName != trajectory.UpdateExtendFollowUp || !strings.HasPrefix(u.UpdateID, trajectory.UpdateExtendFollowUp+"/") ||
		!ok || req.Until.String() != until || !strings.HasPrefix(req.Reason, "Moeder herstelt") || req.By != "supervisor:sup-vilvoorde" {
		t.Errorf("update %+v", u)
	}
	f.do(http.MethodPost, stepPath("follow-up-extension"), `{"until":"`+inDays(1)+`","reason":"`+strings.Repeat("r", 2000)+`"}`, authHeader, asSupervisor).want(t, http.StatusOK)
}
