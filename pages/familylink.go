package pages

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"

	"github.com/gorilla/mux"
)

// The family's link has a page of its own beside the trajectory's: the
// coach makes the link with the family (and sees it, to hand over on paper
// or read out on the phone); the coach or a supervisor revokes it.
func init() {
	pageOfStep[usecase.StepFamilyLink] = "/gezinslink"
	pageOfStep[usecase.StepRevokeFamilyLink] = "/gezinslink"
}

type familyLinkData struct {
	ID                  string
	MayIssue, MayRevoke bool
	Key, Today          string
	Language            string
	Languages           []familylink.Language
	// MayText: the family agreed to SMS and has a number, and this server
	// sends SMS, so the link can also be texted.
	MayText bool
	Issued  *issuedLink
	Error   string
}

type issuedLink struct {
	URL, Until, EmailProblem, SMSProblem string
	Emailed, Texted                      bool
}

func (h *handler) routeFamilyLink(r *mux.Router) {
	h.pages["gezinslink"] = template.Must(template.New("layout.tmpl").Funcs(funcs).
		ParseFS(templateFiles, "templates/layout.tmpl", "templates/gezinslink.tmpl"))
	get(r, "/gezinslink/{id}", h.withSession(h.familyLinkPage))
	post(r, "/gezinslink/{id}", h.withSession(h.postFamilyLink))
	post(r, "/gezinslink/{id}/intrekken", h.withSession(h.postRevokeFamilyLink))
}

// familyLinkForm checks that the caller may take a step of the page on
// the trajectory, and fills what the page shows.
func (h *handler) familyLinkForm(w http.ResponseWriter, r *http.Request, step string) (*familyLinkData, store.TrajectorySummary, bool) {
	if h.FamilyLinks == nil || h.FamilyLinks.Signer == nil {
		h.message(w, r, http.StatusNotFound, "Niet beschikbaar", "Persoonlijke links voor gezinnen zijn op deze server niet ingesteld.")
		return nil, store.TrajectorySummary{}, false
	}
	p := current(r).Principal
	id := r.PathValue("id")
	st, _ := usecase.StepNamed(step)
	row, err := h.Cases.ActableStep(r.Context(), p, id, st)
	switch {
	case errors.Is(err, usecase.ErrNotFound) || errors.Is(err, usecase.ErrDenied):
		_ = h.audit(r, st.Action, id, store.OutcomeDenied, map[string]string{"reason": "trajectory"})
		h.notFound(w, r)
		return nil, row, false
	case errors.Is(err, usecase.ErrStepNotGiven):
		h.message(w, r, http.StatusForbidden, "Geen toegang", "Deze stap is niet voor uw rol.")
		return nil, row, false
	case err != nil:
		h.unavailable(w, r, err)
		return nil, row, false
	}
	prog, _ := h.Cases.Programmes.Get(row.ProgrammeID)
	issue, _ := usecase.StepNamed(usecase.StepFamilyLink)
	revoke, _ := usecase.StepNamed(usecase.StepRevokeFamilyLink)
	t, err := h.Cases.Store.Trajectory(r.Context(), id)
	if err != nil {
		h.unavailable(w, r, err)
		return nil, row, false
	}
	d := &familyLinkData{ID: id, Key: newKey(), Today: trajectory.Today(time.Now()).Format("2006-01-02"), Language: "nl", Languages: familylink.Languages,
		MayIssue:  issue.Allows(p, prog) && t.Phase != trajectory.PhaseClosed && !t.Erased,
		MayRevoke: revoke.Allows(p, prog)}
	if t.Family != nil {
		l, _ := familylink.MatchLanguage(t.Family.Language)
		d.Language = l.Code
		d.MayText = h.FamilyLinks != nil && h.FamilyLinks.SMS != nil && t.Family.SMSConsent != nil && t.Family.Phone != ""
	}
	return d, row, true
}

func (h *handler) familyLinkPage(w http.ResponseWriter, r *http.Request) {
	d, _, ok := h.familyLinkForm(w, r, usecase.StepRevokeFamilyLink)
	if !ok {
		return
	}
	if !d.MayIssue && !d.MayRevoke {
		h.message(w, r, http.StatusForbidden, "Geen toegang", "Deze stap is niet voor uw rol.")
		return
	}
	h.render(w, r, http.StatusOK, "gezinslink", "Persoonlijke link voor het gezin", d)
}

func (h *handler) postFamilyLink(w http.ResponseWriter, r *http.Request) {
	if !h.postedForm(w, r, usecase.ActionIssueFamilyLink, r.PathValue("id"), nil) {
		return
	}
	d, row, ok := h.familyLinkForm(w, r, usecase.StepFamilyLink)
	if !ok {
		return
	}
	f := r.PostForm
	now := time.Now()
	refuse := func(text string) {
		d.Error = text
		h.render(w, r, http.StatusBadRequest, "gezinslink", "Geweigerd: persoonlijke link voor het gezin", d)
	}
	if !d.MayIssue {
		refuse("Dit traject is afgesloten: er kan geen link meer gemaakt worden.")
		return
	}
	on, err := trajectory.ParseDate(f.Get("consent_on"))
	if err != nil {
		refuse("Vul de datum van het akkoord in als JJJJ-MM-DD.")
		return
	}
	if field, _ := familylink.ConsentProblem(on.Time, f.Get("channel"), trajectory.Today(now).Time); field != "" {
		refuse("Vul in wanneer (niet in de toekomst) en hoe het gezin akkoord gaf.")
		return
	}
	lang, ok := familylink.LanguageOf(f.Get("language"))
	if !ok {
		refuse("Kies een taal uit de lijst.")
		return
	}
	email := f.Get("email")
	if email != "" && familylink.EmailProblem(email) != "" {
		refuse("Het e-mailadres klopt niet; laat het leeg om de link op papier te geven.")
		return
	}
	key := f.Get("key")
	if !trajectory.ValidIdempotencyKey(key) {
		key = newKey()
	}
	prog, _ := h.Cases.Programmes.Get(row.ProgrammeID)
	issued, err := h.FamilyLinks.Issue(r.Context(), familylink.Request{TrajectoryID: row.ID, Key: key, Language: lang,
		ConsentOn: on.Time, Channel: f.Get("channel"), By: current(r).Principal.Actor(), ValidFor: prog.FamilyPage.ValidFor(),
		Email: email, ReplyTo: prog.FamilyPage.TeamEmail, SMS: d.MayText && f.Get("sms") == "ja"}, now)
	switch {
	case errors.Is(err, familylink.ErrRevoked):
		refuse("Deze link werd intussen ingetrokken. Open de pagina opnieuw om een nieuwe te maken.")
		return
	case err != nil:
		h.unavailable(w, r, err)
		return
	}
	_ = h.audit(r, usecase.ActionIssueFamilyLink, row.ID, "ok", map[string]string{"language": issued.Language, "channel": f.Get("channel")})
	d.Issued = &issuedLink{URL: issued.URL, Until: issued.ExpiresAt.In(familylink.Zone).Format("02-01-2006"), Emailed: issued.Emailed}
	if email != "" && !issued.Emailed {
		d.Issued.EmailProblem = "het lukte nu niet. Geef de link op papier, of probeer later opnieuw."
	}
	if d.MayText && f.Get("sms") == "ja" {
		d.Issued.Texted = issued.Texted
		if !issued.Texted {
			d.Issued.SMSProblem = "het lukte nu niet. Geef de link op papier, of probeer later opnieuw."
		}
	}
	d.Language = issued.Language
	h.render(w, r, http.StatusOK, "gezinslink", "Opgeslagen: persoonlijke link voor het gezin", d)
}

func (h *handler) postRevokeFamilyLink(w http.ResponseWriter, r *http.Request) {
	if !h.postedForm(w, r, usecase.ActionRevokeFamilyLink, r.PathValue("id"), nil) {
		return
	}
	d, row, ok := h.familyLinkForm(w, r, usecase.StepRevokeFamilyLink)
	if !ok {
		return
	}
	revoked, err := h.FamilyLinks.Revoke(r.Context(), row.ID, current(r).Principal.Actor())
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	_ = h.audit(r, usecase.ActionRevokeFamilyLink, row.ID, "ok", nil)
	if !revoked {
		d.Error = "Er was geen werkende link om in te trekken."
		h.render(w, r, http.StatusOK, "gezinslink", "Persoonlijke link voor het gezin", d)
		return
	}
	h.message(w, r, http.StatusOK, "Link ingetrokken", "De persoonlijke link van het gezin werkt niet meer.")
}
