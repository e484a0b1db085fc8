package keys_test

import (
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/keys"
)

// TestPrepareSaysWhetherTheKeyIsNew: the first referral of a trajectory
// makes its key; every later one, in this process or another, finds it.
func TestPrepareSaysWhetherTheKeyIsNew(t *testing.T) {
	url := storetest.NewDatabase(t)
	pk := keys.MustGenerate("test", "p1")
	now := time.Now()
	api1, api2 := startProcess(t, url, pk, &now), startProcess(t, url, pk, &now)
	for i, tc := range []struct {
		vault *keys.Vault
		made  bool
	}{{api1.vault, true}, {api1.vault, false}, {api2.vault, false}} {
		made, err := tc.vault.Prepare(t.Context(), "tr-prepare", "p1")
		if err != nil || made != tc.made {
			t.Errorf("referral %d: made %v (%v), want %v", i+1, made, err, tc.made)
		}
	}
}
