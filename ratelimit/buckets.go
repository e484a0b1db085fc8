package ratelimit

import (
	"sync"
	"time"
)

// buckets holds one token bucket per key (an address, a token id, a
// session). It is a small token bucket of its own rather than
// golang.org/x/time/rate's, which cannot give a token back (a sign-in that
// succeeded) once the instant it was taken has passed.
type buckets struct {
	perSecond float64
	burst     float64

	mu        sync.Mutex
	byKey     map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was counted
}

// maxBuckets bounds the memory a flood of forged token ids or session
// cookies can claim; past it, buckets are dropped at once, idle ones first.
const maxBuckets = 100_000

func newBuckets(r Rate) *buckets {
	if r.Requests <= 0 || r.Per <= 0 {
		return nil
	}
	return &buckets{perSecond: float64(r.Requests) / r.Per.Seconds(), burst: float64(r.Requests), byKey: map[string]*bucket{}}
}

// take takes a token of key's bucket, or says how long until there is one.
func (b *buckets) take(key string, now time.Time) (bool, time.Duration) {
	if b == nil || key == "" {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweep(now)
	k := b.refill(key, now)
	if k.tokens >= 1 {
		k.tokens--
		return true, 0
	}
	return false, time.Duration((1 - k.tokens) / b.perSecond * float64(time.Second))
}

// giveBack returns a token taken from key's bucket.
func (b *buckets) giveBack(key string, now time.Time) {
	if b == nil || key == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.refill(key, now)
	k.tokens = min(b.burst, k.tokens+1)
}

// refill brings key's bucket up to now; a new bucket is full.
func (b *buckets) refill(key string, now time.Time) *bucket {
	k := b.byKey[key]
	if k == nil {
		k = &bucket{tokens: b.burst, at: now}
		b.byKey[key] = k
	}
	if now.After(k.at) {
		k.tokens = min(b.burst, k.tokens+now.Sub(k.at).Seconds()*b.perSecond)
		k.at = now
	}
	return k
}

// sweep drops buckets that are full again: a new bucket is the same.
func (b *buckets) sweep(now time.Time) {
	if now.Sub(b.lastSweep) < time.Minute && len(b.byKey) < maxBuckets {
		return
	}
	b.lastSweep = now
	full := time.Duration(b.burst/b.perSecond*float64(time.Second)) + time.Second
	for key, k := range b.byKey {
		if now.Sub(k.at) > full {
			delete(b.byKey, key)
		}
	}
	for key := range b.byKey {
		if len(b.byKey) < maxBuckets {
			break
		}
		delete(b.byKey, key)
	}
}
