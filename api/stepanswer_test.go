package api

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// stepRequest is a request a step's route accepts, under the path of the
// fixture's trajectory.
type stepRequest struct {
	method, path, body, auth string
}

// stepRequests holds a valid request for every step of the step table
// that answers the trajectory (an Update of one trajectory), by route. A
// step added to the table without one here fails TestStepAnswersWhatGetAnswers.
func stepRequests() map[string]stepRequest {
	inAWeek := time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)
	handover, _ := json.Marshal(validHandover())
	r := func(path, body, auth string) stepRequest { return stepRequest{http.MethodPost, path, body, auth} }
	return map[string]stepRequest{
		"POST " + pathAssignment:  r("assignment", `{"coach":"test-coach"}`, asSupervisor),
		"POST " + pathIntake:      r("intake", `{"note":"Kennismaking."}`, asCoach),
		"POST " + pathVisits:      r("visits", `{"note":"Bezoek."}`, asCoach),
		"POST " + pathVisitMove:   r("visits/move", `{"step":"home_visit-2","to":"`+inAWeek+`"}`, asCoach),
		"POST " + pathVisitMissed: r("visits/missed", `{"step":"home_visit-2","reason":"not_home","next":"`+inAWeek+`"}`, asCoach),
		"POST " + pathBirth:       r("birth", `{"birth_date":"`+inDays(-1)+`"}`, asCoach),
		"POST " + pathHandovers:   r("handovers", string(handover), asCoach),
		"POST " + pathResend:      r("handovers/1/resend", `{"service":"ocmw-vilvoorde"}`, asCoach),
		"POST " + pathTimings:     r("programme-timings", `{"reason":"Nieuwe termijnen in het programmabestand."}`, asSupervisor),
		"POST " + pathClosure:     r("closure", `{"reason":"goals_reached"}`, asCoach),
		"POST " + pathExtension:   r("follow-up-extension", `{"until":"`+inMonths(3)+`","reason":"Nog nodig."}`, asSupervisor),
		"POST " + pathMilestone:   r("milestones/opleiding_gestart", `{}`, asCoach),
		"POST " + pathCoWorkers:   r("co-workers", `{"co_worker":"test-brugfiguur","role":"brugfiguur"}`, asSupervisor),
		"PUT " + pathPlan: {http.MethodPut, "plan", `{"agreed_on":"` + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) +
			`","goals":[{"domain":"housing","text":"Een woning met twee slaapkamers.","actions":[{"what":"Inschrijven","owner":{"role":"family"}}]}]}`, asCoach},
		"POST " + pathGoalStatus:  r("plan/goals/g1/status", `{"status":"reached"}`, asCoach),
		"POST " + pathActionDone:  r("plan/goals/g1/actions/a1/done", `{}`, asCoach),
		"POST " + pathReviewGoals: r("plan/review", `{}`, asCoach),
	}
}

// fullState is a workflow state with every part set, in a time zone
// other than UTC and with the workflow's bookkeeping (reminder flags, Go
// error names, the event counter), none of which may reach an answer.
func fullState() trajectory.State {
	cet := time.FixedZone("CET", 3600)
	at := time.Date(2025, 3, 4, 10, 30, 0, 0, cet)
	visit := &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 2, DueAt: at.Add(7 * 24 * time.Hour), Planned: true, Reminded: true, Alerted: true, PastDue: true}
	due := at.Add(10 * 24 * time.Hour)
	return trajectory.State{
		TrajectoryID: openID, ProgrammeID: "test-seconds", ReferrerOrg: "test-partner", Phase: trajectory.PhaseInSupport,
		CoachID: "test-coach", ReferredAt: at.Add(-72 * time.Hour), Next: visit, Escalated: true, Overdue: true, VisitsDone: 1,
		StepsDone:    []trajectory.DoneStep{{Kind: "intake", At: at, By: "coach:test-coach"}},
		IntakeDoneAt: at, LastVisitAt: at,
		Handovers: []trajectory.Handover{{Number: 1, Service: testServices()["ocmw-vilvoorde"], RequestedAt: at, Shares: []string{"contact"},
			Ack: &trajectory.Step{Kind: trajectory.StepHandoverAck, Number: 1, DueAt: due, Reminded: true}, Failed: true}},
		EmailFailed: true,
		EmailFailures: []trajectory.EmailFailure{{At: at, Kind: trajectory.HandoverNotice, Step: "handover_ack-1", To: "service:ocmw-vilvoorde", Reason: "EmailRejected"},
			{At: at, Kind: trajectory.Reminder, To: "coach:test-coach", Reason: trajectory.EmailInDoubt}},
		Milestones:         []*trajectory.Step{{Kind: trajectory.StepMilestone, Milestone: "opleiding_gestart", DueAt: due}},
		MilestonesReached:  []trajectory.ReachedMilestone{{ID: "eerste_contact", At: at, By: "coach:test-coach"}},
		CoWorkers:          []trajectory.CoWorker{{ID: "test-brugfiguur", Role: "brugfiguur"}},
		ActivitiesAttended: 2,
		Plan: &trajectory.Plan{AgreedOn: at, Goals: []trajectory.Goal{{ID: "g1", Domain: trajectory.DomainHousing, Text: "Een woning.", Status: trajectory.GoalOpen,
			Actions: []trajectory.Action{{ID: "a1", What: "Inschrijven", Owner: trajectory.ActionOwner{Role: trajectory.OwnerCoach}, Due: &due}}}}},
		PlanActions:  []*trajectory.Step{{Kind: trajectory.StepPlanAction, Goal: "g1", Action: "a1", DueAt: due, Reminded: true}},
		DateRequests: []trajectory.DateRequest{{At: at, Message: "Liever 's middags."}},
		EventSeq:     42,
	}
}

// TestStepAnswersWhatGetAnswers: for every step of the step table that
// answers the trajectory, the answer is, field by field, what GET
// /v1/trajectories/{id} answers right after it; and neither holds the
// workflow's bookkeeping.
func TestStepAnswersWhatGetAnswers(t *testing.T) {
	requests := stepRequests()
	for _, st := range usecase.Steps {
		if st.Update == "" || !strings.Contains(st.Route, " "+pathTrajectory+"/") {
			continue // no Update of one trajectory: it answers something else
		}
		t.Run(st.Name, func(t *testing.T) {
			req, ok := requests[st.Route]
			if !ok {
				t.Fatalf("step %s (%s): stepRequests has no request for it; add one", st.Name, st.Route)
			}
			f := newFixture(t)
			f.store.add(openID, trajectory.PhaseInSupport)
			handedOverTo(f)
			f.store.mu.Lock()
			row := f.store.rows[openID]
			row.Family = &trajectory.Family{ContactName: "Fatima Testfamilie", Phone: "+32 470 12 34 56"}
			row.Reason, row.ReferrerReference = "Zwangerschap, geen netwerk.", "KG/2025-0001"
			row.Children = []trajectory.Child{{Name: "Amira", BirthDate: trajectory.Date{Time: time.Date(2023, 5, 2, 0, 0, 0, 0, time.UTC)}}}
			row.Events = append(row.Events, store.EventRow{Seq: 8, Kind: trajectory.EventIntakeDone, Actor: "coach:test-coach",
				At: time.Date(2025, 3, 4, 10, 30, 0, 0, time.FixedZone("CET", 3600))})
			f.store.rows[openID] = row
			f.store.mu.Unlock()
			f.temporal.state = fullState()

			step := f.do(req.method, stepPath(req.path), req.body, authHeader, req.auth)
			step.want(t, http.StatusOK)
			get := f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach)
			get.want(t, http.StatusOK)
			var a, b map[string]any
			step.decode(t, &a)
			get.decode(t, &b)
			keys := slices.Sorted(maps.Keys(a))
			if got := slices.Sorted(maps.Keys(b)); !slices.Equal(keys, got) {
				t.Errorf("the step answers the fields %v, GET %v", keys, got)
			}
			for _, k := range keys {
				if !reflect.DeepEqual(a[k], b[k]) {
					t.Errorf("%s: the step answers %v, GET %v", k, a[k], b[k])
				}
			}
			for _, internal := range []string{`"trajectory_id"`, `"event_seq"`, `"reminded"`, `"alerted"`, `"past_due"`, `"steps_done"`, "EmailRejected", "EmailInDoubt", "0001-01-01", "+01:00"} {
				if strings.Contains(string(step.body), internal) {
					t.Errorf("the answer holds %q: %s", internal, step.body)
				}
			}
		})
	}
}

// TestRepresentationOfTheState: the public fields say what the state
// holds, in their public form.
func TestRepresentationOfTheState(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	f.temporal.state = fullState()
	var got Trajectory
	f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach).decode(t, &got)
	if n := got.NextStep; n == nil || n.Key != "home_visit-2" || n.Number == nil || *n.Number != 2 || n.DueAt.Location() != time.UTC {
		t.Errorf("next step %+v", n)
	}
	if len(got.EmailFailures) != 2 || got.EmailFailures[0].Reason != "rejected" || got.EmailFailures[1].Reason != "in_doubt" || got.EmailFailures[1].Step != nil {
		t.Errorf("email failures %+v", got.EmailFailures)
	}
	if h := got.Handovers; len(h) != 1 || h[0].Service != "ocmw-vilvoorde" || h[0].ServiceName != "OCMW Vilvoorde" || h[0].SentAt != nil ||
		h[0].Ack == nil || h[0].Ack.Key != "handover_ack-1" || !h[0].Failed {
		t.Errorf("handovers %+v", h)
	}
	if len(got.PlanActions) != 1 || got.PlanActions[0].Key != "plan_action-g1-a1" || got.Plan == nil || got.Plan.AgreedOn.Location() != time.UTC {
		t.Errorf("plan %+v, actions %+v", got.Plan, got.PlanActions)
	}
	if len(got.CoWorkers) != 1 || got.CoWorkers[0].Role == nil || *got.CoWorkers[0].Role != "brugfiguur" || got.StateUnavailable {
		t.Errorf("co-workers %+v, state unavailable %v", got.CoWorkers, got.StateUnavailable)
	}
	// Without the workflow service: the read model's fields, and what only
	// the workflow holds empty, said so.
	f.temporal.updateErr = context.DeadlineExceeded
	got = Trajectory{}
	f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach).decode(t, &got)
	if !got.StateUnavailable || got.Phase != trajectory.PhaseInSupport || got.Handovers == nil || len(got.Handovers) != 0 || got.IntakeDoneAt != nil {
		t.Errorf("without the workflow service: %+v", got)
	}
}

// TestEveryStepCarriesIfMatchToTheWorkflow: at every step's route, an
// If-Match of one version travels with the Update to the workflow, whose
// validator compares it (trajectory.Precondition): the version now is
// taken, another is answered 412 with the version now as ETag.
func TestEveryStepCarriesIfMatchToTheWorkflow(t *testing.T) {
	requests := stepRequests()
	for _, st := range usecase.Steps {
		if st.Update == "" || !strings.Contains(st.Route, " "+pathTrajectory+"/") {
			continue
		}
		t.Run(st.Name, func(t *testing.T) {
			req := requests[st.Route]
			f := newFixture(t)
			f.store.add(openID, trajectory.PhaseInSupport)
			handedOverTo(f)
			f.temporal.state = fullState()

			f.do(req.method, stepPath(req.path), req.body, authHeader, req.auth, "If-Match", `"v42"`).want(t, http.StatusOK)
			f.temporal.mu.Lock()
			sent := f.temporal.updates[len(f.temporal.updates)-1].Args[0]
			f.temporal.mu.Unlock()
			if v, ok := sent.(trajectory.Versioned); !ok || v.ExpectedVersion() != 42 {
				t.Fatalf("the Update's request %T does not carry version 42 (embed trajectory.Precondition)", sent)
			}
			stale := f.do(req.method, stepPath(req.path), req.body, authHeader, req.auth, "If-Match", `"v41"`)
			stale.want(t, http.StatusPreconditionFailed)
			if stale.header.Get("ETag") != `"v42"` || !strings.Contains(string(stale.body), `"precondition_failed"`) {
				t.Errorf("a stale version: ETag %q, %s", stale.header.Get("ETag"), stale.body)
			}
		})
	}
}
