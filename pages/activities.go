package pages

import (
	"cmp"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"

	"github.com/gorilla/mux"
)

// Collective activities (a Huis van het Kind's group sessions): the team
// picks the families present from the programme's open trajectories, and
// each family's trajectory records its attendance, by the API's code
// (usecase.Attendees, usecase.RecordAttendances).

// pageOfStep names the page of each step of the step table that is not
// taken on a trajectory's page (/trajecten/{id}/{step}) but on a page of
// its own: its form is at path, posted to path (a step on one
// consultation to path/{consultation}/{step}).
var pageOfStep = map[string]string{
	usecase.StepCollectiveActivity:  "/activiteiten",
	usecase.StepConsultation:        "/consultaties",
	usecase.StepConsultationPartner: "/consultaties",
	usecase.StepReferConsultation:   "/consultaties",
}

// routeMore adds the pages of the programme's own work beside the
// trajectory page: collective activities and consultations.
func (h *handler) routeMore(r *mux.Router) {
	for _, name := range []string{"activiteiten", "consultaties"} {
		h.pages[name] = template.Must(template.New("layout.tmpl").Funcs(funcs).
			ParseFS(templateFiles, "templates/layout.tmpl", "templates/"+name+".tmpl", "templates/part_*.tmpl"))
	}
	get(r, "/activiteiten", h.withSession(h.activities))
	post(r, "/activiteiten", h.withSession(h.postActivity))
	get(r, "/consultaties", h.withSession(h.consultations))
	post(r, "/consultaties", h.withSession(h.postConsultation))
	// The steps on one consultation (pageOfStep says which).
	post(r, "/consultaties/{consultation}/{step}", h.withSession(h.postConsultationStep))
}

type activityData struct {
	Programmes []programme.Programme
	Programme  string // the programme shown
	// MayRecord: the caller's role may record an activity in it.
	MayRecord bool
	Families  []row
	// Form is the activity's form; its Lines say, for an activity not
	// every family's trajectory took, what became of each.
	Form *form
}

// myProgrammes are the programmes of the caller, as the catalogue has them.
func (h *handler) myProgrammes(p usecase.Principal) []programme.Programme {
	var ps []programme.Programme
	for _, id := range p.Programmes {
		if prog, ok := h.Cases.Programmes.Get(id); ok {
			ps = append(ps, prog)
		}
	}
	return ps
}

// chosenProgramme is the programme asked for, or the caller's first.
func chosenProgramme(ps []programme.Programme, asked string) string {
	for _, p := range ps {
		if p.ID == asked {
			return asked
		}
	}
	if len(ps) > 0 {
		return ps[0].ID
	}
	return ""
}

// activities shows the activity page; ?gedaan=<n> says first that the
// activity was recorded at n families, ?geweigerd=activiteit that it was
// refused, with the form as sent (pageOutcome).
func (h *handler) activities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, ok := h.activityPage(w, r, q.Get("programma"))
	if !ok {
		return
	}
	o, step, _, f := pageOutcome(r)
	if step == usecase.StepCollectiveActivity && f != nil {
		d.Form = f
	}
	if n, err := strconv.Atoi(q.Get("gedaan")); err == nil && n > 0 {
		families := "gezinnen"
		if n == 1 {
			families = "gezin"
		}
		o = &outcome{Text: "De activiteit is opgeslagen bij " + itoa(n) + " " + families + "."}
	}
	h.renderOutcome(w, r, http.StatusOK, "activiteiten", "Collectieve activiteit", d, o)
}

// activityPage lists the open trajectories of the programme the caller
// may act on, each by its family's name.
func (h *handler) activityPage(w http.ResponseWriter, r *http.Request, asked string) (*activityData, bool) {
	p := current(r).Principal
	d := &activityData{Programmes: h.myProgrammes(p), Form: &form{Key: newKey(), Values: url.Values{}}}
	d.Programme = chosenProgramme(d.Programmes, asked)
	step, _ := usecase.StepNamed(usecase.StepCollectiveActivity)
	d.MayRecord = h.Cases.MayTake(p, step, d.Programme) == nil
	items, err := h.listAll(r, p)
	if err != nil {
		h.unavailable(w, r, err)
		return nil, false
	}
	for _, it := range items {
		if it.Phase == trajectory.PhaseClosed || it.ProgrammeID != d.Programme || !usecase.MayAccess(p, it) {
			continue
		}
		full, err := h.Cases.Visible(r.Context(), p, it.ID)
		if err != nil || full.Family == nil {
			continue
		}
		d.Families = append(d.Families, row{TrajectorySummary: it, Name: full.Family.ContactName})
	}
	slices.SortFunc(d.Families, func(a, b row) int { return cmp.Compare(a.Name, b.Name) })
	if err := h.audit(r, usecase.ActionList, "", store.OutcomeOK, map[string]string{"items": itoa(len(d.Families)), "page": "activiteiten"}); err != nil {
		h.unavailable(w, r, err)
		return nil, false
	}
	return d, true
}

func (h *handler) postActivity(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	p := s.Principal
	step, _ := usecase.StepNamed(usecase.StepCollectiveActivity)
	if !h.postedForm(w, r, step.Action, "", nil) {
		return
	}
	f := r.PostForm
	progID := f.Get("programme")
	if h.Cases.MayTake(p, step, r.PostForm.Get("programme")) != nil {
		_ = h.audit(r, step.Action, "", store.OutcomeDenied, map[string]string{"reason": "kind"})
		h.message(w, r, http.StatusForbidden, "Geen toegang", "Deze stap is niet voor uw rol.")
		return
	}
	as, ok := h.Cases.Store.(usecase.ActivityStore)
	if !ok {
		h.unavailable(w, r, errors.New("the store records no activities"))
		return
	}
	key := f.Get("key")
	if !trajectory.ValidIdempotencyKey(key) {
		key = newKey()
	}
	problem := ""
	on, err := trajectory.ParseDate(f.Get("held_on"))
	kind, kindProblem := typed(f, "kind", "De soort activiteit", true, 64, false)
	ids := f["trajectories"]
	switch {
	case !slices.Contains(p.Programmes, progID):
		problem = "Kies een programma waarin u werkt."
	case err != nil:
		problem = "Vul de datum van de activiteit in."
	case kindProblem != "":
		problem = kindProblem
	case len(ids) == 0:
		problem = "Vink de gezinnen aan die erbij waren."
	case len(ids) > usecase.MaxActivityFamilies:
		problem = "Hoogstens " + strconv.Itoa(usecase.MaxActivityFamilies) + " gezinnen per activiteit."
	}
	if problem != "" {
		_ = h.audit(r, step.Action, "", "400", map[string]string{"status": "400"})
		h.activityRefused(w, r, http.StatusBadRequest, progID, key, problem, nil)
		return
	}
	ours, err := h.Cases.Attendees(r.Context(), p, progID, ids)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	act, err := as.RecordCollectiveActivity(r.Context(), store.CollectiveActivity{ID: usecase.ActivityID(progID, p.Actor(), key),
		ProgrammeID: progID, Kind: kind, HeldOn: on, RecordedBy: p.Actor(), Trajectories: ours})
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	out := h.Cases.RecordAttendances(r.Context(), p, act, ids, ours)
	recorded := 0
	for _, a := range out {
		if a.Outcome == usecase.AttendanceRecorded {
			recorded++
		}
	}
	_ = h.audit(r, step.Action, "", store.OutcomeOK, map[string]string{"activity": act.ID, "programme": progID,
		"recorded": itoa(recorded), "families": itoa(len(out))})
	if recorded == len(out) {
		http.Redirect(w, r, "/activiteiten?programma="+url.QueryEscape(progID)+"&gedaan="+itoa(recorded), http.StatusSeeOther)
		return
	}
	// Not every family's attendance was taken: say which, with the form
	// as sent (sending it again is the same activity).
	h.activityRefused(w, r, http.StatusConflict, progID, key, "De activiteit is opgeslagen, maar niet bij elk gezin; zie hieronder.", out)
}

// activityRefused answers with the page again (POST-redirect-GET, as a
// trajectory's step): the form as sent, why, and what became of each
// family's attendance.
func (h *handler) activityRefused(w http.ResponseWriter, r *http.Request, status int, progID, key, problem string, out []usecase.Attendance) {
	d, ok := h.activityPage(w, r, progID)
	if !ok {
		return
	}
	f := &form{Key: key, Values: r.PostForm, Error: problem}
	names := map[string]string{}
	for _, fam := range d.Families {
		names[fam.ID] = fam.Name
	}
	for _, a := range out {
		name := names[a.Trajectory]
		if name == "" {
			name = "Een gezin dat u niet (meer) kunt kiezen"
		}
		f.Lines = append(f.Lines, name+": "+attendanceLabel(a))
	}
	if h.pageRefused(w, r, usecase.StepCollectiveActivity, "", url.Values{"programma": {progID}}, f) {
		return
	}
	d.Form = f
	h.renderOutcome(w, r, status, "activiteiten", "Collectieve activiteit", d, &outcome{Refused: true, Text: problem, Form: "f-" + usecase.StepCollectiveActivity})
}

// attendanceLabel says in Dutch what became of a family's attendance.
func attendanceLabel(a usecase.Attendance) string {
	switch a.Outcome {
	case usecase.AttendanceRecorded:
		return "aanwezigheid opgeslagen"
	case usecase.AttendanceNotFound:
		return "niet opgeslagen: dit gezin hoort niet bij dit programma of bij u"
	case usecase.AttendanceRefused:
		if a.Rejected != nil {
			if text, known := sayRejected(a.Rejected); known {
				return "niet opgeslagen: " + strings.TrimSuffix(text, ".")
			}
		}
		return "niet opgeslagen: het traject loopt niet meer"
	}
	return "niet opgeslagen: de dienst antwoordde niet; verstuur het formulier opnieuw"
}
