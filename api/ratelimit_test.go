package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestRateLimits(t *testing.T) {
	limits := func(c *Config) {
		c.RateLimit = RateLimit{PerAddress: Rate{Requests: 5, Per: time.Minute}, PerToken: Rate{Requests: 3, Per: time.Minute}}
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
		var e Error
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error != "too many requests" || e.Detail == "" {
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

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{"600/1m": {600, time.Minute}, "10/1s": {10, time.Second}, "off": NoLimit} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "600", "0/1m", "x/1m", "10/minute"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
