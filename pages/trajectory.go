package pages

import (
	"errors"
	"net/http"
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

// form is one step's form as shown: its idempotency key, what was typed,
// and why the step was refused.
type form struct {
	Key    string
	Values url.Values
	Error  string
	// Lines say, for a step on several trajectories, what became of each.
	Lines []string
}

// Get is what was typed in a field.
func (f form) Get(field string) string { return f.Values.Get(field) }

// Has says whether a checkbox or choice was picked.
func (f form) Has(field, value string) bool { return slices.Contains(f.Values[field], value) }

type trajectoryData struct {
	store.Trajectory
	Name       string
	Forms      map[string]*form // the steps allowed now, by step name
	Coaches    []programme.Coach
	Services   []trajectory.Service
	Shares     []string
	Reasons    []trajectory.CloseReason
	TemporalUI string
	// Notes are what the coach noted at the intake and the visits, newest
	// first: shown back here, never printed (style.css) nor logged.
	Notes []note
	More  *moreData
	// Plan is the family plan, from the workflow's state; Requests the
	// family's requests for another date the coach has not answered;
	// NetworkServices the services of the plan's network the handover
	// offers first.
	Plan            *planView
	Requests        []dateRequestRow
	NetworkServices []trajectory.Service
	// FamilyLink: the reader may make or revoke the family's link to its
	// own page (/gezinslink/{id}).
	FamilyLink bool
}

// note is one note of the event log's details.
type note struct {
	At   time.Time
	What string
	Text string
}

// trajectory shows the trajectory; ?gedaan=<step> says first that the
// step was recorded, ?geweigerd=<step> that it was refused, with the
// refused form as it was sent (flash.go).
func (h *handler) trajectory(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var o *outcome
	if step := q.Get("gedaan"); stepTitle(step) != "" {
		o = &outcome{Text: stepTitle(step)}
	}
	if step := q.Get("geweigerd"); step != "" {
		if f := takeFlash(r, d.ID, step); f != nil {
			d.Forms[step] = f
			o = &outcome{Refused: true, Text: f.Error, Form: "f-" + step}
		}
	}
	h.show(w, r, http.StatusOK, d, o)
}

// load finds the trajectory the caller may see (404 otherwise, as for one
// that does not exist) and writes the read to the audit log first. One
// that is not the caller's and one that does not exist get the same
// answer after the same work: an audit entry each (denied, not_found).
func (h *handler) load(w http.ResponseWriter, r *http.Request) (*trajectoryData, bool) {
	p := current(r).Principal
	id := r.PathValue("id")
	row, err := h.Cases.Visible(r.Context(), p, id)
	switch {
	case errors.Is(err, usecase.ErrDenied):
		_ = h.audit(r, usecase.ActionRead, id, store.OutcomeDenied, map[string]string{"reason": "trajectory"})
		h.notFound(w, r)
		return nil, false
	case errors.Is(err, usecase.ErrNotFound):
		_ = h.audit(r, usecase.ActionRead, id, store.OutcomeNotFound, nil)
		h.notFound(w, r)
		return nil, false
	case err != nil:
		h.unavailable(w, r, err)
		return nil, false
	}
	if err := h.audit(r, usecase.ActionRead, id, store.OutcomeOK, nil); err != nil {
		h.unavailable(w, r, err)
		return nil, false
	}
	d := &trajectoryData{Trajectory: row, Forms: map[string]*form{}, Shares: trajectory.ShareCategories,
		Reasons: []trajectory.CloseReason{trajectory.CloseGoalsReached, trajectory.CloseHandedOver, trajectory.CloseMovedAway, trajectory.CloseFamilyDeclined, trajectory.CloseOther}}
	if row.Family != nil {
		d.Name = row.Family.ContactName
	}
	d.Notes = notesOf(h.names(), row.ProgrammeID, row.Events)
	if h.FamilyLinks != nil && h.FamilyLinks.Signer != nil && row.Phase != trajectory.PhaseClosed && usecase.MayAccess(p, row.TrajectorySummary) {
		for _, name := range []string{usecase.StepFamilyLink, usecase.StepRevokeFamilyLink} {
			if st, ok := usecase.StepNamed(name); ok && h.Cases.MayTake(p, st, row.ProgrammeID) == nil {
				d.FamilyLink = true
			}
		}
	}
	if prog, ok := h.Cases.Programmes.Get(row.ProgrammeID); ok {
		d.Coaches = prog.Coaches
	}
	for _, s := range h.Services {
		d.Services = append(d.Services, s)
	}
	slices.SortFunc(d.Services, func(a, b trajectory.Service) int { return strings.Compare(a.Name, b.Name) })
	if p.Kind == usecase.KindSupervisor && h.TemporalUI != "" {
		d.TemporalUI = strings.TrimRight(h.TemporalUI, "/") + "/namespaces/" + url.PathEscape(h.Namespace) + "/workflows/" + url.PathEscape(row.ID)
	}
	for _, name := range allowedSteps(p, row.TrajectorySummary) {
		if st, ok := usecase.StepNamed(name); ok && h.Cases.MayTake(p, st, row.ProgrammeID) == nil {
			d.Forms[name] = &form{Key: newKey(), Values: url.Values{}}
		}
	}
	h.loadMore(r.Context(), d, p)
	return d, true
}

func (h *handler) show(w http.ResponseWriter, r *http.Request, status int, d *trajectoryData, o *outcome) {
	title := "Traject"
	if d.Name != "" {
		title = d.Name
	}
	h.renderOutcome(w, r, status, "trajectory", title, d, o)
}

// notesOf are the notes of the intake, the visits and the milestones, newest first.
func notesOf(n names, programmeID string, events []store.EventRow) []note {
	var notes []note
	for _, e := range events {
		if t := e.Detail["note"]; t != "" {
			notes = append(notes, note{At: e.At, What: n.Event(programmeID, e), Text: t})
		}
	}
	slices.Reverse(notes)
	return notes
}

// allowedSteps are the forms shown now: the steps the caller's role may
// take (the API's authorization table) in the trajectory's phase. The
// workflow's validators still have the last word.
func allowedSteps(p usecase.Principal, t store.TrajectorySummary) []string {
	if t.Phase == trajectory.PhaseClosed {
		return nil
	}
	var steps []string
	switch p.Kind {
	case usecase.KindSupervisor:
		steps = append(steps, "toewijzing")
		if t.Phase == trajectory.PhasePostnatal {
			steps = append(steps, "verlenging")
		}
	case usecase.KindCoWorker:
		// Which of these their role gives them, MayTake says.
		if t.Phase != trajectory.PhaseReferred && t.Phase != trajectory.PhaseCoachAssigned {
			steps = append(steps, usecase.StepVisit)
		}
		return steps
	case usecase.KindCoach:
		switch t.Phase {
		case trajectory.PhaseCoachAssigned:
			steps = append(steps, "intake")
		case trajectory.PhaseReferred:
		default:
			steps = append(steps, "bezoek")
			if t.Phase == trajectory.PhasePrenatal {
				steps = append(steps, "geboorte")
			}
			steps = append(steps, "overdracht")
		}
	}
	return append(steps, "afsluiting")
}

func stepTitle(step string) string {
	if st, ok := usecase.StepNamed(step); ok {
		return st.Done
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }
