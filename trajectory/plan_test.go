package trajectory

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPlanProblems(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	timings := Timings{HomeVisitCadence: Duration(14 * 24 * time.Hour)}
	good := func() Plan {
		return Plan{AgreedOn: now.Add(-time.Hour), Strengths: []string{"Veerkrachtig"},
			Network: []NetworkMember{{ID: "n1", Service: "CAW", Contact: "onthaal"}},
			Goals: []Goal{{ID: "g1", Domain: DomainHousing, Text: "Een grotere woning", Actions: []Action{
				{ID: "a1", What: "Inschrijven", Owner: ActionOwner{Role: OwnerCoach}, Due: at(48 * time.Hour)},
				{ID: "a2", What: "Documenten", Owner: ActionOwner{Role: OwnerFamily}},
				{ID: "a3", What: "Gesprek", Owner: ActionOwner{Role: OwnerCoWorker, ID: "exp-1"}, Due: at(72 * time.Hour)},
				{ID: "a4", What: "Terugbellen", Owner: ActionOwner{Role: OwnerService, ID: "n1"}},
			}}}}
	}
	check := PlanCheck{Now: now, Timings: timings, CoWorkers: []CoWorker{{ID: "exp-1", Role: "kinderrechtenexpert"}}}
	for _, c := range []struct {
		name   string
		change func(*Plan, *PlanCheck)
		want   []RefusalCode
		field  string
	}{
		{"a good plan", func(*Plan, *PlanCheck) {}, nil, ""},
		{"no agreed date", func(p *Plan, _ *PlanCheck) { p.AgreedOn = time.Time{} }, []RefusalCode{CodePlanAgreedOnRequired}, "plan.agreed_on"},
		{"agreed tomorrow", func(p *Plan, _ *PlanCheck) { p.AgreedOn = now.Add(24 * time.Hour) }, []RefusalCode{CodePlanAgreedOnInFuture}, "plan.agreed_on"},
		{"agreed before the plan in force", func(p *Plan, c *PlanCheck) {
			c.Previous = &Plan{AgreedOn: now}
		}, []RefusalCode{CodePlanAgreedOnBeforePrevious}, "plan.agreed_on"},
		{"no goals", func(p *Plan, _ *PlanCheck) { p.Goals = nil }, []RefusalCode{CodePlanGoalsRequired}, "plan.goals"},
		{"no domain", func(p *Plan, _ *PlanCheck) { p.Goals[0].Domain = "" }, []RefusalCode{CodeGoalDomainRequired}, "plan.goals[0].domain"},
		{"a domain the programme dropped", func(p *Plan, c *PlanCheck) {
			c.Timings.LifeDomains = []NamedDomain{{ID: "wonen_en_energie", Name: "Wonen en energie"}}
		}, []RefusalCode{CodeGoalDomainUnknown}, "plan.goals[0].domain"},
		{"a domain the programme added", func(p *Plan, c *PlanCheck) {
			c.Timings.LifeDomains = []NamedDomain{{ID: "wonen_en_energie", Name: "Wonen en energie"}}
			p.Goals[0].Domain = "wonen_en_energie"
		}, nil, ""},
		{"a blank goal", func(p *Plan, _ *PlanCheck) { p.Goals[0].Text = "  " }, []RefusalCode{CodePlanTextRequired}, "plan.goals[0].text"},
		{"a goal too long", func(p *Plan, _ *PlanCheck) { p.Goals[0].Text = strings.Repeat("a", MaxGoalLength+1) },
			[]RefusalCode{CodePlanTextTooLong}, "plan.goals[0].text"},
		{"a hidden character", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[0].What = "In\u202eschrijven" },
			[]RefusalCode{CodePlanTextInvalid}, "plan.goals[0].actions[0].what"},
		{"a blank strength", func(p *Plan, _ *PlanCheck) { p.Strengths = []string{""} }, []RefusalCode{CodePlanTextRequired}, "plan.strengths[0]"},
		{"an unknown status", func(p *Plan, _ *PlanCheck) { p.Goals[0].Status = "done" }, []RefusalCode{CodeGoalStatusUnknown}, "plan.goals[0].status"},
		{"let go without a reason", func(p *Plan, _ *PlanCheck) { p.Goals[0].Status = GoalLetGo },
			[]RefusalCode{CodeGoalLetGoReasonRequired}, "plan.goals[0].let_go_reason"},
		{"a bad id", func(p *Plan, _ *PlanCheck) { p.Goals[0].ID = "Mama's doel" }, []RefusalCode{CodePlanIDInvalid}, "plan.goals[0].id"},
		{"a twice used id", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[1].ID = "a1" }, []RefusalCode{CodePlanIDDuplicate}, "plan.goals[0].actions[1].id"},
		{"no owner", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[0].Owner = ActionOwner{} },
			[]RefusalCode{CodeActionOwnerUnknown}, "plan.goals[0].actions[0].owner.role"},
		{"an owner role unknown", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[0].Owner.Role = "neighbour" },
			[]RefusalCode{CodeActionOwnerUnknown}, "plan.goals[0].actions[0].owner.role"},
		{"the family named by an id", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[1].Owner.ID = "mama" },
			[]RefusalCode{CodeActionOwnerIDUnexpected}, "plan.goals[0].actions[1].owner.id"},
		{"a co-worker not assigned", func(p *Plan, c *PlanCheck) { c.CoWorkers = nil },
			[]RefusalCode{CodeCoWorkerNotAssigned}, "plan.goals[0].actions[2].owner.id"},
		{"a co-worker unnamed", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[2].Owner.ID = "" },
			[]RefusalCode{CodeActionOwnerIDRequired}, "plan.goals[0].actions[2].owner.id"},
		{"a service outside the network", func(p *Plan, _ *PlanCheck) { p.Network = nil },
			[]RefusalCode{CodeActionServiceUnknown}, "plan.goals[0].actions[3].owner.id"},
		{"a new action due in the past", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[0].Due = at(-time.Hour) },
			[]RefusalCode{CodeActionDueInPast}, "plan.goals[0].actions[0].due"},
		{"an action kept with its passed date", func(p *Plan, c *PlanCheck) {
			p.Goals[0].Actions[0].Due = at(-time.Hour)
			prev := good()
			prev.AgreedOn = now.Add(-48 * time.Hour)
			prev.Goals[0].Actions[0].Due = at(-time.Hour)
			c.Previous = &prev
		}, nil, ""},
		{"an action due in two years", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[0].Due = at(2 * 366 * 24 * time.Hour) },
			[]RefusalCode{CodeActionDueTooFar}, "plan.goals[0].actions[0].due"},
		{"an action done tomorrow", func(p *Plan, _ *PlanCheck) { p.Goals[0].Actions[1].Done = at(24 * time.Hour) },
			[]RefusalCode{CodePlanDateInFuture}, "plan.goals[0].actions[1].done"},
		{"too many goals", func(p *Plan, _ *PlanCheck) {
			for len(p.Goals) <= MaxGoals {
				p.Goals = append(p.Goals, Goal{Domain: DomainHealth, Text: "x"})
			}
		}, []RefusalCode{CodePlanTooMany}, "plan.goals"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, ch := good(), check
			c.change(&p, &ch)
			ps := PlanProblems(ch, p)
			var got []RefusalCode
			for _, pr := range ps {
				got = append(got, pr.Code)
				if pr.Code == "" || pr.Message == "" || pr.Args[ArgField] != pr.Field {
					t.Errorf("problem %+v lacks its code, message or field arg", pr)
				}
				for k, v := range pr.Args {
					if strings.ContainsAny(v, " '\u202e") {
						t.Errorf("problem %+v: arg %s holds typed text", pr, k)
					}
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("codes %v, want %v (%v)", got, c.want, ps)
			}
			if len(ps) > 0 && ps[0].Field != c.field {
				t.Errorf("field %s, want %s", ps[0].Field, c.field)
			}
		})
	}
}

func TestPlanStepProblems(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		ps   []Problem
		want []RefusalCode
	}{
		{"action done", ActionDoneProblems(now, RecordActionDone{GoalID: "g1", ActionID: "a1"}), nil},
		{"action unnamed", ActionDoneProblems(now, RecordActionDone{}), []RefusalCode{CodePlanIDRequired, CodePlanIDRequired}},
		{"action done tomorrow", ActionDoneProblems(now, RecordActionDone{GoalID: "g1", ActionID: "a1", DoneAt: now.Add(24 * time.Hour)}), []RefusalCode{CodePlanDateInFuture}},
		{"goal reached", GoalStatusProblems(SetGoalStatus{GoalID: "g1", Status: GoalReached}), nil},
		{"goal let go with a reason", GoalStatusProblems(SetGoalStatus{GoalID: "g1", Status: GoalLetGo, Reason: "verhuisd"}), nil},
		{"goal let go without", GoalStatusProblems(SetGoalStatus{GoalID: "g1", Status: GoalLetGo}), []RefusalCode{CodeGoalLetGoReasonRequired}},
		{"no status", GoalStatusProblems(SetGoalStatus{GoalID: "g1"}), []RefusalCode{CodeGoalStatusUnknown}},
		{"review tomorrow", ReviewProblems(now, ReviewGoals{At: now.Add(24 * time.Hour)}), []RefusalCode{CodePlanDateInFuture}},
		{"a short request", DateRequestProblems(RequestNewDate{Message: "Woensdag liever"}), nil},
		{"a long request", DateRequestProblems(RequestNewDate{Message: strings.Repeat("x", MaxDateRequestLength+1)}), []RefusalCode{CodePlanTextTooLong}},
		{"outcomes of the plan's goals", OutcomeProblems(&Plan{Goals: []Goal{{ID: "g1"}}}, map[string]string{"g1": "bereikt"}), nil},
		{"an outcome of no goal", OutcomeProblems(&Plan{Goals: []Goal{{ID: "g1"}}}, map[string]string{"g2": "bereikt"}), []RefusalCode{CodeGoalUnknown}},
		{"outcomes without a plan", OutcomeProblems(nil, map[string]string{"g1": "x"}), []RefusalCode{CodeGoalUnknown}},
		{"no outcomes without a plan", OutcomeProblems(nil, nil), nil},
	} {
		var got []RefusalCode
		for _, p := range c.ps {
			got = append(got, p.Code)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: codes %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPlanWithIDsAndCodes(t *testing.T) {
	p := Plan{Goals: []Goal{{ID: "g2", Domain: DomainHealth, Status: GoalOpen, Actions: []Action{{}, {ID: "a1"}}}, {Domain: DomainHousing, Status: GoalReached}},
		Network: []NetworkMember{{}}}.WithIDs()
	if p.Goals[1].ID != "g1" || p.Goals[0].Actions[0].ID != "a2" || p.Network[0].ID != "n1" {
		t.Errorf("ids %+v", p)
	}
	codes := GoalCodes(p)
	if codes != "g2:health:open,g1:housing:reached" {
		t.Errorf("codes %q", codes)
	}
	if got := ParseGoalCodes(codes + ",broken"); len(got) != 2 || got[1] != (GoalCode{ID: "g1", Domain: DomainHousing, Status: GoalReached}) {
		t.Errorf("parsed %+v", got)
	}
	d := map[string]string{}
	PlanDetail(Plan{Goals: []Goal{{ID: "g1", Text: "woning"}}, Strengths: []string{"sterk"}}, d)
	for k := range d {
		if slices.Contains(PlanClearDetailKeys, k) {
			t.Errorf("the plan's words go under clear key %s", k)
		}
	}
	if d["goal:g1"] != "woning" || d["strength:1"] != "sterk" {
		t.Errorf("detail %v", d)
	}
}

func TestLifeDomains(t *testing.T) {
	if len(Timings{}.Domains()) != 9 {
		t.Errorf("default domains %v", Timings{}.Domains())
	}
	for _, d := range []LifeDomain{DomainIncomeDebts, DomainHousing, DomainHealth, DomainParenting, DomainChildcareSchool,
		DomainWorkTraining, DomainSocialNetwork, DomainAdministrationRights, DomainMaterialNeeds} {
		if !slices.ContainsFunc(DefaultLifeDomains, func(l NamedDomain) bool { return l.ID == string(d) && l.Name != "" }) {
			t.Errorf("domain %s has no Dutch name", d)
		}
	}
}
