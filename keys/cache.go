package keys

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultCacheSize bounds the keys a vault keeps unless KeepServed says
// otherwise: the SDK's default workflow cache.
const DefaultCacheSize = 10000

// staleLookupTimeout bounds the lookup of a key the vault could serve
// stale: a PostgreSQL that has not answered by then counts as down, so a
// workflow task (10 s by default) is not spent waiting for it.
const staleLookupTimeout = 2 * time.Second

// downFor is how long, after a lookup failed, keys that can be served
// stale are served without asking PostgreSQL: a task with many payloads
// waits for one failed lookup, not one per payload.
const downFor = 5 * time.Second

// KeepConfirmed asks PostgreSQL about every kept key once per quarter of
// KeepServed's maxStale, until ctx ends, so that a trajectory waking once a
// week still finds its key confirmed recently enough to be served through
// an outage, and a key erased by another process leaves this one. A
// confirmation that fails (PostgreSQL down) goes to onError and the keys
// age; it is tried again at the next tick.
func (v *Vault) KeepConfirmed(ctx context.Context, onError func(error)) {
	every := v.cache.confirmEvery()
	if every <= 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := v.confirm(ctx); err != nil && ctx.Err() == nil && onError != nil {
			onError(err)
		}
		v.cache.sweepNow(v.now())
	}
}

// confirmChunk is how many keys one confirming query asks about.
const confirmChunk = 1000

func (v *Vault) confirm(ctx context.Context) error {
	for chunk := range slices.Chunk(v.cache.kept(), confirmChunk) {
		at, gen := v.now(), v.cache.generation()
		rows, err := v.pool.Query(ctx, `SELECT trajectory_id, programme_id, key_id, wrapped FROM trajectory_keys
			WHERE trajectory_id = ANY($1)`, chunk)
		if err != nil {
			return fmt.Errorf("keys: confirm kept data keys: %w", err)
		}
		live := map[string]stored{}
		var id string
		var s stored
		_, err = pgx.ForEachRow(rows, []any{&id, &s.programmeID, &s.keyID, &s.wrapped}, func() error {
			if s.keyID != nil && s.wrapped != nil {
				live[id] = s
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("keys: confirm kept data keys: %w", err)
		}
		v.cache.confirmed(chunk, live, at, gen)
	}
	return nil
}

// entry is what PostgreSQL last answered about one trajectory's data key.
//
// What outlives cacheFor is the wrapped key, not the unwrapped one: the
// unwrapped key reads the trajectory's history by itself, the wrapped one
// only with its programme key, like the copies that backups and dead row
// versions hold after an erasure. So a process still holds an unwrapped
// key at most cacheFor, and a wrapped key kept after an erasure elsewhere
// is no worse than a backup. It also costs about 250 bytes, not 1 KB.
type entry struct {
	id          string
	programmeID string
	keyID       string
	wrapped     []byte
	key         *DataKey  // unwrapped; dropped once older than cacheFor
	erased      bool      // PostgreSQL answered that the key was destroyed
	checked     time.Time // when PostgreSQL last answered this
}

// lookup is an entry as Key sees it.
type lookup struct {
	entry
	found bool
	fresh bool // answered within cacheFor: used as it is
	stale bool // a live wrapped key within maxStale: served if PostgreSQL fails
	down  bool // a lookup failed less than downFor ago
}

// keyCache keeps the data keys of the trajectories a process served,
// least recently used evicted first. It is safe for concurrent use.
type keyCache struct {
	mu        sync.Mutex
	size      int
	maxStale  time.Duration // 0: nothing is served past cacheFor
	byID      map[string]*list.Element
	lru       list.List // of *entry, most recently used first
	swept     time.Time
	downUntil time.Time
	// gen counts evictions by an erasure in this process (forget): a
	// lookup that began before one may have read the key before it was
	// destroyed, so its answer is not kept.
	gen uint64
}

func newKeyCache() *keyCache {
	return &keyCache{size: DefaultCacheSize, byID: map[string]*list.Element{}}
}

func (c *keyCache) configure(size int, maxStale time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.size, c.maxStale = max(size, 1), max(maxStale, 0)
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back())
	}
}

func (c *keyCache) get(id string, now time.Time) lookup {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := lookup{down: now.Before(c.downUntil)}
	el, ok := c.byID[id]
	if !ok {
		return l
	}
	c.lru.MoveToFront(el)
	e := el.Value.(*entry)
	age := now.Sub(e.checked)
	l.entry, l.found = *e, true
	l.fresh = age < cacheFor && (e.erased || e.key != nil)
	l.stale = !e.erased && e.wrapped != nil && c.maxStale > 0 && age <= c.maxStale
	return l
}

func (c *keyCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps e as PostgreSQL answered it at e.checked, unless an erasure
// in this process happened since the lookup began (gen). That an erased
// key is erased is always kept: it never comes back.
func (c *keyCache) put(e entry, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen && !e.erased {
		return
	}
	c.sweep(now)
	if el, ok := c.byID[e.id]; ok {
		el.Value = &e
		c.lru.MoveToFront(el)
		return
	}
	c.byID[e.id] = c.lru.PushFront(&e)
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back())
	}
}

// evict drops what the cache holds of id: PostgreSQL answered that it has
// no key.
func (c *keyCache) evict(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.remove(el)
	}
}

// forget is evict for a key this process destroyed or rewrapped.
func (c *keyCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if el, ok := c.byID[id]; ok {
		c.remove(el)
	}
}

func (c *keyCache) failed(now time.Time) {
	c.mu.Lock()
	c.downUntil = now.Add(downFor)
	c.mu.Unlock()
}

func (c *keyCache) remove(el *list.Element) {
	delete(c.byID, el.Value.(*entry).id)
	c.lru.Remove(el)
}

// sweep drops, at most once per cacheFor, the unwrapped keys older than
// cacheFor and the entries nobody may use any more: an entry not looked
// up again would otherwise hold its unwrapped key until it is evicted.
// c.mu is held.
func (c *keyCache) sweep(now time.Time) {
	if now.Sub(c.swept) < cacheFor {
		return
	}
	c.swept = now
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		e := el.Value.(*entry)
		age := now.Sub(e.checked)
		switch {
		case age < cacheFor:
		case e.erased || age > c.maxStale:
			c.remove(el)
		default:
			e.key = nil
		}
		el = next
	}
}

func (c *keyCache) sweepNow(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.swept = time.Time{}
	c.sweep(now)
}

// kept lists the trajectories whose wrapped keys may be served stale.
func (c *keyCache) kept() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for el := c.lru.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*entry); !e.erased && c.maxStale > 0 {
			ids = append(ids, e.id)
		}
	}
	return ids
}

// confirmed applies what PostgreSQL answered at `at` about ids, read in
// one query begun at generation gen: a key it still holds is confirmed,
// one it holds no more (erased, or no row) is evicted. An entry is never
// made by a confirmation, and not confirmed when an erasure in this
// process happened during the query.
func (c *keyCache) confirmed(ids []string, live map[string]stored, at time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		el, ok := c.byID[id]
		if !ok {
			continue
		}
		e := el.Value.(*entry)
		s, alive := live[id]
		switch {
		case e.erased:
		case !alive:
			c.remove(el)
		case gen == c.gen && at.After(e.checked):
			cp := *e
			cp.programmeID, cp.keyID, cp.wrapped, cp.checked = s.programmeID, *s.keyID, s.wrapped, at
			el.Value = &cp
		}
	}
}

func (c *keyCache) confirmEvery() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.maxStale <= 0 {
		return 0
	}
	return max(c.maxStale/4, cacheFor)
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
