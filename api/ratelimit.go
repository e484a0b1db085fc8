package api

import (
	"fmt"
	"net/http"

	"github.com/elkgezin/elkgezin/ratelimit"
)

// limitRate answers 429 to a request over the limits of its client
// address, token or session (package ratelimit, shared with the pages),
// before anything else is done for it (no authentication, no database).
// Health checks are not limited: /readyz answers from its cache. Every
// limited answer carries RateLimit-Policy and RateLimit (the IETF draft's
// header fields): each limit the request drew on, its quota and window,
// and what is left and when it is full again.
func (s *server) limitRate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathHealthz || r.URL.Path == pathReadyz {
			next.ServeHTTP(w, r)
			return
		}
		ok, why, quotas := s.limiter.AllowQuotas(r)
		// Every answer says what is left, so a client can slow down
		// before it is refused.
		ratelimit.SetHeaders(w, quotas)
		if !ok {
			why.SetRetryAfter(w)
			writeError(w, r, CodeTooManyRequests,
				fmt.Sprintf("too many requests %s in a short time; wait %d seconds (Retry-After) and try again", limitName[why.Limit], why.RetryAfter()))
			return
		}
		next.ServeHTTP(w, r)
	})
}

var limitName = map[string]string{
	"address": "from your address",
	"token":   "with your token",
	"session": "in your browser session",
}

// clientAddress is the address the request came from, as the limiter
// reads it (behind a trusted proxy, from X-Forwarded-For).
func (s *server) clientAddress(r *http.Request) string { return s.limiter.ClientAddress(r) }

// newLimiter is the limiter of a Config that names none: the default
// limits, counting the sessions' cookie.
func newLimiter(cfg Config) *ratelimit.Limiter {
	if cfg.Limiter != nil {
		return cfg.Limiter
	}
	return ratelimit.New(ratelimit.Config{SessionCookie: cfg.Sessions.CookieName()})
}
