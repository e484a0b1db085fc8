package keys

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeDB stands in for trajectory_keys: it answers from rows, or fails
// like an unreachable PostgreSQL while down is set.
type fakeDB struct {
	mu     sync.Mutex
	rows   map[string]stored
	down   bool
	reads  int
	during func() // runs inside a read, as a concurrent erasure would
}

var errUnreachable = errors.New("keys: read data key: dial tcp 127.0.0.1:5432: connect: connection refused")

func (db *fakeDB) read(_ context.Context, id string) (stored, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.reads++
	if db.during != nil {
		db.during()
	}
	if db.down {
		return stored{}, errUnreachable
	}
	s, ok := db.rows[id]
	if !ok {
		return s, fmt.Errorf("%w: %s", ErrNoKey, id)
	}
	return s, nil
}

func (db *fakeDB) set(f func(db *fakeDB)) {
	db.mu.Lock()
	defer db.mu.Unlock()
	f(db)
}

// testVault is a vault over a fakeDB holding a key for each of ids, on a
// clock the test moves.
func testVault(t *testing.T, ids ...string) (*Vault, *fakeDB, *time.Time) {
	t.Helper()
	pk := MustGenerate("test", "p1")
	db := &fakeDB{rows: map[string]stored{}}
	for _, id := range ids {
		keyID, wrapped, err := pk.wrap("p1", id, make([]byte, KeySize))
		if err != nil {
			t.Fatal(err)
		}
		db.rows[id] = stored{programmeID: "p1", keyID: &keyID, wrapped: wrapped}
	}
	v := NewVault(nil, pk)
	v.read = db.read
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	v.now = func() time.Time { return now }
	return v, db, &now
}

// sameKey fails unless a and b are the same data key: what one seals the
// other opens.
func sameKey(t *testing.T, a, b *DataKey) {
	t.Helper()
	if a == nil || b == nil {
		t.Fatalf("keys %v and %v", a, b)
	}
	if _, err := b.Open(a.Seal([]byte("x"), "test"), "test"); err != nil {
		t.Fatal("the key served is not the trajectory's key")
	}
}

func TestServedKeyOutlivesAnOutageUpToMaxStale(t *testing.T) {
	v, db, now := testVault(t, "tr-a", "tr-b")
	v.KeepServed(10, time.Hour)
	ctx := t.Context()
	first, err := v.Key(ctx, "tr-a")
	if err != nil {
		t.Fatal(err)
	}
	db.set(func(db *fakeDB) { db.down = true })

	*now = now.Add(59 * time.Minute)
	k, err := v.Key(ctx, "tr-a")
	if err != nil {
		t.Fatalf("a served key 59 min after PostgreSQL confirmed it, PostgreSQL down: %v", err)
	}
	sameKey(t, first, k)
	if _, err := v.Key(ctx, "tr-b"); !errors.Is(err, errUnreachable) {
		t.Errorf("a key never served, PostgreSQL down: %v; want the lookup's error", err)
	}

	*now = now.Add(2 * time.Minute) // 61 min since the last answer
	if k, err := v.Key(ctx, "tr-a"); !errors.Is(err, errUnreachable) || k != nil {
		t.Errorf("a key past maxStale: %v, %v; want the lookup's error", k, err)
	}
}

// A vault without KeepServed (the API, the command line) serves nothing
// past cacheFor, as before.
func TestWithoutKeepServedNothingIsServedStale(t *testing.T) {
	v, db, now := testVault(t, "tr-a")
	if _, err := v.Key(t.Context(), "tr-a"); err != nil {
		t.Fatal(err)
	}
	db.set(func(db *fakeDB) { db.down = true })
	*now = now.Add(cacheFor - time.Second)
	if _, err := v.Key(t.Context(), "tr-a"); err != nil {
		t.Errorf("within cacheFor: %v", err)
	}
	*now = now.Add(time.Second)
	if _, err := v.Key(t.Context(), "tr-a"); !errors.Is(err, errUnreachable) {
		t.Errorf("past cacheFor without KeepServed: %v; want the lookup's error", err)
	}
}

func TestAnAnswerOfErasedOrAbsentEvictsAtOnce(t *testing.T) {
	v, db, now := testVault(t, "tr-a", "tr-b")
	v.KeepServed(10, time.Hour)
	ctx := t.Context()
	for _, id := range []string{"tr-a", "tr-b"} {
		if _, err := v.Key(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// Another process erases tr-a; tr-b's row is gone.
	db.set(func(db *fakeDB) { db.rows["tr-a"] = stored{programmeID: "p1"}; delete(db.rows, "tr-b") })
	*now = now.Add(cacheFor)
	if _, err := v.Key(ctx, "tr-a"); !errors.Is(err, ErrErased) {
		t.Fatalf("erased: %v", err)
	}
	if _, err := v.Key(ctx, "tr-b"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("absent: %v", err)
	}
	db.set(func(db *fakeDB) { db.down = true })
	// Within cacheFor the erasure is remembered, not asked again.
	if _, err := v.Key(ctx, "tr-a"); !errors.Is(err, ErrErased) {
		t.Errorf("erased, PostgreSQL down: %v; want ErrErased", err)
	}
	*now = now.Add(cacheFor)
	for _, id := range []string{"tr-a", "tr-b"} {
		if k, err := v.Key(ctx, id); k != nil || !errors.Is(err, errUnreachable) {
			t.Errorf("%s after its answer, PostgreSQL down: %v, %v; want no key, the lookup's error", id, k, err)
		}
	}
}

func TestAnErasureInThisProcessEvicts(t *testing.T) {
	v, db, now := testVault(t, "tr-a")
	v.KeepServed(10, time.Hour)
	if _, err := v.Key(t.Context(), "tr-a"); err != nil {
		t.Fatal(err)
	}
	v.cache.forget("tr-a") // what Erase does whatever PostgreSQL answers
	db.set(func(db *fakeDB) { db.down = true })
	*now = now.Add(time.Second)
	if k, err := v.Key(t.Context(), "tr-a"); k != nil || err == nil {
		t.Errorf("after an erasure in this process: %v, %v; want no key", k, err)
	}
}

// A lookup that read the key just before this process destroyed it does
// not put it back.
func TestALookupRacingAnErasureKeepsNothing(t *testing.T) {
	v, db, now := testVault(t, "tr-a")
	v.KeepServed(10, time.Hour)
	db.set(func(db *fakeDB) { db.during = func() { v.cache.forget("tr-a") } })
	if _, err := v.Key(t.Context(), "tr-a"); err != nil {
		t.Fatal(err)
	}
	db.set(func(db *fakeDB) { db.during, db.down = nil, true })
	*now = now.Add(cacheFor)
	if k, err := v.Key(t.Context(), "tr-a"); k != nil || err == nil {
		t.Errorf("a key read across an erasure was kept: %v, %v", k, err)
	}
	if n := v.cache.len(); n != 0 {
		t.Errorf("%d keys kept", n)
	}
}

func TestTheCacheIsBoundedLeastRecentlyUsedFirst(t *testing.T) {
	ids := []string{"tr-1", "tr-2", "tr-3", "tr-4", "tr-5"}
	v, db, now := testVault(t, ids...)
	v.KeepServed(3, time.Hour)
	ctx := t.Context()
	for _, id := range ids[:3] {
		if _, err := v.Key(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Key(ctx, "tr-1"); err != nil { // used again: the newest
		t.Fatal(err)
	}
	for _, id := range ids[3:] {
		if _, err := v.Key(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.cache.len(); n != 3 {
		t.Fatalf("%d keys kept, want 3", n)
	}
	db.set(func(db *fakeDB) { db.down = true })
	*now = now.Add(cacheFor)
	for id, kept := range map[string]bool{"tr-1": true, "tr-2": false, "tr-3": false, "tr-4": true, "tr-5": true} {
		if _, err := v.Key(ctx, id); (err == nil) != kept {
			t.Errorf("%s served through the outage: %v, want %v", id, err == nil, kept)
		}
	}
	// Shrinking evicts at once.
	v.KeepServed(1, time.Hour)
	if n := v.cache.len(); n != 1 {
		t.Errorf("after KeepServed(1) %d keys kept", n)
	}
}

// Once a lookup failed, the keys that can be served stale are served
// without asking for downFor: a task's payloads wait once, not each.
func TestAfterAFailedLookupStaleKeysAreServedWithoutAsking(t *testing.T) {
	v, db, now := testVault(t, "tr-a", "tr-b")
	v.KeepServed(10, time.Hour)
	for _, id := range []string{"tr-a", "tr-b"} {
		if _, err := v.Key(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	db.set(func(db *fakeDB) { db.down, db.reads = true, 0 })
	*now = now.Add(cacheFor)
	for range 5 {
		for _, id := range []string{"tr-a", "tr-b"} {
			if _, err := v.Key(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}
	}
	if db.reads != 1 {
		t.Errorf("%d lookups while PostgreSQL was down, want 1", db.reads)
	}
	*now = now.Add(downFor)
	if _, err := v.Key(t.Context(), "tr-a"); err != nil || db.reads != 2 {
		t.Errorf("after downFor: %v, %d lookups; want PostgreSQL asked again", err, db.reads)
	}
	db.set(func(db *fakeDB) { db.down = false })
	*now = now.Add(downFor)
	if _, err := v.Key(t.Context(), "tr-a"); err != nil || db.reads != 3 {
		t.Errorf("PostgreSQL back: %v, %d lookups", err, db.reads)
	}
}

// The sweep drops unwrapped keys after cacheFor, keeping the wrapped ones
// for maxStale, so a worker's memory never holds an unwrapped key longer.
func TestSweepKeepsOnlyWrappedKeysPastCacheFor(t *testing.T) {
	v, _, now := testVault(t)
	v.KeepServed(2000, time.Hour)
	start := *now
	for i := range 1000 {
		v.cache.put(entry{id: fmt.Sprintf("tr-old-%d", i), keyID: "p1/test", wrapped: []byte{1}, key: &DataKey{}, checked: start}, 0, start)
	}
	v.cache.put(entry{id: "tr-erased", erased: true, checked: start}, 0, start)

	v.cache.sweepNow(start.Add(cacheFor))
	unwrapped := 0
	for el := v.cache.lru.Front(); el != nil; el = el.Next() {
		if el.Value.(*entry).key != nil {
			unwrapped++
		}
	}
	if unwrapped != 0 || v.cache.len() != 1000 {
		t.Errorf("after cacheFor: %d unwrapped keys, %d entries; want none unwrapped, the 1000 wrapped kept, the erased gone", unwrapped, v.cache.len())
	}
	v.cache.sweepNow(start.Add(time.Hour + time.Second))
	if v.cache.len() != 0 {
		t.Errorf("past maxStale %d entries remain", v.cache.len())
	}
}
