// Package session keeps the browser sessions of coaches and supervisors:
// an opaque random id in an HttpOnly, SameSite=Lax, Secure cookie named
// with the __Host- prefix (so no other host, not even a subdomain, can set
// it), the session itself in PostgreSQL (store.CreateSession), with an
// expiry (never past its token's), an idle timeout and sign-out. The
// pages and the codec endpoint of the Temporal UI both read it. A session
// is opened with a token the caller already proved (the seam where an OIDC
// sign-in can open one later), and each session carries a secret that
// every form of the pages must send back (CSRF).
package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

// The session cookie's names. A browser keeps a __Host- cookie only when
// it is Secure, for Path=/ and without Domain, so over plain HTTP
// (Manager.Insecure) the cookie goes without the prefix.
const (
	CookieName         = "__Host-elkgezin_session"
	InsecureCookieName = "elkgezin_session"
)

// Defaults of Manager.
const (
	DefaultMaxAge = 8 * time.Hour
	DefaultIdle   = 1 * time.Hour
)

// Store is the part of *store.Store that keeps sessions.
type Store interface {
	CreateSession(ctx context.Context, tokenID string, maxAge time.Duration) (string, error)
	Session(ctx context.Context, id string, idle time.Duration) (store.SessionInfo, error)
	RevokeSession(ctx context.Context, id string) error
}

var _ Store = (*store.Store)(nil)

// Manager opens, reads and ends sessions.
type Manager struct {
	Store Store
	// Programmes narrow a coach's scope to the programme files as they are now.
	Programmes programme.Catalogue
	// Insecure leaves Secure off the cookie: for development over plain
	// HTTP only (DEV_INSECURE_COOKIES=1).
	Insecure bool
	MaxAge   time.Duration // DefaultMaxAge when zero
	Idle     time.Duration // DefaultIdle when zero
}

// Session is a signed-in browser.
type Session struct {
	Principal usecase.Principal
	// CSRF is the secret each form of this session carries.
	CSRF string
}

// ErrNoSession: the request has no live session (none, expired, idle,
// signed out, or its token revoked or expired). Any other error of Lookup
// means the database did not answer.
var ErrNoSession = errors.New("no session")

func (m *Manager) maxAge() time.Duration {
	if m.MaxAge > 0 {
		return m.MaxAge
	}
	return DefaultMaxAge
}

func (m *Manager) idle() time.Duration {
	if m.Idle > 0 {
		return m.Idle
	}
	return DefaultIdle
}

// Open starts a session for the holder of the token with this public id
// (tok_..., already authenticated) and gives the browser its cookie. The
// session is always new: one the request carries is ended, never taken
// over, so a session id someone planted in the browser before the sign-in
// is worth nothing after it (session fixation).
func (m *Manager) Open(w http.ResponseWriter, r *http.Request, tokenID string) error {
	if c, err := r.Cookie(m.CookieName()); err == nil && c.Value != "" {
		if err := m.Store.RevokeSession(r.Context(), c.Value); err != nil {
			return fmt.Errorf("open session: end the one before: %w", err)
		}
	}
	id, err := m.Store.CreateSession(r.Context(), tokenID, m.maxAge())
	if err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	m.setCookie(w, id, int(m.maxAge()/time.Second))
	return nil
}

// CookieName is the name of the session cookie: CookieName, or
// InsecureCookieName over plain HTTP.
func (m *Manager) CookieName() string {
	if m.Insecure {
		return InsecureCookieName
	}
	return CookieName
}

func (m *Manager) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     m.CookieName(),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   !m.Insecure,
		SameSite: http.SameSiteLaxMode,
	})
}

// Lookup finds the request's live session.
func (m *Manager) Lookup(r *http.Request) (Session, error) {
	c, err := r.Cookie(m.CookieName())
	if err != nil || c.Value == "" {
		return Session{}, ErrNoSession
	}
	info, err := m.Store.Session(r.Context(), c.Value, m.idle())
	if errors.Is(err, store.ErrSessionInvalid) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	p := usecase.Principal{
		Kind:         info.Token.Kind,
		ID:           info.Token.Subject,
		Programmes:   slices.Clone(info.Token.Programmes),
		CredentialID: info.Token.ID,
	}
	if m.Programmes != nil {
		p = usecase.Scope(m.Programmes, p)
	}
	return Session{Principal: p, CSRF: info.CSRFToken}, nil
}

// Close ends the request's session on the server and drops the cookie.
func (m *Manager) Close(w http.ResponseWriter, r *http.Request) error {
	m.setCookie(w, "", -1)
	if c, err := r.Cookie(m.CookieName()); err == nil && c.Value != "" {
		return m.Store.RevokeSession(r.Context(), c.Value)
	}
	return nil
}

// CheckCSRF says whether a form post of this session is genuine: the
// browser says it comes from this site (Sec-Fetch-Site, Origin), and it
// carries the session's secret.
func (s Session) CheckCSRF(r *http.Request, formToken string) bool {
	return SameOrigin(r) && formToken != "" && subtle.ConstantTimeCompare([]byte(formToken), []byte(s.CSRF)) == 1
}

// SameOrigin refuses a request that a browser says comes from another
// site or origin. A request without these headers (not from a browser, or
// an old one) passes: the CSRF secret is the check that holds then.
func SameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
