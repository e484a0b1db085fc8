package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// The family plan (trajectory/plan.go): agreed with the family as a whole
// (PUT, the plan the client read with its change), a goal reached or let
// go, an agreed action done. The plan is checked by the rule the pages and
// the workflow's validator apply (trajectory.PlanProblems); the workflow,
// which holds the plan in force, has the last word.

// planBodyLimit leaves room for MaxGoals goals with their actions, each
// text escaped as \uXXXX throughout.
const planBodyLimit = 1 << 20

// instantInput is an instant of a request body as sent, so that a wrong
// one is reported by its exact field name (with its index in an array),
// which time.Time's own decoding cannot.
type instantInput struct {
	given     bool
	text      string
	notString bool
}

// UnmarshalJSON accepts any JSON value; parse judges it.
func (d *instantInput) UnmarshalJSON(b []byte) error {
	*d = instantInput{}
	if string(b) == "null" {
		return nil
	}
	d.given = true
	if err := json.Unmarshal(b, &d.text); err != nil {
		d.notString = true
	}
	return nil
}

// parse reads the instant; nil when it is absent, or when it is wrong
// (then fe has the problem).
func (d instantInput) parse(fe *fieldErrors, field string) *time.Time {
	if !d.given {
		return nil
	}
	t, err := time.Parse(time.RFC3339, d.text)
	if d.notString || err != nil {
		fe.add(field, "must be an RFC 3339 date-time such as 2025-03-01T10:00:00+01:00")
		return nil
	}
	return &t
}

// planBody is trajectory.Plan as a client sends it: what GET
// /v1/trajectories/{id} answers as plan, changed.
type planBody struct {
	Goals     []goalBody   `json:"goals"`
	Strengths []string     `json:"strengths"`
	AgreedOn  instantInput `json:"agreed_on"`
	Network   []memberBody `json:"network"`
}

type goalBody struct {
	ID          string                `json:"id"`
	Domain      trajectory.LifeDomain `json:"domain"`
	Text        string                `json:"text"`
	Status      trajectory.GoalStatus `json:"status"`
	LetGoReason string                `json:"let_go_reason"`
	Actions     []actionBody          `json:"actions"`
	Outcome     string                `json:"outcome"`
	// ReviewedAt and ReviewDue are the workflow's: a plan read and sent
	// back may hold them, and they are ignored.
	ReviewedAt instantInput `json:"reviewed_at"`
	ReviewDue  instantInput `json:"review_due"`
}

type actionBody struct {
	ID    string                 `json:"id"`
	What  string                 `json:"what"`
	Owner trajectory.ActionOwner `json:"owner"`
	Due   instantInput           `json:"due"`
	Done  instantInput           `json:"done"`
}

type memberBody struct {
	ID             string       `json:"id"`
	Service        string       `json:"service"`
	Contact        string       `json:"contact"`
	Since          instantInput `json:"since"`
	ConsentToShare bool         `json:"consent_to_share"`
}

// plan is the body as a trajectory.Plan; fe has every instant that is wrong.
func (b planBody) plan(fe *fieldErrors) trajectory.Plan {
	p := trajectory.Plan{Strengths: b.Strengths}
	if t := b.AgreedOn.parse(fe, "plan.agreed_on"); t != nil {
		p.AgreedOn = *t
	}
	for i, m := range b.Network {
		n := trajectory.NetworkMember{ID: m.ID, Service: m.Service, Contact: m.Contact, ConsentToShare: m.ConsentToShare}
		if t := m.Since.parse(fe, "plan.network["+strconv.Itoa(i)+"].since"); t != nil {
			n.Since = *t
		}
		p.Network = append(p.Network, n)
	}
	for i, g := range b.Goals {
		f := "plan.goals[" + strconv.Itoa(i) + "]"
		goal := trajectory.Goal{ID: g.ID, Domain: g.Domain, Text: g.Text, Status: g.Status, LetGoReason: g.LetGoReason, Outcome: g.Outcome}
		if goal.Status == "" {
			goal.Status = trajectory.GoalOpen
		}
		g.ReviewedAt.parse(fe, f+".reviewed_at")
		g.ReviewDue.parse(fe, f+".review_due")
		for j, a := range g.Actions {
			af := f + ".actions[" + strconv.Itoa(j) + "]"
			goal.Actions = append(goal.Actions, trajectory.Action{ID: a.ID, What: a.What, Owner: a.Owner,
				Due: a.Due.parse(fe, af+".due"), Done: a.Done.parse(fe, af+".done")})
		}
		p.Goals = append(p.Goals, goal)
	}
	return p
}

func (s *server) putPlan(w http.ResponseWriter, r *http.Request) {
	row, key, ok := s.beginStep(w, r, false)
	if !ok {
		return
	}
	var body planBody
	if !decodeBody(w, r, &body, planBodyLimit) {
		return
	}
	w, finish, ok := s.idempotent(w, r, key, body, idemOptions{resource: row.ID, sealed: true})
	if !ok {
		return
	}
	defer finish()
	if !s.checkIfMatch(w, r, row.ID) {
		return
	}
	req, fe, ref := s.checkPlan(r, row, body, time.Now())
	switch {
	case fe != nil && !fe.empty():
		writeFieldErrors(w, r, fe)
		return
	case ref != nil:
		writeError(w, r, ref.code, ref.detail)
		return
	}
	s.runUpdate(w, r, row.ID, key, trajectory.UpdateAgreePlan, req)
}

// checkPlan checks the plan against the trajectory as the pages do: the
// programme's life domains, the co-workers assigned and the plan in force
// (whose due dates may have passed), from the workflow's state.
func (s *server) checkPlan(r *http.Request, row store.TrajectorySummary, b planBody, now time.Time) (any, *fieldErrors, *refusal) {
	fe := &fieldErrors{within: "plan"}
	plan := b.plan(fe)
	if !fe.empty() {
		return nil, fe, nil
	}
	prog, known := s.programmes.Get(row.ProgrammeID)
	if !known {
		return nil, nil, programmeGone(row.ProgrammeID)
	}
	st, err := s.cases.State(r.Context(), row.ID)
	if ref := s.stateRefusal(row.ID, err); ref != nil {
		return nil, nil, ref
	}
	plan = plan.WithIDs()
	addProblems(fe, trajectory.PlanProblems(trajectory.PlanCheck{Now: now, Timings: prog.Timings(),
		CoWorkers: st.CoWorkers, Previous: st.Plan}, plan))
	noteDetail(r, "goals", strconv.Itoa(len(plan.Goals)))
	return trajectory.AgreePlan{Plan: plan, By: principal(r).Actor()}, fe, nil
}

// stateRefusal answers a step that needs the workflow's state when it
// could not be read.
func (s *server) stateRefusal(id string, err error) *refusal {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, usecase.ErrClosed):
		return &refusal{CodeTrajectoryClosed, "this trajectory is closed; no further steps can be recorded"}
	case errors.Is(err, usecase.ErrNotRunning):
		return &refusal{CodeTrajectoryNotRunning, fmt.Sprintf("trajectory %s is not running, so no step can be recorded for it", id)}
	case errors.Is(err, usecase.ErrUnavailable):
		s.log.Warn("step: state query: Temporal did not answer", "trajectory_id", id, "error", err)
		return &refusal{CodeWorkflowUnavailable, "the workflow service did not answer in time; nothing was recorded: send the request again"}
	}
	s.log.Error("step: state query failed", "trajectory_id", id, "error", err)
	return &refusal{CodeInternalError, "the trajectory's state could not be read (logged); nothing was recorded: retry, and report it if it keeps failing"}
}

// planPathID checks a goal's or an action's id in the path; "" when it is
// not one, so that whatever stands there reaches neither the workflow nor
// the audit log.
func planPathID(fe *fieldErrors, r *http.Request, name, example string) string {
	id := mux.Vars(r)[name]
	if trajectory.PlanIDProblem(id) {
		fe.add(name, "the path must name the id of a "+name+" of the plan, such as "+example)
		return ""
	}
	return id
}

type goalStatusBody struct {
	Status trajectory.GoalStatus `json:"status"`
	Reason string                `json:"reason"`
}

func (s *server) postGoalStatus(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[goalStatusBody]{update: trajectory.UpdateSetGoalStatus,
		check: func(r *http.Request, _ store.TrajectorySummary, b goalStatusBody, _ time.Time) (any, *fieldErrors, *refusal) {
			fe := &fieldErrors{}
			req := trajectory.SetGoalStatus{GoalID: planPathID(fe, r, "goal", "g1"), Status: b.Status, Reason: b.Reason, By: principal(r).Actor()}
			addProblems(fe, trajectory.GoalStatusProblems(req))
			noteDetail(r, "goal", req.GoalID, "goal_status", string(req.Status))
			return req, fe, nil
		}})
}

type actionDoneBody struct {
	DoneAt *string `json:"done_at"`
}

func (s *server) postActionDone(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[actionDoneBody]{update: trajectory.UpdateRecordActionDone,
		check: func(r *http.Request, _ store.TrajectorySummary, b actionDoneBody, now time.Time) (any, *fieldErrors, *refusal) {
			fe := &fieldErrors{}
			req := trajectory.RecordActionDone{GoalID: planPathID(fe, r, "goal", "g1"), ActionID: planPathID(fe, r, "action", "a1"),
				DoneAt: parseInstant(fe, "done_at", b.DoneAt), By: principal(r).Actor()}
			addProblems(fe, trajectory.ActionDoneProblems(now, req))
			noteDetail(r, "goal", req.GoalID, "action", req.ActionID)
			return req, fe, nil
		}})
}

type reviewGoalsBody struct {
	Goals []string `json:"goals"`
	At    *string  `json:"at"`
}

// postReviewGoals records that goals of the plan were reviewed with the
// family at a visit (all open goals when none is named): each is due for
// review again a review cadence later.
func (s *server) postReviewGoals(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[reviewGoalsBody]{update: trajectory.UpdateReviewGoals,
		check: func(r *http.Request, _ store.TrajectorySummary, b reviewGoalsBody, now time.Time) (any, *fieldErrors, *refusal) {
			fe := &fieldErrors{}
			req := trajectory.ReviewGoals{By: principal(r).Actor()}
			for i, id := range b.Goals {
				if trajectory.PlanIDProblem(id) {
					fe.add(fmt.Sprintf("goals[%d]", i), "must be the id of a goal of the plan, such as g1")
					continue
				}
				req.Goals = append(req.Goals, id)
			}
			req.At = parseInstant(fe, "at", b.At)
			addProblems(fe, trajectory.ReviewProblems(now, req))
			return req, fe, nil
		}})
}
