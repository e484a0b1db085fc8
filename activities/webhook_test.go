package activities_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/webhook"
)

var hookSecret = []byte(strings.Repeat("w", 32))

// partnerEndpoint records the events it is posted, answering each with
// the next of codes (200 once they run out).
type partnerEndpoint struct {
	mu     sync.Mutex
	codes  []int
	bodies [][]byte
	sigs   []string
}

func (p *partnerEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bodies = append(p.bodies, body)
	p.sigs = append(p.sigs, r.Header.Get(webhook.SignatureHeader))
	code := http.StatusOK
	if len(p.codes) > 0 {
		code, p.codes = p.codes[0], p.codes[1:]
	}
	w.WriteHeader(code)
}

func feedback(status string) trajectory.ReferralFeedback {
	return trajectory.ReferralFeedback{TrajectoryID: "tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", ProgrammeID: "go-team-mechelen",
		Organisation: "politie-mechelen", Status: status, At: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
		ContactEmail: "jeugd@politie.example"}
}

// TestWebhookIsSignedRetriedAndDeliveredOnce: an event refused with a 503
// is an error (Temporal retries it); once answered 2xx it is logged
// delivered and never posted again. Each post is signed over its body.
func TestWebhookIsSignedRetriedAndDeliveredOnce(t *testing.T) {
	f := setup(t)
	partner := &partnerEndpoint{codes: []int{http.StatusServiceUnavailable}}
	srv := httptest.NewServer(partner)
	defer srv.Close()
	f.a.Webhooks = webhook.Endpoints{"politie-mechelen": {URL: srv.URL, Secret: hookSecret}}
	f.a.Deliveries = f.store
	env := f.env()
	fb := feedback(webhook.StatusClosed)
	if _, err := env.ExecuteActivity(f.a.NotifyReferrer, fb); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a 503 answered %v, want a retryable error", err)
	}
	for range 2 {
		if _, err := env.ExecuteActivity(f.a.NotifyReferrer, fb); err != nil {
			t.Fatal(err)
		}
	}
	if len(partner.bodies) != 2 {
		t.Fatalf("%d posts, want 2 (a 503, then one delivered)", len(partner.bodies))
	}
	var e webhook.Event
	if err := json.Unmarshal(partner.bodies[1], &e); err != nil {
		t.Fatal(err)
	}
	want := webhook.NewEvent(fb.TrajectoryID, webhook.StatusClosed, fb.At)
	if e != want || string(partner.bodies[0]) != string(partner.bodies[1]) {
		t.Errorf("event %+v, want %+v", e, want)
	}
	for i, sig := range partner.sigs {
		if err := webhook.Verify(hookSecret, sig, partner.bodies[i], time.Now(), time.Minute); err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	log, err := f.store.WebhookDeliveries(t.Context(), fb.TrajectoryID)
	if err != nil || len(log) != 1 || log[0].Attempts != 2 || log[0].LastStatusCode != 200 || log[0].DeliveredAt == nil {
		t.Errorf("delivery log %+v, %v", log, err)
	}
	if f.sink.Count(nil) != 0 {
		t.Error("a partner with a webhook was emailed too")
	}
}

// TestReferrerWithoutWebhookIsEmailedOnce: the referral's contact email
// gets a short Dutch email, once, with nothing of the family.
func TestReferrerWithoutWebhookIsEmailedOnce(t *testing.T) {
	f := setup(t)
	env := f.env()
	fb := feedback(webhook.StatusCoachAssigned)
	for range 2 {
		if _, err := env.ExecuteActivity(f.a.NotifyReferrer, fb); err != nil {
			t.Fatal(err)
		}
	}
	msgs := f.sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d emails, want 1", len(msgs))
	}
	m := msgs[0]
	if m.To[0] != fb.ContactEmail || !strings.Contains(m.Subject, "coach") || !strings.Contains(m.Body, "GO-team Mechelen") ||
		!strings.Contains(m.Body, fb.TrajectoryID) || !strings.Contains(m.Body, "02/03/2026 10:30") {
		t.Errorf("email to %v: %s\n%s", m.To, m.Subject, m.Body)
	}
	for _, coach := range []string{"An Peeters", "go-coach-1", coachAddress} {
		if strings.Contains(m.Body, coach) {
			t.Errorf("email names the coach (%s): %s", coach, m.Body)
		}
	}
	fb.ContactEmail = ""
	fb.Status = webhook.StatusClosed
	if _, err := env.ExecuteActivity(f.a.NotifyReferrer, fb); err != nil || f.sink.Count(nil) != 1 {
		t.Errorf("no contact email: %v, %d emails", err, f.sink.Count(nil))
	}
}
