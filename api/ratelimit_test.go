package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/ratelimit"
)

func TestRateLimits(t *testing.T) {
	limits := func(c *Config) {
		c.Limiter = ratelimit.New(ratelimit.Config{
			PerAddress: ratelimit.Rate{Requests: 5, Per: time.Minute}, PerToken: ratelimit.Rate{Requests: 3, Per: time.Minute},
			PerSession: ratelimit.Rate{Requests: 2, Per: time.Minute}, SessionCookie: c.Sessions.CookieName(),
		})
	}
	f := newFixture(t, limits)
	get := func(addr, auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/v1/trajectories", nil)
		req.RemoteAddr = addr + ":40000"
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		return rec
	}
	check429 := func(rec *httptest.ResponseRecorder, what string) {
		t.Helper()
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("%s: %d, want 429", what, rec.Code)
		}
		if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Errorf("%s: Retry-After %q, want whole seconds", what, rec.Header().Get("Retry-After"))
		}
		var e Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != CodeTooManyRequests || e.Detail == "" ||
			rec.Header().Get("Content-Type") != ProblemContentType {
			t.Errorf("%s: body %s", what, rec.Body)
		}
	}

	// Per address: five, unauthenticated, then 429 before any token lookup.
	for i := range 5 {
		if rec := get("192.0.2.10", ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("request %d: %d", i+1, rec.Code)
		}
	}
	calls := f.tokens.calls
	check429(get("192.0.2.10", ""), "sixth request from one address")
	check429(get("192.0.2.10", asSupervisor), "a token does not lift the address limit")
	if f.tokens.calls != calls {
		t.Error("a request over the limit was authenticated: the limit must come first")
	}
	if rec := get("192.0.2.11", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("another address: %d, want its own budget", rec.Code)
	}

	// Per token: three, from three addresses, then 429 from a fourth.
	token := "Bearer tok_abcdefgh." + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for i := range 3 {
		if rec := get("198.51.100."+strconv.Itoa(i+1), token); rec.Code == http.StatusTooManyRequests {
			t.Fatalf("token request %d: 429 too early", i+1)
		}
	}
	check429(get("198.51.100.9", token), "fourth request with one token")

	// Per session: two, from two addresses, then 429 from a third.
	session := func(addr string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/codec/decode", strings.NewReader(`{"payloads":[]}`))
		req.RemoteAddr = addr + ":40000"
		req.AddCookie(&http.Cookie{Name: f.sessions.CookieName(), Value: "session-of-someone"})
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		return rec
	}
	for i := range 2 {
		if rec := session("203.0.113." + strconv.Itoa(i+1)); rec.Code == http.StatusTooManyRequests {
			t.Fatalf("session request %d: 429 too early", i+1)
		}
	}
	check429(session("203.0.113.9"), "third request in one session")

	// Health checks are never limited.
	for range 10 {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.RemoteAddr = "192.0.2.10:40000"
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("/healthz from a limited address: %d", rec.Code)
		}
	}
}

// TestAuditNamesTheClientBehindTheProxy: behind a trusted proxy, the count
// of unauthenticated requests names the client's address, not the proxy's.
func TestAuditNamesTheClientBehindTheProxy(t *testing.T) {
	proxies, err := ratelimit.ParseProxies("10.244.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, shortDenialWindow, func(c *Config) {
		c.Limiter = ratelimit.New(ratelimit.Config{TrustedProxies: proxies})
	})
	req := httptest.NewRequest(http.MethodGet, "/v1/trajectories", nil)
	req.RemoteAddr = "10.244.7.1:40000"
	req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.50")
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("%d, want 401", rec.Code)
	}
	if e := waitDenials(t, f.audit.all); e.Detail["address"] != "203.0.113.50" {
		t.Errorf("audit entry names %q, want the client 203.0.113.50", e.Detail["address"])
	}
}
