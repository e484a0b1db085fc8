package pages

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// A consultation turned into a referral on the pages: a coach or
// supervisor of its programme refers the family on behalf of the partner
// the consultation concerns, with the family's consent, by the API's
// rules and code (usecase.ConsultationToRefer, usecase.CheckReferral,
// usecase.Referrals.ReferConsultation). The referrer is the partner; the
// referred event and the audit log name the coach or supervisor.

// referChildren is how many children the form has rows for.
const referChildren = 4

// referConsultation takes the step StepReferConsultation of one consultation.
func (h *handler) referConsultation(w http.ResponseWriter, r *http.Request, step usecase.Step, id string, f *form) {
	p := current(r).Principal
	if h.Referrals == nil {
		h.unavailable(w, r, errors.New("the pages were started without referrals"))
		return
	}
	c, err := h.Cases.ConsultationToRefer(r.Context(), p, id)
	if err != nil {
		h.consultationStepDone(w, r, step, id, c, err, f)
		return
	}
	ref, consentOn, problem := h.referralOf(c, f.Values, time.Now())
	if problem != "" {
		f.Error = problem
		_ = h.audit(r, step.Action, "", "400", map[string]string{"status": "400", "consultation": c.ID})
		h.consultationRefused(w, r, http.StatusBadRequest, step.Name, c.ProgrammeID, c.ID, f)
		return
	}
	started, err := h.Referrals.ReferConsultation(r.Context(), p, c, ref)
	if err == nil {
		// The audit log outlives an erasure: the consent's month, no date of the family.
		_ = h.audit(r, step.Action, started.ID, store.OutcomeOK, map[string]string{"consultation": c.ID, "programme": c.ProgrammeID,
			"consent_recorded_month": consentOn.Format("2006-01")})
		h.clearFlash(w, r)
		http.Redirect(w, r, consultationsDone(c.ProgrammeID, step.Name), http.StatusSeeOther)
		return
	}
	status := http.StatusServiceUnavailable
	var problemErr *usecase.PartnerProblemError
	switch {
	case errors.As(err, &problemErr):
		f.Error, status = "Het programma noemt deze partner niet meer als doorverwijzer; de teamverantwoordelijke kan dat nakijken.", http.StatusForbidden
	case errors.Is(err, usecase.ErrTrajectoryErased):
		f.Error, status = "Het traject van deze consultatie werd gewist; de partner kan het gezin opnieuw doorverwijzen.", http.StatusConflict
	case errors.Is(err, usecase.ErrUnavailable):
		f.Error = "De dienst antwoordde niet op tijd. Verstuur het formulier opnieuw: het wordt nooit een tweede traject."
	default:
		f.Error, status = "De doorverwijzing kon niet worden gestart (dat is gelogd). Probeer het later opnieuw.", http.StatusInternalServerError
	}
	h.Logger.Warn("pages: a consultation's referral was not started", "consultation", c.ID, "error", err)
	_ = h.audit(r, step.Action, started.ID, strconv.Itoa(status), map[string]string{"status": strconv.Itoa(status), "consultation": c.ID})
	h.consultationRefused(w, r, status, step.Name, c.ProgrammeID, c.ID, f)
}

// referralOf reads the referral form of a consultation: the family's
// consent, the family's name and how to reach them, the reason, the
// children's birth dates and a due date; the first problem in Dutch.
func (h *handler) referralOf(c store.Consultation, f url.Values, now time.Time) (trajectory.Referral, trajectory.Date, string) {
	ref := trajectory.Referral{ProgrammeID: c.ProgrammeID,
		Referrer: trajectory.Referrer{Organisation: c.Organisation, Reference: usecase.ConsultationReference(c)}}
	if f.Get("consent") != "ja" {
		return ref, trajectory.Date{}, "Vink aan dat het gezin toestemming gaf: een consultatie wordt alleen met toestemming een doorverwijzing."
	}
	consentOn, err := trajectory.ParseDate(f.Get("consent_on"))
	if err != nil || consentOn.After(now) {
		return ref, consentOn, "Vul de datum in waarop het gezin toestemming gaf (vandaag of vroeger)."
	}
	var problem string
	fields := []struct {
		into      *string
		field     string
		what      string
		required  bool
		max       int
		multiline bool
	}{
		{&ref.Family.ContactName, "contact_name", "De naam van de contactpersoon", true, trajectory.MaxNameLength, false},
		{&ref.Family.Phone, "phone", "Het telefoonnummer", false, usecase.MaxPhoneLength, false},
		{&ref.Family.Address, "address", "Het adres", false, usecase.MaxAddressLength, true},
		{&ref.Reason, "reason", "De reden van de doorverwijzing", true, usecase.MaxReasonLength, true},
	}
	for _, fl := range fields {
		if *fl.into, problem = typed(f, fl.field, fl.what, fl.required, fl.max, fl.multiline); problem != "" {
			return ref, consentOn, problem
		}
	}
	if v := strings.TrimSpace(f.Get("due_date")); v != "" {
		due, err := trajectory.ParseDate(v)
		if err != nil {
			return ref, consentOn, "Vul de vermoedelijke bevallingsdatum in als datum, of laat ze leeg."
		}
		ref.ExpectedDueDate = due
	}
	names, born := f["child_name"], f["child_born"]
	for i := range min(len(born), referChildren) {
		v := strings.TrimSpace(born[i])
		name := ""
		if i < len(names) {
			name = strings.TrimSpace(names[i])
		}
		if v == "" {
			if name != "" {
				return ref, consentOn, "Vul de geboortedatum van kind " + itoa(i+1) + " in."
			}
			continue
		}
		d, err := trajectory.ParseDate(v)
		if err != nil {
			return ref, consentOn, "Vul de geboortedatum van kind " + itoa(i+1) + " in als datum."
		}
		ref.Children = append(ref.Children, trajectory.Child{Name: name, BirthDate: d})
	}
	if ps := usecase.CheckReferral(ref, now); len(ps) > 0 {
		return ref, consentOn, sayReferralProblem(ps[0])
	}
	return ref, consentOn, ""
}

// sayReferralProblem says in Dutch what usecase.CheckReferral found.
func sayReferralProblem(p usecase.FieldProblem) string {
	switch {
	case p.Field == "family.address" || p.Field == "family.phone" && strings.Contains(p.Problem, "is required"):
		return "Vul een adres of een telefoonnummer in: de coach moet het gezin kunnen bereiken."
	case p.Field == "family.phone":
		return "Een telefoonnummer heeft minstens 6 cijfers, en verder alleen spaties, +, -, ( en )."
	case p.Field == "expected_due_date":
		return "De vermoedelijke bevallingsdatum ligt meer dan 4 weken terug of meer dan 10 maanden vooruit. Is het kind geboren, vul dan zijn geboortedatum in."
	case strings.HasPrefix(p.Field, "children["):
		n, _ := strconv.Atoi(strings.TrimPrefix(p.Field[:strings.Index(p.Field, "]")], "children["))
		return "De geboortedatum van kind " + itoa(n+1) + " ligt in de toekomst of meer dan 25 jaar terug."
	}
	return "De doorverwijzing is niet volledig; kijk de gegevens van het gezin na."
}
