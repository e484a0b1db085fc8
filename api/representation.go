package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// The public representation of a trajectory: what GET
// /v1/trajectories/{id} and every step of it answer, built by
// publicTrajectory alone, so that a step's answer and a read right after
// it are the same document. Its rules (docs/api.md): every field is always
// present; a value not set is null, a list with nothing in it []; times are
// UTC with Z; the workflow's bookkeeping (event numbers, which reminders
// went out, Go error names) stays inside.

// TrajectorySummary is a trajectory as the list shows it, without
// personal data; Trajectory begins with the same fields.
type TrajectorySummary struct {
	ID                   string                  `json:"id"`
	Programme            string                  `json:"programme"`
	ReferrerOrganisation string                  `json:"referrer_organisation"`
	Phase                trajectory.Phase        `json:"phase"`
	Coach                *string                 `json:"coach"`
	CoWorkers            []CoWorker              `json:"co_workers"`
	NextStep             *Step                   `json:"next_step"`
	Overdue              bool                    `json:"overdue"`
	Escalated            bool                    `json:"escalated"`
	EmailFailed          bool                    `json:"email_failed"`
	CloseReason          *trajectory.CloseReason `json:"close_reason"`
	ReferredAt           time.Time               `json:"referred_at"`
	UpdatedAt            time.Time               `json:"updated_at"`
}

// CoWorker is a co-worker beside the coach. Role is null in the list,
// which keeps only ids.
type CoWorker struct {
	ID   string  `json:"id"`
	Role *string `json:"role"`
}

// Step is a step the trajectory waits for.
type Step struct {
	// Key names the step within its trajectory (home_visit-2, milestone-<id>).
	Key       string              `json:"key"`
	Kind      trajectory.StepKind `json:"kind"`
	Number    *int                `json:"number"`
	Milestone *string             `json:"milestone"`
	Goal      *string             `json:"goal"`
	Action    *string             `json:"action"`
	DueAt     time.Time           `json:"due_at"`
}

// Trajectory is one trajectory in full, for the people who work on it.
type Trajectory struct {
	TrajectorySummary
	ReferrerReference    *string            `json:"referrer_reference"`
	ConsultationID       *string            `json:"consultation_id"`
	PreviousTrajectoryID *string            `json:"previous_trajectory_id"`
	Family               *trajectory.Family `json:"family"`
	Reason               *string            `json:"reason"`
	ExpectedDueDate      *trajectory.Date   `json:"expected_due_date"`
	BirthDate            *trajectory.Date   `json:"birth_date"`
	Children             []trajectory.Child `json:"children"`
	Events               []Event            `json:"events"`
	Erased               bool               `json:"erased"`
	// What only the workflow holds. StateUnavailable: the workflow
	// service did not answer in time, so these are null or empty (read
	// again); a trajectory Temporal no longer keeps has them so for good.
	StateUnavailable   bool               `json:"state_unavailable"`
	VisitsDone         int                `json:"visits_done"`
	IntakeDoneAt       *time.Time         `json:"intake_done_at"`
	LastVisitAt        *time.Time         `json:"last_visit_at"`
	Birth              *Step              `json:"birth"`
	FollowUpEnd        *Step              `json:"follow_up_end"`
	Extensions         []string           `json:"extensions"`
	Milestones         []Step             `json:"milestones"`
	MilestonesReached  []ReachedMilestone `json:"milestones_reached"`
	ActivitiesAttended int                `json:"activities_attended"`
	Handovers          []Handover         `json:"handovers"`
	EmailFailures      []EmailFailure     `json:"email_failures"`
	Plan               *trajectory.Plan   `json:"plan"`
	PlanActions        []Step             `json:"plan_actions"`
	DateRequests       []DateRequest      `json:"date_requests"`
}

// Event is one entry of the trajectory's log; Detail is {} when the
// event has none.
type Event struct {
	Seq    int64             `json:"seq"`
	Kind   string            `json:"kind"`
	Actor  string            `json:"actor"`
	At     time.Time         `json:"at"`
	Detail map[string]string `json:"detail"`
}

// ReachedMilestone is a milestone the family reached.
type ReachedMilestone struct {
	ID   string    `json:"id"`
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Late bool      `json:"late"`
}

// Handover is one handover to a service: what was shared, not the data.
type Handover struct {
	Number int `json:"number"`
	// Service is the service's id, as a handover's request names it.
	Service        string     `json:"service"`
	ServiceName    string     `json:"service_name"`
	RequestedAt    *time.Time `json:"requested_at"`
	SentAt         *time.Time `json:"sent_at"`
	Shares         []string   `json:"shares"`
	LinkExpiresAt  *time.Time `json:"link_expires_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	Ack            *Step      `json:"ack"`
	Failed         bool       `json:"failed"`
	Attempt        int        `json:"attempt"`
}

// EmailFailure is an email that failed for good or may not have arrived.
type EmailFailure struct {
	At   time.Time                   `json:"at"`
	Kind trajectory.NotificationKind `json:"kind"`
	Step *string                     `json:"step"`
	To   string                      `json:"to"`
	// Reason is one of EmailFailureReasons.
	Reason string `json:"reason"`
}

// DateRequest is the family's request for another appointment.
type DateRequest struct {
	At       time.Time `json:"at"`
	Message  *string   `json:"message"`
	Answered bool      `json:"answered"`
}

// EmailFailureReasons are the public codes of EmailFailure.Reason, by the
// workflow's own names of them.
var EmailFailureReasons = map[string]string{
	"EmailRejected":              "rejected",
	"InvalidNotification":        "invalid_notification",
	trajectory.EmailInDoubt:      "in_doubt",
	trajectory.EmailNotDelivered: "not_delivered",
}

// emailFailureOther is the reason of a failure the workflow names in a way
// EmailFailureReasons does not list yet.
const emailFailureOther = "failed"

// publicTrajectory is the one builder of the representation: the read
// model's row for what the log holds, and the workflow's state, when st
// is not nil, for what only the workflow holds and for the fields both
// hold (the workflow is ahead of the log by nothing once a step answered,
// and the state is what the step changed).
func publicTrajectory(row store.Trajectory, st *trajectory.State) Trajectory {
	t := Trajectory{
		TrajectorySummary:    publicSummary(row.TrajectorySummary),
		ReferrerReference:    nonEmpty(row.ReferrerReference),
		ConsultationID:       nonEmpty(row.ConsultationID),
		PreviousTrajectoryID: nonEmpty(row.PreviousTrajectoryID),
		Family:               row.Family,
		Reason:               nonEmpty(row.Reason),
		ExpectedDueDate:      row.ExpectedDueDate,
		BirthDate:            row.BornOn,
		Children:             nonNil(row.Children),
		Events:               publicEvents(row.Events),
		Erased:               row.Erased,
		Extensions:           []string{},
		Milestones:           []Step{},
		MilestonesReached:    []ReachedMilestone{},
		Handovers:            []Handover{},
		EmailFailures:        []EmailFailure{},
		PlanActions:          []Step{},
		DateRequests:         []DateRequest{},
	}
	if st != nil {
		t.withState(*st)
	}
	return t
}

// withState sets what the workflow's state holds.
func (t *Trajectory) withState(st trajectory.State) {
	if st.Phase != "" {
		// A run that has not taken in its referral yet has no phase.
		t.Phase = st.Phase
	}
	t.Coach, t.Escalated, t.Overdue = nonEmpty(st.CoachID), st.Escalated, st.Overdue
	t.EmailFailed = st.EmailFailed
	t.CloseReason = nonEmpty(st.CloseReason)
	t.NextStep = publicStep(st.Next)
	t.CoWorkers = make([]CoWorker, len(st.CoWorkers))
	for i, c := range st.CoWorkers {
		t.CoWorkers[i] = CoWorker{ID: c.ID, Role: nonEmpty(c.Role)}
	}
	if t.ConsultationID == nil {
		t.ConsultationID = nonEmpty(st.ConsultationID)
	}
	if !st.BornOn.IsZero() {
		d := st.BornOn
		t.BirthDate = &d
	}
	t.VisitsDone, t.ActivitiesAttended = st.VisitsDone, st.ActivitiesAttended
	t.IntakeDoneAt, t.LastVisitAt = utcOrNil(st.IntakeDoneAt), utcOrNil(st.LastVisitAt)
	t.Birth, t.FollowUpEnd = publicStep(st.Birth), publicStep(st.FollowUpEnd)
	t.Extensions = append(t.Extensions, st.Extensions...)
	t.Milestones = publicSteps(st.Milestones)
	t.PlanActions = publicSteps(st.PlanActions)
	for _, m := range st.MilestonesReached {
		t.MilestonesReached = append(t.MilestonesReached, ReachedMilestone{ID: m.ID, At: m.At.UTC(), By: m.By, Late: m.Late})
	}
	for _, h := range st.Handovers {
		t.Handovers = append(t.Handovers, publicHandover(h))
	}
	for _, f := range st.EmailFailures {
		t.EmailFailures = append(t.EmailFailures, publicEmailFailure(f))
	}
	for _, r := range st.DateRequests {
		t.DateRequests = append(t.DateRequests, DateRequest{At: r.At.UTC(), Message: nonEmpty(r.Message), Answered: r.Answered})
	}
	t.Plan = utcPlan(st.Plan)
}

// publicSummary is a row of the read model as the list shows it.
func publicSummary(row store.TrajectorySummary) TrajectorySummary {
	s := TrajectorySummary{
		ID: row.ID, Programme: row.ProgrammeID, ReferrerOrganisation: row.ReferrerOrg, Phase: row.Phase,
		Coach: nonEmpty(row.CoachID), CoWorkers: make([]CoWorker, len(row.CoWorkers)),
		Overdue: row.Overdue, Escalated: row.Escalated, EmailFailed: row.EmailFailed, CloseReason: nonEmpty(row.CloseReason),
		ReferredAt: row.ReferredAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
	}
	for i, id := range row.CoWorkers {
		s.CoWorkers[i] = CoWorker{ID: id}
	}
	if row.NextStep != "" && row.NextDueAt != nil {
		s.NextStep = stepOfKey(row.NextStep, *row.NextDueAt)
	}
	return s
}

// stepOfKey is the step the read model keeps by key (trajectory.Step.Key)
// and due instant. Plan ids hold no '-' (trajectory's planID), milestone
// ids may, so a milestone's id is the whole rest of the key.
func stepOfKey(key string, due time.Time) *Step {
	kind, rest, _ := strings.Cut(key, "-")
	s := &Step{Key: key, Kind: trajectory.StepKind(kind), DueAt: due.UTC()}
	switch s.Kind {
	case trajectory.StepHomeVisit, trajectory.StepHandoverAck:
		if n, err := strconv.Atoi(rest); err == nil {
			s.Number = &n
		}
	case trajectory.StepMilestone:
		s.Milestone = nonEmpty(rest)
	case trajectory.StepPlanAction:
		goal, action, _ := strings.Cut(rest, "-")
		s.Goal, s.Action = nonEmpty(goal), nonEmpty(action)
	}
	return s
}

func publicStep(s *trajectory.Step) *Step {
	if s == nil {
		return nil
	}
	p := &Step{Key: s.Key(), Kind: s.Kind, Milestone: nonEmpty(s.Milestone), Goal: nonEmpty(s.Goal), Action: nonEmpty(s.Action), DueAt: s.DueAt.UTC()}
	if s.Number > 0 {
		n := s.Number
		p.Number = &n
	}
	return p
}

func publicSteps(steps []*trajectory.Step) []Step {
	out := []Step{}
	for _, s := range steps {
		if p := publicStep(s); p != nil {
			out = append(out, *p)
		}
	}
	return out
}

func publicHandover(h trajectory.Handover) Handover {
	return Handover{Number: h.Number, Service: h.Service.ID, ServiceName: h.Service.Name,
		RequestedAt: utcOrNil(h.RequestedAt), SentAt: utcOrNil(h.SentAt), Shares: append([]string{}, h.Shares...),
		LinkExpiresAt: utcOrNil(h.LinkExpiresAt), AcknowledgedAt: utcOrNil(h.AcknowledgedAt),
		Ack: publicStep(h.Ack), Failed: h.Failed, Attempt: h.Attempt}
}

func publicEmailFailure(f trajectory.EmailFailure) EmailFailure {
	return EmailFailure{At: f.At.UTC(), Kind: f.Kind, Step: nonEmpty(f.Step), To: f.To, Reason: emailFailureReason(f.Reason)}
}

// emailFailureReason is the public code of the workflow's reason.
func emailFailureReason(reason string) string {
	if code, ok := EmailFailureReasons[reason]; ok {
		return code
	}
	return emailFailureOther
}

// utcPlan is a copy of the plan with its times in UTC.
func utcPlan(p *trajectory.Plan) *trajectory.Plan {
	if p == nil {
		return nil
	}
	c := *p
	c.AgreedOn = c.AgreedOn.UTC()
	c.Goals = make([]trajectory.Goal, len(p.Goals))
	for i, g := range p.Goals {
		g.ReviewedAt = g.ReviewedAt.UTC()
		g.ReviewDue = utcPtr(g.ReviewDue)
		g.Actions = make([]trajectory.Action, len(p.Goals[i].Actions))
		for j, a := range p.Goals[i].Actions {
			a.Due, a.Done = utcPtr(a.Due), utcPtr(a.Done)
			g.Actions[j] = a
		}
		c.Goals[i] = g
	}
	c.Network = make([]trajectory.NetworkMember, len(p.Network))
	for i, m := range p.Network {
		m.Since = m.Since.UTC()
		c.Network[i] = m
	}
	return &c
}

func publicEvents(events []store.EventRow) []Event {
	out := make([]Event, len(events))
	for i, e := range events {
		out[i] = Event{Seq: e.Seq, Kind: e.Kind, Actor: e.Actor, At: e.At.UTC(), Detail: publicDetail(e.Detail)}
	}
	return out
}

// detailNames are the keys of an event's detail that the API spells as its
// requests and answers do; the event log keeps the workflow's spelling,
// which recorded histories and stored events hold.
var detailNames = map[string]string{"born_on": "birth_date", "next_visit_due": "next_visit_due_at"}

// publicDetail is an event's detail as answers show it: {} when it has
// none, with the keys of detailNames renamed.
func publicDetail(d map[string]string) map[string]string {
	out := make(map[string]string, len(d))
	for k, v := range d {
		if name, ok := detailNames[k]; ok {
			k = name
		}
		out[k] = v
	}
	return out
}

func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return utcOrNil(*t)
}

func nonEmpty[S ~string](s S) *S {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
