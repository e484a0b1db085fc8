package api

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
)

// fakeSessions is an in-memory session.Store over fakeTokens.
type fakeSessions struct {
	mu       sync.Mutex
	tokens   *fakeTokens
	sessions map[string]string // session id -> token id
	revoked  map[string]bool
	n        int
}

func newFakeSessions(tokens *fakeTokens) *fakeSessions {
	return &fakeSessions{tokens: tokens, sessions: map[string]string{}, revoked: map[string]bool{}}
}

func (f *fakeSessions) manager() *session.Manager {
	return &session.Manager{Store: f, Insecure: true}
}

func (f *fakeSessions) CreateSession(_ context.Context, tokenID string, _ time.Duration) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := fmt.Sprintf("session-%d", f.n)
	f.sessions[id] = tokenID
	return id, nil
}

func (f *fakeSessions) Session(_ context.Context, id string, _ time.Duration) (store.SessionInfo, error) {
	f.mu.Lock()
	tokenID, ok := f.sessions[id]
	revoked := f.revoked[id]
	f.mu.Unlock()
	if !ok || revoked {
		return store.SessionInfo{}, store.ErrSessionInvalid
	}
	f.tokens.mu.Lock()
	defer f.tokens.mu.Unlock()
	if f.tokens.err != nil {
		return store.SessionInfo{}, f.tokens.err
	}
	for _, info := range f.tokens.tokens {
		if info.ID == tokenID {
			return store.SessionInfo{Token: info, CSRFToken: "csrf-" + id}, nil
		}
	}
	return store.SessionInfo{}, store.ErrSessionInvalid
}

func (f *fakeSessions) RevokeSession(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[id] = true
	return nil
}
