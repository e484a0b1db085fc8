package pages

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"elkgezin/programme"
	"elkgezin/store"
	"elkgezin/usecase"
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
	Done      bool
}

type consultationRow struct {
	At                   time.Time
	Programme, By, About string
	Situation, Advice    string
	Referred             bool
	ReferredAt           *time.Time
}

func (h *handler) consultations(w http.ResponseWriter, r *http.Request) {
	d, ok := h.consultationPage(w, r, r.URL.Query().Get("programma"))
	if !ok {
		return
	}
	d.Done = r.URL.Query().Get("gedaan") != ""
	h.render(w, r, http.StatusOK, "consultaties", "Consultaties", d)
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
	for _, c := range list {
		prog := progs[c.ProgrammeID]
		d.List = append(d.List, consultationRow{At: c.RecordedAt, Programme: prog.Name, By: actorName(prog, c.RecordedBy),
			About: organisationName(prog, c.Organisation), Situation: c.Situation, Advice: c.Advice,
			Referred: c.TrajectoryID != "", ReferredAt: c.ReferredAt})
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
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if r.ParseForm() != nil || !s.CheckCSRF(r, r.PostForm.Get("csrf")) {
		_ = h.audit(r, step.Action, "", store.OutcomeDenied, map[string]string{"reason": "csrf"})
		h.message(w, r, http.StatusForbidden, "Geweigerd", "Dit formulier kwam niet van deze website, of de pagina is te oud. Open de pagina opnieuw en probeer nog eens.")
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
		d, ok := h.consultationPage(w, r, f.Get("programme"))
		if !ok {
			return
		}
		d.Form = &form{Key: f.Get("key"), Values: f, Error: problem}
		h.render(w, r, http.StatusBadRequest, "consultaties", "Niet opgeslagen: consultatie", d)
		return
	}
	c, err := cs.CreateConsultation(r.Context(), c)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	_ = h.audit(r, step.Action, "", store.OutcomeOK, map[string]string{"consultation": c.ID, "programme": c.ProgrammeID})
	http.Redirect(w, r, "/consultaties?programma="+url.QueryEscape(c.ProgrammeID)+"&gedaan=1", http.StatusSeeOther)
}

// consultationOf reads the form by the API's rules for a consultation of
// the team (api.postConsultation), or says in Dutch what is wrong.
func (h *handler) consultationOf(p usecase.Principal, f url.Values) (store.Consultation, string) {
	prog, known := h.Cases.Programmes.Get(f.Get("programme"))
	if !known || !slices.Contains(p.Programmes, prog.ID) {
		return store.Consultation{}, "Kies een programma waarin u werkt."
	}
	org := f.Get("organisation")
	if org != "" && !prog.AllowsReferrer(org) {
		return store.Consultation{}, "Kies een partner van het programma, of geen."
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
