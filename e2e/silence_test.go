package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
)

// fastProgramme is a programme on seconds whose intake reminder comes a
// few seconds after the referral, so a reassignment after it can be tried.
const fastProgramme = `id: test-fast
name: Testprogramma (snel)
referrers:
  - id: test-partner
    name: Testpartner
assignment_limit: 20s
intake_deadline: 40s
home_visit_cadence: 40s
reminder_lead: 36s
alert_grace: 10s
handover:
  acknowledgement_limit: 10s
  link_valid_for: 1h
supervisor_email: supervisor@fast.example
coaches:
  - id: fast-coach-1
    name: Snelle coach 1
    email: fast1@fast.example
  - id: fast-coach-2
    name: Snelle coach 2
    email: fast2@fast.example
`

const thirdCoach = `  - id: fast-coach-3
    name: Nieuwe coach 3
    email: fast3@fast.example
`

// TestNoFamilyGoesSilentOverHTTP: the first coach is reminded of the
// intake and leaves while that reminder is still on its way; the coach who
// takes over gets the reminder within seconds. Then a coach who joins the team (added to the programme file,
// worker and API restarted) is assigned to this family, referred before
// they joined, and does its intake.
func TestNoFamilyGoesSilentOverHTTP(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "test-fast.yaml")
	if err := os.WriteFile(file, []byte(fastProgramme), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startStackWith(t, dir)
	partner, supervisor := "partner:test-partner", "supervisor:fast-supervisor"
	s.tokenIn(supervisor, "test-fast")

	status, created := s.call(partner, "POST", "/v1/referrals", map[string]any{
		"programme": "test-fast",
		"referrer":  map[string]any{"organisation": "test-partner", "reference": "SILENT-1"},
		"family":    map[string]any{"contact_name": "Gezin Stil", "phone": "+32 470 99 99 99"},
		"reason":    "needs a coach",
	}, nil)
	if status != http.StatusCreated {
		t.Fatalf("referral: %d %v", status, created)
	}
	id := created["id"].(string)
	to := func(addr, subjectPrefix string) func(smtpsink.Received) bool {
		return func(m smtpsink.Received) bool {
			return strings.Join(m.To, ",") == addr && strings.HasPrefix(m.Subject, subjectPrefix)
		}
	}

	// The first coach's reminder is held at the mail server until the
	// reassignment is done: the coach leaves while it is on its way, and the
	// send that returns afterwards must not settle what the new coach is owed.
	onItsWay, release := make(chan struct{}), make(chan struct{})
	var hold sync.Once
	s.smtp.SetOnData(func(m smtpsink.Received) {
		if to("fast1@fast.example", "Herinnering: intake")(m) {
			hold.Do(func() { close(onItsWay); <-release })
		}
	})
	defer s.smtp.SetOnData(nil)
	s.mustStep(supervisor, id, "assignment", map[string]any{"coach": "fast-coach-1"})
	select {
	case <-onItsWay:
	case <-time.After(30 * time.Second):
		t.Fatal("the first coach's intake reminder did not reach the mail server within 30s")
	}

	// The first coach leaves; the second must hear of the family and of
	// the intake owed, within seconds.
	reassignedAt := time.Now()
	s.mustStep(supervisor, id, "assignment", map[string]any{"coach": "fast-coach-2"})
	close(release)
	s.smtp.WaitFor(t, to("fast2@fast.example", "Herinnering: intake"), 10*time.Second)
	s.smtp.WaitFor(t, func(m smtpsink.Received) bool {
		return strings.Join(m.To, ",") == "fast2@fast.example" && !strings.HasPrefix(m.Subject, "Herinnering")
	}, 10*time.Second)
	if took := time.Since(reassignedAt); took > 10*time.Second {
		t.Errorf("the new coach heard after %s", took)
	}

	// A coach joins the team: the programme file gains them, and the worker
	// and the API restart, as a deploy of the new file does.
	if err := os.WriteFile(file, []byte(fastProgramme+thirdCoach), 0o644); err != nil {
		t.Fatal(err)
	}
	s.stop(s.worker)
	s.stop(s.api)
	s.startAPI()
	s.startWorker()
	s.waitReady()
	s.mustStep(supervisor, id, "assignment", map[string]any{"coach": "fast-coach-3"})
	s.smtp.WaitFor(t, func(m smtpsink.Received) bool { return strings.Join(m.To, ",") == "fast3@fast.example" }, 45*time.Second)
	s.tokenIn("coach:fast-coach-3", "test-fast")
	state := s.mustStep("coach:fast-coach-3", id, "intake", map[string]any{})
	if state["phase"] != "intake_done" {
		t.Fatalf("after the new coach's intake: %v", state)
	}
	s.mustStep(supervisor, id, "closure", map[string]any{"reason": "goals_reached"})
	s.waitCompleted(id)
	s.replayTrajectory(id, "reassignment-and-new-coach")
}

// tokenIn makes actor's token for a programme other than test-seconds.
func (s *stack) tokenIn(actor, programme string) string {
	s.t.Helper()
	kind, subject, _ := strings.Cut(actor, ":")
	tok := strings.TrimSpace(s.run("token", "create", "--kind", kind, "--subject", subject, "--programme", programme, "--label", "e2e"))
	s.tokens[actor] = tok
	return tok
}
