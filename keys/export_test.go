package keys

import (
	"context"
	"time"
)

// SetClock makes v read the time from now (tests move it past cacheFor).
func SetClock(v *Vault, now func() time.Time) { v.now = now }

// Confirm is one round of KeepConfirmed.
func (v *Vault) Confirm(ctx context.Context) error { return v.confirm(ctx) }
