package keys_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/keys"
)

// TestErasureDeletesTheWrappedKey: an erased key's row is gone, not
// emptied; what stays is that the trajectory was erased, of which
// programme. A second erasure destroys nothing, and no key is made again.
func TestErasureDeletesTheWrappedKey(t *testing.T) {
	url := storetest.NewDatabase(t)
	now := time.Now()
	p := startProcess(t, url, keys.MustGenerate("test", "p1"), &now)
	ctx := t.Context()
	if _, err := p.vault.Ensure(ctx, "tr-gone", "p1"); err != nil {
		t.Fatal(err)
	}
	if erased, err := p.vault.Erase(ctx, "tr-gone"); err != nil || !erased {
		t.Fatalf("erase: %v, %v", erased, err)
	}
	var rows, tombstones int
	if err := p.st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM trajectory_keys WHERE trajectory_id = 'tr-gone'),
		(SELECT count(*) FROM erased_trajectories WHERE trajectory_id = 'tr-gone' AND programme_id = 'p1')`).Scan(&rows, &tombstones); err != nil {
		t.Fatal(err)
	}
	if rows != 0 || tombstones != 1 {
		t.Errorf("%d key rows, %d erasures recorded; want the row deleted and the erasure recorded", rows, tombstones)
	}
	if erased, err := p.vault.Erase(ctx, "tr-gone"); err != nil || erased {
		t.Errorf("second erase: %v, %v; want nothing destroyed, no error", erased, err)
	}
	if programme, err := p.vault.Programme(ctx, "tr-gone"); err != nil || programme != "p1" {
		t.Errorf("programme after erasure: %q, %v", programme, err)
	}
	if _, err := p.vault.Ensure(ctx, "tr-gone", "p1"); !errors.Is(err, keys.ErrErased) {
		t.Errorf("ensure after erasure: %v; want ErrErased", err)
	}
	if _, err := p.vault.Erase(ctx, "tr-never"); !errors.Is(err, keys.ErrNoKey) {
		t.Errorf("erase of a trajectory without key: %v; want ErrNoKey", err)
	}
}

// TestNoKeyIsMadeForATrajectoryErasedMeanwhile: keys made in other
// processes while the key is erased (each first asking PostgreSQL, so an
// insert may wait on the erasure's delete) never bring a key back.
func TestNoKeyIsMadeForATrajectoryErasedMeanwhile(t *testing.T) {
	url := storetest.NewDatabase(t)
	pk := keys.MustGenerate("test", "p1")
	now := time.Now()
	eraser := startProcess(t, url, pk, &now)
	others := []process{startProcess(t, url, pk, &now), startProcess(t, url, pk, &now), startProcess(t, url, pk, &now)}
	ctx := t.Context()
	for i := range 20 {
		id := "tr-race-" + string(rune('a'+i))
		if _, err := eraser.vault.Ensure(ctx, id, "p1"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, other := range others {
			wg.Go(func() {
				if _, err := other.vault.Ensure(ctx, id, "p1"); err != nil && !errors.Is(err, keys.ErrErased) {
					t.Errorf("ensure beside an erasure: %v", err)
				}
			})
		}
		if _, err := eraser.vault.Erase(ctx, id); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		// Read from PostgreSQL: a process that made the key a moment ago
		// still holds it for up to 30 seconds.
		var n int
		if err := eraser.st.Pool().QueryRow(ctx, `SELECT count(*) FROM trajectory_keys WHERE trajectory_id = $1`, id).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%s after the erasure: %d keys (%v); want none", id, n, err)
		}
	}
}

// TestTagsAreStableUnderTheKeyAndUnlinkableWithoutIt: a tag is the same
// in every process while the key lives, and differs between trajectories.
func TestTagsAreStableUnderTheKeyAndUnlinkableWithoutIt(t *testing.T) {
	url := storetest.NewDatabase(t)
	pk := keys.MustGenerate("test", "p1")
	now := time.Now()
	a, b := startProcess(t, url, pk, &now), startProcess(t, url, pk, &now)
	ctx := t.Context()
	k1, err := a.vault.Ensure(ctx, "tr-tag-1", "p1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.vault.Key(ctx, "tr-tag-1")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := a.vault.Ensure(ctx, "tr-tag-2", "p1")
	if err != nil {
		t.Fatal(err)
	}
	const cause = "email/tr-tag-1/birth@20270314T080000Z/reminder/coach:c"
	if k1.Tag(cause) != again.Tag(cause) {
		t.Error("the same key tags the same text differently in two processes")
	}
	if k1.Tag(cause) == k2.Tag(cause) || k1.Tag(cause) == k1.Tag(cause+"x") {
		t.Error("tags of different keys or texts are equal")
	}
	if len(k1.Tag(cause)) != 22 {
		t.Errorf("tag %q: want 22 characters", k1.Tag(cause))
	}
}
