package store

import (
	"crypto/sha256"
	"slices"
	"sync"
	"time"
)

// Defaults of the token cache (WithTokenCache).
const (
	// DefaultTokenCacheTTL is how long a verified token is believed
	// without asking the database: the longest a revocation made by
	// another process (elkgezin token revoke) takes to bite.
	DefaultTokenCacheTTL = 5 * time.Second
	// DefaultTokenCacheSize bounds the cache: far more tokens than a
	// region's people use within one TTL.
	DefaultTokenCacheSize = 10000
)

// tokenCache remembers tokens AuthenticateToken verified, for a short TTL,
// so that a request does not cost a database round trip for its token.
// It is keyed by the SHA-256 of the whole token, never the token: a memory
// dump shows what the database holds, not a credential. Only successes are
// kept; a refused token is asked about every time.
type tokenCache struct {
	ttl time.Duration
	max int
	now func() time.Time // time.Now; tests move it

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	info TokenInfo
	// until is when the entry stops counting: the TTL after the lookup, or
	// the token's expiry by the database's clock if that is sooner.
	until time.Time
}

func newTokenCache(ttl time.Duration, max int) *tokenCache {
	if max <= 0 {
		max = DefaultTokenCacheSize
	}
	return &tokenCache{ttl: ttl, max: max, now: time.Now, entries: map[[sha256.Size]byte]cachedToken{}}
}

func (c *tokenCache) get(sum [sha256.Size]byte) (TokenInfo, bool) {
	if c == nil {
		return TokenInfo{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sum]
	if !ok {
		return TokenInfo{}, false
	}
	if !c.now().Before(e.until) {
		delete(c.entries, sum)
		return TokenInfo{}, false
	}
	info := e.info
	info.Programmes = slices.Clone(info.Programmes)
	return info, true
}

// put keeps info, verified by a lookup that started at asked; untilExpiry
// is how long the token had left by the database's clock (nil: it never
// expires). Measured from before the query was sent, the entry ends no
// later than the expiry the database decides, whatever the clocks say.
func (c *tokenCache) put(sum [sha256.Size]byte, info TokenInfo, asked time.Time, untilExpiry *time.Duration) {
	if c == nil || c.ttl <= 0 {
		return
	}
	until := asked.Add(c.ttl)
	if untilExpiry != nil {
		until = minTime(until, asked.Add(*untilExpiry))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !now.Before(until) {
		return
	}
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		// Still full: drop any one (map order is random), rather than grow.
		for k := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	info.Programmes = slices.Clone(info.Programmes)
	c.entries[sum] = cachedToken{info: info, until: until}
}

// forget drops the token with this public id, at once.
func (c *tokenCache) forget(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.info.ID == id {
			delete(c.entries, k)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// WithTokenCache returns a Store on the same pool and keys whose
// AuthenticateToken believes a token it verified for ttl without asking
// the database again (at most max tokens; DefaultTokenCacheSize when max
// is 0). A revocation through this Store (RevokeToken) takes effect at
// once; one made by another process, within ttl. Expiry is exact: an
// entry never outlives the token's expires_at. ttl <= 0 caches nothing.
func (s *Store) WithTokenCache(ttl time.Duration, max int) *Store {
	c := *s
	c.tokens = nil
	if ttl > 0 {
		c.tokens = newTokenCache(ttl, max)
	}
	return &c
}
