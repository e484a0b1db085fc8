package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// unreachableTemporal is a client for a port nothing listens on.
func unreachableTemporal(t *testing.T) client.Client {
	t.Helper()
	c, err := client.NewLazyClient(client.Options{
		HostPort: "127.0.0.1:1",
		Logger:   tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestUnknownPathIsJSON404(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/", "/v1", "/v2/referrals", "/v1/trajectories/" + openID + "/births", "/v1/referrals/", "/v1/handovers/", "/v1/handovers"} {
		res := f.do(http.MethodGet, path, nil)
		res.want(t, http.StatusNotFound)
		if res.err.Code != CodeNotFound {
			t.Errorf("%s: %+v", path, res.err)
		}
	}
}

func TestWrongMethodIsJSON405(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ method, path, allow string }{
		{http.MethodPut, "/v1/referrals/" + openID, "GET"},
		{http.MethodDelete, "/v1/trajectories/" + openID, "GET"},
		{http.MethodGet, "/v1/trajectories/" + openID + "/closure", "POST"},
		{http.MethodPost, "/healthz", "GET"},
		{http.MethodPut, "/v1/trajectories", "GET"},
		{http.MethodGet, "/v1/trajectories/" + openID + "/birth", "POST"},
		{http.MethodPost, "/v1/handovers/some-token", "GET"},
		{http.MethodGet, "/v1/handovers/some-token/acknowledgement", "POST"},
	}
	for _, tc := range cases {
		res := f.do(tc.method, tc.path, nil)
		res.want(t, http.StatusMethodNotAllowed)
		if res.err.Code != CodeMethodNotAllowed || !strings.Contains(res.err.Detail, tc.allow) {
			t.Errorf("%s %s: %+v", tc.method, tc.path, res.err)
		}
		if got := res.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

type panickingAuth struct{}

func (panickingAuth) Authenticate(r *http.Request) (usecase.Principal, error) {
	panic("authenticator bug")
}

func TestPanicBecomesJSON500(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Auth = panickingAuth{} })
	res := f.do(http.MethodGet, "/v1/trajectories", nil)
	res.want(t, http.StatusInternalServerError)
	if res.err.Code != CodeInternalError {
		t.Errorf("error %+v", res.err)
	}
	if !strings.Contains(f.logs.String(), "authenticator bug") {
		t.Errorf("the panic is not logged: %s", f.logs.String())
	}
	// Still serving.
	f.do(http.MethodGet, "/healthz", nil).want(t, http.StatusOK)
	f.do(http.MethodGet, "/v1/trajectories", nil).want(t, http.StatusInternalServerError)
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Temporal = unreachableTemporal(t) })
	f.store.pingErr = errors.New("down")
	res := f.do(http.MethodGet, "/healthz", nil)
	res.want(t, http.StatusOK)
	if got := strings.TrimSpace(string(res.body)); got != `{"status":"ok"}` {
		t.Errorf("body %s", got)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestReadyzChecksOncePerInterval: a burst of probes costs PostgreSQL and
// Temporal one check; the probes that come while it runs wait for it.
func TestReadyzChecksOncePerInterval(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
			rec := httptest.NewRecorder()
			f.handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("probe: %d", rec.Code)
			}
		})
	}
	wg.Wait()
	if p, h := f.store.pings.Load(), f.temporal.healths.Load(); p != 1 || h != 1 {
		t.Errorf("50 probes pinged PostgreSQL %d times and Temporal %d times, want once each", p, h)
	}
	f.do(http.MethodGet, "/healthz", nil).want(t, http.StatusOK)
	if p := f.store.pings.Load(); p != 1 {
		t.Errorf("/healthz pinged PostgreSQL")
	}
}

// TestReadinessCache: a check is kept for readyCacheOK, a failed one for
// readyCacheDown; then the next probe checks again.
func TestReadinessCache(t *testing.T) {
	var c readiness
	calls, down := 0, []string(nil)
	check := func(context.Context) (map[string]string, []string) {
		calls++
		return map[string]string{"postgresql": "ok"}, down
	}
	c.get(t.Context(), check)
	c.get(t.Context(), check)
	if calls != 1 {
		t.Fatalf("%d checks, want 1", calls)
	}
	c.checked = time.Now().Add(-readyCacheOK)
	down = []string{"PostgreSQL"}
	if _, d := c.get(t.Context(), check); calls != 2 || len(d) != 1 {
		t.Fatalf("after %s: %d checks, down %v; want a second check", readyCacheOK, calls, d)
	}
	c.checked = time.Now().Add(-readyCacheDown + 100*time.Millisecond)
	c.get(t.Context(), check)
	if calls != 2 {
		t.Errorf("a failed check was not kept for %s", readyCacheDown)
	}
	c.checked = time.Now().Add(-readyCacheDown)
	c.get(t.Context(), check)
	if calls != 3 {
		t.Errorf("a failed check was kept past %s", readyCacheDown)
	}
}

func TestReadyz(t *testing.T) {
	t.Run("ready", func(t *testing.T) {
		f := newFixture(t)
		res := f.do(http.MethodGet, "/readyz", nil)
		res.want(t, http.StatusOK)
		var h Health
		res.decode(t, &h)
		if h.Status != "ok" || h.Checks["temporal"] != "ok" || h.Checks["postgresql"] != "ok" {
			t.Errorf("body %s", res.body)
		}
	})
	t.Run("PostgreSQL down", func(t *testing.T) {
		f := newFixture(t)
		f.store.pingErr = errors.New("ping database: failed to connect to `host=db user=elkgezin`")
		res := f.do(http.MethodGet, "/readyz", nil)
		res.want(t, http.StatusServiceUnavailable)
		if res.header.Get("Retry-After") == "" {
			t.Error("a 503 without Retry-After")
		}
		var body NotReady
		res.decode(t, &body)
		if !strings.Contains(body.Detail, "PostgreSQL") || strings.Contains(body.Detail, "Temporal") ||
			body.Checks["temporal"] != "ok" || body.Checks["postgresql"] == "ok" || strings.Contains(string(res.body), "host=db") {
			t.Errorf("body %s", res.body)
		}
	})
	t.Run("Temporal unreachable", func(t *testing.T) {
		f := newFixture(t, func(c *Config) { c.Temporal = unreachableTemporal(t) })
		start := time.Now()
		res := f.do(http.MethodGet, "/readyz", nil)
		if d := time.Since(start); d > readyTimeout+time.Second {
			t.Errorf("readyz took %s", d)
		}
		res.want(t, http.StatusServiceUnavailable)
		var body NotReady
		res.decode(t, &body)
		if !strings.Contains(body.Detail, "Temporal") || strings.Contains(body.Detail, "PostgreSQL") ||
			body.Checks["temporal"] == "ok" || body.Checks["postgresql"] != "ok" {
			t.Errorf("body %s", res.body)
		}
	})
}

func TestTemporalUnreachableIs503(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	f := newFixture(t, func(c *Config) {
		c.Temporal = unreachableTemporal(t)
		c.Timeout = timeout
	})
	f.store.add(openID, trajectory.PhaseInSupport)

	start := time.Now()
	res := f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	res.want(t, http.StatusServiceUnavailable)
	if d := time.Since(start); d > timeout+200*time.Millisecond {
		t.Errorf("the referral took %s with a timeout of %s", d, timeout)
	}
	if res.err.Code != CodeWorkflowUnavailable {
		t.Errorf("error %+v", res.err)
	}

	start = time.Now()
	res = f.do(http.MethodPost, stepPath("visits"), `{}`, authHeader, asCoach, IdempotencyKeyHeader, "retry-me")
	res.want(t, http.StatusServiceUnavailable)
	if d := time.Since(start); d > timeout+200*time.Millisecond {
		t.Errorf("the step took %s with a timeout of %s", d, timeout)
	}
	want := Problem{Code: CodeWorkflowUnavailable, Detail: "the workflow service did not answer in time; the step may not be recorded: retry with the same Idempotency-Key"}
	if res.err.Code != want.Code || res.err.Detail != want.Detail {
		t.Errorf("answered %+v, want %+v", res.err, want)
	}
}

func TestTimeoutBackstop(t *testing.T) {
	const timeout = 300 * time.Millisecond
	f := newFixture(t, func(c *Config) { c.Timeout = timeout })
	f.store.add(openID, trajectory.PhaseInSupport)
	f.store.readDelay = 2 * time.Second // deaf to its context
	start := time.Now()
	res := f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach)
	res.want(t, http.StatusServiceUnavailable)
	if d := time.Since(start); d > timeout+200*time.Millisecond {
		t.Errorf("answered after %s with a timeout of %s", d, timeout)
	}
	if res.err.Code != CodeTimeout {
		t.Errorf("error %+v", res.err)
	}
}

func TestRequestLog(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner).want(t, http.StatusCreated)
	f.do(http.MethodGet, "/v1/trajectories?cursor=SECRETCURSOR&coach=coach-xyz", nil, authHeader, asSupervisor).want(t, http.StatusBadRequest)
	f.do(http.MethodPost, stepPath("visits"), `{"note":"Moeder is depressief."}`, authHeader, asCoach).want(t, http.StatusOK)
	f.do(http.MethodGet, "/v1/no/Fatima-Testfamilie", nil).want(t, http.StatusNotFound)

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "http request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 4 {
		t.Fatalf("%d request lines: %s", len(lines), f.logs.String())
	}
	want := []struct{ method, route, status, actor string }{
		{"POST", "/v1/referrals", "201", "partner:test-partner"},
		{"GET", "/v1/trajectories", "400", "supervisor:sup-vilvoorde"},
		{"POST", "/v1/trajectories/{id}/visits", "200", "coach:test-coach"},
		{"GET", "(no route)", "404", ""},
	}
	for i, w := range want {
		l := lines[i]
		got := struct{ method, route, status, actor string }{toString(l["method"]), toString(l["route"]), toString(l["status"]), toString(l["actor"])}
		if got != w {
			t.Errorf("line %d: %+v, want %+v", i, got, w)
		}
		if _, ok := l["duration"]; !ok {
			t.Errorf("line %d has no duration", i)
		}
	}
	if lines[2]["trajectory_id"] != openID {
		t.Errorf("step line %v lacks the trajectory id", lines[2])
	}
	logs := f.logs.String()
	for _, secret := range []string{familyName, "Fatima", "Zwangerschap", "SECRETCURSOR", "coach-xyz", "depressief", "KG/2025", "-token"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q: %s", secret, logs)
		}
	}
}

func toString(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func TestNewHandlerNeedsItsParts(t *testing.T) {
	full := func() Config {
		return Config{Programmes: testCatalogue(), Services: testServices(), Links: testSigner(), IDKey: testIDKey,
			Temporal: &fakeTemporal{}, Store: newFakeStore(), Auth: TokenAuthenticator{Store: newFakeTokens()}, Audit: &fakeAuditor{},
			Sessions: newFakeSessions(newFakeTokens()).manager()}
	}
	NewHandler(full()) // complete: no panic
	for name, drop := range map[string]func(*Config){
		"no programmes": func(c *Config) { c.Programmes = nil },
		"no services":   func(c *Config) { c.Services = nil },
		"no links":      func(c *Config) { c.Links = nil },
		"no id key":     func(c *Config) { c.IDKey = trajectory.IDKey{} },
		"no temporal":   func(c *Config) { c.Temporal = nil },
		"no store":      func(c *Config) { c.Store = nil },
		"no auth":       func(c *Config) { c.Auth = nil },
		"no audit":      func(c *Config) { c.Audit = nil },
		"no sessions":   func(c *Config) { c.Sessions = nil },
	} {
		cfg := full()
		drop(&cfg)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewHandler did not panic", name)
				}
			}()
			NewHandler(cfg)
		}()
	}
}
