package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"elkgezin/store"
)

// Kinds of principal.
const (
	KindPartner    = store.TokenPartner
	KindCoach      = store.TokenCoach
	KindSupervisor = store.TokenSupervisor
	KindAdmin      = store.TokenAdmin
	// KindAnonymous is the caller before (or without) authentication; it
	// may call only the routes outside authentication.
	KindAnonymous = "anonymous"
)

// Principal is who makes a request: a partner organisation, a coach, a
// supervisor or an administrator (or, outside authentication, nobody known).
type Principal struct {
	Kind string // KindPartner, KindCoach, KindSupervisor, KindAdmin or KindAnonymous
	ID   string // the organisation id, coach id, supervisor id or administrator name; "" for anonymous
	// Programmes are the programmes a coach or supervisor works in: a
	// coach sees and acts on their own trajectories in them, a supervisor
	// on every trajectory of them. Empty for partners and administrators.
	Programmes []string
	// CredentialID names the credential that authenticated the request
	// (the public token id, tok_...), for the audit log. Never a secret.
	CredentialID string
}

// Actor is how the principal appears in the event log, the audit log and
// the steps done, e.g. "coach:test-coach"; "anonymous" for an anonymous caller.
func (p Principal) Actor() string {
	if p.ID == "" {
		return p.Kind
	}
	return p.Kind + ":" + p.ID
}

// Authenticator tells who makes a request. It is the seam of
// authentication: TokenAuthenticator checks the API's own bearer tokens,
// and an authenticator for an OIDC issuer (verifying the issuer's signed
// access tokens and mapping their claims to a kind, an id and programmes)
// can implement it later without touching the routes or their rules.
//
// Authenticate returns an *UnauthenticatedError when the request carries
// no credentials, or credentials that are not valid (the API answers 401),
// and any other error when it could not decide, e.g. because its database
// did not answer (the API answers 503).
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// UnauthenticatedError says that a request carries no valid credentials.
type UnauthenticatedError struct {
	// Detail is the 401's detail: what to send instead. Never a secret.
	Detail string
	// Challenge is the WWW-Authenticate header of the 401.
	Challenge string
	// CredentialID is the public id of the credential presented, when it
	// had the shape of one (so the audit log shows which revoked token is
	// still in use); "" otherwise.
	CredentialID string
}

func (e *UnauthenticatedError) Error() string { return "unauthenticated: " + e.Detail }

// TokenStore is the part of *store.Store that TokenAuthenticator uses.
type TokenStore interface {
	// AuthenticateToken returns the token's holder, or an error wrapping
	// store.ErrTokenInvalid for a malformed, unknown or revoked token
	// (store.ErrTokenExpired, with the token's info, for an expired one).
	AuthenticateToken(ctx context.Context, token string) (store.TokenInfo, error)
}

var _ TokenStore = (*store.Store)(nil)

// TokenAuthenticator authenticates the API's own tokens, sent as
// "Authorization: Bearer <token>". Tokens are random, stored only as
// hashes, and created and revoked by an administrator with
// `elkgezin token create` and `elkgezin token revoke`.
type TokenAuthenticator struct {
	Store TokenStore
}

const (
	bearerRealm        = `Bearer realm="elkgezin"`
	bearerInvalidToken = bearerRealm + `, error="invalid_token"`
)

// Authenticate implements Authenticator.
func (a TokenAuthenticator) Authenticate(r *http.Request) (Principal, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return Principal{}, &UnauthenticatedError{
			Detail:    "this API needs a token: send Authorization: Bearer <token> (an administrator makes one with elkgezin token create)",
			Challenge: bearerRealm,
		}
	}
	if len(values) > 1 {
		return Principal{}, &UnauthenticatedError{
			Detail:    "the Authorization header is given more than once; send it once, as Bearer <token>",
			Challenge: bearerInvalidToken,
		}
	}
	token, ok := bearer(values[0])
	if !ok {
		return Principal{}, &UnauthenticatedError{
			Detail:    "the Authorization header must be Bearer <token>",
			Challenge: bearerInvalidToken,
		}
	}
	info, err := a.Store.AuthenticateToken(r.Context(), token)
	if errors.Is(err, store.ErrTokenExpired) {
		detail := "the token has expired; ask an administrator for a new one (elkgezin token create)"
		if info.ExpiresAt != nil {
			detail = "the token expired on " + info.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC") +
				"; ask an administrator for a new one (elkgezin token create), and stop using this one"
		}
		return Principal{}, &UnauthenticatedError{
			Detail:       detail,
			Challenge:    bearerRealm + `, error="invalid_token", error_description="token expired"`,
			CredentialID: info.ID,
		}
	}
	if errors.Is(err, store.ErrTokenInvalid) {
		return Principal{}, &UnauthenticatedError{
			Detail:       "the token is not valid: it is malformed, unknown or revoked; ask an administrator for a new one",
			Challenge:    bearerInvalidToken,
			CredentialID: store.TokenID(token),
		}
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate token: %w", err)
	}
	return Principal{
		Kind:         info.Kind,
		ID:           info.Subject,
		Programmes:   slices.Clone(info.Programmes),
		CredentialID: info.ID,
	}, nil
}

// bearer reads the token of an Authorization header "Bearer <token>" (the
// scheme in any case, RFC 9110).
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

type principalKey struct{}

// PrincipalFromContext returns the principal the API authenticated for the
// request whose context this is.
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

func principal(r *http.Request) Principal {
	if p, ok := PrincipalFromContext(r.Context()); ok {
		return p
	}
	return Principal{Kind: KindAnonymous}
}

// notePrincipal tells the request's log line and audit entry who calls.
func notePrincipal(ctx context.Context, p Principal) {
	if info := infoFrom(ctx); info != nil {
		info.setActor(p.Actor())
	}
	if rec := auditFrom(ctx); rec != nil {
		rec.setPrincipal(p)
	}
}

// writeUnauthenticated answers 401 with the authenticator's challenge.
func writeUnauthenticated(w http.ResponseWriter, e *UnauthenticatedError) {
	challenge := e.Challenge
	if challenge == "" {
		challenge = bearerRealm
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, "unauthenticated", e.Detail)
}

// writeAuthUnavailable answers 503 when the authenticator could not decide.
func (s *server) writeAuthUnavailable(w http.ResponseWriter, err error) {
	s.log.Error("authenticate: the credentials could not be checked", "error", err)
	writeError(w, http.StatusServiceUnavailable, "service unavailable",
		"the credentials could not be checked: the database (PostgreSQL) did not answer; retry later")
}

// The codec session: a supervisor's browser holds the token in a cookie
// that is sent only to the codec endpoint, so that the Temporal UI can
// decode payloads for them.
const (
	// SessionCookie holds the supervisor's token for the codec endpoint.
	SessionCookie = "elkgezin_session"
	// CodecPath is where Config.Codec is mounted, and the cookie's Path.
	CodecPath = "/codec/"
	// SessionMaxAge is how long the browser keeps the cookie.
	SessionMaxAge = 8 * time.Hour
)

// postSession gives the supervisor's browser the session cookie: the
// token it authenticated with, HttpOnly, SameSite=Lax, Path=/codec.
func (s *server) postSession(w http.ResponseWriter, r *http.Request) {
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		writeError(w, http.StatusBadRequest, "no bearer token",
			"a session holds the bearer token the request authenticated with; send it as Authorization: Bearer <token>")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    token,
		Path:     strings.TrimSuffix(CodecPath, "/"),
		MaxAge:   int(SessionMaxAge / time.Second),
		HttpOnly: true,
		Secure:   secureRequest(r),
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	if r.Context().Value(signedInByForm{}) != nil {
		s.writeHTML(w, signedInPage, pageData{Title: "Aangemeld voor de Temporal UI"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// signedInByForm marks a session request that came from the sign-in page.
type signedInByForm struct{}

// formBearer turns the token of the sign-in form into the request's bearer
// token, so the form goes through the same authentication and rule as
// POST /v1/session.
func formBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "invalid form", "send the form of the sign-in page (/v1/session)")
			return
		}
		if token := strings.TrimSpace(r.PostForm.Get("token")); token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), signedInByForm{}, true)))
	})
}

// sessionPage lets a supervisor sign in from the browser in which they use
// the Temporal UI, so the UI's calls to the codec endpoint carry the
// session cookie.
func (s *server) sessionPage(w http.ResponseWriter, r *http.Request) {
	s.writeHTML(w, signInPage, pageData{Title: "Aanmelden voor de Temporal UI"})
}

var (
	signInPage = page(`<p>Als teamverantwoordelijke leest u in de Temporal UI de gegevens van de gezinnen van uw programma's. Plak hier uw token om u in deze browser aan te melden (8 uur).</p>
<form method="post" action="/v1/session/form">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Aanmelden</button>
</form>
<p>Zet daarna in de Temporal UI, bij de instellingen van de codec server, "include cross-origin credentials" aan.</p>
`)
	signedInPage = page(`<p>U bent aangemeld. Open of vernieuw de Temporal UI: de gegevens van de gezinnen van uw programma's worden daar leesbaar. Afmelden: DELETE /v1/session, of sluit de browser na 8 uur.</p>
`)
)

// deleteSession tells the browser to drop the session cookie. It needs no
// authentication: it changes nothing on the server and reveals nothing,
// and a browser must be able to drop a cookie whose token was revoked.
func (s *server) deleteSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    "",
		Path:     strings.TrimSuffix(CodecPath, "/"),
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secureRequest(r),
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// secureRequest says whether the browser reached the API over HTTPS
// (directly or through a proxy that says so), so the cookie gets Secure.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// codecAuthError refuses a request to the codec endpoint; StatusCode is the
// answer (payloadcodec.NewHandler uses it).
type codecAuthError struct {
	status int
	reason string
	err    error // why the credentials could not be checked, for a 503
}

func (e *codecAuthError) Error() string   { return "codec: " + e.reason }
func (e *codecAuthError) StatusCode() int { return e.status }
func (e *codecAuthError) Unwrap() error   { return e.err }

// SupervisorAuthorizer is the authorize function of the codec endpoint
// (payloadcodec.NewHandler): only supervisors may have payloads decoded.
// The credentials are the Authorization: Bearer header or, when there is
// none, the elkgezin_session cookie that POST /v1/session set (what a
// browser running the Temporal UI sends). It returns nil for a supervisor,
// and otherwise an error whose StatusCode() is 401 (no valid credentials),
// 403 (not a supervisor) or 503 (the credentials could not be checked).
// Mounted through Config.Codec, the request's log line and audit entry
// name the caller.
func SupervisorAuthorizer(auth Authenticator) func(*http.Request) error {
	if auth == nil {
		panic("api.SupervisorAuthorizer: nil Authenticator")
	}
	return func(r *http.Request) error {
		req := r
		if len(r.Header.Values("Authorization")) == 0 {
			if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
				req = r.Clone(r.Context())
				req.Header.Set("Authorization", "Bearer "+c.Value)
			}
		}
		p, err := auth.Authenticate(req)
		var unauth *UnauthenticatedError
		switch {
		case errors.As(err, &unauth):
			if rec := auditFrom(r.Context()); rec != nil {
				rec.note("token_id", unauth.CredentialID)
			}
			return &codecAuthError{status: http.StatusUnauthorized, reason: unauth.Detail}
		case err != nil:
			if rec := auditFrom(r.Context()); rec != nil {
				rec.setFailure(err)
			}
			return &codecAuthError{status: http.StatusServiceUnavailable, reason: "the credentials could not be checked", err: err}
		}
		notePrincipal(r.Context(), p)
		if p.Kind != KindSupervisor {
			return &codecAuthError{status: http.StatusForbidden, reason: "only supervisors may decode payloads"}
		}
		return nil
	}
}
