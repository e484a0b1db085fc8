package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
)

func shortDenialWindow(c *Config) { c.DenialWindow = 100 * time.Millisecond }

// waitDenials waits for the (one) count of unauthenticated requests in the
// audit log and returns it.
func waitDenials(t *testing.T, entries func() []store.AuditEntry) store.AuditEntry {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var found []store.AuditEntry
		for _, e := range entries() {
			if e.Action == "unauthenticated_requests" {
				found = append(found, e)
			}
		}
		if len(found) > 1 {
			t.Fatalf("%d counts of unauthenticated requests, want one: %+v", len(found), found)
		}
		if len(found) == 1 {
			return found[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no count of unauthenticated requests was written")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUnauthenticatedRequestsAreCounted: a guessing loop writes one audit
// entry per address per window, with a count, not one row per request.
func TestUnauthenticatedRequestsAreCounted(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.DenialWindow = 300 * time.Millisecond })
	send := func(addr string) {
		req := httptest.NewRequest(http.MethodGet, "/v1/trajectories/"+openID, nil)
		req.RemoteAddr = addr + ":5000"
		req.Header.Set("Authorization", "Bearer tok_abcdefgh.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("%d, want 401", rec.Code)
		}
	}
	for range 25 {
		send("192.0.2.7")
	}
	send("192.0.2.8")
	if n := len(f.audit.all()); n != 0 {
		t.Fatalf("%d audit rows during the window, want none yet", n)
	}
	time.Sleep(600 * time.Millisecond)
	byAddress := map[string]store.AuditEntry{}
	for _, e := range f.audit.all() {
		byAddress[e.Detail["address"]] = e
	}
	if len(f.audit.all()) != 2 || byAddress["192.0.2.7"].Detail["count"] != "25" || byAddress["192.0.2.8"].Detail["count"] != "1" {
		t.Fatalf("audit rows %+v: want one per address with its count", f.audit.all())
	}
	e := byAddress["192.0.2.7"]
	if e.Actor != "anonymous" || e.Outcome != store.OutcomeUnauthenticated || e.Detail["token_id_0"] != "tok_abcdefgh" {
		t.Errorf("count entry %+v", e)
	}
}
