package worker

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/mailer"
)

// A deploy stops the worker; an email activity in its SMTP transaction must
// be able to finish within the stop timeout.
func TestStopTimeoutOutlastsAnSMTPTransaction(t *testing.T) {
	mail := mailer.Config{Timeout: 15 * time.Second}
	if got := StopTimeout(mail); got <= mail.Timeout {
		t.Errorf("stop timeout %s, not longer than the SMTP timeout %s", got, mail.Timeout)
	}
	if _, _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "Mail.Timeout") {
		t.Errorf("New without an SMTP timeout: %v, want it refused", err)
	}
}

// A worker whose memory limit cannot hold its full cache says so at start.
func TestMemoryWarning(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cache int
		limit int64
		warns bool
	}{
		{"no limit", 10000, math.MaxInt64, false},
		{"limit holds the cache", 10000, 900 << 20, false},
		{"limit just holds it", 10000, MemoryBudget(10000), false},
		{"limit too low", 10000, 512 << 20, true},
		{"small cache under a low limit", 2000, 512 << 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := memoryWarning(tc.cache, tc.limit)
			if (got != "") != tc.warns {
				t.Fatalf("memoryWarning(%d, %d) = %q, want a warning: %v", tc.cache, tc.limit, got, tc.warns)
			}
			if tc.warns && !strings.Contains(got, "WORKFLOW_CACHE_SIZE") {
				t.Errorf("warning %q does not say what to change", got)
			}
		})
	}
}
