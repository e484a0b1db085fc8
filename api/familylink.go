package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// The family page's routes: the sealed token in the path is the family's
// credential, so they need no authentication (like the handover link's),
// and the log names them by these templates only.
const (
	pathFamilyLink = "/v1/trajectories/{id}/family-link"
	pathFamilyPage = "/v1/family/{token}"
	pathFamilyAsk  = "/v1/family/{token}/date-request"
)

// ActorFamily is the actor of what a family does through its own link.
const ActorFamily = "family"

// familyLinkBody is the body of POST /v1/trajectories/{id}/family-link.
type familyLinkBody struct {
	Consent *familyConsentBody `json:"consent"`
	// Language is the page's language (nl, fr, en, ar, tr); empty: the
	// family's language of the referral, when the page speaks it.
	Language string `json:"language"`
	// Email, when given, is where the link is sent; it is kept only in the
	// email ledger, like every recipient.
	Email string `json:"email"`
	// SMS: text the link to the family's number, when it agreed to SMS in
	// its referral.
	SMS bool `json:"sms"`
}

type familyConsentBody struct {
	Given      bool      `json:"given"`
	RecordedOn dateInput `json:"recorded_on"`
	Channel    string    `json:"channel"`
}

// FamilyLinkResponse answers the issue of a link: the link to hand the
// family (on paper, read out on the phone) and whether it went by email.
type FamilyLinkResponse struct {
	URL       string    `json:"url"`
	Language  string    `json:"language"`
	ExpiresAt time.Time `json:"expires_at"`
	// Emailed: the email with the link was sent (now or by the first
	// request with this Idempotency-Key).
	Emailed bool `json:"emailed"`
	// EmailProblem says why an email asked for did not go out; the link
	// works all the same. Sending the request again retries the email.
	EmailProblem string `json:"email_problem,omitempty"`
	// SMSSent: the SMS with the link was sent (now or before); SMSProblem
	// says why an SMS asked for did not go out.
	SMSSent    bool   `json:"sms_sent"`
	SMSProblem string `json:"sms_problem,omitempty"`
}

// postFamilyLink issues the family's link, with the family's consent
// recorded (its date and how it was given). The link's id comes from the
// Idempotency-Key, so a retried request gives the same link and sends its
// email at most once (the ledger's key names the link); a new key issues
// a new link and revokes the one before.
func (s *server) postFamilyLink(w http.ResponseWriter, r *http.Request) {
	if s.familyLinks == nil || s.familySigner == nil {
		writeError(w, r, CodeNotConfigured, "family pages are not configured on this server")
		return
	}
	row, key, ok := s.beginStep(w, r, true)
	if !ok {
		return
	}
	var body familyLinkBody
	if !decodeBody(w, r, &body, stepBodyLimit) {
		return
	}
	now := time.Now()
	if body.Consent == nil {
		writeError(w, r, CodeConsentMissing,
			"record that the family agrees to have its own link (consent.given, consent.recorded_on and consent.channel) before issuing it")
		return
	}
	fe := &fieldErrors{}
	on, _ := body.Consent.RecordedOn.parse(fe, "consent.recorded_on", true)
	if fe.empty() {
		if field, problem := familylink.ConsentProblem(on.Time, body.Consent.Channel, trajectory.Today(now).Time); field != "" {
			fe.add(field, problem)
		}
	}
	if body.Language != "" {
		if _, ok := familylink.LanguageOf(body.Language); !ok {
			fe.add("language", "must be one of "+joinOr(familyLanguageCodes())+"; leave it out for the family's language")
		}
	}
	if body.Email != "" {
		if problem := familylink.EmailProblem(body.Email); problem != "" {
			fe.add("email", problem)
		}
	}
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return
	}
	if !body.Consent.Given {
		writeError(w, r, CodeConsentMissing,
			"the family did not agree (consent.given is false): no link is made without its consent")
		return
	}
	t, err := s.store.Trajectory(r.Context(), row.ID)
	if err != nil {
		s.writeStoreError(w, r, "family link: read the trajectory", err)
		return
	}
	if t.Phase == trajectory.PhaseClosed || t.Erased {
		writeClosed(w, r)
		return
	}
	prog, known := s.programmes.Get(row.ProgrammeID)
	if !known {
		ref := programmeGone(row.ProgrammeID)
		writeError(w, r, ref.code, ref.detail)
		return
	}
	lang, _ := familylink.LanguageOf(body.Language)
	if body.Language == "" && t.Family != nil {
		lang, _ = familylink.MatchLanguage(t.Family.Language)
	}
	issued, err := s.familyIssuer().Issue(r.Context(), familylink.Request{TrajectoryID: row.ID, Key: key, Language: lang,
		ConsentOn: on.Time, Channel: body.Consent.Channel, By: principal(r).Actor(), ValidFor: prog.FamilyPage.ValidFor(),
		Email: body.Email, ReplyTo: prog.FamilyPage.TeamEmail, SMS: body.SMS}, now)
	switch {
	case errors.Is(err, familylink.ErrRevoked):
		writeError(w, r, CodeLinkRevoked,
			"the link of this Idempotency-Key was revoked; send a new key to issue a new link")
		return
	case err != nil:
		s.writeStoreError(w, r, "family link: issue", err)
		return
	}
	noteDetail(r, "language", issued.Language, "channel", body.Consent.Channel, "emailed", strconv.FormatBool(issued.Emailed))
	writeJSON(w, http.StatusCreated, FamilyLinkResponse{URL: issued.URL, Language: issued.Language, ExpiresAt: issued.ExpiresAt,
		Emailed: issued.Emailed, EmailProblem: issued.EmailProblem, SMSSent: issued.Texted, SMSProblem: issued.SMSProblem})
}

func (s *server) familyIssuer() familylink.Issuer {
	return familylink.Issuer{Links: s.familyLinks, Signer: s.familySigner, Mail: s.familyMail, SMS: s.familySMS, BaseURL: s.publicBaseURL, Log: s.log}
}

func familyLanguageCodes() []string {
	codes := make([]string, len(familylink.Languages))
	for i, l := range familylink.Languages {
		codes[i] = l.Code
	}
	return codes
}

// RevokeResponse answers a revocation.
type RevokeResponse struct {
	// Revoked: a working link was revoked; false when there was none.
	Revoked bool `json:"revoked"`
}

// deleteFamilyLink revokes the family's link: it stops working at once.
func (s *server) deleteFamilyLink(w http.ResponseWriter, r *http.Request) {
	if s.familyLinks == nil {
		writeError(w, r, CodeNotConfigured, "family pages are not configured on this server")
		return
	}
	row, _, ok := s.beginStep(w, r, false)
	if !ok {
		return
	}
	revoked, err := s.familyIssuer().Revoke(r.Context(), row.ID, principal(r).Actor())
	if err != nil {
		s.writeStoreError(w, r, "family link: revoke", err)
		return
	}
	writeJSON(w, http.StatusOK, RevokeResponse{Revoked: revoked})
}

// familyClaims checks the path's token, its row (not revoked, the same
// trajectory) and the trajectory (not closed, not erased). It answers
// itself, with a page in the family's language, and returns false when
// the link does not work now. An invalid token is nobody's act: it is not
// audited; one that no longer works is.
func (s *server) familyClaims(w http.ResponseWriter, r *http.Request) (familylink.Claims, store.FamilyLink, store.TrajectorySummary, bool) {
	lang, _ := familylink.LanguageOf(r.URL.Query().Get("lang"))
	if s.familySigner == nil || s.familyLinks == nil {
		skipAudit(r)
		s.writeFamilyMessage(w, http.StatusNotFound, lang, false)
		return familylink.Claims{}, store.FamilyLink{}, store.TrajectorySummary{}, false
	}
	claims, err := s.familySigner.Verify(mux.Vars(r)["token"], time.Now())
	if err != nil && !errors.Is(err, familylink.ErrExpired) {
		skipAudit(r)
		s.writeFamilyMessage(w, http.StatusNotFound, lang, false)
		return claims, store.FamilyLink{}, store.TrajectorySummary{}, false
	}
	noteTrajectory(r, claims.TrajectoryID)
	link, lerr := s.familyLinks.FamilyLink(r.Context(), claims.LinkID)
	if lerr == nil {
		if l, ok := familylink.LanguageOf(link.Language); ok && r.URL.Query().Get("lang") == "" {
			lang = l
		}
	}
	ended := func(reason string) {
		noteOutcome(r, "gone", "reason", reason)
		s.writeFamilyMessage(w, http.StatusGone, lang, true)
	}
	switch {
	case lerr != nil && !errors.Is(lerr, store.ErrNotFound):
		s.log.Error("family page: read link", "trajectory_id", claims.TrajectoryID, "error", lerr)
		s.writeFamilyProblem(w, lang)
		return claims, link, store.TrajectorySummary{}, false
	case lerr != nil || link.TrajectoryID != claims.TrajectoryID:
		ended("unknown")
		return claims, link, store.TrajectorySummary{}, false
	case err != nil:
		ended("expired")
		return claims, link, store.TrajectorySummary{}, false
	case link.RevokedAt != nil:
		ended("revoked")
		return claims, link, store.TrajectorySummary{}, false
	}
	t, err := s.store.Trajectory(r.Context(), claims.TrajectoryID)
	row := t.TrajectorySummary
	switch {
	case errors.Is(err, store.ErrNotFound):
		ended("unknown")
		return claims, link, row, false
	case err != nil:
		s.log.Error("family page: read trajectory", "trajectory_id", claims.TrajectoryID, "error", err)
		s.writeFamilyProblem(w, lang)
		return claims, link, row, false
	case t.Erased:
		ended("erased")
		return claims, link, row, false
	case t.Phase == trajectory.PhaseClosed:
		ended("closed")
		return claims, link, row, false
	}
	return claims, link, row, true
}

// pageLanguage is the language the page is shown in: the one asked for
// (?lang=, the switch on the page, or the form's), else the link's.
func pageLanguage(r *http.Request, link store.FamilyLink) familylink.Language {
	for _, asked := range []string{r.URL.Query().Get("lang"), r.PostFormValue("lang")} {
		if l, ok := familylink.LanguageOf(asked); ok && asked != "" {
			return l
		}
	}
	l, _ := familylink.LanguageOf(link.Language)
	return l
}

// getFamilyPage shows the family its own page. It changes nothing (mail
// scanners follow links); each open is audited as the family's.
func (s *server) getFamilyPage(w http.ResponseWriter, r *http.Request) {
	_, link, row, ok := s.familyClaims(w, r)
	if !ok {
		return
	}
	s.showFamilyPage(w, r, link, row, familylink.View{})
}

// showFamilyPage renders the page with what the workflow holds now: the
// plan and the next appointment. The programme file names the coach and
// the team's phone and email. Nothing else of the trajectory is read.
func (s *server) showFamilyPage(w http.ResponseWriter, r *http.Request, link store.FamilyLink, row store.TrajectorySummary, v familylink.View) {
	lang := pageLanguage(r, link)
	st, err := s.cases.State(r.Context(), row.ID)
	switch {
	case errors.Is(err, usecase.ErrClosed) || errors.Is(err, usecase.ErrNotRunning):
		noteOutcome(r, "gone", "reason", "closed")
		s.writeFamilyMessage(w, http.StatusGone, lang, true)
		return
	case err != nil:
		s.log.Warn("family page: query state", "trajectory_id", row.ID, "error", err)
		s.writeFamilyProblem(w, lang)
		return
	}
	prog, _ := s.programmes.Get(row.ProgrammeID)
	v.Language = lang
	v.Token = mux.Vars(r)["token"]
	v.TeamPhone, v.TeamEmail = prog.FamilyPage.TeamPhone, prog.FamilyPage.TeamEmail
	if c, ok := prog.Coach(st.CoachID); ok {
		v.CoachName = c.Name
	}
	if st.Next != nil && (st.Next.Kind == trajectory.StepIntake || st.Next.Kind == trajectory.StepHomeVisit) {
		due := st.Next.DueAt
		v.Next = &due
	}
	fillPlan(&v, st.Plan, prog, lang.Code)
	if err := s.auditRead(r); err != nil {
		s.log.Error("family page: audit", "trajectory_id", row.ID, "error", err)
		s.writeFamilyProblem(w, lang)
		return
	}
	page, err := familylink.Render(v)
	if err != nil {
		s.log.Error("family page: render", "error", err)
		s.writeFamilyProblem(w, lang)
		return
	}
	writeFamilyHTML(w, http.StatusOK, page)
}

// fillPlan puts the family's own plan on the page: goals in its words,
// their domains, statuses and actions, its strengths and the date it
// agreed. Not the network, the outcomes or the let-go reasons: they are
// the coach's words.
func fillPlan(v *familylink.View, plan *trajectory.Plan, prog programme.Programme, lang string) {
	if plan == nil {
		return
	}
	if !plan.AgreedOn.IsZero() {
		v.AgreedOn = plan.AgreedOn.In(familylink.Zone).Format("02-01-2006")
	}
	v.Strengths = plan.Strengths
	names := map[string]string{}
	for _, d := range prog.Domains() {
		names[d.ID] = d.Name
	}
	for _, g := range plan.Goals {
		gv := familylink.GoalView{Domain: familylink.DomainName(lang, string(g.Domain), names[string(g.Domain)]),
			Text: g.Text, Status: string(g.Status)}
		for _, a := range g.Actions {
			gv.Actions = append(gv.Actions, familylink.ActionView{What: a.What, Who: string(a.Owner.Role), Due: a.Due, Done: a.Done != nil})
		}
		v.Goals = append(v.Goals, gv)
	}
}

// postFamilyDateRequest sends the family's request for another date to
// the workflow (trajectory.UpdateRequestNewDate): an event on the coach's
// timeline, not a change of the appointment. A few per link per day
// (ratelimit.DefaultRequestRate).
func (s *server) postFamilyDateRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	_ = r.ParseForm()
	claims, link, row, ok := s.familyClaims(w, r)
	if !ok {
		return
	}
	lang := pageLanguage(r, link)
	message := strings.TrimSpace(r.PostFormValue("message"))
	if len(trajectory.DateRequestProblems(trajectory.RequestNewDate{Message: message})) > 0 {
		noteOutcome(r, "invalid", "field", "message")
		s.showFamilyPage(w, r, link, row, familylink.View{Problem: familylink.ProblemTooLong, ProblemArg: trajectory.MaxDateRequestLength})
		return
	}
	if ok, _ := s.familyRequests.Allow(claims.LinkID); !ok {
		noteOutcome(r, "rate_limited")
		s.showFamilyPage(w, r, link, row, familylink.View{Problem: familylink.ProblemTooMany})
		return
	}
	// The form's key names the request: a double press is one request
	// (one event, one email to the coach); a new page, a new request.
	key := r.PostFormValue("key")
	if !familylink.ValidFormKey(key) {
		key = familylink.NewLinkID()
	}
	_, err := s.cases.Update(r.Context(), row.ID, trajectory.UpdateRequestNewDate, key,
		trajectory.RequestNewDate{Message: message, By: ActorFamily})
	var rejected *usecase.RejectedError
	switch {
	case err == nil:
		s.tellCoach(r.Context(), row, key)
		s.showFamilyPage(w, r, link, row, familylink.View{Asked: true})
	case errors.Is(err, usecase.ErrClosed) || errors.Is(err, usecase.ErrNotRunning):
		noteOutcome(r, "gone", "reason", "closed")
		s.writeFamilyMessage(w, http.StatusGone, lang, true)
	case errors.As(err, &rejected):
		noteOutcome(r, "rejected", "code", string(rejected.Code))
		s.showFamilyPage(w, r, link, row, familylink.View{Problem: familylink.ProblemTryLater})
	default:
		s.log.Warn("family page: request another date", "trajectory_id", row.ID, "error", err)
		s.showFamilyPage(w, r, link, row, familylink.View{Problem: familylink.ProblemTryLater})
	}
}

// tellCoach emails the trajectory's coach about the request, when the
// server sends email and the programme file has the coach's address. The
// request is recorded whatever becomes of the email.
func (s *server) tellCoach(ctx context.Context, row store.TrajectorySummary, key string) {
	prog, _ := s.programmes.Get(row.ProgrammeID)
	c, ok := prog.Coach(row.CoachID)
	if s.familyMail == nil || !ok || c.Email == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, coachEmailTimeout)
	defer cancel()
	err := s.familyMail.SendDateRequest(ctx, familylink.DateRequestMessage{TrajectoryID: row.ID, Key: key, To: c.Email,
		PagesURL: s.publicBaseURL + "/trajecten/" + row.ID})
	if err != nil {
		s.log.Warn("family page: the coach's email about a request for another date", "trajectory_id", row.ID, "error", err)
	}
}

// coachEmailTimeout bounds the coach's email within the family's request.
const coachEmailTimeout = 5 * time.Second

func (s *server) writeFamilyMessage(w http.ResponseWriter, status int, lang familylink.Language, ended bool) {
	page, err := familylink.RenderMessage(lang, ended)
	if err != nil {
		s.log.Error("family page: render message", "error", err)
	}
	writeFamilyHTML(w, status, page)
}

// writeFamilyProblem: something failed on our side; the family is told to
// try later or call the coach, in its language.
func (s *server) writeFamilyProblem(w http.ResponseWriter, lang familylink.Language) {
	page, _ := familylink.Render(familylink.View{Language: lang, Problem: familylink.ProblemTryLater})
	writeFamilyHTML(w, http.StatusServiceUnavailable, page)
}

// writeFamilyHTML answers with the family page's headers: the token in
// the URL must not leak through a Referer, be cached, or be framed.
func writeFamilyHTML(w http.ResponseWriter, status int, page []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", familylink.CSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(page)
}

// newFamilyRequests is the limit of requests per family link.
func newFamilyRequests(cfg Config) *ratelimit.Keyed {
	rate := cfg.FamilyRequestRate
	if rate.Requests <= 0 {
		rate = ratelimit.DefaultRequestRate
	}
	return ratelimit.NewKeyed("family-link", rate)
}
