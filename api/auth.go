package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/elkgezin/elkgezin/apitoken"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

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
	Authenticate(r *http.Request) (usecase.Principal, error)
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
func (a TokenAuthenticator) Authenticate(r *http.Request) (usecase.Principal, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return usecase.Principal{}, &UnauthenticatedError{
			Detail:    "this API needs a token: send Authorization: Bearer <token> (an administrator makes one with elkgezin token create)",
			Challenge: bearerRealm,
		}
	}
	if len(values) > 1 {
		return usecase.Principal{}, &UnauthenticatedError{
			Detail:    "the Authorization header is given more than once; send it once, as Bearer <token>",
			Challenge: bearerInvalidToken,
		}
	}
	token, ok := bearer(values[0])
	if !ok {
		return usecase.Principal{}, &UnauthenticatedError{
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
		return usecase.Principal{}, &UnauthenticatedError{
			Detail:       detail,
			Challenge:    bearerRealm + `, error="invalid_token", error_description="token expired"`,
			CredentialID: info.ID,
		}
	}
	if errors.Is(err, store.ErrTokenInvalid) {
		return usecase.Principal{}, &UnauthenticatedError{
			Detail:       "the token is not valid: it is malformed, unknown or revoked; ask an administrator for a new one",
			Challenge:    bearerInvalidToken,
			CredentialID: apitoken.ID(token),
		}
	}
	if err != nil {
		return usecase.Principal{}, fmt.Errorf("authenticate token: %w", err)
	}
	return usecase.Principal{
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
func PrincipalFromContext(ctx context.Context) (usecase.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(usecase.Principal)
	return p, ok
}

func principal(r *http.Request) usecase.Principal {
	if p, ok := PrincipalFromContext(r.Context()); ok {
		return p
	}
	return usecase.Principal{Kind: usecase.KindAnonymous}
}

// notePrincipal tells the request's log line and audit entry who calls.
func notePrincipal(ctx context.Context, p usecase.Principal) {
	if info := infoFrom(ctx); info != nil {
		info.setActor(p.Actor())
	}
	if rec := auditFrom(ctx); rec != nil {
		rec.setPrincipal(p)
	}
}

// writeUnauthenticated answers 401 with the authenticator's challenge.
func writeUnauthenticated(w http.ResponseWriter, r *http.Request, e *UnauthenticatedError) {
	challenge := e.Challenge
	if challenge == "" {
		challenge = bearerRealm
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, r, CodeUnauthenticated, e.Detail)
}

// writeAuthUnavailable answers 503 when the authenticator could not decide.
func (s *server) writeAuthUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("authenticate: the credentials could not be checked", "error", err)
	writeError(w, r, CodeDatabaseUnavailable,
		"the credentials could not be checked: the database (PostgreSQL) did not answer; retry later")
}

// codecPath is where Config.Codec is mounted.
const codecPath = "/codec/"

// postSession opens a browser session (package session) for the
// supervisor who calls with their token, for scripts; people sign in on
// the pages' sign-in page. The cookie is the session's random id, never the token.
func (s *server) postSession(w http.ResponseWriter, r *http.Request) {
	if err := s.sessions.Open(w, r, principal(r).CredentialID); err != nil {
		s.writeStoreError(w, r, "open session", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// deleteSession ends the browser's session and drops the cookie. It needs
// no authentication: it can only end the session whose id the caller holds.
func (s *server) deleteSession(w http.ResponseWriter, r *http.Request) {
	if err := s.sessions.Close(w, r); err != nil {
		s.writeStoreError(w, r, "end session", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
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
// none, the browser session (package session) that the sign-in page or
// POST /v1/session opened: what a browser running the Temporal UI sends. It returns nil for a supervisor,
// and otherwise an error whose StatusCode() is 401 (no valid credentials),
// 403 (not a supervisor) or 503 (the credentials could not be checked).
// Mounted through Config.Codec, the request's log line and audit entry
// name the caller.
func SupervisorAuthorizer(auth Authenticator, sessions *session.Manager) func(*http.Request) error {
	if auth == nil || sessions == nil {
		panic("api.SupervisorAuthorizer: nil Authenticator or session.Manager")
	}
	return func(r *http.Request) error {
		_, err := supervisorOf(auth, sessions, r)
		return err
	}
}

// supervisorOf is the supervisor calling the codec endpoint, by bearer
// token or browser session; see SupervisorAuthorizer for the errors.
func supervisorOf(auth Authenticator, sessions *session.Manager, r *http.Request) (usecase.Principal, error) {
	var p usecase.Principal
	var err error
	if _, cerr := r.Cookie(sessions.CookieName()); cerr == nil && len(r.Header.Values("Authorization")) == 0 {
		var sess session.Session
		sess, err = sessions.Lookup(r)
		p = sess.Principal
		if errors.Is(err, session.ErrNoSession) {
			err = &UnauthenticatedError{Detail: "the session has ended; sign in again"}
		}
	} else {
		p, err = auth.Authenticate(r)
	}
	var unauth *UnauthenticatedError
	switch {
	case errors.As(err, &unauth):
		if rec := auditFrom(r.Context()); rec != nil {
			rec.note("token_id", unauth.CredentialID)
		}
		return p, &codecAuthError{status: http.StatusUnauthorized, reason: unauth.Detail}
	case err != nil:
		if rec := auditFrom(r.Context()); rec != nil {
			rec.setFailure(err)
		}
		return p, &codecAuthError{status: http.StatusServiceUnavailable, reason: "the credentials could not be checked", err: err}
	}
	notePrincipal(r.Context(), p)
	if p.Kind != usecase.KindSupervisor {
		return p, &codecAuthError{status: http.StatusForbidden, reason: "only supervisors may decode payloads"}
	}
	return p, nil
}
