package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
)

// TestWorkerCapsItsSMTPSessions: a mail server that takes a second per
// message, and six coaches told of their families at once. The worker
// holds at most EMAIL_SESSIONS (2) sessions open; every notice arrives.
func TestWorkerCapsItsSMTPSessions(t *testing.T) {
	programmes, _ := filepath.Abs("../deploy/programmes")
	s := startStackEnv(t, programmes, map[string][]string{"worker": {"EMAIL_SESSIONS=2"}})
	s.smtp.SetOnData(func(smtpsink.Received) { time.Sleep(time.Second) })
	var ids []string
	for i := range 6 {
		ids = append(ids, s.referPlain(fmt.Sprintf("E2E-SESSIONS-%d", i), "Gezin Sessies"))
	}
	for _, id := range ids {
		s.mustStep("supervisor:test", id, "assignment", map[string]any{"coach": "test-coach"})
	}
	waitUntil(t, 60*time.Second, "every assignment notice to arrive", func() bool {
		return s.smtp.Count(nil) >= len(ids)
	})
	if got := s.smtp.MaxOpenSessions(); got > 2 {
		t.Errorf("the worker held %d SMTP sessions open at once, want at most EMAIL_SESSIONS=2", got)
	}
	if got := s.smtp.MaxOpenSessions(); got < 2 {
		t.Errorf("at most %d session open at once: the test sent nothing side by side", got)
	}
}
