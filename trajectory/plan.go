package trajectory

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The family plan (gezinsplan): goals in the family's own words, each in a
// life domain, the strengths the family brings, the actions agreed for
// each goal (what, who, by when) and the services and people around the
// family. The plan is agreed with the family: it changes only as a whole,
// with the date the family agreed it (AgreePlan), so every version of it
// is one the family said yes to.
//
// The plan's words are personal data. They travel in Update requests, the
// carried state and the query answer, which the payload codec encrypts
// under the trajectory's key, and in an event's detail under keys that
// are sealed (PlanClearDetailKeys lists the ones that are codes); never
// in ids, search attributes, logs or metric labels.

const (
	UpdateAgreePlan        = "agree-plan"
	UpdateRecordActionDone = "record-action-done"
	UpdateSetGoalStatus    = "set-goal-status"
	UpdateReviewGoals      = "review-goals"
	// UpdateRequestNewDate is the family asking for another appointment:
	// a request the coach sees, not a change of the appointment.
	UpdateRequestNewDate = "request-new-date"

	// StepPlanAction is an action of the plan with a due date, owed by the
	// coach, a co-worker or a service the coach follows up (Step.Goal and
	// Step.Action name it).
	StepPlanAction StepKind = "plan_action"

	EventPlanAgreed       = "plan_agreed"
	EventActionDone       = "plan_action_done"
	EventGoalReached      = "goal_reached"
	EventGoalLetGo        = "goal_let_go"
	EventGoalReopened     = "goal_reopened"
	EventGoalsReviewed    = "goals_reviewed"
	EventNewDateRequested = "new_date_requested"
)

// GoalStatus is where a goal stands.
type GoalStatus string

const (
	GoalOpen    GoalStatus = "open"
	GoalReached GoalStatus = "reached"
	// GoalLetGo: the family (with the coach) let the goal go; LetGoReason says why.
	GoalLetGo GoalStatus = "let_go"
)

// GoalStatuses lists every status.
var GoalStatuses = []GoalStatus{GoalOpen, GoalReached, GoalLetGo}

// OwnerRole is who owes an action of the plan.
type OwnerRole string

const (
	OwnerFamily OwnerRole = "family"
	// OwnerCoach is the trajectory's coach, whoever that is when the action falls due.
	OwnerCoach    OwnerRole = "coach"
	OwnerCoWorker OwnerRole = "co_worker"
	// OwnerService is a partner service of the plan's network; the coach
	// follows it up, so its reminder goes to the coach.
	OwnerService OwnerRole = "service"
)

// OwnerRoles lists every owner role.
var OwnerRoles = []OwnerRole{OwnerFamily, OwnerCoach, OwnerCoWorker, OwnerService}

// Plan is the family plan of a trajectory.
type Plan struct {
	Goals []Goal `json:"goals"`
	// Strengths are what the family brings, in its own words.
	Strengths []string `json:"strengths,omitempty"`
	// AgreedOn is the date the family agreed the plan or its last change:
	// required, and never made up.
	AgreedOn time.Time `json:"agreed_on"`
	// Network are the services and people around the family.
	Network []NetworkMember `json:"network,omitempty"`
}

// Goal is one goal of the plan.
type Goal struct {
	// ID is short and names no one ("g1"); an empty id in AgreePlan is
	// given the next free one.
	ID     string     `json:"id"`
	Domain LifeDomain `json:"domain"`
	// Text is the goal in the family's own words.
	Text        string     `json:"text"`
	Status      GoalStatus `json:"status"`
	LetGoReason string     `json:"let_go_reason,omitempty"`
	Actions     []Action   `json:"actions,omitempty"`
	// Outcome is the goal's result as recorded at closure.
	Outcome string `json:"outcome,omitempty"`
	// ReviewedAt is when the goal was last reviewed with the family (the
	// plan agreed, its status set, a review at a visit); ReviewDue when
	// the next review is due by the programme's plan_review_cadence.
	// Both are kept by the workflow; a request's values are ignored.
	ReviewedAt time.Time  `json:"reviewed_at,omitzero"`
	ReviewDue  *time.Time `json:"review_due,omitempty"`
}

// Action is one agreed action towards a goal.
type Action struct {
	// ID is unique within its goal ("a1"); empty in AgreePlan: the next free one.
	ID    string      `json:"id"`
	What  string      `json:"what"`
	Owner ActionOwner `json:"owner"`
	// Due is the instant the action is due; nil: no date agreed (an
	// action of the material_needs domain then gets the programme's
	// material_needs_deadline, if it has one).
	Due *time.Time `json:"due,omitempty"`
	// Done is when it was done.
	Done *time.Time `json:"done,omitempty"`
}

// ActionOwner is who owes an action.
type ActionOwner struct {
	Role OwnerRole `json:"role"`
	// ID is the co-worker's id (OwnerCoWorker) or the network member's id
	// (OwnerService); empty for the family and the coach.
	ID string `json:"id,omitempty"`
}

// NetworkMember is a service or person around the family.
type NetworkMember struct {
	// ID is short and names no one ("n1"); empty in AgreePlan: the next free one.
	ID string `json:"id"`
	// Service is a partner service's id or name.
	Service string `json:"service"`
	// Contact is the person there, or how to reach them.
	Contact string    `json:"contact,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	// ConsentToShare: the family consents that the coach shares with them.
	ConsentToShare bool `json:"consent_to_share,omitempty"`
}

// AgreePlan sets the plan, or changes it, as agreed with the family.
type AgreePlan struct {
	Precondition
	Plan Plan   `json:"plan"`
	By   string `json:"by,omitempty"`
}

// RecordActionDone records that an agreed action was done.
type RecordActionDone struct {
	Precondition
	GoalID   string `json:"goal"`
	ActionID string `json:"action"`
	// DoneAt is when; zero means now.
	DoneAt time.Time `json:"done_at"`
	By     string    `json:"by,omitempty"`
}

// SetGoalStatus marks a goal reached or let go (with a reason), or open again.
type SetGoalStatus struct {
	Precondition
	GoalID string     `json:"goal"`
	Status GoalStatus `json:"status"`
	// Reason is required when the goal is let go.
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
}

// ReviewGoals records that goals were reviewed with the family at a visit.
type ReviewGoals struct {
	Precondition
	// Goals are the ids of the goals reviewed; empty: every open goal.
	Goals []string `json:"goals,omitempty"`
	// At is when; zero means now.
	At time.Time `json:"at"`
	By string    `json:"by,omitempty"`
}

// RequestNewDate is the family asking for another appointment.
type RequestNewDate struct {
	Precondition
	// Message is short and optional: what the family wrote.
	Message string `json:"message,omitempty"`
	By      string `json:"by,omitempty"`
}

// DateRequest is a request of the family for another appointment, as the
// state keeps it for the coach. Answered is set once the coach moved,
// recorded or missed the planned visit after it.
type DateRequest struct {
	At       time.Time `json:"at"`
	Message  string    `json:"message,omitempty"`
	Answered bool      `json:"answered,omitempty"`
}

// DateRequestsKept bounds State.DateRequests.
const DateRequestsKept = 5

// Limits of the plan's texts.
const (
	MaxGoalLength        = 500
	MaxActionLength      = 300
	MaxStrengthLength    = 300
	MaxNetworkLength     = 200 // a network member's service and contact
	MaxDateRequestLength = 300
	MaxGoals             = 30
	MaxActionsPerGoal    = 20
	MaxStrengths         = 20
	MaxNetworkMembers    = 30
	MaxOutcomeLength     = 1000
)

// Keys of the events' detail. PlanClearDetailKeys are codes, ids and
// counts that reports may keep in clear; every other key of the plan's
// events (PlanDetail's, DetailReason, DetailMessage) is the family's words
// and stays sealed.
const (
	DetailGoal       = "goal"        // a goal's id
	DetailAction     = "action"      // an action's id within its goal
	DetailDomain     = "domain"      // a LifeDomain
	DetailOwnerRole  = "owner_role"  // an OwnerRole
	DetailGoalStatus = "goal_status" // a GoalStatus
	// DetailGoals lists goals as GoalCodes: "g1:housing:reached,g2:health:open".
	DetailGoals   = "goals"
	DetailReason  = "reason"  // sealed on the plan's events
	DetailMessage = "message" // sealed
)

// PlanClearDetailKeys are the detail keys of the plan's events that hold
// codes only.
var PlanClearDetailKeys = []string{DetailGoal, DetailAction, DetailDomain, DetailOwnerRole, DetailGoalStatus, DetailGoals}

// GoalCode is a goal as codes only: what reports count.
type GoalCode struct {
	ID     string
	Domain LifeDomain
	Status GoalStatus
}

// GoalCodes writes the plan's goals as codes for DetailGoals.
func GoalCodes(p Plan) string {
	parts := make([]string, len(p.Goals))
	for i, g := range p.Goals {
		parts[i] = g.ID + ":" + string(g.Domain) + ":" + string(g.Status)
	}
	return strings.Join(parts, ",")
}

// ParseGoalCodes reads DetailGoals; malformed parts are skipped.
func ParseGoalCodes(s string) []GoalCode {
	var gs []GoalCode
	for _, part := range strings.Split(s, ",") {
		f := strings.Split(part, ":")
		if len(f) != 3 {
			continue
		}
		gs = append(gs, GoalCode{ID: f[0], Domain: LifeDomain(f[1]), Status: GoalStatus(f[2])})
	}
	return gs
}

// Goal finds a goal of the plan by id.
func (p *Plan) Goal(id string) (*Goal, bool) {
	if p == nil {
		return nil, false
	}
	for i := range p.Goals {
		if p.Goals[i].ID == id {
			return &p.Goals[i], true
		}
	}
	return nil, false
}

// Action finds an action of the goal by id.
func (g *Goal) Action(id string) (*Action, bool) {
	for i := range g.Actions {
		if g.Actions[i].ID == id {
			return &g.Actions[i], true
		}
	}
	return nil, false
}

// Member finds a member of the network by id.
func (p Plan) Member(id string) (NetworkMember, bool) {
	for _, m := range p.Network {
		if m.ID == id {
			return m, true
		}
	}
	return NetworkMember{}, false
}

// ActionRef is an open action of the plan, by goal and action.
type ActionRef struct {
	Goal   string      `json:"goal"`
	Action string      `json:"action"`
	Domain LifeDomain  `json:"domain"`
	Owner  ActionOwner `json:"owner"`
	Due    *time.Time  `json:"due,omitempty"`
}

// OpenActions lists the actions not done of the goals still open, owed by
// any of roles (every role when none is given): the family's own actions
// are what the coach goes through at the next visit.
func (p *Plan) OpenActions(roles ...OwnerRole) []ActionRef {
	if p == nil {
		return nil
	}
	var rs []ActionRef
	for _, g := range p.Goals {
		if g.Status != GoalOpen {
			continue
		}
		for _, a := range g.Actions {
			if a.Done != nil || (len(roles) > 0 && !slices.Contains(roles, a.Owner.Role)) {
				continue
			}
			rs = append(rs, ActionRef{Goal: g.ID, Action: a.ID, Domain: g.Domain, Owner: a.Owner, Due: a.Due})
		}
	}
	return rs
}

// FamilyActions are the family's own open actions, shown at the next visit
// and never alerted.
func (s State) FamilyActions() []ActionRef { return s.Plan.OpenActions(OwnerFamily) }

// GoalsDueForReview are the open goals whose review is due at now.
func (s State) GoalsDueForReview(now time.Time) []string {
	if s.Plan == nil {
		return nil
	}
	var ids []string
	for _, g := range s.Plan.Goals {
		if g.Status == GoalOpen && g.ReviewDue != nil && !g.ReviewDue.After(now) {
			ids = append(ids, g.ID)
		}
	}
	return ids
}

// planID is a goal's, an action's or a network member's id.
var planID = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)

// WithIDs gives every goal, action and network member without an id the
// next free one ("g3", "a2", "n1"), so a client may send new ones without.
func (p Plan) WithIDs() Plan {
	p.Goals = slices.Clone(p.Goals)
	p.Network = slices.Clone(p.Network)
	next := func(prefix string, used func(string) bool) string {
		for n := 1; ; n++ {
			if id := prefix + strconv.Itoa(n); !used(id) {
				return id
			}
		}
	}
	for i := range p.Goals {
		if p.Goals[i].ID == "" {
			p.Goals[i].ID = next("g", func(id string) bool { _, ok := p.Goal(id); return ok })
		}
		g := &p.Goals[i]
		g.Actions = slices.Clone(g.Actions)
		for j := range g.Actions {
			if g.Actions[j].ID == "" {
				g.Actions[j].ID = next("a", func(id string) bool { _, ok := g.Action(id); return ok })
			}
		}
	}
	for i := range p.Network {
		if p.Network[i].ID == "" {
			p.Network[i].ID = next("n", func(id string) bool { _, ok := p.Member(id); return ok })
		}
	}
	return p
}

// PlanCheck is what a plan is checked against besides itself.
type PlanCheck struct {
	Now     time.Time
	Timings Timings
	// CoWorkers are the co-workers assigned to the trajectory.
	CoWorkers []CoWorker
	// Previous is the plan agreed before, if any: an action it had with
	// the same due date may keep a due date that passed.
	Previous *Plan
}

func goalStatusProblems(field string, status GoalStatus, reason string, emptyIsOpen bool) []Problem {
	var ps []Problem
	switch {
	case status == "" && emptyIsOpen:
	case !slices.Contains(GoalStatuses, status):
		sf := field + ".status"
		if field == "" {
			sf = "status"
		}
		ps = append(ps, Problem{Field: sf, Message: "must be one of open, reached, let_go", Code: CodeGoalStatusUnknown,
			Args: map[string]string{ArgField: sf}})
	}
	rf := field + ".let_go_reason"
	if field == "" {
		rf = "reason"
	}
	if status == GoalLetGo && strings.TrimSpace(reason) == "" {
		ps = append(ps, Problem{Field: rf, Message: "is required when a goal is let go: say why, with the family", Code: CodeGoalLetGoReasonRequired,
			Args: map[string]string{ArgField: rf}})
	} else if _, tp := CleanText(reason, false, MaxNoteLength, true); tp != "" {
		ps = append(ps, Problem{Field: rf, Message: "must be plain text of at most " + strconv.Itoa(MaxNoteLength) + " characters", Code: CodePlanTextInvalid,
			Args: map[string]string{ArgField: rf}})
	}
	return ps
}

// ownerProblems checks who owes an action.
func ownerProblems(field string, o ActionOwner, coWorkers []CoWorker, p Plan) []Problem {
	bad := func(f, msg string, code RefusalCode, args ...string) []Problem {
		a := map[string]string{ArgField: f}
		for i := 0; i+1 < len(args); i += 2 {
			a[args[i]] = args[i+1]
		}
		return []Problem{{Field: f, Message: msg, Code: code, Args: a}}
	}
	switch o.Role {
	case OwnerFamily, OwnerCoach:
		if o.ID != "" {
			return bad(field+".id", "must be empty for the family and the coach", CodeActionOwnerIDUnexpected)
		}
	case OwnerCoWorker:
		switch {
		case o.ID == "":
			return bad(field+".id", "is required: the co-worker who owes the action", CodeActionOwnerIDRequired)
		case !slices.ContainsFunc(coWorkers, func(c CoWorker) bool { return c.ID == o.ID }):
			var args []string
			if planID.MatchString(o.ID) || idLike.MatchString(o.ID) {
				args = []string{ArgCoWorker, o.ID}
			}
			return bad(field+".id", "is not a co-worker assigned to this trajectory", CodeCoWorkerNotAssigned, args...)
		}
	case OwnerService:
		switch {
		case o.ID == "":
			return bad(field+".id", "is required: the id of the service in the plan's network", CodeActionOwnerIDRequired)
		case func() bool { _, ok := p.Member(o.ID); return !ok }():
			return bad(field+".id", "is not a service of the plan's network", CodeActionServiceUnknown)
		}
	case "":
		return bad(field+".role", "is required: family, coach, co_worker or service", CodeActionOwnerUnknown)
	default:
		return bad(field+".role", "must be one of family, coach, co_worker, service", CodeActionOwnerUnknown)
	}
	return nil
}

// idLike is a staff id as the programme files write them.
var idLike = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ActionDoneProblems checks a done action's own data: goal and action
// named, done_at not in the future. Whether they exist is the workflow's.
func ActionDoneProblems(now time.Time, req RecordActionDone) []Problem {
	var ps []Problem
	if req.GoalID == "" {
		ps = append(ps, Problem{Field: "goal", Message: "is required: the id of the goal", Code: CodePlanIDRequired, Args: map[string]string{ArgField: "goal"}})
	}
	if req.ActionID == "" {
		ps = append(ps, Problem{Field: "action", Message: "is required: the id of the action", Code: CodePlanIDRequired, Args: map[string]string{ArgField: "action"}})
	}
	if req.DoneAt.After(now.Add(ClockSkew)) {
		ps = append(ps, Problem{Field: "done_at", Message: "lies in the future: record an action once it is done", Code: CodePlanDateInFuture, Args: map[string]string{ArgField: "done_at"}})
	}
	return ps
}

// GoalStatusProblems checks a goal's new status: the goal named, a known
// status, a reason when it is let go.
func GoalStatusProblems(req SetGoalStatus) []Problem {
	var ps []Problem
	if req.GoalID == "" {
		ps = append(ps, Problem{Field: "goal", Message: "is required: the id of the goal", Code: CodePlanIDRequired, Args: map[string]string{ArgField: "goal"}})
	}
	if req.Status == "" {
		ps = append(ps, Problem{Field: "status", Message: "is required: open, reached or let_go", Code: CodeGoalStatusUnknown, Args: map[string]string{ArgField: "status"}})
		return ps
	}
	return append(ps, goalStatusProblems("", req.Status, req.Reason, false)...)
}

// ReviewProblems checks a review's own data: when, not in the future.
func ReviewProblems(now time.Time, req ReviewGoals) []Problem {
	if req.At.After(now.Add(ClockSkew)) {
		return []Problem{{Field: "at", Message: "lies in the future: record a review once it took place", Code: CodePlanDateInFuture, Args: map[string]string{ArgField: "at"}}}
	}
	return nil
}

// DateRequestProblems checks the family's request for another date: a short message, if any.
func DateRequestProblems(req RequestNewDate) []Problem {
	switch _, tp := CleanText(req.Message, false, MaxDateRequestLength, true); tp {
	case "":
		return nil
	case TextTooLong:
		return []Problem{{Field: "message", Message: "is too long: at most " + strconv.Itoa(MaxDateRequestLength) + " characters", Code: CodePlanTextTooLong,
			Args: map[string]string{ArgField: "message", ArgMax: strconv.Itoa(MaxDateRequestLength)}}}
	}
	return []Problem{{Field: "message", Message: "must be plain text without control or formatting characters", Code: CodePlanTextInvalid, Args: map[string]string{ArgField: "message"}}}
}

// OutcomeProblems checks the outcomes a closure records: each of a goal
// of the plan, within MaxOutcomeLength.
//
// It never ranges over the map, so deterministic workflow code may call it.
func OutcomeProblems(plan *Plan, outcomes map[string]string) []Problem {
	var ps []Problem
	known := 0
	var goals []Goal
	if plan != nil {
		goals = plan.Goals
	}
	for _, g := range goals {
		o, ok := outcomes[g.ID]
		if !ok {
			continue
		}
		known++
		field := "outcomes." + g.ID
		switch _, tp := CleanText(o, false, MaxOutcomeLength, true); tp {
		case "":
		case TextTooLong:
			ps = append(ps, Problem{Field: field, Message: "is too long: at most " + strconv.Itoa(MaxOutcomeLength) + " characters", Code: CodePlanTextTooLong,
				Args: map[string]string{ArgField: field, ArgMax: strconv.Itoa(MaxOutcomeLength)}})
		default:
			ps = append(ps, Problem{Field: field, Message: "must be plain text without control or formatting characters", Code: CodePlanTextInvalid, Args: map[string]string{ArgField: field}})
		}
	}
	if known < len(outcomes) {
		ps = append(ps, Problem{Field: "outcomes", Message: "names a goal that is not in the family plan", Code: CodeGoalUnknown, Args: map[string]string{ArgField: "outcomes"}})
	}
	return ps
}

// PlanDetail is the plan's words as an event's sealed detail, one key a
// text: "goal:g1", "goal:g1:action:a1", "strength:1", "network:n1:service",
// "network:n1:contact", "goal:g1:let_go_reason", "goal:g1:outcome". None of
// these keys is a clear one (PlanClearDetailKeys).
func PlanDetail(p Plan, into map[string]string) {
	for _, g := range p.Goals {
		into["goal:"+g.ID] = g.Text
		if g.LetGoReason != "" {
			into["goal:"+g.ID+":let_go_reason"] = g.LetGoReason
		}
		if g.Outcome != "" {
			into["goal:"+g.ID+":outcome"] = g.Outcome
		}
		for _, a := range g.Actions {
			into["goal:"+g.ID+":action:"+a.ID] = a.What
		}
	}
	for i, s := range p.Strengths {
		into["strength:"+strconv.Itoa(i+1)] = s
	}
	for _, m := range p.Network {
		into["network:"+m.ID+":service"] = m.Service
		if m.Contact != "" {
			into["network:"+m.ID+":contact"] = m.Contact
		}
	}
}

// PlanIDProblem says whether id is not a well-formed id of a goal, an
// action or a network member (so a refusal must not echo it).
func PlanIDProblem(id string) bool { return !planID.MatchString(id) }
