// Package ratelimit is the one limiter in front of the JSON API and the
// pages: requests per client address, per bearer token and per browser
// session, and failed sign-ins per client address. It decides from the
// request alone (no database, no authentication), so a flood costs a map
// lookup per request; each adapter answers a refusal its own way (JSON,
// a Dutch page), with Retry-After. The client address is the peer's, or,
// behind a trusted proxy, the one X-Forwarded-For names (Proxies).
package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/apitoken"
)

// Rate is a limit of Requests per Per, with bursts of up to Requests.
// The zero Rate means the default; NoLimit means none.
type Rate struct {
	Requests int
	Per      time.Duration
}

// NoLimit is a Rate that limits nothing.
var NoLimit = Rate{Requests: -1}

// Default rates, for a limit Config leaves zero: generous for a coach on a
// phone or a partner's batch, small for a guessing loop. A sign-in that
// fails writes an audit entry, so few may fail.
var (
	DefaultAddressRate = Rate{Requests: 600, Per: time.Minute}
	DefaultTokenRate   = Rate{Requests: 300, Per: time.Minute}
	DefaultSessionRate = Rate{Requests: 300, Per: time.Minute}
	DefaultSignInRate  = Rate{Requests: 10, Per: time.Minute}
)

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

func (r Rate) or(fallback Rate) Rate {
	if r == (Rate{}) {
		return fallback
	}
	return r
}

// Config sets the limits; a zero Rate is its default.
type Config struct {
	PerAddress Rate // requests per client address
	PerToken   Rate // requests per bearer token
	PerSession Rate // requests per browser session (SessionCookie)
	// SignIns are the failed sign-ins per client address.
	SignIns Rate
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies Proxies
	// SessionCookie is the name of the browser session's cookie.
	SessionCookie string
}

// Limiter holds the buckets. One Limiter serves the API and the pages, so
// a client has one budget over both.
type Limiter struct {
	proxies   Proxies
	cookie    string
	byAddress *buckets // nil: no limit
	byToken   *buckets
	bySession *buckets
	signIns   *buckets
}

// New makes a Limiter.
func New(cfg Config) *Limiter {
	return &Limiter{
		proxies:   cfg.TrustedProxies,
		cookie:    cfg.SessionCookie,
		byAddress: newBuckets(cfg.PerAddress.or(DefaultAddressRate)),
		byToken:   newBuckets(cfg.PerToken.or(DefaultTokenRate)),
		bySession: newBuckets(cfg.PerSession.or(DefaultSessionRate)),
		signIns:   newBuckets(cfg.SignIns.or(DefaultSignInRate)),
	}
}

// Refusal says which limit a request is over and how long to wait.
type Refusal struct {
	// Limit is "address", "token", "session" or "sign-in".
	Limit string
	Wait  time.Duration
}

// RetryAfter is Wait in whole seconds, at least 1: the Retry-After header.
func (r Refusal) RetryAfter() int { return max(1, int(math.Ceil(r.Wait.Seconds()))) }

// SetRetryAfter sets the Retry-After header of the refusal's 429.
func (r Refusal) SetRetryAfter(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(r.RetryAfter()))
}

// Allow takes one request from each budget the request draws on: its
// client address, then its bearer token and its session cookie when it
// carries them. A refused request takes nothing from the budgets after
// the one that refused it.
func (l *Limiter) Allow(r *http.Request) (bool, Refusal) {
	return l.allow(r, time.Now())
}

func (l *Limiter) allow(r *http.Request, now time.Time) (bool, Refusal) {
	ok, refusal, _ := l.allowQuotas(r, now)
	return ok, refusal
}

// allowQuotas is allow, with what each limit the request drew on has left.
func (l *Limiter) allowQuotas(r *http.Request, now time.Time) (bool, Refusal, []Quota) {
	var quotas []Quota
	for _, c := range []struct {
		limit string
		set   *buckets
		key   string
	}{
		{"address", l.byAddress, l.addressKey(r)},
		{"token", l.byToken, tokenKey(r)},
		{"session", l.bySession, l.sessionKey(r)},
	} {
		ok, wait := c.set.take(c.key, now)
		if q, known := c.set.quota(c.limit, c.key, now); known {
			quotas = append(quotas, q)
		}
		if !ok {
			return false, Refusal{Limit: c.limit, Wait: wait}, quotas
		}
	}
	return true, Refusal{}, quotas
}

// Attempt is a sign-in taken from its client address's budget of
// failures. A sign-in that does not fail on its token gives it back
// (Refund), so only failures, each an audit entry, use the budget up; it
// is taken before the token is checked, so attempts at once cannot
// overdraw it.
type Attempt struct {
	l   *Limiter
	key string
}

// SignIn takes a sign-in attempt of the request's client address, or
// refuses it when the address failed too often.
func (l *Limiter) SignIn(r *http.Request) (Attempt, bool, Refusal) {
	key := l.addressKey(r)
	if ok, wait := l.signIns.take(key, time.Now()); !ok {
		return Attempt{}, false, Refusal{Limit: "sign-in", Wait: wait}
	}
	return Attempt{l: l, key: key}, true, Refusal{}
}

// Refund gives the attempt back: the sign-in succeeded, or could not be
// checked (the database did not answer).
func (a Attempt) Refund() {
	if a.l != nil {
		a.l.signIns.giveBack(a.key, time.Now())
	}
}

// ClientAddress is the address the limiter counts a request under, which
// the audit log names too (see Proxies.ClientAddress).
func (l *Limiter) ClientAddress(r *http.Request) string { return l.proxies.ClientAddress(r) }

func (l *Limiter) addressKey(r *http.Request) string {
	a, ok := l.proxies.clientAddr(r)
	if !ok {
		return peerHost(r.RemoteAddr)
	}
	return addressKey(a)
}

// tokenKey names the bearer token a request carries, by its public id,
// without looking it up; "" when there is none.
func tokenKey(r *http.Request) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return apitoken.ID(strings.TrimSpace(token))
}

// sessionKey names the browser session a request carries by a hash of its
// id, so the limiter's memory holds no session id; "" when there is none.
func (l *Limiter) sessionKey(r *http.Request) string {
	if l.cookie == "" {
		return ""
	}
	c, err := r.Cookie(l.cookie)
	if err != nil || c.Value == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(c.Value))
	return hex.EncodeToString(sum[:16])
}

// DefaultRequestRate bounds the requests a family sends from its page
// (another date for an appointment) per link: a few a day reach the coach,
// a stuck button or a script does not flood them.
var DefaultRequestRate = Rate{Requests: 5, Per: 24 * time.Hour}

// Keyed limits requests per key the caller names (a family page link),
// beside the limits of every request.
type Keyed struct {
	limit string
	set   *buckets
}

// NewKeyed makes a Keyed limit named limit (Refusal.Limit) at rate r.
func NewKeyed(limit string, r Rate) *Keyed {
	return &Keyed{limit: limit, set: newBuckets(r)}
}

// Allow takes one request from key's budget, or says how long to wait.
func (k *Keyed) Allow(key string) (bool, Refusal) {
	if ok, wait := k.set.take(key, time.Now()); !ok {
		return false, Refusal{Limit: k.limit, Wait: wait}
	}
	return true, Refusal{}
}
