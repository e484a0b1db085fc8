package pages

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// postStep records one step from its form: the same Update, under the
// idempotency key the form got when it was shown, as the API sends.
func (h *handler) postStep(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	step, id := r.PathValue("step"), r.PathValue("id")
	st, known := usecase.StepNamed(step)
	if !known {
		h.notFound(w, r)
		return
	}
	action := st.Action
	if !h.postedForm(w, r, action, id, nil) {
		return
	}
	row, ok := h.stepTrajectory(w, r, p, action, id)
	if !ok {
		return
	}
	if err := h.Cases.MayTake(p, st, row.ProgrammeID); err != nil {
		_ = h.audit(r, action, id, store.OutcomeDenied, map[string]string{"reason": "kind"})
		h.message(w, r, http.StatusForbidden, "Geen toegang", notYourStep(st, err))
		return
	}
	key := r.PostForm.Get("key")
	if !trajectory.ValidIdempotencyKey(key) {
		key = newKey()
	}
	var state []trajectory.State
	if more, ok := moreSteps[step]; ok && more.buildIn != nil {
		st, err := h.Cases.State(r.Context(), id)
		if err != nil {
			h.Logger.Warn("pages: the workflow's state did not come", "trajectory_id", id, "error", err)
			h.refused(w, r, id, step, &form{Key: key, Values: r.PostForm, Error: stateUnavailable}, http.StatusServiceUnavailable)
			return
		}
		state = append(state, st)
	}
	update, req, problem := h.buildStep(step, row, r.PostForm, p.Actor(), time.Now(), state...)
	status := http.StatusBadRequest
	if problem == "" {
		status, problem = h.sendStep(r, id, update, key, req)
		if status == http.StatusOK {
			_ = h.audit(r, action, id, store.OutcomeOK, map[string]string{"status": "200"})
			h.clearFlash(w, r)
			http.Redirect(w, r, afterStep(r, id, "gedaan", step), http.StatusSeeOther)
			return
		}
	}
	_ = h.audit(r, action, id, fmt.Sprint(status), map[string]string{"status": fmt.Sprint(status)})
	// The refused form keeps what was typed and its key: sending it again
	// after a timeout is still the same step.
	h.refused(w, r, id, step, &form{Key: key, Values: r.PostForm, Error: problem}, status)
}

// stepTrajectory is the trajectory a step is posted to, when p may see it
// and act in it; else it answers (not found, to one who may not see it
// either) and ok is false.
func (h *handler) stepTrajectory(w http.ResponseWriter, r *http.Request, p usecase.Principal, action, id string) (row store.Trajectory, ok bool) {
	row, err := h.Cases.Visible(r.Context(), p, id)
	if err == nil && !usecase.MayAccess(p, row.TrajectorySummary) {
		// A reader of an earlier trajectory takes no step in it.
		err = usecase.ErrDenied
	}
	switch {
	case errors.Is(err, usecase.ErrDenied):
		_ = h.audit(r, action, id, store.OutcomeDenied, map[string]string{"reason": "trajectory"})
		h.notFound(w, r)
		return row, false
	case errors.Is(err, usecase.ErrNotFound):
		_ = h.audit(r, action, id, store.OutcomeNotFound, nil)
		h.notFound(w, r)
		return row, false
	case err != nil:
		h.unavailable(w, r, err)
		return row, false
	}
	return row, true
}

// sendStep sends the step's Update to the trajectory: status is 200 when
// the workflow took it; else problem says in words why not, and status is
// that of the page that shows the form again.
func (h *handler) sendStep(r *http.Request, id, update, key string, req any) (status int, problem string) {
	_, err := h.Cases.Update(r.Context(), id, update, key, req)
	var rejected *usecase.RejectedError
	switch {
	case err == nil:
		return http.StatusOK, ""
	case errors.As(err, &rejected):
		problem, known := sayRejected(rejected)
		if !known {
			h.Logger.Warn("pages: a refusal without a Dutch sentence", "trajectory_id", id, "update", update, "code", rejected.Code)
		}
		return http.StatusConflict, problem
	case errors.Is(err, usecase.ErrClosed):
		return http.StatusConflict, sayCode(trajectory.CodeTrajectoryClosed)
	case errors.Is(err, usecase.ErrNotRunning):
		return http.StatusNotFound, "Dit traject loopt niet meer."
	case errors.Is(err, usecase.ErrUnavailable):
		return http.StatusServiceUnavailable, "De dienst antwoordde niet op tijd. Verstuur het formulier opnieuw: het wordt maar één keer opgeslagen."
	default:
		h.Logger.Error("pages: step failed", "trajectory_id", id, "update", update, "error", err)
		return http.StatusInternalServerError, "De stap kon niet worden opgeslagen (gelogd). Probeer het opnieuw; meld het als het blijft gebeuren."
	}
}

// notYourStep says in Dutch that the step is not the caller's, and for a
// co-worker which steps their role does give them.
func notYourStep(st usecase.Step, err error) string {
	var denied *usecase.StepDeniedError
	if !errors.As(err, &denied) || len(denied.Given) == 0 {
		return "Deze stap (" + strings.ToLower(st.Title) + ") is niet voor uw rol."
	}
	var given []string
	for _, name := range denied.Given {
		if g, ok := usecase.StepNamed(name); ok {
			given = append(given, strings.ToLower(g.Title))
		}
	}
	return "Als " + strings.ToLower(denied.Role) + " kunt u deze stap (" + strings.ToLower(st.Title) + ") niet zetten; wel: " + strings.Join(given, ", ") + "."
}

// stateUnavailable: a step made from the workflow's state could not read it.
const stateUnavailable = "Het traject antwoordde niet op tijd; er is niets opgeslagen. Verstuur het formulier opnieuw."

// buildStep turns a form into the step's Update and request, or says in
// words what is wrong with it. A step made from the workflow's state
// (moreStep.buildIn) is given the state as it is now.
func (h *handler) buildStep(step string, row store.Trajectory, f url.Values, by string, now time.Time, state ...trajectory.State) (string, any, string) {
	switch step {
	case "toewijzing":
		return buildAssignCoach(h, row, f, by, now)
	case "intake", "bezoek":
		return buildVisit(f, by, now, step == "intake")
	case "geboorte":
		return buildBirth(f, by, now)
	case "overdracht":
		return buildHandOver(h, f, by)
	case "afsluiting":
		return buildClose(f, by)
	case "verlenging":
		return buildExtension(f, by, now)
	}
	if s, ok := moreSteps[step]; ok {
		if s.buildIn != nil {
			if len(state) == 0 {
				return "", nil, stateUnavailable
			}
			return s.buildIn(h, row, state[0], f, by, now)
		}
		return s.build(h, row, f, by, now)
	}
	return "", nil, unknownStep
}

// buildAssignCoach gives the trajectory a coach of its programme.
func buildAssignCoach(h *handler, row store.Trajectory, f url.Values, by string, _ time.Time) (string, any, string) {
	coach := f.Get("coach")
	if isCoach, _, _ := h.Cases.CoachOf(row.ProgrammeID, coach); !isCoach {
		return "", nil, "Kies een coach van het programma."
	}
	return trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: by}, ""
}

// buildVisit records the intake or a home visit, with the date of the next.
func buildVisit(f url.Values, by string, now time.Time, intake bool) (string, any, string) {
	doneAt, err1 := parseLocal(f.Get("done_at"))
	next, err2 := parseLocal(f.Get("next_visit_due"))
	if err1 != nil || err2 != nil {
		return "", nil, "Vul datum en uur in als JJJJ-MM-DD UU:MM."
	}
	note, problem := typed(f, "note", "De nota", false, trajectory.MaxNoteLength, true)
	if problem != "" {
		return "", nil, problem
	}
	ps := trajectory.VisitTimeProblems(now, doneAt, next)
	if intake {
		return trajectory.UpdateRecordIntake, trajectory.RecordIntake{DoneAt: doneAt, NextVisitDue: next, Note: note, By: by}, problems(ps)
	}
	return trajectory.UpdateRecordVisit, trajectory.RecordVisit{DoneAt: doneAt, NextVisitDue: next, Note: note, By: by}, problems(ps)
}

// buildBirth records the child's birth.
func buildBirth(f url.Values, by string, now time.Time) (string, any, string) {
	born, err := trajectory.ParseDate(f.Get("born_on"))
	if err != nil {
		return "", nil, sayCode(trajectory.CodeBirthDateRequired)
	}
	if ps := trajectory.BirthDateProblems(now, born); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	name, problem := typed(f, "name", "De naam", false, trajectory.MaxNameLength, false)
	if problem != "" {
		return "", nil, problem
	}
	return trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: born, Name: name, By: by}, ""
}

// buildHandOver hands the family over to a service of the directory, with
// the family's consent to what is shared.
func buildHandOver(h *handler, f url.Values, by string) (string, any, string) {
	svc, ok := h.Services[f.Get("service")]
	if !ok {
		return "", nil, sayCode(trajectory.CodeHandoverServiceMissing)
	}
	c := trajectory.Consent{Given: f.Get("consent_given") == "ja", Shares: f["shares"]}
	if c.Shares == nil {
		c.Shares = []string{}
	}
	if v := f.Get("recorded_on"); v != "" {
		d, err := trajectory.ParseDate(v)
		if err != nil {
			return "", nil, "Vul de datum van de toestemming in."
		}
		c.RecordedOn = d
	}
	if strings.TrimSpace(f.Get("reason")) == "" {
		return "", nil, sayCode(trajectory.CodeHandoverReasonRequired)
	}
	reason, problem := typed(f, "reason", "De reden", true, trajectory.MaxNoteLength, true)
	if problem != "" {
		return "", nil, problem
	}
	if ps := trajectory.ConsentProblems(c); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	return trajectory.UpdateHandOver, trajectory.HandOver{Service: svc, Reason: reason, Consent: c, By: by}, ""
}

// buildClose closes the trajectory, once the coach confirmed it, with the
// outcome of each goal.
func buildClose(f url.Values, by string) (string, any, string) {
	text, problem := typed(f, "text", "De toelichting", false, trajectory.MaxNoteLength, true)
	if problem != "" {
		return "", nil, problem
	}
	reason := trajectory.CloseReason(f.Get("reason"))
	outcomes, problem := closeOutcomes(f)
	if problem != "" {
		return "", nil, problem
	}
	ps := trajectory.CloseProblems(reason, text)
	if len(ps) == 0 && f.Get("bevestigd") != "ja" {
		return "", nil, closeUnconfirmed
	}
	return trajectory.UpdateClose, trajectory.Close{Reason: reason, Text: text, Outcomes: outcomes, By: by}, problems(ps)
}

// buildExtension extends the follow-up until a later date, for a reason.
func buildExtension(f url.Values, by string, now time.Time) (string, any, string) {
	until, err := trajectory.ParseDate(f.Get("until"))
	reason, problem := typed(f, "reason", "De reden", true, trajectory.MaxExtensionReasonLength, true)
	if err != nil || problem == sayText("De reden", trajectory.TextRequired) {
		return "", nil, "Vul de datum en de reden van de verlenging in."
	}
	if problem != "" {
		return "", nil, problem
	}
	if ps := trajectory.ExtensionProblems(now, until); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	return trajectory.UpdateExtendFollowUp, trajectory.ExtendFollowUp{Until: until, Reason: reason, By: by}, ""
}

// unknownStep is buildStep's answer for a step it has no form for.
const unknownStep = "Onbekende stap."

// typed reads a text field of a form by the rules the API applies too
// (trajectory.CleanText), trimmed; problem says in Dutch what is wrong,
// naming the field as what.
func typed(f url.Values, field, what string, required bool, max int, multiline bool) (text, problem string) {
	text, p := trajectory.CleanText(strings.TrimSpace(f.Get(field)), required, max, multiline)
	if p == trajectory.TextTooLong {
		return text, fmt.Sprintf("%s is te lang: hoogstens %d tekens.", what, max)
	}
	return text, sayText(what, p)
}

// sayText is a text's problem in Dutch ("" for none).
func sayText(what string, p trajectory.TextProblem) string {
	switch p {
	case trajectory.TextRequired:
		return what + " is verplicht."
	case trajectory.TextControl:
		return what + " bevat een teken dat hier niet past (zoals een regeleinde); typ het opnieuw."
	case trajectory.TextFormatChar:
		return what + " bevat een onzichtbaar opmaakteken; wis het veld en typ de tekst opnieuw."
	}
	return ""
}

// parseLocal reads a datetime-local field in Belgian time; empty is zero
// (the workflow then takes its own now for done_at).
func parseLocal(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	switch len(v) {
	case len("2006-01-02"):
		v += "T09:00"
	case len("2006-01-02T15:04:05"): // a browser sends seconds when the value has them
		return time.ParseInLocation("2006-01-02T15:04:05", v, zone)
	}
	return time.ParseInLocation("2006-01-02T15:04", v, zone)
}
