package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"elkgezin/session"
	"elkgezin/store"
)

// Rate is a limit of Requests per Per, with bursts of up to Requests.
// The zero Rate means the default; NoLimit means none.
type Rate struct {
	Requests int
	Per      time.Duration
}

// NoLimit is a Rate that limits nothing.
var NoLimit = Rate{Requests: -1}

// Default rate limits, when Config.RateLimit leaves one zero: generous
// for a coach on a phone or a partner's batch, small for a guessing loop.
var (
	DefaultAddressRate = Rate{Requests: 600, Per: time.Minute}
	DefaultTokenRate   = Rate{Requests: 300, Per: time.Minute}
)

// RateLimit bounds requests per client address and per token; a request
// over either gets 429 with Retry-After. Health checks are not limited.
type RateLimit struct {
	PerAddress Rate
	PerToken   Rate
}

// ParseRate reads a rate such as "600/1m" or "10/1s", or "off" (NoLimit).
func ParseRate(s string) (Rate, error) {
	if s == "off" {
		return NoLimit, nil
	}
	n, per, ok := strings.Cut(s, "/")
	requests, err1 := strconv.Atoi(n)
	d, err2 := time.ParseDuration(per)
	if !ok || err1 != nil || err2 != nil || requests < 1 || d <= 0 {
		return Rate{}, fmt.Errorf("rate %q: want requests/period, such as 600/1m or 10/1s, or off", s)
	}
	return Rate{Requests: requests, Per: d}, nil
}

func cmpOr(r, fallback Rate) Rate {
	if r == (Rate{}) {
		return fallback
	}
	return r
}

// limiterSet holds one token bucket per key (an address, a token id).
type limiterSet struct {
	rate  rate.Limit
	burst int

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxBuckets bounds the memory a flood of forged addresses or token ids
// can claim; past it, idle buckets are dropped at once.
const maxBuckets = 100_000

func newLimiterSet(r Rate) *limiterSet {
	if r.Requests <= 0 || r.Per <= 0 {
		return nil
	}
	return &limiterSet{rate: rate.Limit(float64(r.Requests) / r.Per.Seconds()), burst: r.Requests, buckets: map[string]*bucket{}}
}

// allow takes one request for key, or says how long until one is allowed.
func (l *limiterSet) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || key == "" {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	r := b.lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

// sweep drops buckets idle long enough to be full again: a new bucket is
// the same as theirs.
func (l *limiterSet) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute && len(l.buckets) < maxBuckets {
		return
	}
	l.lastSweep = now
	full := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Second
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full || len(l.buckets) >= maxBuckets {
			delete(l.buckets, k)
		}
	}
}

// limitRate answers 429 to a client address or token over its limit,
// before anything else is done for the request (no authentication, no
// database): a flood costs the server a map lookup per request.
func (s *server) limitRate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathHealthz || r.URL.Path == pathReadyz {
			next.ServeHTTP(w, r)
			return
		}
		now := time.Now()
		ok, wait := s.byAddress.allow(clientAddress(r), now)
		what := "from your address"
		if ok {
			ok, wait = s.byToken.allow(requestTokenID(r), now)
			what = "with your token"
		}
		if !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, "too many requests",
				fmt.Sprintf("too many requests %s in a short time; wait %d seconds (Retry-After) and try again", what, secs))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddress is the address the request came from (the proxy's, behind
// a reverse proxy).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requestTokenID names the credential a request carries, without looking
// it up: the bearer token's public id, or a browser session (by a hash of
// its id, never the id itself); "" when there is none.
func requestTokenID(r *http.Request) string {
	if token, ok := bearer(r.Header.Get("Authorization")); ok {
		return store.TokenID(token)
	}
	if c, err := r.Cookie(session.CookieName); err == nil {
		sum := sha256.Sum256([]byte(c.Value))
		return "session:" + hex.EncodeToString(sum[:8])
	}
	return ""
}
