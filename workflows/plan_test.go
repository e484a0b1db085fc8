package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

func dueAt(offset time.Duration) *time.Time {
	t := t0.Add(offset)
	return &t
}

// TestFamilyPlanIsFollowed: in Genk's Op'stap (reminder_lead 2d,
// alert_grace 2d, no plan_review_cadence: the weekly visit cadence) the
// coach agrees a plan with the family: three goals in two domains, with
// actions owed by the coach, the children's-rights expert and the family.
// The coach's action and the expert's are reminded (the coach's with the
// expert's copy) and alerted at their exact instants; the family's action
// sends nothing, it shows in the state. One goal is reached, one let go;
// the closure records each goal's outcome.
func TestFamilyPlanIsFollowed(t *testing.T) {
	p := loadProgramme(t, "genk-opstap")
	r := newRun(t, p)
	coach, expert := p.Coaches[0].ID, p.CoWorkers[0]
	by := "coach:" + coach
	plan := trajectory.Plan{
		AgreedOn:  t0.Add(4 * day),
		Strengths: []string{"Mama kookt graag en goed", "De oudste helpt de kleinsten"},
		Network:   []trajectory.NetworkMember{{Service: "OCMW Genk, budgetbegeleiding", Contact: "Mevr. Peeters", Since: t0, ConsentToShare: true}},
		Goals: []trajectory.Goal{
			{Domain: trajectory.DomainHousing, Text: "We willen een woning met twee slaapkamers", Actions: []trajectory.Action{
				{What: "Inschrijven bij het sociaal verhuurkantoor", Owner: trajectory.ActionOwner{Role: trajectory.OwnerCoach}, Due: dueAt(20 * day)},
				{What: "Loonbrieven verzamelen", Owner: trajectory.ActionOwner{Role: trajectory.OwnerFamily}, Due: dueAt(15 * day)},
			}},
			{Domain: trajectory.DomainHousing, Text: "De huur elke maand op tijd betalen", Actions: []trajectory.Action{
				{What: "Budgetgesprek met de kinderrechtenexpert", Owner: trajectory.ActionOwner{Role: trajectory.OwnerCoWorker, ID: expert.ID}, Due: dueAt(25 * day)},
			}},
			{Domain: trajectory.DomainIncomeDebts, Text: "Geen aanmaningen meer", Actions: []trajectory.Action{
				{What: "Elke brief meteen openen", Owner: trajectory.ActionOwner{Role: trajectory.OwnerFamily}},
			}},
		},
	}
	r.refusedAt(12*time.Hour, trajectory.UpdateAgreePlan, trajectory.AgreePlan{Plan: plan}, "no coach is assigned yet")
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	// Before the expert is assigned, an action cannot be theirs.
	r.refusedAt(1*day+time.Hour, trajectory.UpdateAgreePlan, trajectory.AgreePlan{Plan: withAgreedOn(plan, t0.Add(1*day))}, "not a co-worker assigned to this trajectory")
	r.at(2*day, trajectory.UpdateAssignCoWorker, trajectory.AssignCoWorker{CoWorkerID: expert.ID, Role: expert.Role, By: "supervisor:x"})
	r.at(3*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(300 * day), By: by})
	r.refusedAt(4*day-time.Hour, trajectory.UpdateRecordActionDone, trajectory.RecordActionDone{GoalID: "g1", ActionID: "a1"}, "no plan was agreed")
	r.at(4*day, trajectory.UpdateAgreePlan, trajectory.AgreePlan{Plan: plan, By: by})
	r.refusedAt(4*day+time.Hour, trajectory.UpdateAgreePlan, trajectory.AgreePlan{Plan: withAgreedOn(plan, t0.Add(3*day))}, "lies before the date the plan in force was agreed")
	r.refusedAt(5*day, trajectory.UpdateRecordActionDone, trajectory.RecordActionDone{GoalID: "g9", ActionID: "a1"}, `"g9" is not a goal`)
	r.refusedAt(5*day, trajectory.UpdateSetGoalStatus, trajectory.SetGoalStatus{GoalID: "g2", Status: trajectory.GoalLetGo}, "is required when a goal is let go")

	var mid trajectory.State
	r.env.RegisterDelayedCallback(func() {
		v, err := r.env.QueryWorkflow(trajectory.QueryState)
		if err == nil {
			err = v.Get(&mid)
		}
		if err != nil {
			t.Errorf("query state: %v", err)
		}
	}, 12*day)

	// The family's own action was due at 15d: no email, ever.
	r.at(16*day, trajectory.UpdateRecordActionDone, trajectory.RecordActionDone{GoalID: "g1", ActionID: "a2", By: by})
	// The coach's action, due 20d: reminded at 18d, alerted at 22d, done at 23d.
	r.at(23*day, trajectory.UpdateRecordActionDone, trajectory.RecordActionDone{GoalID: "g1", ActionID: "a1", By: by})
	r.refusedAt(23*day+time.Hour, trajectory.UpdateRecordActionDone, trajectory.RecordActionDone{GoalID: "g1", ActionID: "a1"}, "was already done")
	// The expert's action, due 25d: reminded at 23d (to the expert), alerted at 27d, done at 28d.
	r.at(28*day, trajectory.UpdateRecordActionDone, trajectory.RecordActionDone{GoalID: "g2", ActionID: "a1", By: "co_worker:" + expert.ID})
	r.at(29*day, trajectory.UpdateRequestNewDate, trajectory.RequestNewDate{Message: "Dinsdag kan ik niet, woensdag wel", By: "family"})
	r.at(30*day, trajectory.UpdateSetGoalStatus, trajectory.SetGoalStatus{GoalID: "g1", Status: trajectory.GoalReached, By: by})
	r.at(30*day+time.Hour, trajectory.UpdateSetGoalStatus, trajectory.SetGoalStatus{GoalID: "g2", Status: trajectory.GoalLetGo,
		Reason: "Het gezin verhuist, de huur is dan anders", By: by})
	r.refusedAt(30*day+2*time.Hour, trajectory.UpdateSetGoalStatus, trajectory.SetGoalStatus{GoalID: "g1", Status: trajectory.GoalReached}, "already reached")
	r.refusedAt(31*day-time.Hour, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, Outcomes: map[string]string{"g7": "x"}}, "not in the family plan")
	r.at(31*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by, Outcomes: map[string]string{
		"g1": "Het gezin woont sinds deze maand in een sociale woning", "g2": "Losgelaten bij de verhuis", "g3": "Nog twee aanmaningen; CAW volgt op",
	}})
	r.execute(referral(p))

	coachMail, sup := r.coachEmail(coach), p.SupervisorEmail
	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "plan_action-g1-a1/reminder", To: coachMail, At: t0.Add(18 * day)},
		sent{Key: "plan_action-g1-a1/reminder", To: expert.Email, At: t0.Add(18 * day)},
		sent{Key: "plan_action-g1-a1/alert", To: sup, At: t0.Add(22 * day)},
		sent{Key: "plan_action-g2-a1/reminder", To: expert.Email, At: t0.Add(23 * day)},
		sent{Key: "plan_action-g2-a1/alert", To: sup, At: t0.Add(27 * day)},
	)

	// At 12d: every goal due for review (reviewed at 4d, cadence 7d), the
	// family's two actions listed for the next visit, two actions followed.
	if got := mid.GoalsDueForReview(t0.Add(12 * day)); strings.Join(got, ",") != "g1,g2,g3" {
		t.Errorf("goals due for review at 12d: %v, want g1,g2,g3", got)
	}
	var family []string
	for _, a := range mid.FamilyActions() {
		family = append(family, a.Goal+"/"+a.Action)
	}
	if strings.Join(family, ",") != "g1/a2,g3/a1" || len(mid.PlanActions) != 2 {
		t.Errorf("at 12d family actions %v, followed %d actions; want g1/a2,g3/a1 and 2", family, len(mid.PlanActions))
	}
	if mid.Plan == nil || len(mid.Plan.Network) != 1 || mid.Plan.Network[0].ID != "n1" || mid.Plan.Goals[2].ID != "g3" {
		t.Errorf("plan at 12d: %+v", mid.Plan)
	}

	var state trajectory.State
	if err := r.env.GetWorkflowResult(&state); err != nil {
		t.Fatal(err)
	}
	if state.Plan == nil || state.Plan.Goals[0].Status != trajectory.GoalReached || state.Plan.Goals[1].Status != trajectory.GoalLetGo ||
		state.Plan.Goals[2].Status != trajectory.GoalOpen || state.Plan.Goals[0].Outcome == "" || state.Plan.Goals[2].Outcome == "" ||
		len(state.PlanActions) != 0 || len(state.DateRequests) != 1 {
		t.Errorf("final plan %+v, actions %v, date requests %v", state.Plan, state.PlanActions, state.DateRequests)
	}

	byKind := map[string][]trajectory.Event{}
	for _, e := range r.events {
		byKind[e.Kind] = append(byKind[e.Kind], e)
	}
	agreed := byKind[trajectory.EventPlanAgreed]
	if len(agreed) != 1 || agreed[0].Detail[trajectory.DetailGoals] != "g1:housing:open,g2:housing:open,g3:income_debts:open" ||
		agreed[0].Detail["goal:g1"] != plan.Goals[0].Text || agreed[0].Detail["network:n1:contact"] != "Mevr. Peeters" {
		t.Errorf("plan_agreed events %+v", agreed)
	}
	done := byKind[trajectory.EventActionDone]
	if len(done) != 3 || done[1].Detail["step"] != "plan_action-g1-a1" || done[1].Detail["late"] != "true" ||
		done[1].Detail[trajectory.DetailOwnerRole] != "coach" || done[0].Detail["step"] != "" || done[2].Detail[trajectory.DetailDomain] != "housing" {
		t.Errorf("plan_action_done events %+v", done)
	}
	if g := byKind[trajectory.EventGoalReached]; len(g) != 1 || g[0].Detail[trajectory.DetailGoal] != "g1" || g[0].Detail[trajectory.DetailDomain] != "housing" {
		t.Errorf("goal_reached events %+v", g)
	}
	if g := byKind[trajectory.EventGoalLetGo]; len(g) != 1 || g[0].Detail[trajectory.DetailGoal] != "g2" || g[0].Detail[trajectory.DetailReason] == "" {
		t.Errorf("goal_let_go events %+v", g)
	}
	if g := byKind[trajectory.EventNewDateRequested]; len(g) != 1 || g[0].Actor != "family" || g[0].Detail["step"] != "home_visit-1" {
		t.Errorf("new_date_requested events %+v", g)
	}
	closed := byKind[trajectory.EventClosed]
	if len(closed) != 1 || closed[0].Detail[trajectory.DetailGoals] != "g1:housing:reached,g2:housing:let_go,g3:income_debts:open" ||
		closed[0].Detail["goal:g3:outcome"] == "" {
		t.Errorf("closed events %+v", closed)
	}
	// The plan's words reach no search attribute, and no code the clear
	// detail keeps holds them.
	for _, e := range r.events {
		for _, k := range trajectory.PlanClearDetailKeys {
			if v := e.Detail[k]; strings.ContainsAny(v, " ") {
				t.Errorf("event %s: clear key %s holds %q", e.Kind, k, v)
			}
		}
		if strings.Contains(e.Summary.NextStep, " ") {
			t.Errorf("event %s: next step %q", e.Kind, e.Summary.NextStep)
		}
	}
}

func withAgreedOn(p trajectory.Plan, on time.Time) trajectory.Plan {
	p.AgreedOn = on
	p.Goals = slices.Clone(p.Goals)
	return p
}

// TestMaterialNeedsFirst: in Mechelen's GO-team an action for a material
// need agreed without a date is due material_needs_deadline (7d) after the
// plan is recorded, and is reminded (1d before) and alerted (1d after) like
// any; an action of another domain without a date is owed by no date.
func TestMaterialNeedsFirst(t *testing.T) {
	p := loadProgramme(t, "go-team-mechelen")
	if p.MaterialNeedsDeadline.Std() != 7*day {
		t.Fatalf("go-team-mechelen material_needs_deadline %s, want 7d", p.MaterialNeedsDeadline.Std())
	}
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.at(12*time.Hour, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(1*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(200 * day)})
	r.at(2*day, trajectory.UpdateAgreePlan, trajectory.AgreePlan{Plan: trajectory.Plan{AgreedOn: t0.Add(2 * day), Goals: []trajectory.Goal{
		{Domain: trajectory.DomainMaterialNeeds, Text: "Een bed voor de jongste", Actions: []trajectory.Action{
			{What: "Aanvraag bij de kringwinkel", Owner: trajectory.ActionOwner{Role: trajectory.OwnerCoach}},
		}},
		{Domain: trajectory.DomainHealth, Text: "Een huisarts vinden", Actions: []trajectory.Action{
			{What: "Bellen naar het wijkgezondheidscentrum", Owner: trajectory.ActionOwner{Role: trajectory.OwnerCoach}},
		}},
	}}})
	r.at(20*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
	r.execute(referral(p))
	coachMail := r.coachEmail(coach)
	r.assertSent(
		r.assigned(coach, "intake", t0.Add(12*time.Hour)),
		sent{Key: "plan_action-g1-a1/reminder", To: coachMail, At: t0.Add(8 * day)},
		sent{Key: "plan_action-g1-a1/alert", To: p.SupervisorEmail, At: t0.Add(10 * day)},
	)
	var state trajectory.State
	if err := r.env.GetWorkflowResult(&state); err != nil {
		t.Fatal(err)
	}
	if d := state.Plan.Goals[0].Actions[0].Due; d == nil || !d.Equal(t0.Add(9*day)) || state.Plan.Goals[1].Actions[0].Due != nil {
		t.Errorf("due dates %v and %v; want t0+9d and none", d, state.Plan.Goals[1].Actions[0].Due)
	}
}
