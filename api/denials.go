package api

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

// DefaultDenialWindow is how long unauthenticated requests from one
// address are counted into one audit entry.
const DefaultDenialWindow = time.Minute

// maxDenialAddresses bounds the addresses counted at once; past it, the
// rest are counted under "other".
const maxDenialAddresses = 10_000

// denials aggregates refused unauthenticated requests: one audit entry per
// client address per window, with a count, instead of one undeletable row
// per request that a guessing loop would write by the thousand.
type denials struct {
	window time.Duration
	audit  Auditor
	log    *slog.Logger

	mu     sync.Mutex
	counts map[string]*denialCount
}

type denialCount struct {
	since  time.Time
	count  int
	tokens map[string]bool // public token ids presented (revoked, expired)
}

func newDenials(window time.Duration, audit Auditor, log *slog.Logger) *denials {
	if window <= 0 {
		window = DefaultDenialWindow
	}
	return &denials{window: window, audit: audit, log: log, counts: map[string]*denialCount{}}
}

// add counts one refused request; the first of a window schedules the
// window's entry.
func (d *denials) add(address string, e store.AuditEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.counts[address]
	if c == nil {
		if len(d.counts) >= maxDenialAddresses {
			address = "other"
			c = d.counts[address]
		}
	}
	if c == nil {
		c = &denialCount{since: time.Now().UTC(), tokens: map[string]bool{}}
		d.counts[address] = c
		time.AfterFunc(d.window, func() { d.flush(address) })
	}
	c.count++
	if id := e.Detail["token_id"]; id != "" && len(c.tokens) < 20 {
		c.tokens[id] = true
	}
}

func (d *denials) flush(address string) {
	d.mu.Lock()
	c := d.counts[address]
	delete(d.counts, address)
	d.mu.Unlock()
	if c == nil {
		return
	}
	detail := map[string]string{
		"address": address,
		"count":   strconv.Itoa(c.count),
		"since":   c.since.Format(time.RFC3339),
		"window":  d.window.String(),
	}
	i := 0
	for id := range c.tokens {
		detail["token_id_"+strconv.Itoa(i)] = id
		i++
	}
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	defer cancel()
	err := d.audit.Audit(ctx, store.AuditEntry{Actor: usecase.KindAnonymous, Action: "unauthenticated_requests",
		Outcome: store.OutcomeUnauthenticated, Detail: detail})
	if err != nil {
		d.log.Warn("audit log: could not write the count of unauthenticated requests", "count", c.count, "error", err)
	}
}
