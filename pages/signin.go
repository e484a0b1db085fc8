package pages

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

type signInData struct {
	Back  string
	Error string
}

func (h *handler) signInPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "signin", "Aanmelden", signInData{Back: safeBack(r.URL.Query().Get("terug"))})
}

// signIn opens a session for the holder of the token typed in the form.
// There is no session yet to carry a CSRF secret, so a post from another
// site is refused by its Origin (login CSRF).
func (h *handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if !session.SameOrigin(r) || r.ParseForm() != nil {
		h.message(w, r, http.StatusForbidden, "Geweigerd", "Dit formulier kwam niet van deze website.")
		return
	}
	back := safeBack(r.PostForm.Get("terug"))
	// A sign-in that fails writes an audit entry: an address may fail a few
	// times only (RATE_LIMIT_SIGN_IN).
	attempt, ok, why := h.Limiter.SignIn(r)
	if !ok {
		why.SetRetryAfter(w)
		h.render(w, r, http.StatusTooManyRequests, "signin", "Aanmelden", signInData{Back: back,
			Error: "Er mislukten te veel aanmeldingen van uw adres. Wacht " + seconds(why) + " en probeer het dan opnieuw."})
		return
	}
	tok, err := h.Tokens.AuthenticateToken(r.Context(), strings.TrimSpace(r.PostForm.Get("token")))
	switch {
	case errors.Is(err, store.ErrTokenInvalid):
		_ = h.auditAs(r, usecase.KindAnonymous, "", "unauthenticated")
		h.render(w, r, http.StatusUnauthorized, "signin", "Aanmelden", signInData{Back: back, Error: "Dit token is niet geldig (onbekend of ingetrokken). Vraag een nieuw aan de beheerder."})
		return
	case err != nil:
		attempt.Refund()
		h.unavailable(w, r, err)
		return
	case !mayUsePages(tok.Kind):
		_ = h.auditAs(r, tok.Actor(), tok.ID, store.OutcomeDenied)
		h.render(w, r, http.StatusForbidden, "signin", "Aanmelden", signInData{Back: back, Error: "Met dit token kunt u zich hier niet aanmelden: de pagina's zijn voor gezinscoaches, hun medewerkers en teamverantwoordelijken."})
		return
	}
	attempt.Refund()
	if err := h.Sessions.Open(w, r, tok.ID); err != nil {
		h.unavailable(w, r, err)
		return
	}
	_ = h.auditAs(r, tok.Actor(), tok.ID, store.OutcomeOK)
	if back == "" {
		back = homeOf(tok.Kind)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (h *handler) auditAs(r *http.Request, actor, tokenID, outcome string) error {
	detail := map[string]string{"via": "pages"}
	if tokenID != "" {
		detail["token_id"] = tokenID
	}
	return h.Cases.Audit.Audit(r.Context(), store.AuditEntry{Actor: actor, Action: usecase.ActionCreateSession, Outcome: outcome, Detail: detail})
}

// signOut ends the session. It needs the session's CSRF secret, so another
// site cannot sign a person out.
func (h *handler) signOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	s, err := h.Sessions.Lookup(r)
	if err == nil && (r.ParseForm() != nil || !s.CheckCSRF(r, r.PostForm.Get("csrf"))) {
		h.message(w, r, http.StatusForbidden, "Geweigerd", "Dit formulier kwam niet van deze website.")
		return
	}
	if err := h.Sessions.Close(w, r); err != nil {
		h.unavailable(w, r, err)
		return
	}
	// A refused form's text leaves this browser with the session.
	h.clearFlash(w, r)
	w.Header().Set("Clear-Site-Data", clearSiteData)
	http.Redirect(w, r, "/aanmelden", http.StatusSeeOther)
}

// safeBack keeps a return path on this site only, as a browser would read
// it: a path that begins with one slash, no host, scheme or user, and no
// control character, space or backslash anywhere (browsers drop tabs and
// read a backslash as a slash, so "/\t/evil.example" is "//evil.example"
// to them). Anything else is "" (the home page).
func safeBack(p string) string {
	if strings.ContainsFunc(p, func(c rune) bool { return unicode.IsControl(c) || unicode.IsSpace(c) || c == '\\' }) {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	back := u.EscapedPath()
	if u.RawQuery != "" {
		back += "?" + u.RawQuery
	}
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		return ""
	}
	return back
}
