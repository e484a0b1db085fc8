package pages

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// goodToken is the one token fakeTokens knows: a coach's.
const goodToken = "tok_goodgood.secret"

type fakeTokens struct {
	mu    sync.Mutex
	calls int
}

func (f *fakeTokens) AuthenticateToken(_ context.Context, token string) (store.TokenInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if token != goodToken {
		return store.TokenInfo{}, store.ErrTokenInvalid
	}
	return store.TokenInfo{ID: "tok_goodgood", Kind: store.TokenCoach, Subject: "coach-a", Programmes: []string{"test-seconds"}}, nil
}

// fakeSessions keeps sessions in memory, each of the one good token.
type fakeSessions struct {
	mu      sync.Mutex
	n       int
	live    map[string]bool
	revoked []string
}

func (f *fakeSessions) CreateSession(context.Context, string, time.Duration) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := fmt.Sprintf("session-%d", f.n)
	f.live[id] = true
	return id, nil
}

func (f *fakeSessions) Session(_ context.Context, id string, _ time.Duration) (store.SessionInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.live[id] {
		return store.SessionInfo{}, store.ErrSessionInvalid
	}
	return store.SessionInfo{Token: store.TokenInfo{ID: "tok_goodgood", Kind: store.TokenCoach, Subject: "coach-a"}, CSRFToken: "csrf"}, nil
}

func (f *fakeSessions) RevokeSession(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live[id] {
		f.revoked = append(f.revoked, id)
	}
	delete(f.live, id)
	return nil
}

type fakeAudit struct {
	mu      sync.Mutex
	entries []store.AuditEntry
}

func (f *fakeAudit) Audit(_ context.Context, e store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, e)
	return nil
}

func (f *fakeAudit) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.entries)
}

// noStore is a use-case store the sign-in never reaches.
type noStore struct{}

func (noStore) TrajectoryAccess(context.Context, string) (store.TrajectorySummary, error) {
	return store.TrajectorySummary{}, store.ErrNotFound
}
func (noStore) Trajectory(context.Context, string) (store.Trajectory, error) {
	return store.Trajectory{}, store.ErrNotFound
}
func (noStore) ListTrajectories(context.Context, store.Filter) (store.Page, error) {
	return store.Page{}, nil
}
func (noStore) RecordEvents(context.Context, []trajectory.Event) ([]error, error) { return nil, nil }

type pagesFixture struct {
	handler  http.Handler
	tokens   *fakeTokens
	sessions *fakeSessions
	manager  *session.Manager
	audit    *fakeAudit
}

func newPages(t *testing.T, limits ratelimit.Config) *pagesFixture {
	t.Helper()
	f := &pagesFixture{tokens: &fakeTokens{}, sessions: &fakeSessions{live: map[string]bool{}}, audit: &fakeAudit{}}
	f.manager = &session.Manager{Store: f.sessions, Insecure: true}
	limits.SessionCookie = f.manager.CookieName()
	f.handler = New(Config{
		Cases:    usecase.Cases{Store: noStore{}, Audit: f.audit},
		Sessions: f.manager,
		Tokens:   f.tokens,
		Limiter:  ratelimit.New(limits),
	})
	return f
}

func (f *pagesFixture) signIn(addr, token string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/aanmelden", strings.NewReader(url.Values{"token": {token}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = addr + ":40000"
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}
