package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
)

// TestWorkerLifecycle: a worker on a namespace nobody set up refuses to
// start and says why; a deploy's SIGTERM while a handover email is in the
// SMTP DATA phase lets the email finish: delivered once, its ledger row
// sent (not unconfirmed), and the worker exits 0 once the activity is done.
func TestWorkerLifecycle(t *testing.T) {
	s := startStack(t)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bare := exec.CommandContext(ctx, binary, "worker")
	bare.Env = append(s.env, "TEMPORAL_NAMESPACE="+s.namespace+"-bare")
	out, err := bare.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("worker on a namespace without search attributes: %v, want exit status 1\n%s", err, out)
	}
	for _, want := range []string{"EmailFailed", "Programme", "elkgezin setup"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the refusing worker does not say %q:\n%s", want, out)
		}
	}

	id := s.referWithChildren("E2E-SIGTERM")
	coach := "coach:test-coach"
	hold := s.holdData(func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 1") })
	// The handover is recorded (the coach has the answer) before it is
	// emailed: at the SIGTERM below the email is the activity in flight.
	s.mustStep(coach, id, "handovers", handover("contact"))
	hold.wait(t, 30*time.Second)
	// The final "." is out and the server has the message, but has not
	// answered: the ledger stands at its commit gate.
	if row := s.ledgerEmail(id, "Overdracht 1", 0, func(ledgerRow) bool { return true }); row.status != "committing" {
		t.Fatalf("ledger status while the server holds the reply: %q, want committing", row.status)
	}

	// The deploy stops the worker while the server takes its time to reply.
	if err := s.worker.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.worker.exited:
		t.Fatalf("the worker exited (%v) while its email activity was still waiting for the SMTP server", s.worker.err)
	case <-time.After(2 * time.Second): // the server's slow reply
	}
	hold.release()
	select {
	case <-s.worker.exited:
	case <-time.After(45 * time.Second):
		t.Fatalf("the worker did not exit within 45s of the email's reply; logs:\n%s", s.Logs())
	}
	if s.worker.err != nil {
		t.Errorf("worker stopped by SIGTERM: %v, want exit status 0", s.worker.err)
	}
	// The activity finished before the process exited: the ledger says so.
	if row := s.ledgerEmail(id, "Overdracht 1", 0, func(ledgerRow) bool { return true }); row.status != "sent" || row.attempts != 1 {
		t.Errorf("ledger row of handover 1 after the graceful stop: %+v, want sent at the first attempt", row)
	}

	// The next worker carries the trajectory on; nothing is sent again.
	s.startWorker()
	s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "handover_sent") == 1 })
	if n := s.smtp.Count(func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 1") }); n != 1 {
		t.Errorf("%d copies of handover 1, want exactly 1", n)
	}
}
