package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/apiclient"
	"github.com/elkgezin/elkgezin/internal/smtpsink"
)

// referWithChildren refers a family of the test-seconds programme with a
// child, assigns the coach and records the intake.
func (s *stack) referWithChildren(reference string) string {
	s.t.Helper()
	id := s.refer("partner:test-partner", apiclient.Referral{
		Programme: "test-seconds",
		Referrer:  apiclient.Referrer{Organisation: "test-partner", Reference: reference},
		Family: apiclient.Family{ContactName: "Amina Voorbeeld", Address: ptr("Kerkstraat 7, 8930 Menen"),
			Phone: ptr("+32 470 98 76 54")},
		Reason:   "young mother, alone, debts",
		Children: &[]apiclient.Child{{Name: ptr("Yusuf"), BirthDate: *s.day("2024-02-29")}},
	})
	s.mustStep("supervisor:test", id, "assignment", map[string]any{"coach": "test-coach"})
	// Visits far ahead, so only handover emails reach the inbox.
	s.mustStep("coach:test-coach", id, "intake", map[string]any{"next_visit_due_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	return id
}

func handover(shares ...string) map[string]any {
	return map[string]any{
		"service": "test-service",
		"reason":  "the family asks for help with childcare",
		"consent": map[string]any{"given": true, "recorded_on": time.Now().UTC().Format("2006-01-02"), "shares": shares},
	}
}

var linkPattern = regexp.MustCompile(`http://[^\s]+/v1/handovers/[A-Za-z0-9_\-.]+`)

// TestHandoverOverHTTP: the handover email holds only what the family
// consented to; its link acknowledges once; a handover nobody acknowledges
// brings a reminder to the service and then an alert to the supervisor.
func TestHandoverOverHTTP(t *testing.T) {
	s := startStack(t)
	id := s.referWithChildren("E2E-HANDOVER")
	coach := "coach:test-coach"

	status, refused := s.call(coach, "POST", "/v1/trajectories/"+id+"/handovers", map[string]any{
		"service": "test-service", "reason": "x", "consent": map[string]any{"given": false},
	}, nil)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("handover without consent: %d %v, want 422", status, refused)
	}

	s.mustStep(coach, id, "handovers", handover("children"))
	mail := s.smtp.WaitFor(t, func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 1") }, 20*time.Second)
	if mail.To[0] != "service@test.example" {
		t.Errorf("handover to %v", mail.To)
	}
	if !strings.Contains(mail.Body, "Yusuf") || !strings.Contains(mail.Body, "29-02-2024") && !strings.Contains(mail.Body, "2024-02-29") {
		t.Errorf("handover email lacks the consented children:\n%s", mail.Body)
	}
	for _, secret := range []string{"Amina", "Kerkstraat", "98 76 54", "debts"} {
		if strings.Contains(string(mail.Raw), secret) {
			t.Errorf("handover email holds %q, which the family did not consent to share", secret)
		}
	}
	if !strings.Contains(mail.Body, "coach@test.example") {
		t.Errorf("handover email lacks the coach's contact:\n%s", mail.Body)
	}
	link := linkPattern.FindString(mail.Body)
	if link == "" {
		t.Fatalf("no acknowledgement link in:\n%s", mail.Body)
	}
	path := strings.TrimPrefix(link, s.apiURL)

	// The link opens a page that asks to confirm; opening it acknowledges nothing.
	resp, err := s.apiClient().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET link: %d", resp.StatusCode)
	}
	status, ack := s.call("", "POST", path+"/acknowledgement", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("acknowledgement: %d %v", status, ack)
	}
	// Sent again through the same link (a service that clicked twice, or
	// did not get the answer): the first acknowledgement's answer.
	status, again := s.call("", "POST", path+"/acknowledgement", nil, nil)
	if status != http.StatusOK || again["acknowledged"] != true {
		t.Errorf("second use of the link: %d %v, want the first answer", status, again)
	}
	view := s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "handover_acknowledged") == 1 })
	if children, _ := view["children"].([]any); len(children) != 1 || children[0].(map[string]any)["birth_date"] != "2024-02-29" {
		t.Errorf("the coach's view lacks the family's children: %v", view["children"])
	}

	// Handover 2, shared nothing, never acknowledged: the service is
	// reminded after 10s, the supervisor alerted 6s later.
	s.mustStep(coach, id, "handovers", handover())
	second := s.smtp.WaitFor(t, func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 2") }, 20*time.Second)
	for _, secret := range []string{"Amina", "Kerkstraat", "98 76 54", "Yusuf", "2024"} {
		if strings.Contains(second.Body, secret) {
			t.Errorf("handover without shared data holds %q", secret)
		}
	}
	reminder := s.smtp.WaitFor(t, func(m smtpsink.Received) bool {
		return strings.HasPrefix(m.Subject, "Herinnering: bevestig de overdracht 2")
	}, 30*time.Second)
	alert := s.smtp.WaitFor(t, func(m smtpsink.Received) bool {
		return strings.HasPrefix(m.Subject, "Escalatie: bevestiging van overdracht 2")
	}, 30*time.Second)
	if reminder.To[0] != "service@test.example" || alert.To[0] != "supervisor@test.example" {
		t.Errorf("reminder to %v, alert to %v", reminder.To, alert.To)
	}
	if d := reminder.At.Sub(second.At); d < 9*time.Second {
		t.Errorf("reminder %s after the handover, before the 10s limit", d)
	}

	s.mustStep(coach, id, "closure", map[string]any{"reason": "handed_over"})
	if n := s.smtp.Count(func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht") }); n != 2 {
		t.Errorf("%d handover emails, want 2", n)
	}

	// The trajectory is closed, but the service may still acknowledge the
	// handover it was sent; then the trajectory's workflow completes.
	link2 := linkPattern.FindString(second.Body)
	if status, ack := s.call("", "POST", strings.TrimPrefix(link2, s.apiURL)+"/acknowledgement", nil, nil); status != http.StatusOK {
		t.Fatalf("acknowledgement after closure: %d %v", status, ack)
	}
	if err := s.client.GetWorkflow(context.Background(), id, "").Get(context.Background(), nil); err != nil {
		t.Fatalf("the trajectory did not complete once every handover was acknowledged: %v", err)
	}
	s.replayTrajectory(id, "handover-with-acknowledgement")
}

// TestHandoverEmailExactlyOnce kills the worker the instant the SMTP server
// has the handover email, before the activity can report back; after a
// restart there is still exactly one email. Then, with the SMTP server
// down, a handover waits and goes out once it is back.
func TestHandoverEmailExactlyOnce(t *testing.T) {
	s := startStack(t)
	id := s.referWithChildren("E2E-FAULT")
	coach := "coach:test-coach"

	// The SMTP server holds the handover's DATA reply while the test
	// goroutine kills the worker. The coach's request is answered first
	// (the workflow records the handover, then emails it), so the email
	// activity is the one thing in flight when the worker dies.
	hold := s.holdData(func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 1") })
	s.mustStep(coach, id, "handovers", handover("contact"))
	hold.wait(t, 30*time.Second)
	s.killWorker()
	hold.release()
	s.startWorker()
	// Once handover_sent is recorded the email activity has completed: no
	// retry can send again, so the count below is final.
	s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "handover_sent") == 1 })
	if n := s.smtp.Count(func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 1") }); n != 1 {
		t.Fatalf("%d copies of handover 1 after the worker died mid-send, want exactly 1", n)
	}
	// The worker died while the server was accepting: the ledger recorded
	// that moment, and the retry did not send again.
	if row := s.ledgerEmail(id, "Overdracht 1", 0, func(ledgerRow) bool { return true }); row.status != "unconfirmed" {
		t.Errorf("ledger status of handover 1: %q, want unconfirmed", row.status)
	}
	// Nobody can know whether such an email arrived: the supervisor is
	// told, once, and the trajectory records it without any address.
	inDoubt := func(m smtpsink.Received) bool {
		return strings.HasPrefix(m.Subject, "E-mail mogelijk niet afgeleverd: overdracht")
	}
	alert := s.smtp.WaitFor(t, inDoubt, 30*time.Second)
	if len(alert.To) != 1 || alert.To[0] != "supervisor@test.example" || !strings.Contains(alert.Body, "Vraag de ontvanger of de e-mail aankwam") {
		t.Errorf("the in-doubt alert went to %v:\n%s", alert.To, alert.Body)
	}
	view := s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "email_failed") == 1 })
	for _, e := range view["events"].([]any) {
		if e := e.(map[string]any); e["kind"] == "email_failed" {
			if d, _ := e["detail"].(map[string]any); d["reason"] != "EmailInDoubt" || d["kind"] != "handover" || d["to"] != "service:test-service" {
				t.Errorf("email_failed event %v, want the handover to service:test-service, in doubt", e)
			}
		}
	}
	if view["email_failed"] != true {
		t.Errorf("the trajectory does not show supervisors a failed email: email_failed = %v", view["email_failed"])
	}

	// The mail server goes down; the handover is recorded at once and the
	// email waits for the server: a second attempt in the ledger shows the
	// first one failed.
	s.smtp.Stop()
	s.mustStep(coach, id, "handovers", handover())
	s.ledgerEmail(id, "Overdracht 2", 30*time.Second, func(r ledgerRow) bool { return r.attempts >= 2 && r.status == "pending" })
	s.smtp.Restart()
	s.smtp.WaitFor(t, func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 2") }, 45*time.Second)
	s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "handover_sent") == 2 })
	if n := s.smtp.Count(func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 2") }); n != 1 {
		t.Errorf("%d copies of handover 2, want 1", n)
	}
	if n := s.smtp.Count(inDoubt); n != 1 {
		t.Errorf("%d in-doubt alerts, want 1", n)
	}
	s.replayTrajectory(id, "handover-email-in-doubt")
}

// heldData is a message the SMTP sink holds in its DATA phase, stored but
// not yet answered, until the test releases it.
type heldData struct {
	arrived  chan smtpsink.Received
	released chan struct{}
	once     sync.Once
}

// holdData makes the sink hold the first message that matches. The hook
// runs on the sink's goroutine, so it only hands the message over and
// waits: the test goroutine asserts and acts.
func (s *stack) holdData(match func(smtpsink.Received) bool) *heldData {
	h := &heldData{arrived: make(chan smtpsink.Received, 1), released: make(chan struct{})}
	var first sync.Once
	s.smtp.SetOnData(func(m smtpsink.Received) {
		if !match(m) {
			return
		}
		held := false
		first.Do(func() { held = true })
		if !held {
			return
		}
		h.arrived <- m
		<-h.released
	})
	// Never leave the sink's session blocked when the test ends early.
	s.t.Cleanup(h.release)
	return h
}

// wait waits for the held message, for at most timeout.
func (h *heldData) wait(t *testing.T, timeout time.Duration) smtpsink.Received {
	t.Helper()
	select {
	case m := <-h.arrived:
		return m
	case <-time.After(timeout):
		t.Fatalf("no matching email reached the SMTP server's DATA phase within %s", timeout)
		return smtpsink.Received{}
	}
}

// release lets the sink answer the held message; safe to call twice.
func (h *heldData) release() { h.once.Do(func() { close(h.released) }) }

func countEvents(view map[string]any, kind string) int {
	n := 0
	events, _ := view["events"].([]any)
	for _, e := range events {
		if e.(map[string]any)["kind"] == kind {
			n++
		}
	}
	return n
}
