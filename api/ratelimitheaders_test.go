package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/ratelimit"
)

// Every limited answer, a 200 as a 429, says the limits it drew on and
// what is left of them; health checks are not limited and say nothing.
func TestRateLimitHeaders(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Limiter = ratelimit.New(ratelimit.Config{PerAddress: ratelimit.Rate{Requests: 2, Per: time.Minute},
			PerToken: ratelimit.Rate{Requests: 100, Per: time.Minute}})
	})
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = "203.0.113.9:40000"
		req.Header.Set("Authorization", asSupervisor)
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		return rec
	}
	rec := get("/v1/trajectories")
	if rec.Code != http.StatusOK || rec.Header().Get("RateLimit-Policy") != `"address";q=2;w=60` ||
		rec.Header().Get("RateLimit") != `"address";r=1;t=30` {
		t.Errorf("first: %d policy %q, state %q", rec.Code, rec.Header().Get("RateLimit-Policy"), rec.Header().Get("RateLimit"))
	}
	get("/v1/trajectories")
	rec = get("/v1/trajectories")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("RateLimit") != `"address";r=0;t=60` {
		t.Errorf("refused: %d state %q", rec.Code, rec.Header().Get("RateLimit"))
	}
	if rec := get(pathHealthz); rec.Header().Get("RateLimit") != "" {
		t.Errorf("health check: %q", rec.Header().Get("RateLimit"))
	}
}
