package keys

import (
	"fmt"
	"testing"
	"time"
)

// Expired keys leave the cache, so a long-running worker does not keep the
// unwrapped key of every trajectory it ever touched.
func TestSweepDropsExpiredKeys(t *testing.T) {
	v := &Vault{cache: map[string]cached{}}
	start := time.Now()
	for i := range 1000 {
		v.cache[fmt.Sprintf("tr-old-%d", i)] = cached{key: &DataKey{}, at: start}
	}
	v.cache["tr-fresh"] = cached{key: &DataKey{}, at: start.Add(cacheFor)}

	v.sweep(start.Add(cacheFor))
	if len(v.cache) != 1 {
		t.Fatalf("after a sweep %d keys are cached, want only the fresh one", len(v.cache))
	}
	if _, ok := v.cache["tr-fresh"]; !ok {
		t.Fatal("the fresh key was dropped")
	}
	// Not again before cacheFor passed: a sweep costs a pass over the cache.
	v.cache["tr-old-again"] = cached{key: &DataKey{}, at: start}
	v.sweep(start.Add(cacheFor + time.Second))
	if _, ok := v.cache["tr-old-again"]; !ok {
		t.Fatal("swept twice within cacheFor")
	}
	v.sweep(start.Add(2 * cacheFor))
	if _, ok := v.cache["tr-old-again"]; ok {
		t.Fatal("an expired key survived the next sweep")
	}
}
