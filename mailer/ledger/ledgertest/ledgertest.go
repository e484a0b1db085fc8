// Package ledgertest holds the email ledger's protocol in memory, for
// tests of what sends through the ledger without a database.
package ledgertest

import (
	"context"
	"sync"

	"github.com/elkgezin/elkgezin/store"
)

// Memory is a ledger.Ledger in memory: each key's status and how many
// attempts began. Its zero value is ready to use.
type Memory struct {
	mu     sync.Mutex
	status map[string]store.EmailStatus
	tries  map[string]int
}

// BeginEmail records an attempt; a new key starts pending.
func (l *Memory) BeginEmail(_ context.Context, key, _, _, _ string) (store.EmailStatus, int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status == nil {
		l.status, l.tries = map[string]store.EmailStatus{}, map[string]int{}
	}
	if _, ok := l.status[key]; !ok {
		l.status[key] = store.EmailPending
	}
	l.tries[key]++
	return l.status[key], l.tries[key], nil
}

func (l *Memory) set(key string, s store.EmailStatus) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status == nil {
		l.status, l.tries = map[string]store.EmailStatus{}, map[string]int{}
	}
	l.status[key] = s
	return nil
}

// MarkEmailCommitting marks key committing.
func (l *Memory) MarkEmailCommitting(_ context.Context, key string, _ int) error {
	return l.set(key, store.EmailCommitting)
}

// MarkEmailSent marks key sent.
func (l *Memory) MarkEmailSent(_ context.Context, key string) error {
	return l.set(key, store.EmailSent)
}

// MarkEmailUnconfirmed marks key unconfirmed.
func (l *Memory) MarkEmailUnconfirmed(_ context.Context, key string) error {
	return l.set(key, store.EmailUnconfirmed)
}

// MarkEmailNotSent puts key back to pending.
func (l *Memory) MarkEmailNotSent(_ context.Context, key string, _ int) error {
	return l.set(key, store.EmailPending)
}
