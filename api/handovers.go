package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// handoverBody is the body of POST /v1/trajectories/{id}/handovers.
type handoverBody struct {
	Service string       `json:"service"`
	Reason  string       `json:"reason"`
	Consent *consentBody `json:"consent"`
}

type consentBody struct {
	Given      bool      `json:"given"`
	RecordedOn dateInput `json:"recorded_on"`
	Shares     []string  `json:"shares"`
}

// serviceIDsShown is how many service ids a 400 about an unknown service lists.
const serviceIDsShown = 5

// postHandover hands the family over to a regular service: the workflow
// emails the service what the family consented to share, with a link to
// acknowledge receipt. A second handover to the same service is a second
// email, so the step needs an Idempotency-Key.
func (s *server) postHandover(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[handoverBody]{update: trajectory.UpdateHandOver, keyRequired: true,
		check: func(r *http.Request, _ store.TrajectorySummary, b handoverBody, now time.Time) (any, *fieldErrors, *refusal) {
			req, fe := s.validateHandover(b, now)
			if !fe.empty() {
				return nil, fe, nil
			}
			// Nothing about the family leaves without its recorded consent.
			for _, p := range trajectory.ConsentProblems(req.Consent) {
				if p.Field == "consent" {
					return nil, nil, &refusal{CodeConsentMissing,
						"record the family's consent to this handover (consent.given and consent.recorded_on) before handing over"}
				}
				addProblems(fe, []trajectory.Problem{p})
			}
			req.By = principal(r).Actor()
			return req, fe, nil
		}})
}

// validateHandover checks the body's fields (400); whether consent is
// given at all is checked after it (422).
func (s *server) validateHandover(b handoverBody, now time.Time) (trajectory.HandOver, *fieldErrors) {
	fe := &fieldErrors{}
	var req trajectory.HandOver
	if svc, ok := s.service(fe, b.Service); ok {
		req.Service = svc
	}
	if checkText(fe, "reason", b.Reason, true, maxReasonLength, true) {
		req.Reason = b.Reason
	}
	if b.Consent != nil {
		req.Consent = validateConsent(fe, b.Consent, now)
	}
	return req, fe
}

// validateConsent checks the format of a consent's fields (400); whether
// it is given at all is the shared rule's (trajectory.ConsentProblems).
func validateConsent(fe *fieldErrors, c *consentBody, now time.Time) trajectory.Consent {
	consent := trajectory.Consent{Given: c.Given, Shares: []string{}}
	if on, ok := c.RecordedOn.parse(fe, "consent.recorded_on", false); ok {
		if on.After(trajectory.Today(now).Time) {
			fe.add("consent.recorded_on", "lies in the future: give the date on which the family consented")
		}
		consent.RecordedOn = on
	}
	for i, share := range c.Shares {
		field := fmt.Sprintf("consent.shares[%d]", i)
		switch {
		case !slices.Contains(trajectory.ShareCategories, share):
			fe.add(field, "must be one of "+joinOr(trajectory.ShareCategories))
		case slices.Contains(c.Shares[:i], share):
			fe.add(field, fmt.Sprintf("%q is listed twice", share))
		default:
			consent.Shares = append(consent.Shares, share)
		}
	}
	return consent
}

// service finds the body's service in the directory, or notes in fe why not.
func (s *server) service(fe *fieldErrors, id string) (trajectory.Service, bool) {
	if !checkText(fe, "service", id, true, maxIDLength, false) {
		return trajectory.Service{}, false
	}
	svc, ok := s.services[id]
	if !ok {
		fe.add("service", "is not a service of the directory; "+s.someServiceIDs())
	}
	return svc, ok
}

type resendBody struct {
	Service string       `json:"service"`
	Consent *consentBody `json:"consent"`
}

// postResendHandover sends a handover whose email failed again, to the
// service as the directory has it now (corrected), or to another service
// with the family's consent for that one (trajectory.ResendConsentProblems;
// without it 422, as a handover). Each resend is another email, so the
// step needs an Idempotency-Key.
func (s *server) postResendHandover(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[resendBody]{update: trajectory.UpdateResendHandover, keyRequired: true,
		check: func(r *http.Request, row store.TrajectorySummary, b resendBody, now time.Time) (any, *fieldErrors, *refusal) {
			fe := &fieldErrors{}
			number, err := strconv.Atoi(mux.Vars(r)["number"])
			if err != nil || number < 1 {
				fe.add("number", "the handover number in the path must be a whole number from 1, as the trajectory's handovers list it")
			}
			svc, _ := s.service(fe, b.Service)
			// Which service is the family's: sealed in the event, never
			// in the append-only audit log.
			noteDetail(r, "handover", strconv.Itoa(number))
			req := trajectory.ResendHandover{Number: number, Service: svc, By: principal(r).Actor()}
			if b.Consent != nil {
				consent := validateConsent(fe, b.Consent, now)
				req.Consent = &consent
			}
			if !fe.empty() {
				return nil, fe, nil
			}
			var handedTo string
			if req.Consent == nil {
				if handedTo, err = s.handedTo(r.Context(), row.ID, number); err != nil {
					s.log.Error("resend handover: read the trajectory's handovers", "trajectory_id", row.ID, "error", err)
					return nil, nil, &refusal{CodeDatabaseUnavailable,
						"the trajectory's handovers could not be read; send the same request again"}
				}
				if handedTo == "" {
					// The log does not have this handover (yet): the
					// workflow's validator, which applies the same rule, decides.
					return req, fe, nil
				}
			}
			for _, p := range trajectory.ResendConsentProblems(handedTo, req) {
				if p.Field == "consent" {
					return nil, nil, &refusal{CodeConsentMissing,
						"record the family's consent to hand over to this service (consent.given and consent.recorded_on): " +
							"the family consented to the service the handover was made to, not to another"}
				}
				addProblems(fe, []trajectory.Problem{p})
			}
			return req, fe, nil
		}})
}

// handedTo is the service a trajectory's handover was last sent to, from
// its event log ("" when the log does not have it). Only a resend without
// consent reads it, to tell the same service from another.
func (s *server) handedTo(ctx context.Context, id string, number int) (string, error) {
	t, err := s.store.Trajectory(ctx, id)
	if err != nil {
		return "", err
	}
	var service string
	for _, e := range t.Events {
		if (e.Kind == trajectory.EventHandoverRequested || e.Kind == trajectory.EventHandoverResent) && e.Detail["handover"] == strconv.Itoa(number) {
			service = e.Detail["service"]
		}
	}
	return service, nil
}

// someServiceIDs names a few ids of the directory, for a 400.
func (s *server) someServiceIDs() string {
	ids := make([]string, 0, len(s.services))
	for id := range s.services {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return "the directory is empty"
	}
	if len(ids) <= serviceIDsShown {
		return "the services are " + joinOr(ids)
	}
	return fmt.Sprintf("valid ids include %s (and %d more)", joinComma(ids[:serviceIDsShown]), len(ids)-serviceIDsShown)
}

// AckResponse is the JSON answer to an acknowledgement.
type AckResponse struct {
	Acknowledged bool `json:"acknowledged"`
	Number       int  `json:"number"`
}

// ActorService is the actor of an acknowledgement: the service, through its link.
const ActorService = "service"

// verifyLink checks the path's token. An invalid token gets exactly the
// answer of a path that does not exist; an expired one a 410. It answers
// itself and returns false when the token is not valid now. The token
// itself is never logged: only the trajectory id of a genuine one.
func (s *server) verifyLink(w http.ResponseWriter, r *http.Request) (handoverlink.Claims, bool) {
	claims, err := s.links.Verify(mux.Vars(r)["token"], time.Now())
	if err != nil && !errors.Is(err, handoverlink.ErrExpired) {
		// Not genuine: nobody's action, and nothing for the audit log.
		skipAudit(r)
		if wantsPage(r) {
			// Every invalid link gets this one page; an API client the
			// answer of an unknown path.
			s.writeHTMLStatus(w, http.StatusNotFound, messagePage, pageData{Title: "Link niet gevonden",
				Text: "Deze link bestaat niet of is niet volledig. Open de link opnieuw vanuit de e-mail; lukt het niet, neem dan contact op met de coach van het gezin."})
			return handoverlink.Claims{}, false
		}
		s.notFound(w, r)
		return handoverlink.Claims{}, false
	}
	noteTrajectory(r, claims.TrajectoryID)
	noteDetail(r, "handover", strconv.Itoa(claims.Number))
	if err != nil {
		s.linkError(w, r, CodeLinkExpired, "Deze link is verlopen: vraag de coach van het gezin om de overdracht opnieuw te sturen. "+
			"(This handover link has expired; ask the family's coach to send the handover again.)",
			"Link verlopen", "Deze link is verlopen: vraag de coach van het gezin om de overdracht opnieuw te sturen.")
		return handoverlink.Claims{}, false
	}
	return claims, true
}

// getHandoverLink shows the page on which the service confirms receipt.
// It changes nothing: mail scanners follow links in emails, so only the
// POST of its form acknowledges.
func (s *server) getHandoverLink(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.verifyLink(w, r)
	if !ok {
		return
	}
	s.writeHTML(w, confirmPage, pageData{
		Title:     fmt.Sprintf("Ontvangst van overdracht %d bevestigen", claims.Number),
		Number:    claims.Number,
		Token:     mux.Vars(r)["token"],
		ExpiresAt: claims.ExpiresAt.In(dateZone).Format("02-01-2006 om 15:04"),
	})
}

// postHandoverAck acknowledges the handover. The Update's id is derived
// from the link, so a retried request is the same Update: it gets the
// first one's answer. The workflow accepts one acknowledgement per
// handover, so another link of the same handover is refused.
func (s *server) postHandoverAck(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.verifyLink(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id, n := claims.TrajectoryID, claims.Number
	_, err := s.cases.Update(ctx, id, trajectory.UpdateAcknowledgeHandover, ackKey(n, mux.Vars(r)["token"]),
		trajectory.AcknowledgeHandover{Number: n, By: ActorService})
	var rejected *usecase.RejectedError
	switch {
	case err == nil:
		if wantsPage(r) {
			s.writeHTML(w, thanksPage, pageData{Title: "Bedankt", Number: n})
			return
		}
		writeJSON(w, http.StatusOK, AckResponse{Acknowledged: true, Number: n})
	// A worker older than the codes says it in words only.
	case errors.As(err, &rejected) && (rejected.Code == trajectory.CodeHandoverAlreadyAcknowledged ||
		rejected.Code == "" && strings.Contains(rejected.Reason, "already acknowledged")):
		s.linkError(w, r, ProblemCode(trajectory.CodeHandoverAlreadyAcknowledged), "this handover was already acknowledged; the link works once",
			"Al bevestigd", "De ontvangst van deze overdracht werd al bevestigd. U hoeft niets meer te doen en mag dit venster sluiten.")
	case errors.As(err, &rejected):
		s.linkError(w, r, refusalProblem(rejected), rejected.Reason,
			"Niet bevestigd", "Deze overdracht kan niet worden bevestigd. Neem contact op met de coach van het gezin.")
	case errors.Is(err, usecase.ErrClosed) || errors.Is(err, usecase.ErrNotRunning):
		s.linkError(w, r, CodeTrajectoryClosed, "the trajectory of this handover is closed; there is nothing left to acknowledge",
			"Begeleiding afgesloten", "De begeleiding van dit gezin is afgesloten; bevestigen is niet meer nodig.")
	case errors.Is(err, usecase.ErrUnavailable):
		s.log.Warn("handover acknowledgement: Temporal did not answer", "trajectory_id", id, "handover", n, "error", err)
		s.linkError(w, r, CodeWorkflowUnavailable,
			"the workflow service did not answer in time; the acknowledgement may not be recorded: try again",
			"Even geduld", "De bevestiging kon nu niet worden opgeslagen. Probeer het over een minuut opnieuw met dezelfde link.")
	default:
		s.log.Error("handover acknowledgement: update failed", "trajectory_id", id, "handover", n, "error", err)
		s.linkError(w, r, CodeInternalError,
			"the workflow failed to record the acknowledgement (logged); try again later, and report it if it keeps failing",
			"Er ging iets mis", "De bevestiging kon niet worden opgeslagen (de fout is bewaard voor de beheerder). Probeer het later opnieuw; lukt het niet, neem dan contact op met de coach van het gezin.")
	}
}

// ackKey names the acknowledgement through one link: the handover's number
// and a digest of the link, which no log shows.
func ackKey(number int, token string) string {
	sum := sha256.Sum256([]byte(token))
	return strconv.Itoa(number) + "/" + hex.EncodeToString(sum[:12])
}

// fromForm says whether the request is the POST of the HTML form.
func fromForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// wantsPage says whether a link route answers with a page: the form's
// POST, or a browser (it accepts text/html); an API client gets JSON.
func wantsPage(r *http.Request) bool {
	if fromForm(r) {
		return true
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/html" {
			return true
		}
	}
	return false
}

// linkError answers a link route that did not acknowledge: a page in
// Dutch for the service's browser, the JSON error for an API client.
func (s *server) linkError(w http.ResponseWriter, r *http.Request, code ProblemCode, detail, title, text string) {
	p := newProblem(r, code, detail)
	if wantsPage(r) {
		s.writeHTMLStatus(w, p.Status, messagePage, pageData{Title: title, Text: text})
		return
	}
	writeProblem(w, p)
}

// The pages of the handover link: small, in Dutch, without scripts, and
// without anything about the family (whoever holds the link sees them).
const pageCSS = `body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a;background:#fff}` +
	`h1{font-size:1.5rem}` +
	`button{font:inherit;font-size:1.125rem;padding:.75rem 1.5rem;border:2px solid #0b4f8a;border-radius:.375rem;background:#0b4f8a;color:#fff;cursor:pointer}` +
	`button:focus-visible{outline:3px solid #b35c00;outline-offset:2px}`

// linkCSP allows nothing but the page's own style and a form posting to this origin.
var linkCSP = "default-src 'none'; style-src 'sha256-" + cssHash() + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func cssHash() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return base64.StdEncoding.EncodeToString(sum[:])
}

type pageData struct {
	Title     string
	Number    int
	Token     string
	ExpiresAt string
	Text      string
}

func page(content string) *template.Template {
	return template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}}</title>
<style>` + pageCSS + `</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
` + content + `</main>
</body>
</html>
`))
}

var (
	confirmPage = page(`<p>Uw dienst kreeg een overdracht van een gezin dat begeleid wordt. Bevestig hieronder dat u de overdracht ontvangen hebt: de coach van het gezin ziet dan dat ze aangekomen is.</p>
<form method="post" action="/v1/handovers/{{.Token}}/acknowledgement">
<button type="submit">Ontvangst bevestigen</button>
</form>
<p>Deze link werkt één keer en is geldig tot {{.ExpiresAt}}.</p>
`)
	thanksPage = page(`<p>De ontvangst van overdracht {{.Number}} is bevestigd. De coach van het gezin ziet dat ze aangekomen is. U mag dit venster sluiten.</p>
`)
	messagePage = page(`<p>{{.Text}}</p>
`)
)

// linkHeaders guards the handover link routes: the token in the URL must
// not leak through a Referer, be cached, or be framed.
func linkHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", linkCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Robots-Tag", "noindex, nofollow")
		next.ServeHTTP(w, r)
	})
}

// writeHTML answers 200 with a page.
func (s *server) writeHTML(w http.ResponseWriter, t *template.Template, data pageData) {
	s.writeHTMLStatus(w, http.StatusOK, t, data)
}

// writeHTMLStatus answers with a page and status.
func (s *server) writeHTMLStatus(w http.ResponseWriter, status int, t *template.Template, data pageData) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.log.Error("render page", "error", err)
		writeError(w, nil, CodeInternalError, "the page could not be rendered; this is a bug, please report it")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
