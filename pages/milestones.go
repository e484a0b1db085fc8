package pages

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// The programme's own steps on the trajectory page: milestones,
// co-workers, a handover's status and its resend, moving a planned visit
// and a visit that did not take place. They are shown from the workflow's
// state (usecase.Cases.State), which the event log does not hold, and
// posted like every step form (postStep).

// moreStep is one such step's form: its row of the step table
// (usecase.Steps: who may take it, its audit action, the sentence shown
// once it is taken), and how its form becomes the Update.
type moreStep struct {
	build func(h *handler, row store.Trajectory, f url.Values, by string, now time.Time) (update string, req any, problem string)
	// buildIn is build for a step whose Update is made from the workflow's
	// state as it is now (the whole family plan, with the change).
	buildIn func(h *handler, row store.Trajectory, st trajectory.State, f url.Values, by string, now time.Time) (update string, req any, problem string)
}

var moreSteps = map[string]moreStep{
	usecase.StepMilestone:      {build: buildMilestone},
	usecase.StepAssignCoWorker: {build: buildCoWorker},
	usecase.StepResend:         {build: buildResend},
	usecase.StepMoveVisit:      {build: buildMoveVisit},
	usecase.StepMissedVisit:    {build: buildMissedVisit},
	usecase.StepAdoptTimings:   {build: buildAdoptTimings},
	usecase.StepAgreePlan:      {buildIn: buildPlan},
	usecase.StepActionDone:     {build: buildActionDone},
	usecase.StepGoalStatus:     {build: buildGoalStatus},
	usecase.StepReviewGoals:    {build: buildReviewGoals},
}

func init() {
	for name := range moreSteps {
		if _, ok := usecase.StepNamed(name); !ok {
			panic("pages: step " + name + " is not in the step table")
		}
	}
}

// moreData is what the trajectory page shows of the workflow's state.
type moreData struct {
	// Unavailable: the workflow did not answer; the page says so.
	Unavailable bool
	Milestones  []milestoneRow
	Reached     []milestoneRow
	CoWorkers   []coWorkerRow
	// Free are the programme's co-workers not assigned to the trajectory.
	Free      []coWorkerRow
	Handovers []handoverRow
	// Visit is the planned home visit that can be moved or missed, and
	// VisitKey its key in the forms.
	Visit    *trajectory.Step
	VisitKey string
	// MissedReasons are the reasons a visit did not take place.
	MissedReasons []trajectory.MissedVisitReason
}

type milestoneRow struct {
	ID, Name string
	At       time.Time // due (open) or reached
	Late     bool
}

type coWorkerRow struct {
	ID, Name, Role string
}

type handoverRow struct {
	Number  int
	Service string // the service's name
	// ServiceID names the service in the resend form.
	ServiceID string
	Status    string
	Failed    bool
}

// loadMore asks the workflow for its state and adds what the page shows
// of it, and the forms of these steps the caller may take now.
func (h *handler) loadMore(ctx context.Context, d *trajectoryData, p usecase.Principal) {
	if d.Phase == trajectory.PhaseClosed || h.Cases.Temporal == nil {
		return
	}
	m := &moreData{}
	d.More = m
	st, err := h.Cases.State(ctx, d.ID)
	if err != nil {
		h.Logger.Warn("pages: the workflow's state did not come", "trajectory_id", d.ID, "error", err)
		m.Unavailable = true
		return
	}
	prog, _ := h.Cases.Programmes.Get(d.ProgrammeID)
	for _, s := range st.Milestones {
		m.Milestones = append(m.Milestones, milestoneRow{ID: s.Milestone, Name: milestoneName(prog, s.Milestone), At: s.DueAt, Late: s.PastDue})
	}
	for _, r := range st.MilestonesReached {
		m.Reached = append(m.Reached, milestoneRow{ID: r.ID, Name: milestoneName(prog, r.ID), At: r.At, Late: r.Late})
	}
	for _, c := range st.CoWorkers {
		m.CoWorkers = append(m.CoWorkers, coWorkerRow{ID: c.ID, Name: coWorkerName(prog, c.ID), Role: prog.RoleName(c.Role)})
	}
	for _, c := range prog.CoWorkers {
		if !slices.ContainsFunc(st.CoWorkers, func(a trajectory.CoWorker) bool { return a.ID == c.ID }) {
			m.Free = append(m.Free, coWorkerRow{ID: c.ID, Name: c.Name, Role: prog.RoleName(c.Role)})
		}
	}
	now := time.Now()
	for _, ho := range st.Handovers {
		m.Handovers = append(m.Handovers, handoverRow{Number: ho.Number, Service: ho.Service.Name, ServiceID: ho.Service.ID,
			Status: handoverStatus(ho, now), Failed: ho.Failed})
	}
	if st.Next != nil && st.Next.Kind == trajectory.StepHomeVisit {
		next := *st.Next
		m.Visit, m.VisitKey, m.MissedReasons = &next, next.Key(), trajectory.MissedVisitReasons
	}
	// A reader of an earlier trajectory sees it and takes no step in it.
	acts := usecase.MayAccess(p, d.TrajectorySummary)
	allow := func(step string, when bool) {
		st, _ := usecase.StepNamed(step)
		if when && acts && h.Cases.MayTake(p, st, d.ProgrammeID) == nil {
			d.Forms[step] = &form{Key: newKey(), Values: url.Values{}}
		}
	}
	allow(usecase.StepMilestone, len(m.Milestones) > 0)
	allow(usecase.StepAssignCoWorker, len(prog.CoWorkers) > 0)
	allow(usecase.StepResend, slices.ContainsFunc(m.Handovers, func(r handoverRow) bool { return r.Failed }))
	allow(usecase.StepMoveVisit, m.Visit != nil)
	allow(usecase.StepMissedVisit, m.Visit != nil)
	allow(usecase.StepAdoptTimings, true)
	h.loadPlan(d, p, st, prog, allow)
	d.NetworkServices = h.networkServices(st)
}

// milestoneName is the milestone's name in the programme file, as
// trajectory.StepLabel gives it, without the word "mijlpaal" the list's
// heading says already.
func milestoneName(p programme.Programme, id string) string {
	return strings.TrimPrefix(trajectory.StepLabel(trajectory.Step{Kind: trajectory.StepMilestone, Milestone: id}, p.MilestoneName), "mijlpaal ")
}

func coWorkerName(p programme.Programme, id string) string {
	if c, ok := p.CoWorker(id); ok && c.Name != "" {
		return c.Name
	}
	return "een medewerker die niet meer in het programma staat"
}

// handoverStatus says where a handover is, in words.
func handoverStatus(ho trajectory.Handover, now time.Time) string {
	switch {
	case !ho.AcknowledgedAt.IsZero():
		return "bevestigd door de dienst op " + when(&ho.AcknowledgedAt)
	case ho.Failed:
		return "de e-mail kon niet worden afgeleverd"
	case !ho.SentAt.IsZero() && !ho.LinkExpiresAt.IsZero() && now.After(ho.LinkExpiresAt):
		return "verstuurd op " + when(&ho.SentAt) + "; de link is verlopen zonder bevestiging"
	case !ho.SentAt.IsZero():
		return "verstuurd op " + when(&ho.SentAt) + "; wacht op bevestiging door de dienst"
	}
	return "wordt verstuurd"
}

func buildMilestone(_ *handler, _ store.Trajectory, f url.Values, by string, now time.Time) (string, any, string) {
	id := f.Get("milestone")
	if id == "" {
		return "", nil, "Kies de mijlpaal die bereikt is."
	}
	doneAt, err := parseLocal(f.Get("done_at"))
	if err != nil {
		return "", nil, "Vul datum en uur in als JJJJ-MM-DD UU:MM."
	}
	note, problem := typed(f, "note", "De nota", false, trajectory.MaxNoteLength, true)
	if problem != "" {
		return "", nil, problem
	}
	if ps := trajectory.MilestoneTimeProblems(now, doneAt); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	return trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: id, DoneAt: doneAt, Note: note, By: by}, ""
}

// buildCoWorker assigns a co-worker of the programme's file, with the role
// the file gives them, or takes one off (remove=ja).
func buildCoWorker(h *handler, row store.Trajectory, f url.Values, by string, _ time.Time) (string, any, string) {
	prog, known := h.Cases.Programmes.Get(row.ProgrammeID)
	if !known {
		return "", nil, "Het programma van dit traject staat niet meer in de programmabestanden."
	}
	c, ok := prog.CoWorker(f.Get("co_worker"))
	if !ok {
		return "", nil, "Kies een medewerker van het programma."
	}
	return trajectory.UpdateAssignCoWorker, trajectory.AssignCoWorker{CoWorkerID: c.ID, Role: c.Role, Remove: f.Get("remove") == "ja", By: by}, ""
}

// buildAdoptTimings moves the trajectory to the timings its programme's
// file has now, as the API does: the timings come from the file, never
// from the form.
func buildAdoptTimings(h *handler, row store.Trajectory, f url.Values, by string, _ time.Time) (string, any, string) {
	prog, known := h.Cases.Programmes.Get(row.ProgrammeID)
	if !known {
		return "", nil, "Het programma van dit traject staat niet meer in de programmabestanden."
	}
	reason, problem := typed(f, "reason", "De reden", true, trajectory.MaxNoteLength, true)
	if problem != "" {
		return "", nil, problem
	}
	return trajectory.UpdateAdoptTimings, trajectory.AdoptTimings{Timings: prog.Timings(), Reason: reason, By: by}, ""
}

// buildResend sends a handover whose email failed again, to the service as
// the directory has it now (its address corrected).
func buildResend(h *handler, _ store.Trajectory, f url.Values, by string, _ time.Time) (string, any, string) {
	number, err := strconv.Atoi(f.Get("number"))
	if err != nil || number < 1 {
		return "", nil, "Kies de overdracht die opnieuw moet worden verstuurd."
	}
	svc, ok := h.Services[f.Get("service")]
	if !ok {
		return "", nil, "Deze dienst staat niet meer in de lijst van diensten; doe een nieuwe overdracht."
	}
	return trajectory.UpdateResendHandover, trajectory.ResendHandover{Number: number, Service: svc, By: by}, ""
}
