package ratelimit

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Each limit a request draws on is reported with its quota, what is left
// and when it is full again; a refused request reports the limit that
// refused it as spent.
func TestQuotaHeaders(t *testing.T) {
	l := New(Config{PerAddress: Rate{Requests: 3, Per: time.Minute}, PerToken: Rate{Requests: 2, Per: 10 * time.Second}})
	r := request("203.0.113.7:5000", "Authorization", "Bearer tok_abcdefgh."+strings.Repeat("A", 43))
	for i, want := range []struct{ policy, state string }{
		{`"address";q=3;w=60, "token";q=2;w=10`, `"address";r=2;t=20, "token";r=1;t=5`},
		{`"address";q=3;w=60, "token";q=2;w=10`, `"address";r=1;t=40, "token";r=0;t=10`},
	} {
		ok, _, quotas := l.AllowQuotas(r)
		rec := httptest.NewRecorder()
		SetHeaders(rec, quotas)
		if !ok || rec.Header().Get("RateLimit-Policy") != want.policy || rec.Header().Get("RateLimit") != want.state {
			t.Errorf("request %d: %v %q / %q; want %q / %q", i+1, ok, rec.Header().Get("RateLimit-Policy"), rec.Header().Get("RateLimit"), want.policy, want.state)
		}
	}
	ok, why, quotas := l.AllowQuotas(r)
	rec := httptest.NewRecorder()
	SetHeaders(rec, quotas)
	if ok || why.Limit != "token" || rec.Header().Get("RateLimit") != `"address";r=0;t=60, "token";r=0;t=10` {
		t.Errorf("refused: %v %+v %q", ok, why, rec.Header().Get("RateLimit"))
	}
}
