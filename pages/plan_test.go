package pages

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// planState is a trajectory whose family agreed a plan: a goal in housing
// with an action of the coach (past its date) and one of the family, a
// goal in childcare with an action of a co-worker and one of a service
// of the network; a strength; a request of the family for another date.
func planState() trajectory.State {
	now := time.Now()
	past, ahead := now.Add(-48*time.Hour), now.Add(7*24*time.Hour)
	agreed := now.Add(-30 * 24 * time.Hour)
	return trajectory.State{TrajectoryID: stepTrajectory, Phase: trajectory.PhaseInSupport, CoachID: "test-coach",
		CoWorkers: []trajectory.CoWorker{{ID: "brugfiguur-lampeke-1", Role: "brugfiguur"}},
		Plan: &trajectory.Plan{AgreedOn: agreed, Strengths: []string{"Mama kookt graag voor de buren"},
			Network: []trajectory.NetworkMember{{ID: "n1", Service: "kinderopvang-noord", Contact: "Lies, onthaal", Since: agreed, ConsentToShare: true}},
			Goals: []trajectory.Goal{
				{ID: "g1", Domain: trajectory.DomainHousing, Text: "Een woning zonder schimmel", Status: trajectory.GoalOpen, Actions: []trajectory.Action{
					{ID: "a1", What: "Brief aan de huisbaas opstellen", Owner: trajectory.ActionOwner{Role: trajectory.OwnerCoach}, Due: &past},
					{ID: "a2", What: "Foto van de schimmel nemen", Owner: trajectory.ActionOwner{Role: trajectory.OwnerFamily}, Due: &past},
				}},
				{ID: "g2", Domain: trajectory.DomainChildcareSchool, Text: "Een plaats in de crèche voor Noor", Status: trajectory.GoalOpen, Actions: []trajectory.Action{
					{ID: "a1", What: "Samen inschrijven", Owner: trajectory.ActionOwner{Role: trajectory.OwnerCoWorker, ID: "brugfiguur-lampeke-1"}, Due: &ahead},
					{ID: "a2", What: "Plaats bevestigen", Owner: trajectory.ActionOwner{Role: trajectory.OwnerService, ID: "n1"}},
				}},
			}},
		DateRequests: []trajectory.DateRequest{{At: now.Add(-time.Hour), Message: "Woensdag kan ik niet, werk"}},
	}
}

func today() string { return time.Now().In(zone).Format("2006-01-02") }

// TestPlanOnThePage: the coach sees the plan by life domain (the
// programme's Dutch names), the family's words, who owes each action by
// name and by when (the coach's late, the family's never), the strengths,
// the network and the day the family agreed; the family's request for
// another date comes first on the page; no id of a goal, an action, a
// co-worker or a service shows.
func TestPlanOnThePage(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, planState())
	body := f.get("coach", "/trajecten/"+stepTrajectory).Body.String()
	text := visibleText(body)
	for _, want := range []string{"Gezinsplan", "Het gezin ging akkoord op", "Wonen", "Kinderopvang en school",
		"Een woning zonder schimmel", "Brief aan de huisbaas opstellen", "de coach, An Coach", "te laat",
		"Foto van de schimmel nemen", "het gezin", "bespreken bij het bezoek",
		"Samen inschrijven", "Fatma Brug", "Plaats bevestigen", "Kinderopvang Noord",
		"Mama kookt graag voor de buren", "Netwerk rond het gezin", "Lies, onthaal", "het gezin stemt in met delen",
		"Een wijziging afspreken", "Het gezin ging akkoord op", "Doel bereikt of loslaten"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q:\n%s", want, text)
		}
	}
	if !strings.Contains(body, `Gedaan<span class="vh">: Samen inschrijven</span>`) {
		t.Errorf("the button of an action done does not say which action, for a screen reader")
	}
	if strings.Count(text, "te laat") != 1 {
		t.Errorf("want only the coach's action late, the family's never:\n%s", text)
	}
	_, main, _ := strings.Cut(body, `<main id="inhoud">`)
	if i, j := strings.Index(main, "Het gezin vraagt een andere datum"), strings.Index(main, `<dl class="status">`); i < 0 || j < 0 || i > j {
		t.Errorf("the family's request for another date is not at the top of the page")
	}
	if !strings.Contains(text, "Woensdag kan ik niet, werk") {
		t.Errorf("the family's message is not shown")
	}
	if m := codeLike.FindString(text); m != "" {
		t.Errorf("the page shows the code %q", m)
	}
	for _, id := range []string{"kinderopvang-noord", "brugfiguur-lampeke-1", "g1", "a2", "n1", "housing", "childcare_school"} {
		if strings.Contains(text, id) {
			t.Errorf("the page shows the id %q", id)
		}
	}
	if !strings.Contains(body, `name="agreed_on" type="date" required`) || strings.Contains(body, `name="agreed_on" type="date" required aria-describedby="plan-agreed-help" value="2`) {
		t.Errorf("the date the family agreed is not a required field left empty")
	}
	// The handover offers the network's services first.
	if !strings.Contains(body, `<optgroup label="Netwerk van het gezin"><option value="kinderopvang-noord"`) {
		t.Errorf("the handover does not offer the network's services")
	}

	st := planState()
	st.DateRequests[0].Answered = true
	f = newStepFixture(t, trajectory.PhaseInSupport, st)
	if strings.Contains(f.get("coach", "/trajecten/"+stepTrajectory).Body.String(), "Het gezin vraagt een andere datum") {
		t.Errorf("an answered request is still shown")
	}
}

// TestAgreePlanChange: the coach posts one change (a new goal with two
// actions, a strength, a network member, the day the family agreed); the
// page sends agree-plan with the whole plan: the goals already agreed
// kept as they were, the new goal with its actions and the new ids, then
// goes back to the page, which says it was saved.
func TestAgreePlanChange(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, planState())
	due := time.Now().In(zone).Add(10 * 24 * time.Hour).Format("2006-01-02")
	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/gezinsplan", url.Values{
		"domain": {"health"}, "goal_text": {"Papa wil stoppen met roken"},
		"action_what":     {"Afspraak bij de huisarts", "Tabakologe bellen", ""},
		"action_owner":    {"family", "service:nieuw", "family"},
		"action_due":      {due, "", ""},
		"strengths":       {"Papa is eerlijk over wat moeilijk is\n\n"},
		"network_service": {""}, "network_other": {"Tabakologe Ann"}, "network_since": {today()},
		"agreed_on": {today()},
	})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/trajecten/"+stepTrajectory+"?gedaan=gezinsplan" {
		t.Fatalf("agree a change: %d %s\n%s", rec.Code, rec.Header().Get("Location"), visibleText(rec.Body.String()))
	}
	ups := f.temporal.sent()
	if len(ups) != 1 || ups[0].UpdateName != trajectory.UpdateAgreePlan {
		t.Fatalf("updates %+v", ups)
	}
	req := ups[0].Args[0].(trajectory.AgreePlan)
	p := req.Plan
	if req.By != "coach:test-coach" {
		t.Errorf("by %q", req.By)
	}
	if got := p.AgreedOn.In(zone).Format("2006-01-02"); got != today() || p.AgreedOn.After(time.Now()) {
		t.Errorf("agreed on %v, want today and not in the future", p.AgreedOn)
	}
	old := f.temporal.state.Plan
	if len(p.Goals) != 3 || p.Goals[0].Text != old.Goals[0].Text || len(p.Goals[0].Actions) != 2 || len(p.Goals[1].Actions) != 2 ||
		!p.Goals[0].Actions[0].Due.Equal(*old.Goals[0].Actions[0].Due) || len(old.Goals) != 2 || len(old.Strengths) != 1 {
		t.Fatalf("the plan agreed before is not kept whole: %+v", p.Goals)
	}
	g := p.Goals[2]
	if g.ID != "g3" || g.Domain != trajectory.DomainHealth || g.Text != "Papa wil stoppen met roken" || g.Status != trajectory.GoalOpen || len(g.Actions) != 2 {
		t.Fatalf("new goal %+v", g)
	}
	if a := g.Actions[0]; a.ID != "a1" || a.Owner.Role != trajectory.OwnerFamily || a.Due == nil || a.Due.In(zone).Format("2006-01-02") != due {
		t.Errorf("first action %+v", a)
	}
	if len(p.Network) != 2 || p.Network[1].ID != "n2" || p.Network[1].Service != "Tabakologe Ann" {
		t.Errorf("network %+v", p.Network)
	}
	if a := g.Actions[1]; a.Owner != (trajectory.ActionOwner{Role: trajectory.OwnerService, ID: "n2"}) || a.Due != nil {
		t.Errorf("the action of the service added in the same change: %+v", a)
	}
	if len(p.Strengths) != 2 || p.Strengths[1] != "Papa is eerlijk over wat moeilijk is" {
		t.Errorf("strengths %q", p.Strengths)
	}
	if action, outcome := f.lastAction(); action != usecase.ActionAgreePlan || outcome != store.OutcomeOK {
		t.Errorf("audit %s %s", action, outcome)
	}
	if done := f.get("coach", "/trajecten/"+stepTrajectory+"?gedaan=gezinsplan"); !strings.Contains(done.Body.String(), "Het gezinsplan is opgeslagen") {
		t.Errorf("after the step the page does not say it was saved")
	}

	// Actions added to a goal already open keep the rest of the plan.
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/gezinsplan", url.Values{"goal": {"g2"}, "key": {"form-plan-2"},
		"action_what": {"Kinderbijslag nakijken"}, "action_owner": {"co_worker:brugfiguur-lampeke-1"}, "action_due": {due}, "agreed_on": {today()}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("add an action: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	ups = f.temporal.sent()
	p = ups[1].Args[0].(trajectory.AgreePlan).Plan
	if len(p.Goals) != 2 || len(p.Goals[1].Actions) != 3 || p.Goals[1].Actions[2].ID != "a3" || p.Goals[1].Actions[2].Owner.ID != "brugfiguur-lampeke-1" {
		t.Errorf("actions added to g2: %+v", p.Goals)
	}
}

// TestAgreePlanRefused: without the day the family agreed nothing is sent,
// and the page says so in Dutch after the redirect, with what was typed;
// a refusal of the workflow's validator is said in Dutch too; a plan is
// the coach's: the supervisor may not agree one and sees no form.
func TestAgreePlanRefused(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, trajectory.State{TrajectoryID: stepTrajectory, Phase: trajectory.PhaseInSupport})
	page := visibleText(f.get("coach", "/trajecten/"+stepTrajectory).Body.String())
	if !strings.Contains(page, "Er is nog geen gezinsplan afgesproken met het gezin.") || !strings.Contains(page, "Het gezinsplan afspreken") {
		t.Errorf("a trajectory without a plan:\n%s", page)
	}
	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/gezinsplan", url.Values{"domain": {"housing"}, "goal_text": {"Een grotere woning"},
		"action_what": {"Inschrijven bij de sociale huisvesting"}, "action_owner": {"coach"}, "key": {"form-plan-1"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=gezinsplan",
		sayCode(trajectory.CodePlanAgreedOnRequired), "Een grotere woning</textarea>", `value="Inschrijven bij de sociale huisvesting"`, `value="form-plan-1"`)
	if len(f.temporal.sent()) != 0 {
		t.Errorf("a plan without the day the family agreed was sent")
	}

	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/gezinsplan", url.Values{"goal_text": {"Een grotere woning"}, "agreed_on": {today()}, "key": {"form-plan-2"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=gezinsplan", sayCode(trajectory.CodeGoalDomainRequired))
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/gezinsplan", url.Values{"agreed_on": {time.Now().In(zone).Add(72 * time.Hour).Format("2006-01-02")},
		"domain": {"housing"}, "goal_text": {"Een grotere woning"}, "key": {"form-plan-3"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=gezinsplan", sayCode(trajectory.CodePlanAgreedOnInFuture))
	if len(f.temporal.sent()) != 0 {
		t.Errorf("a refused plan was sent")
	}

	f.temporal.refuse = trajectory.Refused("no coach", trajectory.Refusal{Code: trajectory.CodePlanNeedsCoach})
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/gezinsplan", url.Values{"domain": {"housing"}, "goal_text": {"Een grotere woning"}, "agreed_on": {today()}, "key": {"form-plan-4"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=gezinsplan", sayCode(trajectory.CodePlanNeedsCoach), "Een grotere woning</textarea>")

	n := len(f.temporal.sent())
	if rec := f.post("supervisor", "/trajecten/"+stepTrajectory+"/gezinsplan", url.Values{"domain": {"housing"}, "goal_text": {"x"}, "agreed_on": {today()}}); rec.Code != http.StatusForbidden || len(f.temporal.sent()) != n {
		t.Errorf("a supervisor agrees a plan: %d", rec.Code)
	}
}

// TestPlanForTheSupervisor: the supervisor sees how the plan stands (goals
// per domain by status, the actions late) and the network, read-only: not
// the family's words, no form, no request of the family.
func TestPlanForTheSupervisor(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, planState())
	body := f.get("supervisor", "/trajecten/"+stepTrajectory).Body.String()
	text := visibleText(body)
	for _, want := range []string{"Gezinsplan", "Het gezin ging akkoord op", "Wonen: 1 lopend, 0 bereikt, 0 losgelaten",
		"Kinderopvang en school: 1 lopend", "3 open", "1 te laat", "Netwerk rond het gezin", "Kinderopvang Noord"} {
		if !strings.Contains(text, want) {
			t.Errorf("the supervisor's page does not say %q:\n%s", want, text)
		}
	}
	for _, not := range []string{"Een woning zonder schimmel", "Brief aan de huisbaas", "Mama kookt", "Woensdag kan ik niet"} {
		if strings.Contains(text, not) {
			t.Errorf("the supervisor's page shows the family's words %q", not)
		}
	}
	for _, step := range []string{"gezinsplan", "doel-status", "actie-gedaan"} {
		if strings.Contains(body, `action="/trajecten/`+stepTrajectory+`/`+step+`"`) {
			t.Errorf("the supervisor is shown the form %s", step)
		}
	}
}

// TestReviewAtAVisit: the coach marks a goal reached, lets one go only
// with a reason (refused in Dutch without), and records an action done.
func TestReviewAtAVisit(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, planState())
	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/doel-status", url.Values{"goal": {"g1"}, "status": {"reached"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/trajecten/"+stepTrajectory+"?gedaan=doel-status" {
		t.Fatalf("goal reached: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/doel-status", url.Values{"goal": {"g2"}, "status": {"let_go"}, "key": {"form-goal-2"}})
	text := f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=doel-status", sayCode(trajectory.CodeGoalLetGoReasonRequired), `value="form-goal-2"`)
	if !strings.Contains(text, "Doel bereikt of loslaten") {
		t.Errorf("the review form is not shown again")
	}
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/doel-status", url.Values{"goal": {"g2"}, "status": {"let_go"}, "reason": {"Noor gaat naar de onthaalmoeder van de buren"}, "key": {"form-goal-3"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("goal let go: %d", rec.Code)
	}
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/actie-gedaan", url.Values{"goal": {"g1"}, "action": {"a1"}, "key": {"form-done-1"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/trajecten/"+stepTrajectory+"?gedaan=actie-gedaan" {
		t.Fatalf("action done: %d", rec.Code)
	}
	ups := f.temporal.sent()
	if len(ups) != 3 {
		t.Fatalf("%d updates, want 3", len(ups))
	}
	if r := ups[0].Args[0].(trajectory.SetGoalStatus); ups[0].UpdateName != trajectory.UpdateSetGoalStatus || r.GoalID != "g1" || r.Status != trajectory.GoalReached || r.By != "coach:test-coach" {
		t.Errorf("reached %s %+v", ups[0].UpdateName, r)
	}
	if r := ups[1].Args[0].(trajectory.SetGoalStatus); r.GoalID != "g2" || r.Status != trajectory.GoalLetGo || r.Reason != "Noor gaat naar de onthaalmoeder van de buren" {
		t.Errorf("let go %+v", r)
	}
	if r := ups[2].Args[0].(trajectory.RecordActionDone); ups[2].UpdateName != trajectory.UpdateRecordActionDone || r.GoalID != "g1" || r.ActionID != "a1" || !r.DoneAt.IsZero() {
		t.Errorf("done %s %+v", ups[2].UpdateName, r)
	}
	if action, _ := f.lastAction(); action != usecase.ActionRecordActionDone {
		t.Errorf("audit %s", action)
	}
	if done := f.get("coach", "/trajecten/"+stepTrajectory+"?gedaan=actie-gedaan"); !strings.Contains(done.Body.String(), "De actie is als gedaan opgeslagen.") {
		t.Errorf("after the step the page does not say it was recorded")
	}
	// A goal reached by mistake is opened again.
	st := planState()
	st.Plan.Goals[0].Status = trajectory.GoalReached
	f.temporal.state = st
	if text := visibleText(f.get("coach", "/trajecten/"+stepTrajectory).Body.String()); !strings.Contains(text, "Doel weer openen") || !strings.Contains(text, "(bereikt)") {
		t.Errorf("a goal reached has no button to open it again:\n%s", text)
	}
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/doel-status", url.Values{"goal": {"g1"}, "status": {"open"}, "key": {"form-goal-4"}})
	if r := f.temporal.sent()[3].Args[0].(trajectory.SetGoalStatus); rec.Code != http.StatusSeeOther || r.GoalID != "g1" || r.Status != trajectory.GoalOpen {
		t.Errorf("open again: %d %+v", rec.Code, r)
	}
	f.temporal.refuse = trajectory.Refused("done", trajectory.Refusal{Code: trajectory.CodeActionAlreadyDone})
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/actie-gedaan", url.Values{"goal": {"g1"}, "action": {"a1"}, "key": {"form-done-2"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=actie-gedaan", "Deze actie is al gedaan")
}

// TestCloseAsksGoalOutcomes: the closure form asks the result of each
// open goal, and sends what was written by goal.
func TestCloseAsksGoalOutcomes(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, planState())
	text := visibleText(f.get("coach", "/trajecten/"+stepTrajectory).Body.String())
	if !strings.Contains(text, "Resultaat van elk lopend doel") || strings.Count(text, "Een woning zonder schimmel") < 2 {
		t.Errorf("the closure form does not ask each open goal's result:\n%s", text)
	}
	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/afsluiting", url.Values{"reason": {"goals_reached"}, "bevestigd": {"ja"},
		"outcome_g1": {"Verhuisd naar een woning van de sociale huisvesting"}, "outcome_g2": {""}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("close: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	c := f.temporal.sent()[0].Args[0].(trajectory.Close)
	if len(c.Outcomes) != 1 || c.Outcomes["g1"] != "Verhuisd naar een woning van de sociale huisvesting" {
		t.Errorf("outcomes %v", c.Outcomes)
	}
}

// TestCoWorkerRecordsTheirAction: a co-worker whose role the programme
// gives "actie-gedaan" sees the plan and records an action done as
// themselves; the plan's own forms are the coach's: not shown, and
// refused when sent all the same.
func TestCoWorkerRecordsTheirAction(t *testing.T) {
	prog := stepProgramme()
	p := prog["test-seconds"]
	p.CoWorkerRoles = []programme.CoWorkerRole{{Role: "brugfiguur", Name: "Brugfiguur", Steps: []string{"bezoek", "actie-gedaan"}}}
	prog["test-seconds"] = p
	st := &fakeStore{rows: map[string]store.Trajectory{stepTrajectory: {TrajectorySummary: store.TrajectorySummary{
		ID: stepTrajectory, ProgrammeID: "test-seconds", CoachID: "test-coach", CoWorkers: []string{"brugfiguur-lampeke-1"}, Phase: trajectory.PhaseInSupport,
		ReferredAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, Family: &trajectory.Family{ContactName: "Gezin Peeters"}}}}
	sessions := subjectSessions{"brug": {ID: "tok_brug", Kind: store.TokenCoWorker, Subject: "brugfiguur-lampeke-1", Programmes: []string{"test-seconds"}}}
	f := &stepFixture{temporal: &stepTemporal{state: planState()}, audit: &fakeAudit{}}
	f.h = New(Config{Cases: usecase.Cases{Store: st, Audit: f.audit, Temporal: f.temporal, Programmes: prog, Logger: slog.New(slog.DiscardHandler)},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler)})

	body := f.get("brug", "/trajecten/"+stepTrajectory).Body.String()
	if text := visibleText(body); !strings.Contains(text, "Samen inschrijven") || !strings.Contains(text, "Een plaats in de crèche voor Noor") {
		t.Errorf("the co-worker does not see the plan:\n%s", text)
	}
	if !strings.Contains(body, `action="/trajecten/`+stepTrajectory+`/actie-gedaan"`) {
		t.Errorf("the co-worker has no button to record an action done")
	}
	for _, step := range []string{"gezinsplan", "doel-status"} {
		if strings.Contains(body, `action="/trajecten/`+stepTrajectory+`/`+step+`"`) {
			t.Errorf("the co-worker is shown the form %s", step)
		}
	}
	rec := f.post("brug", "/trajecten/"+stepTrajectory+"/actie-gedaan", url.Values{"goal": {"g2"}, "action": {"a1"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("the co-worker's action done: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	if r := f.temporal.sent()[0].Args[0].(trajectory.RecordActionDone); r.GoalID != "g2" || r.ActionID != "a1" || r.By != "co_worker:brugfiguur-lampeke-1" {
		t.Errorf("done %+v", r)
	}
	if rec := f.post("brug", "/trajecten/"+stepTrajectory+"/gezinsplan", url.Values{"domain": {"housing"}, "goal_text": {"x"}, "agreed_on": {today()}, "key": {"form-2"}}); rec.Code != http.StatusForbidden || len(f.temporal.sent()) != 1 {
		t.Errorf("a co-worker agrees a plan: %d", rec.Code)
	}
}

// TestGoalsReviewedWithTheFamily: a goal past its review cadence is marked
// "samen bespreken" on the coach's page, and "Doelen besproken" records
// the review of every open goal (review-goals, audited as such); the
// supervisor gets no form for it.
func TestGoalsReviewedWithTheFamily(t *testing.T) {
	st := planState()
	due := time.Now().Add(-time.Hour)
	st.Plan.Goals[0].ReviewDue = &due
	f := newStepFixture(t, trajectory.PhaseInSupport, st)
	page := f.get("coach", "/trajecten/"+stepTrajectory).Body.String()
	if text := visibleText(page); strings.Count(text, "samen bespreken") != 1 || !strings.Contains(text, "Doelen besproken met het gezin") {
		t.Errorf("the coach's page does not mark the goal due for review or offer the review:\n%s", text)
	}
	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/doelen-besproken", url.Values{"key": {"form-review-1"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/trajecten/"+stepTrajectory+"?gedaan=doelen-besproken" {
		t.Fatalf("goals reviewed: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	ups := f.temporal.sent()
	if len(ups) != 1 || ups[0].UpdateName != trajectory.UpdateReviewGoals {
		t.Fatalf("updates %+v, want one review-goals", ups)
	}
	if r := ups[0].Args[0].(trajectory.ReviewGoals); len(r.Goals) != 0 || r.By != "coach:test-coach" || !r.At.IsZero() {
		t.Errorf("review %+v, want every open goal, now, by the coach", r)
	}
	if action, _ := f.lastAction(); action != usecase.ActionReviewGoals {
		t.Errorf("audit %s", action)
	}
	if strings.Contains(f.get("supervisor", "/trajecten/"+stepTrajectory).Body.String(), `/doelen-besproken"`) {
		t.Error("the supervisor is offered the review")
	}
}
