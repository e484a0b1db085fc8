package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// Consultations: a partner, or the team itself (the school-gate tandem),
// asks about a situation before any referral. A consultation always names
// the partner it concerns (a partner itself; the team names one of the
// programme's referrers), and only that partner can turn it into a
// referral, with the family's consent. A consultation is anonymous:
// its body has no field for a name, an address or a phone (strict decoding
// refuses them), and its texts are refused when they look like they hold
// contact data. With the family's consent it becomes a referral, which
// keeps its id.

// consultationStore is the part of *store.Store consultations need; the
// API's Store is asserted to it, so tests with a smaller fake still build.
type consultationStore interface {
	CreateConsultation(ctx context.Context, c store.Consultation) (store.Consultation, error)
	Consultation(ctx context.Context, id string) (store.Consultation, error)
}

var _ consultationStore = (*store.Store)(nil)

type consultationBody struct {
	ProgrammeID  string `json:"programme"`
	Organisation string `json:"organisation"`
	Situation    string `json:"situation"`
	Advice       string `json:"advice"`
}

// anonymousProblems refuses text that holds contact data.
func anonymousProblems(fe *fieldErrors, field, text string) {
	if usecase.LooksLikeContactData(text) {
		fe.add(field, "looks like it holds an email address or a phone, national or account number: a consultation is anonymous, describe the situation without them")
	}
}

func (s *server) postConsultation(w http.ResponseWriter, r *http.Request) {
	cs, ok := s.store.(consultationStore)
	if !ok {
		writeError(w, r, CodeNotConfigured, "this API was started without the consultation store")
		return
	}
	key, ok := idempotencyKey(w, r, false)
	if !ok {
		return
	}
	var b consultationBody
	if !decodeBody(w, r, &b, stepBodyLimit) {
		return
	}
	// A consultation's text is kept in the consultation only (sealed once
	// it becomes a referral): a retry reads it again.
	w, finish, ok := s.idempotent(w, r, key, b, idemOptions{rebuild: func(ctx context.Context, location string) (any, error) {
		return cs.Consultation(ctx, strings.TrimPrefix(location, pathConsultations+"/"))
	}})
	if !ok {
		return
	}
	defer finish()
	fe := &fieldErrors{}
	checkText(fe, "programme", b.ProgrammeID, true, maxIDLength, false)
	checkText(fe, "organisation", b.Organisation, false, maxIDLength, false)
	if checkText(fe, "situation", b.Situation, true, usecase.MaxConsultationText, true) {
		anonymousProblems(fe, "situation", b.Situation)
	}
	if checkText(fe, "advice", b.Advice, true, usecase.MaxConsultationText, true) {
		anonymousProblems(fe, "advice", b.Advice)
	}
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return
	}
	p := principal(r)
	prog, known := s.programmes.Get(b.ProgrammeID)
	if p.Kind == usecase.KindPartner {
		// A partner consults as itself, a programme that lists it.
		if b.Organisation != "" && b.Organisation != p.ID {
			writeForbidden(w, r, CodeForbidden, "organisation", fmt.Sprintf("you may only consult as your own organisation: leave organisation out or write %q", p.ID))
			return
		}
		b.Organisation = p.ID
		if prog, known = s.partnerProgramme(w, r, b.ProgrammeID, "consultations"); !known {
			return
		}
	} else if !known || !slices.Contains(p.Programmes, b.ProgrammeID) {
		writeError(w, r, CodeProgrammeNotYours, fmt.Sprintf("you work in no programme %q; yours: %s", b.ProgrammeID, joinComma(p.Programmes)))
		return
	} else if err := s.cases.MayTake(p, *routeStep(r), prog.ID); err != nil {
		writeStepNotGiven(w, r, err)
		return
	} else if problem := usecase.ConsultationPartnerProblem(prog, b.Organisation); problem != "" {
		fe.add("organisation", problem)
		writeFieldErrors(w, r, fe)
		return
	}
	c, err := cs.CreateConsultation(r.Context(), store.Consultation{ProgrammeID: prog.ID, RecordedBy: p.Actor(),
		Organisation: b.Organisation, Situation: b.Situation, Advice: b.Advice})
	if err != nil {
		s.writeStoreError(w, r, "record consultation", err)
		return
	}
	noteDetail(r, "consultation", c.ID, "programme", prog.ID)
	w.Header().Set("Location", pathConsultations+"/"+c.ID)
	writeJSON(w, http.StatusCreated, c)
}

// getConsultation answers a consultation the caller may see: the partner
// it concerns, or the team of its programme. Any other is 404, as one
// that does not exist.
func (s *server) getConsultation(w http.ResponseWriter, r *http.Request) {
	c, err := s.cases.Consultation(r.Context(), principal(r), mux.Vars(r)["consultation"])
	switch {
	case errors.Is(err, usecase.ErrConsultationNotFound):
		writeError(w, r, CodeConsultationNotFound, "there is no consultation with this id that you may see")
		return
	case errors.Is(err, usecase.ErrUnavailable):
		writeError(w, r, CodeNotConfigured, "this API was started without the consultation store")
		return
	case err != nil:
		s.writeStoreError(w, r, "read consultation", err)
		return
	}
	noteDetail(r, "consultation", c.ID, "programme", c.ProgrammeID)
	writeJSON(w, http.StatusOK, c)
}

// consultationReferralBody is a referral with the family's consent to be
// referred after the consultation.
type consultationReferralBody struct {
	referralBody
	Consent struct {
		Given      bool      `json:"given"`
		RecordedOn dateInput `json:"recorded_on"`
	} `json:"consent"`
}

// postConsultationReferral turns a consultation into a referral, with
// the family's consent: by the partner it concerns, or by a coach or
// supervisor of its programme on that partner's behalf (the referrer is
// the partner all the same; usecase.Referrals.ReferConsultation). The
// trajectory keeps the consultation's id and the consultation the
// trajectory's. The same referral sent again answers 200 with its
// trajectory, as a referral does; another referral of a consultation that
// became a trajectory answers 409.
func (s *server) postConsultationReferral(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	c, referred, ok := s.consultationToRefer(w, r)
	if !ok {
		return
	}
	key, ok := idempotencyKey(w, r, false)
	if !ok {
		return
	}
	var b consultationReferralBody
	if !decodeBody(w, r, &b, referralBodyLimit) {
		return
	}
	w, finish, ok := s.idempotent(w, r, key, b, idemOptions{resource: c.ID})
	if !ok {
		return
	}
	defer finish()
	if b.ProgrammeID == "" {
		b.ProgrammeID = c.ProgrammeID
	}
	ref, fe := validateReferral(b.referralBody, time.Now())
	on, _ := b.Consent.RecordedOn.parse(fe, "consent.recorded_on", true)
	if !b.Consent.Given {
		fe.add("consent.given", "must be true: a consultation becomes a referral only with the family's consent")
	}
	if ref.ProgrammeID != c.ProgrammeID {
		fe.add("programme", fmt.Sprintf("must be %s, the programme that was consulted", c.ProgrammeID))
	}
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return
	}
	if ref.Referrer.Organisation != c.Organisation {
		what := "you may only refer as your own organisation"
		if p.Kind != usecase.KindPartner {
			what = "you may only refer on behalf of the partner the consultation concerns"
		}
		writeForbidden(w, r, CodeForbidden, "organisation", fmt.Sprintf("%s: referrer.organisation must be %q", what, c.Organisation))
		return
	}
	if referred && trajectory.ID(s.idKey, c.ProgrammeID, ref.Referrer.Organisation, ref.Referrer.Reference) != c.TrajectoryID {
		writeError(w, r, CodeConsultationReferred, fmt.Sprintf("this consultation became trajectory %s", c.TrajectoryID))
		return
	}
	if p.Kind == usecase.KindPartner {
		if _, ok := s.partnerProgramme(w, r, ref.ProgrammeID, "referrals"); !ok {
			return
		}
	}
	// The audit log outlives an erasure: it keeps the consent's month, no
	// date of the family.
	noteDetail(r, "consultation", c.ID, "consent_recorded_month", on.Format("2006-01"))
	started, err := s.referrals.ReferConsultation(r.Context(), p, c, ref)
	var problem *usecase.PartnerProblemError
	if errors.As(err, &problem) {
		writeForbidden(w, r, CodeReferrerNotAllowed, "programme", fmt.Sprintf("programme %s no longer lists %s as a partner that may refer", c.ProgrammeID, c.Organisation))
		return
	}
	s.answerStarted(w, r, ref, started, err)
}

// consultationToRefer is the consultation of the path the caller may turn
// into a referral (usecase.Cases.ConsultationToRefer); referred: it became
// a trajectory already, which the same referral sent again is answered
// with. It answers itself and returns false when the caller may not.
func (s *server) consultationToRefer(w http.ResponseWriter, r *http.Request) (c store.Consultation, referred, ok bool) {
	p := principal(r)
	c, err := s.cases.ConsultationToRefer(r.Context(), p, mux.Vars(r)["consultation"])
	switch {
	case err == nil:
		return c, false, true
	case errors.Is(err, usecase.ErrConsultationReferred):
		return c, true, true
	case errors.Is(err, usecase.ErrConsultationNotFound) && p.Kind == usecase.KindPartner:
		// Another partner's consultation is as unknown as none.
		writeError(w, r, CodeConsultationNotFound, "there is no consultation with this id about your organisation")
	case errors.Is(err, usecase.ErrConsultationNotFound):
		writeError(w, r, CodeConsultationNotFound, "there is no consultation with this id in your programmes")
	case errors.Is(err, usecase.ErrConsultationNoPartner):
		writeError(w, r, CodeConsultationNoPartner,
			"this consultation names no partner: name the partner it concerns first (POST "+pathConsultationOrg+"), the referrer of its referral")
	case errors.Is(err, usecase.ErrStepNotGiven):
		writeStepNotGiven(w, r, err)
	case errors.Is(err, usecase.ErrUnavailable):
		writeError(w, r, CodeNotConfigured, "this API was started without the consultation store")
	default:
		s.writeStoreError(w, r, "read consultation", err)
	}
	return c, false, false
}

// postConsultationOrganisation names the partner a consultation recorded
// by the team concerns, when it names none (usecase.NameConsultationPartner):
// a consultation of another programme is as unknown as none.
func (s *server) postConsultationOrganisation(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Organisation string `json:"organisation"`
	}
	if !decodeBody(w, r, &b, stepBodyLimit) {
		return
	}
	c, err := s.cases.NameConsultationPartner(r.Context(), principal(r), mux.Vars(r)["consultation"], b.Organisation)
	var problem *usecase.PartnerProblemError
	switch {
	case errors.Is(err, usecase.ErrConsultationNotFound):
		writeError(w, r, CodeConsultationNotFound, "there is no consultation with this id in your programmes")
	case errors.Is(err, usecase.ErrConsultationReferred):
		writeError(w, r, CodeConsultationReferred, fmt.Sprintf("this consultation became trajectory %s", c.TrajectoryID))
	case errors.Is(err, usecase.ErrPartnerNamed) && c.Organisation != "":
		writeError(w, r, CodeConsultationPartnered, fmt.Sprintf("this consultation concerns %s already; only that partner can turn it into a referral", c.Organisation))
	case errors.Is(err, usecase.ErrPartnerNamed):
		writeError(w, r, CodeConsultationPartnered, "this consultation was given a partner or became a referral meanwhile; read it again")
	case errors.As(err, &problem):
		fe := &fieldErrors{}
		fe.add("organisation", problem.Problem)
		writeFieldErrors(w, r, fe)
	case errors.Is(err, usecase.ErrStepNotGiven):
		writeStepNotGiven(w, r, err)
	case errors.Is(err, usecase.ErrUnavailable):
		writeError(w, r, CodeNotConfigured, "this API was started without the consultation store")
	case err != nil:
		s.writeStoreError(w, r, "name the consultation's partner", err)
	default:
		noteDetail(r, "consultation", c.ID, "organisation", b.Organisation)
		writeJSON(w, http.StatusOK, c)
	}
}
