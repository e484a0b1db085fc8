package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPlaintextDatabaseWarning(t *testing.T) {
	for url, warn := range map[string]bool{
		"postgres://postgres@127.0.0.1:5432/elkgezin?sslmode=disable":       false,
		"postgres://postgres@localhost/elkgezin?sslmode=disable":            false,
		"postgres://postgres@[::1]:5432/elkgezin?sslmode=disable":           false,
		"postgres://app@db.internal:5432/elkgezin?sslmode=disable":          true,
		"postgres://app@10.0.0.5/elkgezin?sslmode=prefer":                   true,
		"postgres://app@db.internal:5432/elkgezin?sslmode=verify-full":      false,
		"postgres://app@db.internal:5432/elkgezin?sslmode=require":          false,
		"host=db.internal user=app dbname=elkgezin sslmode=disable":         true,
		"host=/var/run/postgresql user=app dbname=elkgezin sslmode=disable": false,
	} {
		if got := plaintextDatabase(url) != ""; got != warn {
			t.Errorf("%s: warning %v, want %v (%q)", url, got, warn, plaintextDatabase(url))
		}
	}
}

// TestAPIServerLimitsIdleClients starts a server as runAPI does and finds
// that headers over the limit are refused and idle connections bounded.
func TestAPIServerLimitsIdleClients(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	limitIdle(srv)
	if srv.IdleTimeout <= 0 || srv.IdleTimeout > 5*time.Minute {
		t.Errorf("IdleTimeout %s: want a bound of a few minutes", srv.IdleTimeout)
	}
	ts := httptest.NewUnstartedServer(srv.Handler)
	ts.Config = srv
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers: %d, want 431", resp.StatusCode)
	}
}
