package ratelimit

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// Quota is what one limit a request drew on has left, for the RateLimit
// and RateLimit-Policy header fields (draft-ietf-httpapi-ratelimit-headers):
// the policy is Requests per Window; Remaining requests may follow at once,
// and the bucket is full again in Reset.
type Quota struct {
	Policy    string // "address", "token" or "session"
	Requests  int
	Window    time.Duration
	Remaining int
	Reset     time.Duration
}

// AllowQuotas is Allow that also says what each limit the request drew on
// has left (none for a limit that is off).
func (l *Limiter) AllowQuotas(r *http.Request) (bool, Refusal, []Quota) {
	return l.allowQuotas(r, time.Now())
}

// quota is what key's bucket has left at now; false when the limit is off
// or the request has no such key.
func (b *buckets) quota(policy, key string, now time.Time) (Quota, bool) {
	if b == nil || key == "" {
		return Quota{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.refill(key, now)
	window := time.Duration(b.burst / b.perSecond * float64(time.Second))
	reset := time.Duration((b.burst - k.tokens) / b.perSecond * float64(time.Second))
	return Quota{Policy: policy, Requests: int(b.burst), Window: window, Remaining: int(math.Floor(k.tokens)), Reset: reset}, true
}

// SetHeaders sets RateLimit-Policy and RateLimit for quotas, as structured
// field lists: `"token";q=300;w=60` and `"token";r=299;t=1`, seconds
// rounded up.
func SetHeaders(w http.ResponseWriter, quotas []Quota) {
	if len(quotas) == 0 {
		return
	}
	policies, states := make([]string, len(quotas)), make([]string, len(quotas))
	for i, q := range quotas {
		policies[i] = fmt.Sprintf("%q;q=%d;w=%d", q.Policy, q.Requests, ceilSeconds(q.Window))
		states[i] = fmt.Sprintf("%q;r=%d;t=%d", q.Policy, max(0, q.Remaining), ceilSeconds(q.Reset))
	}
	w.Header().Set("RateLimit-Policy", strings.Join(policies, ", "))
	w.Header().Set("RateLimit", strings.Join(states, ", "))
}

func ceilSeconds(d time.Duration) int64 { return int64(math.Ceil(d.Seconds())) }
