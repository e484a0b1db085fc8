package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/elkgezin/elkgezin/apiclient"
	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/webhook"
)

// partnerHooks is a partner's webhook endpoint: it verifies each event's
// signature and keeps the events it accepted, by id.
type partnerHooks struct {
	t      *testing.T
	secret []byte
	mu     sync.Mutex
	got    map[string][]webhook.Event // event id -> every delivery of it
	bodies []string
}

func (p *partnerHooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := webhook.Verify(p.secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
		p.t.Errorf("webhook with a bad signature: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var e webhook.Event
	if err := json.Unmarshal(body, &e); err != nil || e.ID != r.Header.Get(webhook.EventIDHeader) {
		p.t.Errorf("webhook body %s: %v", body, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.got[e.ID] = append(p.got[e.ID], e)
	p.bodies = append(p.bodies, string(body))
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// wait waits for the event of status of referral id, and returns it.
func (p *partnerHooks) wait(id, status string) webhook.Event {
	p.t.Helper()
	eid := webhook.EventID(id, status)
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		p.mu.Lock()
		got := p.got[eid]
		p.mu.Unlock()
		if len(got) > 0 {
			return got[0]
		}
	}
	p.t.Fatalf("no webhook for %s of %s", status, id)
	return webhook.Event{}
}

// TestPartnerFollowsItsReferral: a partner refers a family and follows
// its referral by id and by its own reference, and its webhook gets a
// signed event when a coach is assigned, the intake is done and the
// trajectory closes, each once although the worker is killed and started
// again between them. No answer and no event holds the family's data or
// the coach; another partner gets 403.
func TestPartnerFollowsItsReferral(t *testing.T) {
	secret := []byte(strings.Repeat("e2e-webhook-secret/", 2))
	hooks := &partnerHooks{t: t, secret: secret, got: map[string][]webhook.Event{}}
	srv := httptest.NewServer(hooks)
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "webhooks.yaml")
	if err := os.WriteFile(file, []byte("test-partner: "+srv.URL+"/elkgezin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	programmes, _ := filepath.Abs("../deploy/programmes")
	s := startStackWith(t, programmes, "PARTNER_WEBHOOKS_FILE="+file,
		"PARTNER_WEBHOOK_SECRETS=test-partner:"+base64.StdEncoding.EncodeToString(secret))
	partner, coach, supervisor := "partner:test-partner", "coach:test-coach", "supervisor:test-supervisor"
	family := []string{"Noor Feedbackgezin", "Kerkstraat 9", "+32 470 55 44 33", "schulden", "test-coach", "Testcoach"}
	noFamily := func(what string, v any) {
		t.Helper()
		b, _ := json.Marshal(v)
		for _, f := range family {
			if strings.Contains(string(b), f) {
				t.Errorf("%s holds %q: %s", what, f, b)
			}
		}
	}

	reference := "FB/2026-0001"
	api := s.partnerAPI(partner)
	created, err := api.CreateReferralWithResponse(t.Context(), nil, apiclient.Referral{
		Programme: "test-seconds",
		Referrer: apiclient.Referrer{Organisation: "test-partner", Reference: reference,
			ContactEmail: ptr(openapi_types.Email("verwijzer@partner.example"))},
		Family: apiclient.Family{ContactName: family[0], Address: ptr(family[1] + ", 1800 Vilvoorde"), Phone: ptr(family[2])},
		Reason: "vraagt hulp bij " + family[3],
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.JSON201 == nil {
		t.Fatalf("referral: %d %s", created.StatusCode(), created.Body)
	}
	id := created.JSON201.Id
	if created.JSON201.Location != "/v1/referrals/"+id || created.HTTPResponse.Header.Get("Location") != "/v1/referrals/"+id {
		t.Errorf("location %q, header %q", created.JSON201.Location, created.HTTPResponse.Header.Get("Location"))
	}
	read := func(want string) apiclient.ReferralStatus {
		t.Helper()
		byID, err := api.GetReferralWithResponse(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got := byID.JSON200; got == nil || string(got.Status) != want || got.Reference == nil || *got.Reference != reference ||
			got.Programme != "test-seconds" || got.Id != id {
			t.Fatalf("status by id: %d %s, want %s", byID.StatusCode(), byID.Body, want)
		}
		byRef, err := api.FindReferralsWithResponse(t.Context(), &apiclient.FindReferralsParams{Reference: reference})
		if err != nil {
			t.Fatal(err)
		}
		if got := byRef.JSON200; got == nil || len(got.Items) != 1 || got.Items[0].Id != id ||
			got.Items[0].Status != byID.JSON200.Status || !got.Items[0].StatusChangedAt.Equal(byID.JSON200.StatusChangedAt) {
			t.Fatalf("status by reference: %d %s, want %s", byRef.StatusCode(), byRef.Body, byID.Body)
		}
		noFamily("GET /v1/referrals", []string{string(byID.Body), string(byRef.Body)})
		return *byID.JSON200
	}
	read(webhook.StatusReceived)

	s.mustStep(supervisor, id, "assignment", map[string]any{"coach": "test-coach"})
	assigned := hooks.wait(id, webhook.StatusCoachAssigned)
	if got := read(webhook.StatusCoachAssigned); got.StatusChangedAt.Format(time.RFC3339) != assigned.StatusChangedAt.Format(time.RFC3339) {
		t.Errorf("status_changed_at %s, the webhook's %s", got.StatusChangedAt, assigned.StatusChangedAt)
	}

	// The worker crashes and comes back: what it told it does not tell
	// again. It is killed once the delivery log has the event delivered,
	// perhaps before Temporal learnt it: the attempt retried then finds it
	// delivered and posts nothing.
	conn := s.db()
	defer conn.Close(context.Background())
	waitUntil(t, 30*time.Second, "the delivery log to hold the assignment's event", func() bool {
		var n int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM referral_webhook_deliveries
			WHERE event_id = $1 AND delivered_at IS NOT NULL`, assigned.ID).Scan(&n)
		return err == nil && n == 1
	})
	s.killWorker()
	s.startWorker()
	s.mustStep(coach, id, "intake", map[string]any{})
	hooks.wait(id, webhook.StatusInSupport)
	read(webhook.StatusInSupport)
	s.mustStep(coach, id, "closure", map[string]any{"reason": "goals_reached"})
	closed := hooks.wait(id, webhook.StatusClosed)
	if got := read(webhook.StatusClosed); got.StatusChangedAt.Format(time.RFC3339) != closed.StatusChangedAt.Format(time.RFC3339) {
		t.Errorf("status_changed_at %s, the webhook's %s", got.StatusChangedAt, closed.StatusChangedAt)
	}
	s.waitCompleted(id)
	s.replayTrajectory(id, "referral-feedback")

	other, err := s.partnerAPI("partner:kind-en-gezin").GetReferralWithResponse(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if other.ApplicationproblemJSON403 == nil {
		t.Errorf("another partner: %d %s", other.StatusCode(), other.Body)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	if len(hooks.got) != 3 {
		t.Errorf("events %v, want coach_assigned, in_support and closed", hooks.got)
	}
	for eid, deliveries := range hooks.got {
		if len(deliveries) != 1 || deliveries[0].ReferralID != id {
			t.Errorf("event %s delivered %d times: %+v\nlogs:\n%s", eid, len(deliveries), deliveries, s.Logs())
		}
	}
	noFamily("the webhooks", hooks.bodies)
	var delivered int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM referral_webhook_deliveries
		WHERE trajectory_id = $1 AND delivered_at IS NOT NULL AND last_status_code = 204`, id).Scan(&delivered); err != nil || delivered != 3 {
		t.Errorf("delivery log: %d delivered, %v", delivered, err)
	}
	// A partner with a webhook gets no email.
	if n := s.smtp.Count(func(m smtpsink.Received) bool { return strings.Contains(m.Subject, "Terugkoppeling") }); n != 0 {
		t.Errorf("%d feedback emails besides the webhooks", n)
	}
}

// TestReferrerWithoutWebhookIsEmailed: a partner without an endpoint is
// told at its referral's contact_email, once per status, in Dutch and
// without the family's data.
func TestReferrerWithoutWebhookIsEmailed(t *testing.T) {
	s := startStack(t)
	contact := "verwijzer@partner.example"
	created, err := s.partnerAPI("partner:test-partner").CreateReferralWithResponse(t.Context(), nil, apiclient.Referral{
		Programme: "test-seconds",
		Referrer:  apiclient.Referrer{Organisation: "test-partner", Reference: "FB-MAIL-1", ContactEmail: ptr(openapi_types.Email(contact))},
		Family:    apiclient.Family{ContactName: "Lotte Mailgezin", Phone: ptr("+32 470 66 77 88")},
		Reason:    "zoekt een woning",
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.JSON201 == nil {
		t.Fatalf("referral: %d %s", created.StatusCode(), created.Body)
	}
	id := created.JSON201.Id
	toReferrer := func(m smtpsink.Received) bool { return len(m.To) == 1 && m.To[0] == contact }
	s.mustStep("supervisor:test-supervisor", id, "assignment", map[string]any{"coach": "test-coach"})
	assigned := s.smtp.WaitFor(t, toReferrer, 30*time.Second)
	s.mustStep("coach:test-coach", id, "intake", map[string]any{})
	s.mustStep("coach:test-coach", id, "closure", map[string]any{"reason": "goals_reached"})
	s.waitCompleted(id)
	var mails []smtpsink.Received
	for _, m := range s.smtp.Messages() {
		if toReferrer(m) {
			mails = append(mails, m)
		}
	}
	if len(mails) != 3 || !strings.Contains(assigned.Subject, "coach") || !strings.Contains(assigned.Body, id) {
		t.Fatalf("%d emails to the referrer, want 3 (assigned, in support, closed); first: %s\n%s", len(mails), assigned.Subject, assigned.Body)
	}
	for _, m := range mails {
		for _, personal := range []string{"Lotte", "Mailgezin", "+32 470", "woning", "Testcoach", "test-coach", "FB-MAIL-1"} {
			if strings.Contains(m.Subject+m.Body, personal) {
				t.Errorf("email %q holds %q", m.Subject, personal)
			}
		}
	}
}
