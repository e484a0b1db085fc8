package trajectory

import (
	"slices"
	"strconv"
	"time"
)

// PlanProblems checks a plan to be agreed: the date the family agreed it
// (required, not in the future, not before the previous one), goals with a
// domain of the programme, the family's words within their limits, unique
// ids, a valid status (a reason to let a goal go), actions owed by someone
// the trajectory knows (an assigned co-worker, a service of the network),
// due dates ahead and within MaxPlanAhead (one kept from the previous plan
// may have passed), done dates not in the future.
func PlanProblems(c PlanCheck, p Plan) []Problem {
	k := &planChecker{PlanCheck: c, plan: p}
	k.agreedOn()
	if len(p.Goals) == 0 {
		k.add("plan.goals", "is required: at least one goal in the family's words", CodePlanGoalsRequired)
	}
	k.count("plan.goals", len(p.Goals), MaxGoals)
	k.count("plan.strengths", len(p.Strengths), MaxStrengths)
	k.count("plan.network", len(p.Network), MaxNetworkMembers)
	for i, s := range p.Strengths {
		k.text("plan.strengths["+strconv.Itoa(i)+"]", s, MaxStrengthLength, true)
	}
	members := map[string]bool{}
	for i, m := range p.Network {
		f := "plan.network[" + strconv.Itoa(i) + "]"
		k.id(f+".id", m.ID, members)
		k.text(f+".service", m.Service, MaxNetworkLength, true)
		k.text(f+".contact", m.Contact, MaxNetworkLength, false)
		if m.Since.After(c.Now.Add(ClockSkew)) {
			k.add(f+".since", "lies in the future", CodePlanDateInFuture)
		}
	}
	goals := map[string]bool{}
	for i, g := range p.Goals {
		k.goal("plan.goals["+strconv.Itoa(i)+"]", g, goals)
	}
	return k.ps
}

// planChecker gathers the problems of one plan, in the order of its fields.
type planChecker struct {
	PlanCheck
	plan Plan
	ps   []Problem
}

func (k *planChecker) add(field, msg string, code RefusalCode, args ...string) {
	a := map[string]string{ArgField: field}
	for i := 0; i+1 < len(args); i += 2 {
		a[args[i]] = args[i+1]
	}
	k.ps = append(k.ps, Problem{Field: field, Message: msg, Code: code, Args: a})
}

func (k *planChecker) text(field, v string, max int, required bool) {
	switch _, tp := CleanText(v, required, max, true); tp {
	case "":
	case TextRequired:
		k.add(field, "is required", CodePlanTextRequired)
	case TextTooLong:
		k.add(field, "is too long: at most "+strconv.Itoa(max)+" characters", CodePlanTextTooLong, ArgMax, strconv.Itoa(max))
	default:
		k.add(field, "must be plain text without control or formatting characters", CodePlanTextInvalid)
	}
}

func (k *planChecker) id(field, v string, seen map[string]bool) {
	switch {
	case v == "":
	case !planID.MatchString(v):
		k.add(field, "must be a short id of lowercase letters and digits, starting with a letter (such as g1), or empty for a new one", CodePlanIDInvalid)
	case seen[v]:
		k.add(field, "is listed twice", CodePlanIDDuplicate)
	}
	seen[v] = true
}

func (k *planChecker) count(field string, n, max int) {
	if n > max {
		k.add(field, "has too many entries: at most "+strconv.Itoa(max), CodePlanTooMany, ArgMax, strconv.Itoa(max))
	}
}

func (k *planChecker) agreedOn() {
	switch on := k.plan.AgreedOn; {
	case on.IsZero():
		k.add("plan.agreed_on", "is required: the date the family agreed the plan", CodePlanAgreedOnRequired)
	case on.After(k.Now.Add(ClockSkew)):
		k.add("plan.agreed_on", "lies in the future: record the plan once the family agreed it", CodePlanAgreedOnInFuture)
	case k.Previous != nil && on.Before(k.Previous.AgreedOn):
		k.add("plan.agreed_on", "lies before the date the plan in force was agreed", CodePlanAgreedOnBeforePrevious,
			ArgNotBefore, k.Previous.AgreedOn.UTC().Format(time.RFC3339))
	}
}

func (k *planChecker) goal(f string, g Goal, goals map[string]bool) {
	k.id(f+".id", g.ID, goals)
	switch {
	case g.Domain == "":
		k.add(f+".domain", "is required: the life domain the goal is in", CodeGoalDomainRequired)
	case !slices.ContainsFunc(k.Timings.Domains(), func(d NamedDomain) bool { return d.ID == string(g.Domain) }):
		k.add(f+".domain", "is not a life domain of the programme", CodeGoalDomainUnknown)
	}
	k.text(f+".text", g.Text, MaxGoalLength, true)
	k.ps = append(k.ps, goalStatusProblems(f, g.Status, g.LetGoReason, true)...)
	k.text(f+".outcome", g.Outcome, MaxOutcomeLength, false)
	k.count(f+".actions", len(g.Actions), MaxActionsPerGoal)
	var prev *Goal
	if k.Previous != nil && g.ID != "" {
		prev, _ = k.Previous.Goal(g.ID)
	}
	actions := map[string]bool{}
	for j, a := range g.Actions {
		k.action(f+".actions["+strconv.Itoa(j)+"]", a, prev, actions)
	}
}

func (k *planChecker) action(af string, a Action, prev *Goal, actions map[string]bool) {
	k.id(af+".id", a.ID, actions)
	k.text(af+".what", a.What, MaxActionLength, true)
	k.ps = append(k.ps, ownerProblems(af+".owner", a.Owner, k.CoWorkers, k.plan)...)
	if a.Due != nil {
		// A due date kept from the plan in force may have passed.
		var kept bool
		if prev != nil && a.ID != "" {
			pa, ok := prev.Action(a.ID)
			kept = ok && pa.Due != nil && pa.Due.Equal(*a.Due)
		}
		switch {
		case a.Due.IsZero():
			k.add(af+".due", "is not a date: leave it out when no date was agreed", CodeActionDueInPast)
		case !kept && a.Done == nil && !a.Due.After(k.Now):
			k.add(af+".due", "lies in the past: agree a date ahead", CodeActionDueInPast)
		case a.Due.After(k.Now.Add(MaxPlanAhead)):
			k.add(af+".due", "must lie within a year", CodeActionDueTooFar)
		}
	}
	if a.Done != nil && a.Done.After(k.Now.Add(ClockSkew)) {
		k.add(af+".done", "lies in the future: record an action once it is done", CodePlanDateInFuture)
	}
}
