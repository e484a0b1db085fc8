package workflows

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// The family plan. The workflow keeps the plan as last agreed with the
// family (State.Plan) and follows it: each action with a due date that the
// coach, a co-worker or a service owes is an obligation like a visit
// (State.PlanActions), reminded reminder_lead before to whoever owes it
// (the coach for a service, whom the coach follows up) and alerted to the
// supervisor alert_grace after. The family's own actions are never alerted:
// the coach goes through them at the next visit (State.FamilyActions).
// Each open goal is due for review plan_review_cadence after it was last
// reviewed (Goal.ReviewDue); that shows in the state, it sends nothing.
//
// The plan's words are sealed: they go into the events' detail only under
// keys the log seals (trajectory.PlanClearDetailKeys are the codes), never
// into search attributes, the current details or a log line.

// markPlan records the change's marker in the run. No history from before
// the change holds these Updates, so no run takes an old branch.
func (w *trajectoryWorkflow) markPlan(ctx workflow.Context) {
	_ = w.takes(ctx, changeFamilyPlan)
}

// agreedPlan is the plan a request agrees, completed from the plan in
// force: ids for what is new, and what the family cannot undo by leaving it
// out (an action's done date, a goal's status, reason and outcome, and the
// workflow's review times).
func (w *trajectoryWorkflow) agreedPlan(req trajectory.AgreePlan) trajectory.Plan {
	p := req.Plan
	p.Goals = slices.Clone(p.Goals)
	prev := w.c.State.Plan
	for i := range p.Goals {
		g := &p.Goals[i]
		g.Actions = slices.Clone(g.Actions)
		g.ReviewedAt, g.ReviewDue = time.Time{}, nil
		old, ok := prev.Goal(g.ID)
		if !ok {
			if g.Status == "" {
				g.Status = trajectory.GoalOpen
			}
			continue
		}
		if g.Status == "" {
			g.Status = old.Status
		}
		if g.Status == old.Status && g.LetGoReason == "" {
			g.LetGoReason = old.LetGoReason
		}
		if g.Outcome == "" {
			g.Outcome = old.Outcome
		}
		g.ReviewedAt = old.ReviewedAt
		for j := range g.Actions {
			a := &g.Actions[j]
			if oa, ok := old.Action(a.ID); ok && a.Done == nil && oa.Done != nil {
				a.Done = oa.Done
			}
		}
	}
	return p.WithIDs()
}

func (w *trajectoryWorkflow) planCheck(ctx workflow.Context) trajectory.PlanCheck {
	return trajectory.PlanCheck{Now: workflow.Now(ctx), Timings: w.c.Timings, CoWorkers: w.c.State.CoWorkers, Previous: w.c.State.Plan}
}

func (w *trajectoryWorkflow) validateAgreePlan(ctx workflow.Context, req trajectory.AgreePlan) error {
	if w.c.State.Phase == trajectory.PhaseReferred {
		return reject(trajectory.CodePlanNeedsCoach, nil, "no coach is assigned yet: assign the fixed coach before agreeing a plan with the family")
	}
	return rejectProblems(trajectory.PlanProblems(w.planCheck(ctx), w.agreedPlan(req)))
}

// agreePlan puts the plan in force: the goals agreed are reviewed now, an
// action of the material_needs domain without a date gets the programme's
// default deadline, and the actions owed with a date become obligations.
func (w *trajectoryWorkflow) agreePlan(ctx workflow.Context, req trajectory.AgreePlan) (trajectory.State, error) {
	w.markPlan(ctx)
	now := workflow.Now(ctx)
	prev := w.c.State.Plan
	p := w.agreedPlan(req)
	for i := range p.Goals {
		g := &p.Goals[i]
		if d := w.c.Timings.MaterialNeedsDeadline; d > 0 && g.Domain == trajectory.DomainMaterialNeeds {
			for j := range g.Actions {
				if a := &g.Actions[j]; a.Due == nil && a.Done == nil {
					due := now.Add(d.Std())
					a.Due = &due
				}
			}
		}
		if g.Status != trajectory.GoalLetGo {
			g.LetGoReason = ""
		}
		w.reviewed(g, now)
	}
	w.c.State.Plan = &p
	w.followPlan()
	var events []trajectory.Event
	detail := map[string]string{trajectory.DetailGoals: trajectory.GoalCodes(p), "agreed_on": p.AgreedOn.UTC().Format(time.DateOnly)}
	trajectory.PlanDetail(p, detail)
	events = append(events, w.event(ctx, updateTrigger(ctx), trajectory.EventPlanAgreed, req.By, detail))
	// A goal the plan marks reached or let go is counted as one marked so
	// by its own Update.
	for _, g := range p.Goals {
		was := trajectory.GoalOpen
		if old, ok := prev.Goal(g.ID); ok {
			was = old.Status
		}
		if g.Status != was {
			events = append(events, w.goalStatusEvent(ctx, "/"+g.ID, g, req.By))
		}
	}
	for _, e := range events {
		if err := w.record(ctx, e); err != nil {
			return w.c.State, err
		}
	}
	return w.c.State, nil
}

// reviewed marks a goal reviewed at, due for review again by the cadence
// while it is open.
func (w *trajectoryWorkflow) reviewed(g *trajectory.Goal, at time.Time) {
	g.ReviewedAt, g.ReviewDue = at, nil
	if c := w.c.Timings.ReviewCadence(); c > 0 && g.Status == trajectory.GoalOpen {
		due := at.Add(c)
		g.ReviewDue = &due
	}
}

// followPlan makes State.PlanActions the obligations of the plan in force:
// each open action with a due date, of an open goal, that the coach, a
// co-worker or a service owes. An obligation already followed at the same
// instant keeps its timers (a reminder given is not given again); one
// whose date changed starts afresh. It wakes the main loop.
func (w *trajectoryWorkflow) followPlan() {
	var steps []*trajectory.Step
	for _, ref := range w.c.State.Plan.OpenActions(trajectory.OwnerCoach, trajectory.OwnerCoWorker, trajectory.OwnerService) {
		if ref.Due == nil {
			continue
		}
		i := slices.IndexFunc(w.c.State.PlanActions, func(s *trajectory.Step) bool {
			return s.Goal == ref.Goal && s.Action == ref.Action && s.DueAt.Equal(*ref.Due)
		})
		if i >= 0 {
			steps = append(steps, w.c.State.PlanActions[i])
			continue
		}
		steps = append(steps, &trajectory.Step{Kind: trajectory.StepPlanAction, Goal: ref.Goal, Action: ref.Action, DueAt: *ref.Due})
	}
	w.c.State.PlanActions = steps
	w.wakeMainLoop()
}

// actionOwner is who is reminded of an action of the plan: the co-worker
// who owes it while they work on the trajectory, else the coach.
func (w *trajectoryWorkflow) actionOwner(step trajectory.Step) trajectory.Recipient {
	if g, ok := w.c.State.Plan.Goal(step.Goal); ok {
		if a, ok := g.Action(step.Action); ok && a.Owner.Role == trajectory.OwnerCoWorker && w.coWorkerIndex(a.Owner.ID) >= 0 {
			return trajectory.Recipient{Role: trajectory.RoleCoWorker, CoWorkerID: a.Owner.ID}
		}
	}
	return w.coach()
}

// needPlan refuses a step on the plan when none was agreed.
func (w *trajectoryWorkflow) needPlan() error {
	if w.c.State.Plan == nil {
		return reject(trajectory.CodePlanNotAgreed, nil, "no plan was agreed with the family yet")
	}
	return nil
}

// goalOf finds a goal of the plan, or refuses.
func (w *trajectoryWorkflow) goalOf(id string) (*trajectory.Goal, error) {
	if err := w.needPlan(); err != nil {
		return nil, err
	}
	g, ok := w.c.State.Plan.Goal(id)
	if !ok {
		return nil, reject(trajectory.CodeGoalUnknown, goalArgs(id), "%q is not a goal of the family plan", id)
	}
	return g, nil
}

// goalArgs names a goal in a refusal's args, if the id is one.
func goalArgs(id string) map[string]string {
	if trajectory.PlanIDProblem(id) {
		return map[string]string{}
	}
	return map[string]string{trajectory.ArgGoal: id}
}

func (w *trajectoryWorkflow) validateRecordActionDone(ctx workflow.Context, req trajectory.RecordActionDone) error {
	if err := rejectProblems(trajectory.ActionDoneProblems(workflow.Now(ctx), req)); err != nil {
		return err
	}
	g, err := w.goalOf(req.GoalID)
	if err != nil {
		return err
	}
	a, ok := g.Action(req.ActionID)
	if !ok {
		args := goalArgs(g.ID)
		if !trajectory.PlanIDProblem(req.ActionID) {
			args[trajectory.ArgAction] = req.ActionID
		}
		return reject(trajectory.CodeActionUnknown, args, "%q is not an action of goal %s", req.ActionID, g.ID)
	}
	if a.Done != nil {
		return reject(trajectory.CodeActionAlreadyDone,
			map[string]string{trajectory.ArgGoal: g.ID, trajectory.ArgAction: a.ID, trajectory.ArgDoneAt: rfc3339(*a.Done)},
			"action %s of goal %s was already done on %s", a.ID, g.ID, rfc3339(*a.Done))
	}
	return nil
}

// recordActionDone: an action of the plan was done; its obligation ends.
func (w *trajectoryWorkflow) recordActionDone(ctx workflow.Context, req trajectory.RecordActionDone) (trajectory.State, error) {
	w.markPlan(ctx)
	doneAt := orNow(ctx, req.DoneAt)
	g, _ := w.c.State.Plan.Goal(req.GoalID)
	a, _ := g.Action(req.ActionID)
	a.Done = &doneAt
	var step *trajectory.Step
	if i := slices.IndexFunc(w.c.State.PlanActions, func(s *trajectory.Step) bool { return s.Goal == g.ID && s.Action == a.ID }); i >= 0 {
		step = w.c.State.PlanActions[i]
	}
	w.followPlan()
	detail := stepDetail(map[string]string{
		trajectory.DetailGoal: g.ID, trajectory.DetailAction: a.ID, trajectory.DetailDomain: string(g.Domain),
		trajectory.DetailOwnerRole: string(a.Owner.Role), "done_at": rfc3339(doneAt),
	}, step, doneAt)
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventActionDone, req.By, detail))
}

func (w *trajectoryWorkflow) validateSetGoalStatus(ctx workflow.Context, req trajectory.SetGoalStatus) error {
	if err := rejectProblems(trajectory.GoalStatusProblems(req)); err != nil {
		return err
	}
	g, err := w.goalOf(req.GoalID)
	if err != nil {
		return err
	}
	if g.Status == req.Status {
		return reject(trajectory.CodeGoalStatusUnchanged, map[string]string{trajectory.ArgGoal: g.ID, trajectory.ArgStatus: string(g.Status)},
			"goal %s is already %s", g.ID, g.Status)
	}
	return nil
}

// setGoalStatus marks a goal reached, let go or open again, which reviews
// it; the obligations of a goal no longer open end.
func (w *trajectoryWorkflow) setGoalStatus(ctx workflow.Context, req trajectory.SetGoalStatus) (trajectory.State, error) {
	w.markPlan(ctx)
	g, _ := w.c.State.Plan.Goal(req.GoalID)
	g.Status, g.LetGoReason = req.Status, ""
	if req.Status == trajectory.GoalLetGo {
		g.LetGoReason = req.Reason
	}
	w.reviewed(g, workflow.Now(ctx))
	w.followPlan()
	return w.c.State, w.record(ctx, w.goalStatusEvent(ctx, "", *g, req.By))
}

// goalStatusEvent is the event of a goal's new status; suffix tells the
// goals of one Update apart in the event's cause.
func (w *trajectoryWorkflow) goalStatusEvent(ctx workflow.Context, suffix string, g trajectory.Goal, by string) trajectory.Event {
	kind := trajectory.EventGoalReopened
	switch g.Status {
	case trajectory.GoalReached:
		kind = trajectory.EventGoalReached
	case trajectory.GoalLetGo:
		kind = trajectory.EventGoalLetGo
	}
	detail := map[string]string{trajectory.DetailGoal: g.ID, trajectory.DetailDomain: string(g.Domain), trajectory.DetailGoalStatus: string(g.Status)}
	if g.LetGoReason != "" {
		detail[trajectory.DetailReason] = g.LetGoReason
	}
	return w.event(ctx, updateTrigger(ctx)+suffix, kind, by, detail)
}

func (w *trajectoryWorkflow) validateReviewGoals(ctx workflow.Context, req trajectory.ReviewGoals) error {
	if err := rejectProblems(trajectory.ReviewProblems(workflow.Now(ctx), req)); err != nil {
		return err
	}
	if err := w.needPlan(); err != nil {
		return err
	}
	for _, id := range req.Goals {
		if _, err := w.goalOf(id); err != nil {
			return err
		}
	}
	return nil
}

// reviewGoals: goals were reviewed with the family at a visit (every open
// goal when the request names none).
func (w *trajectoryWorkflow) reviewGoals(ctx workflow.Context, req trajectory.ReviewGoals) (trajectory.State, error) {
	w.markPlan(ctx)
	at := orNow(ctx, req.At)
	var codes []string
	for i := range w.c.State.Plan.Goals {
		g := &w.c.State.Plan.Goals[i]
		if (len(req.Goals) == 0 && g.Status == trajectory.GoalOpen) || slices.Contains(req.Goals, g.ID) {
			w.reviewed(g, at)
			codes = append(codes, g.ID+":"+string(g.Domain)+":"+string(g.Status))
		}
	}
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventGoalsReviewed, req.By, map[string]string{
		trajectory.DetailGoals: strings.Join(codes, ","), "at": rfc3339(at),
	}))
}

func (w *trajectoryWorkflow) validateRequestNewDate(ctx workflow.Context, req trajectory.RequestNewDate) error {
	return rejectProblems(trajectory.DateRequestProblems(req))
}

// requestNewDate: the family asks for another appointment. It changes no
// appointment; the coach sees the request (State.DateRequests, the event)
// and answers it by moving the visit.
func (w *trajectoryWorkflow) requestNewDate(ctx workflow.Context, req trajectory.RequestNewDate) (trajectory.State, error) {
	w.markPlan(ctx)
	w.c.State.DateRequests = append(w.c.State.DateRequests, trajectory.DateRequest{At: workflow.Now(ctx), Message: req.Message})
	if extra := len(w.c.State.DateRequests) - trajectory.DateRequestsKept; extra > 0 {
		w.c.State.DateRequests = slices.Delete(w.c.State.DateRequests, 0, extra)
	}
	detail := map[string]string{}
	if next := w.c.State.Next; next != nil && next.Kind == trajectory.StepHomeVisit {
		detail["step"] = next.Key()
	}
	if req.Message != "" {
		detail[trajectory.DetailMessage] = req.Message
	}
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventNewDateRequested, req.By, detail))
}

// answerDateRequests marks the family's requests answered: the coach
// moved the visit, or recorded it or its absence.
func (w *trajectoryWorkflow) answerDateRequests() {
	for i := range w.c.State.DateRequests {
		w.c.State.DateRequests[i].Answered = true
	}
}

// closePlan records each goal's outcome at closure and ends the plan's
// obligations; the closed event's detail lists the goals as codes
// (reports) and the outcomes in words (sealed).
func (w *trajectoryWorkflow) closePlan(req trajectory.Close, detail map[string]string) {
	p := w.c.State.Plan
	w.c.State.PlanActions = nil
	if p == nil {
		return
	}
	for i := range p.Goals {
		g := &p.Goals[i]
		if o, ok := req.Outcomes[g.ID]; ok {
			g.Outcome = o
		}
		g.ReviewDue = nil
		if g.Outcome != "" {
			detail["goal:"+g.ID+":outcome"] = g.Outcome
		}
	}
	detail[trajectory.DetailGoals] = trajectory.GoalCodes(*p)
}
