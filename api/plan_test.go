package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestPlanRoutes: the coach agrees a plan (new goals, actions and network
// members get their ids), records a goal reached and an action done; each
// reaches the workflow as its Update with the caller as By, and a plan the
// shared rule (trajectory.PlanProblems) refuses never does, with every
// wrong field named by its path in the plan.
func TestPlanRoutes(t *testing.T) {
	agreed := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	due := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second)
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	f.temporal.state = trajectory.State{TrajectoryID: openID, ProgrammeID: "test-seconds", Phase: trajectory.PhaseInSupport, CoWorkers: []trajectory.CoWorker{{ID: "test-brugfiguur", Role: "brugfiguur"}}}

	plan := `{"agreed_on":"` + agreed.Format(time.RFC3339) + `","strengths":["Mama kookt graag."],
		"goals":[{"domain":"housing","text":"Een woning met twee slaapkamers.","actions":[
			{"what":"Inschrijven bij de sociale huisvesting","owner":{"role":"family"}},
			{"what":"Afspraak met het OCMW","owner":{"role":"co_worker","id":"test-brugfiguur"},"due":"` + due.Format(time.RFC3339) + `"}]},
			{"domain":"health","text":"Naar de tandarts.","actions":[{"what":"Bellen","owner":{"role":"service","id":"n1"}}]}],
		"network":[{"service":"OCMW Mechelen","contact":"maatschappelijk werker","consent_to_share":true}]}`
	f.do(http.MethodPut, stepPath("plan"), plan, authHeader, asCoach, IdempotencyKeyHeader, "plan-1").want(t, http.StatusOK)
	u := f.temporal.updates[0]
	ap, ok := u.Args[0].(trajectory.AgreePlan)
	if !ok || u.UpdateName != trajectory.UpdateAgreePlan || u.UpdateID != keyedUpdateID(trajectory.UpdateAgreePlan, "coach:test-coach", "plan-1") || ap.By != "coach:test-coach" {
		t.Fatalf("plan update %+v", u)
	}
	p := ap.Plan
	if !p.AgreedOn.Equal(agreed) || len(p.Goals) != 2 || p.Goals[0].ID != "g1" || p.Goals[1].ID != "g2" || p.Goals[0].Status != trajectory.GoalOpen ||
		p.Goals[0].Actions[1].ID != "a2" || p.Goals[0].Actions[1].Due == nil || !p.Goals[0].Actions[1].Due.Equal(due) ||
		len(p.Network) != 1 || p.Network[0].ID != "n1" || !p.Network[0].ConsentToShare || p.Strengths[0] != "Mama kookt graag." {
		t.Errorf("plan sent to the workflow: %+v", p)
	}

	f.do(http.MethodPost, stepPath("plan/goals/g1/status"), `{"status":"let_go","reason":"Het gezin verhuist."}`, authHeader, asCoach).want(t, http.StatusOK)
	gs, ok := f.temporal.updates[1].Args[0].(trajectory.SetGoalStatus)
	if !ok || gs.GoalID != "g1" || gs.Status != trajectory.GoalLetGo || gs.Reason != "Het gezin verhuist." || gs.By != "coach:test-coach" {
		t.Errorf("goal status update %+v", f.temporal.updates[1])
	}
	done := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	f.do(http.MethodPost, stepPath("plan/goals/g1/actions/a2/done"), `{"done_at":"`+done.Format(time.RFC3339)+`"}`, authHeader, asCoach).want(t, http.StatusOK)
	ad, ok := f.temporal.updates[2].Args[0].(trajectory.RecordActionDone)
	if !ok || f.temporal.updates[2].UpdateName != trajectory.UpdateRecordActionDone || ad.GoalID != "g1" || ad.ActionID != "a2" || !ad.DoneAt.Equal(done) {
		t.Errorf("action done update %+v", f.temporal.updates[2])
	}
	f.do(http.MethodPost, stepPath("plan/review"), `{"goals":["g2"]}`, authHeader, asCoach).want(t, http.StatusOK)
	rv, ok := f.temporal.updates[3].Args[0].(trajectory.ReviewGoals)
	if !ok || f.temporal.updates[3].UpdateName != trajectory.UpdateReviewGoals || len(rv.Goals) != 1 || rv.Goals[0] != "g2" || !rv.At.IsZero() || rv.By != "coach:test-coach" {
		t.Errorf("review update %+v", f.temporal.updates[3])
	}

	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		method, path, body, short string
		fields                    []string
	}{
		{http.MethodPut, "plan", `{"goals":[{"domain":"housing","text":"Een woning."}]}`, "invalid plan", []string{"agreed_on"}},
		{http.MethodPut, "plan", `{"agreed_on":"gisteren","goals":[{"domain":"housing","text":"Een woning."}]}`, "invalid plan", []string{"agreed_on"}},
		{http.MethodPut, "plan", `{"agreed_on":"` + future + `","goals":[{"domain":"housing","text":"Een woning."}]}`, "invalid plan", []string{"agreed_on"}},
		{http.MethodPut, "plan", `{"agreed_on":"` + agreed.Format(time.RFC3339) + `","goals":[]}`, "invalid plan", []string{"goals"}},
		{http.MethodPut, "plan", `{"agreed_on":"` + agreed.Format(time.RFC3339) + `","goals":[{"domain":"sport","text":""}]}`, "invalid plan",
			[]string{"goals[0].domain", "goals[0].text"}},
		{http.MethodPut, "plan", `{"agreed_on":"` + agreed.Format(time.RFC3339) + `","goals":[{"domain":"housing","text":"Een woning.","actions":[
			{"what":"Bellen","owner":{"role":"co_worker","id":"someone-else"}},{"what":"Gaan","owner":{"role":"service","id":"n9"}}]}]}`,
			"invalid plan", []string{"goals[0].actions[0].owner.id", "goals[0].actions[1].owner.id"}},
		{http.MethodPut, "plan", `{"agreed_on":"` + agreed.Format(time.RFC3339) + `","goals":[{"domain":"housing","text":"Een woning.","actions":[
			{"what":"Gaan","owner":{"role":"family"},"due":"volgende week"}]}],"network":[{"service":"CAW","since":7}]}`,
			"invalid plan", []string{"goals[0].actions[0].due", "network[0].since"}},
		{http.MethodPost, "plan/goals/g1/status", `{"status":"let_go"}`, "invalid goal status", []string{"reason"}},
		{http.MethodPost, "plan/goals/g1/status", `{"status":"gone"}`, "invalid goal status", []string{"status"}},
		{http.MethodPost, "plan/goals/G-1/status", `{"status":"reached"}`, "invalid goal status", []string{"goal"}},
		{http.MethodPost, "plan/goals/g1/actions/a1/done", `{"done_at":"` + future + `"}`, "invalid action done", []string{"done_at"}},
		{http.MethodPost, "plan/review", `{"at":"` + future + `"}`, "invalid review", []string{"at"}},
		{http.MethodPost, "plan/review", `{"goals":["G 1"]}`, "invalid review", []string{"goals[0]"}},
	} {
		res := f.do(tc.method, stepPath(tc.path), strings.ReplaceAll(tc.body, "\n", ""), authHeader, asCoach)
		checkFields(t, res, tc.short, tc.fields)
	}
	if len(f.temporal.updates) != 4 {
		t.Errorf("%d updates reached the workflow; an invalid body must not", len(f.temporal.updates))
	}
	f.do(http.MethodPut, stepPath("plan"), plan, authHeader, asSupervisor).want(t, http.StatusForbidden)
}

// TestTrajectoryAnswersPlan: GET /v1/trajectories/{id} answers the plan
// the workflow holds, and says so when the workflow service does not
// answer rather than answer as if there were no plan.
func TestTrajectoryAnswersPlan(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	var got Trajectory
	f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach).decode(t, &got)
	if got.Plan != nil || got.StateUnavailable {
		t.Errorf("a trajectory without a plan: plan %+v, state_unavailable %v", got.Plan, got.StateUnavailable)
	}
	f.store.mu.Lock()
	row := f.store.rows[openID]
	row.Events = []store.EventRow{{Seq: 5, Kind: trajectory.EventPlanAgreed, Actor: "coach:test-coach", At: time.Now()}}
	f.store.rows[openID] = row
	f.store.mu.Unlock()
	f.temporal.state = trajectory.State{TrajectoryID: openID, Plan: &trajectory.Plan{AgreedOn: time.Now().Add(-time.Hour).UTC(),
		Goals: []trajectory.Goal{{ID: "g1", Domain: trajectory.DomainHousing, Text: "Een woning met twee slaapkamers.", Status: trajectory.GoalOpen,
			Actions: []trajectory.Action{{ID: "a1", What: "Inschrijven", Owner: trajectory.ActionOwner{Role: trajectory.OwnerFamily}}}}}}}
	got = Trajectory{}
	f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach).decode(t, &got)
	if got.Plan == nil || len(got.Plan.Goals) != 1 || got.Plan.Goals[0].Text != "Een woning met twee slaapkamers." || got.StateUnavailable {
		t.Errorf("plan in the trajectory: %+v", got.Plan)
	}
	f.temporal.updateErr = context.DeadlineExceeded
	got = Trajectory{}
	f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach).decode(t, &got)
	if got.Plan != nil || !got.StateUnavailable {
		t.Errorf("without Temporal: plan %+v, state_unavailable %v", got.Plan, got.StateUnavailable)
	}
}

// TestClosureOutcomes: the closure carries each goal's outcome to the
// workflow; an outcome of a goal the plan in force does not have is the
// caller's mistake, named by its field.
func TestClosureOutcomes(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	f.temporal.state = trajectory.State{TrajectoryID: openID, ProgrammeID: "test-seconds", Phase: trajectory.PhaseInSupport,
		Plan: &trajectory.Plan{AgreedOn: time.Now().Add(-time.Hour), Goals: []trajectory.Goal{{ID: "g1", Domain: trajectory.DomainHousing, Text: "Een woning.", Status: trajectory.GoalReached}}}}
	res := f.do(http.MethodPost, stepPath("closure"), `{"reason":"goals_reached","outcomes":{"g9":"Verhuisd."}}`, authHeader, asCoach)
	checkFields(t, res, "invalid closure", []string{"outcomes"})
	if len(f.temporal.updates) != 0 {
		t.Fatalf("an invalid closure reached the workflow")
	}
	f.do(http.MethodPost, stepPath("closure"), `{"reason":"goals_reached","outcomes":{"g1":"Verhuisd naar een sociale woning."}}`, authHeader, asCoach).want(t, http.StatusOK)
	c, ok := f.temporal.updates[0].Args[0].(trajectory.Close)
	if !ok || c.Outcomes["g1"] != "Verhuisd naar een sociale woning." || c.By != "coach:test-coach" {
		t.Errorf("closure update %+v", f.temporal.updates[0])
	}
}
