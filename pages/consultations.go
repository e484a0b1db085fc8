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

// Anonymous consultations: the school-gate tandem notes in twenty seconds
// what a parent asked and what they advised, with no name, address or
// phone (the rule is usecase.LooksLikeContactData, the API's too), and the
// team sees its consultations, newest first.

type consultationData struct {
	Programmes []programme.Programme
	Programme  string
	// MayRecord: the caller's role may record a consultation in it.
	MayRecord bool
	// Referrers are the partners of the programme shown, for a consultation about one of them.
	Referrers []programme.Organisation
	Form      *form
	List      []consultationRow
}

type consultationRow struct {
	ID                   string
	At                   time.Time
	Programme, By, About string
	Situation, Advice    string
	Referred             bool
	ReferredAt           *time.Time
	// PartnerForm names the partner of a consultation that names none,
	// for whoever may (StepConsultationPartner); Referrers are the
	// partners to choose from.
	PartnerForm *form
	Referrers   []programme.Organisation
	// ReferForm turns a consultation that names its partner into a
	// referral on that partner's behalf, for whoever may (StepReferConsultation).
	ReferForm *form
	// Children numbers the rows of children on ReferForm.
	Children []int
}

// form is the consultation's form of the step, nil when it has none.
func (c *consultationRow) form(step string) **form {
	switch step {
	case usecase.StepConsultationPartner:
		return &c.PartnerForm
	case usecase.StepReferConsultation:
		return &c.ReferForm
	}
	return nil
}

// consultations shows the page; ?gedaan=<step> says first that a step was
// taken, ?geweigerd=<step> that it was refused, with the form as sent
// (pageOutcome), at the consultation it was about (?consultatie=).
func (h *handler) consultations(w http.ResponseWriter, r *http.Request) {
	d, ok := h.consultationPage(w, r, r.URL.Query().Get("programma"))
	if !ok {
		return
	}
	o, step, about, f := pageOutcome(r)
	if f != nil && !d.place(step, about, f) {
		o.Form = "" // the consultation has the form no more (its partner is named): the refusal says why
	}
	h.renderOutcome(w, r, http.StatusOK, "consultaties", "Consultaties", d, o)
}

// place puts a refused form where it was sent from: the page's own form,
// or the form of the step at the consultation it was about, when that
// consultation still has it; false otherwise.
func (d *consultationData) place(step, about string, f *form) bool {
	if step == usecase.StepConsultation && about == "" {
		d.Form = f
		return true
	}
	for i := range d.List {
		if d.List[i].ID != about {
			continue
		}
		if slot := d.List[i].form(step); slot != nil && *slot != nil {
			*slot = f
			return true
		}
	}
	return false
}

func (h *handler) consultationPage(w http.ResponseWriter, r *http.Request, asked string) (*consultationData, bool) {
	p := current(r).Principal
	cs, ok := h.Cases.Store.(usecase.ConsultationStore)
	if !ok {
		h.unavailable(w, r, errors.New("the store keeps no consultations"))
		return nil, false
	}
	d := &consultationData{Programmes: h.myProgrammes(p), Form: &form{Key: newKey(), Values: url.Values{}}}
	d.Programme = chosenProgramme(d.Programmes, asked)
	step, _ := usecase.StepNamed(usecase.StepConsultation)
	d.MayRecord = h.Cases.MayTake(p, step, d.Programme) == nil
	progs := map[string]programme.Programme{}
	var ids []string
	for _, prog := range d.Programmes {
		progs[prog.ID] = prog
		ids = append(ids, prog.ID)
		if prog.ID == d.Programme {
			d.Referrers = prog.Referrers
		}
	}
	list, err := cs.ListConsultations(r.Context(), ids, 50)
	if err != nil {
		h.unavailable(w, r, err)
		return nil, false
	}
	naming, _ := usecase.StepNamed(usecase.StepConsultationPartner)
	referring, _ := usecase.StepNamed(usecase.StepReferConsultation)
	today := trajectory.Today(time.Now()).Format("2006-01-02")
	for _, c := range list {
		prog := progs[c.ProgrammeID]
		row := consultationRow{ID: c.ID, At: c.RecordedAt, Programme: prog.Name, By: actorName(prog, c.RecordedBy),
			About: organisationName(prog, c.Organisation), Situation: c.Situation, Advice: c.Advice,
			Referred: c.TrajectoryID != "", ReferredAt: c.ReferredAt}
		if !row.Referred && c.Organisation == "" && h.Cases.MayTake(p, naming, prog.ID) == nil {
			row.PartnerForm, row.Referrers = &form{Key: newKey(), Values: url.Values{}}, prog.Referrers
		}
		if !row.Referred && c.Organisation != "" && h.Referrals != nil && h.Cases.MayTake(p, referring, prog.ID) == nil {
			row.ReferForm = &form{Key: newKey(), Values: url.Values{"consent_on": {today}}}
			for i := range referChildren {
				row.Children = append(row.Children, i)
			}
		}
		d.List = append(d.List, row)
	}
	if err := h.audit(r, usecase.ActionList, "", store.OutcomeOK, map[string]string{"items": itoa(len(d.List)), "page": "consultaties"}); err != nil {
		h.unavailable(w, r, err)
		return nil, false
	}
	return d, true
}

func (h *handler) postConsultation(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	p := s.Principal
	step, _ := usecase.StepNamed(usecase.StepConsultation)
	if !h.postedForm(w, r, step.Action, "", nil) {
		return
	}
	if h.Cases.MayTake(p, step, r.PostForm.Get("programme")) != nil {
		_ = h.audit(r, step.Action, "", store.OutcomeDenied, map[string]string{"reason": "kind"})
		h.message(w, r, http.StatusForbidden, "Geen toegang", "Deze stap is niet voor uw rol.")
		return
	}
	cs, ok := h.Cases.Store.(usecase.ConsultationStore)
	if !ok {
		h.unavailable(w, r, errors.New("the store keeps no consultations"))
		return
	}
	f := r.PostForm
	c, problem := h.consultationOf(p, f)
	if problem != "" {
		_ = h.audit(r, step.Action, "", "400", map[string]string{"status": "400"})
		h.consultationRefused(w, r, http.StatusBadRequest, step.Name, f.Get("programme"), "", &form{Key: f.Get("key"), Values: f, Error: problem})
		return
	}
	c, err := cs.CreateConsultation(r.Context(), c)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	_ = h.audit(r, step.Action, "", store.OutcomeOK, map[string]string{"consultation": c.ID, "programme": c.ProgrammeID})
	h.clearFlash(w, r)
	http.Redirect(w, r, consultationsDone(c.ProgrammeID, step.Name), http.StatusSeeOther)
}

// consultationsDone is the page after a step was taken on it.
func consultationsDone(programmeID, step string) string {
	return "/consultaties?" + url.Values{"programma": {programmeID}, "gedaan": {step}}.Encode()
}

// consultationRefused answers a refused form of the consultation page
// with the page again (POST-redirect-GET, as a trajectory's step), the
// form as sent at the consultation it was about ("" for a new one).
func (h *handler) consultationRefused(w http.ResponseWriter, r *http.Request, status int, step, programmeID, about string, f *form) {
	if h.pageRefused(w, r, step, about, url.Values{"programma": {programmeID}}, f) {
		return
	}
	d, ok := h.consultationPage(w, r, programmeID)
	if !ok {
		return
	}
	o := &outcome{Refused: true, Text: f.Error, Form: "f-" + step}
	if about != "" {
		o.Form += "-" + about
	}
	if !d.place(step, about, f) {
		o.Form = ""
	}
	h.renderOutcome(w, r, status, "consultaties", "Consultaties", d, o)
}

// postConsultationStep takes a step on one consultation of the page:
// naming the partner it concerns, or turning it into a referral.
func (h *handler) postConsultationStep(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	p := s.Principal
	id := r.PathValue("consultation")
	step, known := usecase.StepNamed(r.PathValue("step"))
	if !known || step.Name == usecase.StepConsultation || pageOfStep[step.Name] != "/consultaties" {
		h.message(w, r, http.StatusNotFound, "Niet gevonden", "Deze stap bestaat niet.")
		return
	}
	if !h.postedForm(w, r, step.Action, "", map[string]string{"consultation": id}) {
		return
	}
	if !step.AllowsKind(p.Kind) {
		_ = h.audit(r, step.Action, "", store.OutcomeDenied, map[string]string{"reason": "kind", "consultation": id})
		h.message(w, r, http.StatusForbidden, "Geen toegang", "Deze stap is niet voor uw rol.")
		return
	}
	f := r.PostForm
	key := f.Get("key")
	if !trajectory.ValidIdempotencyKey(key) {
		key = newKey()
	}
	if step.Name == usecase.StepReferConsultation {
		h.referConsultation(w, r, step, id, &form{Key: key, Values: f})
		return
	}
	c, err := h.Cases.NameConsultationPartner(r.Context(), p, id, f.Get("organisation"))
	h.consultationStepDone(w, r, step, id, c, err, &form{Key: key, Values: f})
}

// consultationStepDone answers a step on a consultation: back to the page
// saying it was taken, or refused and why, in Dutch.
func (h *handler) consultationStepDone(w http.ResponseWriter, r *http.Request, step usecase.Step, id string, c store.Consultation, err error, f *form) {
	var problem *usecase.PartnerProblemError
	status := http.StatusConflict
	switch {
	case err == nil:
		_ = h.audit(r, step.Action, c.TrajectoryID, store.OutcomeOK, map[string]string{"consultation": c.ID, "programme": c.ProgrammeID})
		h.clearFlash(w, r)
		http.Redirect(w, r, consultationsDone(c.ProgrammeID, step.Name), http.StatusSeeOther)
		return
	case errors.Is(err, usecase.ErrConsultationNotFound):
		_ = h.audit(r, step.Action, "", store.OutcomeNotFound, map[string]string{"consultation": id})
		h.message(w, r, http.StatusNotFound, "Niet gevonden", "Er is geen consultatie met dit nummer in uw programma's.")
		return
	case errors.Is(err, usecase.ErrStepNotGiven):
		_ = h.audit(r, step.Action, "", store.OutcomeDenied, map[string]string{"reason": "role", "consultation": id})
		h.message(w, r, http.StatusForbidden, "Geen toegang", "Deze stap is niet voor uw rol.")
		return
	case errors.Is(err, usecase.ErrConsultationReferred):
		f.Error = "Deze consultatie werd al een doorverwijzing."
	case errors.Is(err, usecase.ErrPartnerNamed):
		f.Error = "Deze consultatie noemt al een partner."
	case errors.Is(err, usecase.ErrConsultationNoPartner):
		f.Error = "Duid eerst de partner aan over wie deze consultatie gaat: die is de doorverwijzer."
	case errors.As(err, &problem):
		f.Error, status = "Kies de partner van het programma over wie de consultatie gaat.", http.StatusBadRequest
	default:
		h.unavailable(w, r, err)
		return
	}
	_ = h.audit(r, step.Action, "", strconv.Itoa(status), map[string]string{"status": strconv.Itoa(status), "consultation": id})
	h.consultationRefused(w, r, status, step.Name, c.ProgrammeID, id, f)
}

// consultationOf reads the form by the API's rules for a consultation of
// the team (api.postConsultation), or says in Dutch what is wrong.
func (h *handler) consultationOf(p usecase.Principal, f url.Values) (store.Consultation, string) {
	prog, known := h.Cases.Programmes.Get(f.Get("programme"))
	if !known || !slices.Contains(p.Programmes, prog.ID) {
		return store.Consultation{}, "Kies een programma waarin u werkt."
	}
	org := f.Get("organisation")
	if usecase.ConsultationPartnerProblem(prog, org) != "" {
		return store.Consultation{}, "Kies de partner van het programma over wie de consultatie gaat: die kan ze, met toestemming van het gezin, omzetten in een doorverwijzing."
	}
	situation, problem := typed(f, "situation", "De vraag of situatie", true, usecase.MaxConsultationText, true)
	if problem != "" {
		return store.Consultation{}, problem
	}
	advice, problem := typed(f, "advice", "Het advies", true, usecase.MaxConsultationText, true)
	if problem != "" {
		return store.Consultation{}, problem
	}
	if usecase.LooksLikeContactData(situation) || usecase.LooksLikeContactData(advice) {
		return store.Consultation{}, "Een consultatie is anoniem: laat e-mailadressen en telefoon-, rijksregister- of rekeningnummers weg."
	}
	return store.Consultation{ProgrammeID: prog.ID, RecordedBy: p.Actor(), Organisation: org, Situation: situation, Advice: advice}, ""
}

// actorName names who did something as the programme file does, never by
// their id.
func actorName(prog programme.Programme, actor string) string {
	kind, id, _ := strings.Cut(actor, ":")
	switch kind {
	case usecase.KindCoach:
		if c, ok := prog.Coach(id); ok && c.Name != "" {
			return c.Name
		}
		if c, ok := prog.CoWorker(id); ok && c.Name != "" {
			return c.Name
		}
		return "een coach"
	case usecase.KindCoWorker:
		if c, ok := prog.CoWorker(id); ok && c.Name != "" {
			return c.Name
		}
		return "een medewerker"
	case usecase.KindSupervisor:
		return "de teamverantwoordelijke"
	case usecase.KindPartner:
		return organisationName(prog, id)
	}
	return "iemand van het team"
}

// organisationName names a partner as the programme file does; "" for none.
func organisationName(prog programme.Programme, id string) string {
	if id == "" {
		return ""
	}
	for _, o := range prog.Referrers {
		if o.ID == id && o.Name != "" {
			return o.Name
		}
	}
	return "een partner"
}
