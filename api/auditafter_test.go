package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestActionAnsweredBeforeItsRequestEntry: a step's answer reaches the
// client while the request's audit entry is still being written (the
// action's own entry commits with its event, store.RecordEvent), whereas
// the answer of a request whose entry is its only record waits for it.
func TestActionAnsweredBeforeItsRequestEntry(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	call := func(method, path, token string) (chan int, context.CancelFunc) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(`{}`))
		req.Header.Set(authHeader, token)
		req.Header.Set(IdempotencyKeyHeader, "after-1")
		answered := make(chan int, 1)
		go func() {
			resp, err := srv.Client().Do(req)
			if err != nil {
				answered <- 0
				return
			}
			_, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			answered <- resp.StatusCode
		}()
		return answered, cancel
	}
	hold := func() chan struct{} {
		h := make(chan struct{})
		f.audit.mu.Lock()
		f.audit.hold = h
		f.audit.mu.Unlock()
		return h
	}

	h := hold()
	answered, cancel := call(http.MethodPost, stepPath("visits"), asCoach)
	defer cancel()
	if status := <-answered; status != http.StatusOK {
		t.Fatalf("visit: %d", status)
	}
	if n := len(f.audit.all()); n != 0 {
		t.Errorf("%d entries written before the answer was read, want the write still held", n)
	}
	close(h)
	for deadline := time.Now().Add(10 * time.Second); len(f.audit.all()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the visit's entry was never written")
		}
	}
	if e := f.audit.last(t); e.Action != "record_visit" || e.Outcome != "ok" {
		t.Errorf("entry %+v", e)
	}

	// Opening a session is recorded only in its request's entry.
	h = hold()
	answered, cancel = call(http.MethodPost, "/v1/session", asSupervisor)
	defer cancel()
	select {
	case status := <-answered:
		t.Errorf("session answered %d while its entry was held", status)
	case <-time.After(300 * time.Millisecond):
	}
	close(h)
	if status := <-answered; status != http.StatusNoContent {
		t.Errorf("session: %d", status)
	}
}
