package worker

import (
	"strings"
	"testing"
	"time"

	"elkgezin/mailer"
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
