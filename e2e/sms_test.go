package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/erasurecheck"
	"github.com/elkgezin/elkgezin/internal/kannelstack"
	"github.com/elkgezin/elkgezin/trajectory"
)

// smsHold stands between the worker and Kannel's sendsms: the first
// request whose text holds hold waits until released (the test kills
// the worker meanwhile), then goes on to Kannel. Every other request
// goes straight through.
type smsHold struct {
	target  string
	hold    string
	once    sync.Once
	held    chan time.Time
	release chan struct{}
}

func (h *smsHold) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Query().Get("text"), h.hold) {
		first := false
		h.once.Do(func() { first = true })
		if first {
			h.held <- time.Now()
			<-h.release
		}
	}
	resp, err := http.Get(h.target + "?" + r.URL.RawQuery)
	if err != nil {
		// As a gateway in front of a dead SMSC would: no request in the answer.
		http.Error(w, "gateway down", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// referWithSMS refers a Turkish-speaking family that agreed to SMS.
func (s *stack) referWithSMS(reference, phone string) string {
	s.t.Helper()
	status, created := s.call("partner:test-partner", "POST", "/v1/referrals", map[string]any{
		"programme": "test-seconds",
		"referrer":  map[string]any{"organisation": "test-partner", "reference": reference},
		"family": map[string]any{"contact_name": "Ayşe Yılmaz", "phone": phone, "language": "Turks",
			"sms_consent": map[string]any{"recorded_on": time.Now().Format(time.DateOnly), "channel": "in_person"}},
		"reason": "jonge moeder, spreekt weinig Nederlands",
	}, nil)
	if status != http.StatusCreated {
		s.t.Fatalf("referral: %d %v", status, created)
	}
	return created["id"].(string)
}

// smsRow is an SMS's row in the email ledger.
type smsRow struct {
	key, status, recipient, token string
	attempts                      int
}

// smsLedger reads the trajectory's SMS of kind from the ledger.
func (s *stack) smsLedger(id string, kind trajectory.SMSKind) []smsRow {
	s.t.Helper()
	ctx := context.Background()
	conn := s.db()
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT key, status, recipient, message_id, attempts FROM outbound_emails
		WHERE channel = 'sms' AND starts_with(key, $1) AND key LIKE $2`, id+"/", "%/"+string(kind)+"/family/sms")
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var out []smsRow
	for rows.Next() {
		var r smsRow
		if err := rows.Scan(&r.key, &r.status, &r.recipient, &r.token, &r.attempts); err != nil {
			s.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// smsEvent is the trajectory's event of kind about an SMS of smsKind, or nil.
func smsEvent(view map[string]any, kind string, smsKind trajectory.SMSKind) map[string]any {
	events, _ := view["events"].([]any)
	for _, e := range events {
		e := e.(map[string]any)
		if d, _ := e["detail"].(map[string]any); e["kind"] == kind && d["sms"] == string(smsKind) {
			return e
		}
	}
	return nil
}

// TestSMSToAFamilyThroughKannel runs SMS to families against real Kannel
// with fakesmsc. A Turkish-speaking family that agreed to SMS has its
// visit moved: it gets the confirmation; then, 30 seconds before the
// visit (test-seconds' sms_reminder_lead), the reminder, while the
// worker is killed with the request at the gateway: after the restart
// the family has exactly one reminder, in Turkish, with its first name
// and the visit's time in Belgian time, and Kannel's delivery reports
// are recorded. Then Kannel goes down: another family's reminder is
// tried until its bound, recorded as failed, and the trajectory goes on.
func TestSMSToAFamilyThroughKannel(t *testing.T) {
	root, _ := filepath.Abs("..")
	k := kannelstack.Start(t, filepath.Join(root, "deploy/kannel/kannel.conf.tmpl"))
	hold := &smsHold{target: k.URL, hold: "yarın", held: make(chan time.Time, 1), release: make(chan struct{})}
	gateway := httptest.NewServer(hold)
	t.Cleanup(gateway.Close)
	// A test that fails while the gateway holds a request lets it go first.
	t.Cleanup(func() {
		select {
		case <-hold.release:
		default:
			close(hold.release)
		}
	})
	s := startStackWith(t, filepath.Join(root, "deploy/programmes"),
		"SMS_GATEWAY_URL="+gateway.URL+"/cgi-bin/sendsms", "SMS_USERNAME="+k.User, "SMS_PASSWORD="+k.Password)
	coach, supervisor := "coach:test-coach", "supervisor:test-supervisor"

	id := s.referWithSMS("E2E-SMS-1", "0470 12 34 56")
	s.mustStep(supervisor, id, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep(coach, id, "intake", map[string]any{"next_visit_due_at": time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339)})
	visit := time.Now().Add(50 * time.Second).UTC().Truncate(time.Second)
	s.mustStep(coach, id, "visits/move", map[string]any{"step": "home_visit-1", "to": visit.Format(time.RFC3339), "reason": "familie vroeg het"})
	when := visit.In(trajectory.Belgium()).Format("15:04")
	confirmation := s.waitSMS(k, "değişti")
	if confirmation.To != "+32470123456" || !strings.Contains(confirmation.Text, "Merhaba Ayşe") || !strings.Contains(confirmation.Text, when) {
		t.Errorf("the confirmation: %+v; want it in Turkish to +32470123456, with the first name and %s", confirmation, when)
	}

	// The reminder reaches the gateway 30 seconds before the visit; the
	// worker dies while the gateway holds it.
	var heldAt time.Time
	select {
	case heldAt = <-hold.held:
	case <-time.After(60 * time.Second):
		t.Fatalf("no reminder reached the gateway; logs:\n%s", s.Logs())
	}
	if due := visit.Add(-30 * time.Second); heldAt.Before(due) || heldAt.After(due.Add(3*time.Second)) {
		t.Errorf("the reminder reached the gateway at %s, want at %s (30s before the visit)", heldAt.Format(time.RFC3339Nano), due)
	}
	s.killWorker()
	close(hold.release)
	s.startWorker()
	view := s.waitFor(coach, id, func(v map[string]any) bool {
		return smsEvent(v, "sms_sent", trajectory.SMSVisitReminder) != nil || smsEvent(v, "sms_failed", trajectory.SMSVisitReminder) != nil
	})
	reminders := 0
	for _, m := range k.Messages() {
		if strings.Contains(m.Text, "yarın") {
			reminders++
			if m.To != "+32470123456" || !strings.HasPrefix(m.Text, "Merhaba Ayşe,") || !strings.Contains(m.Text, when) || strings.Contains(m.Text, "Yılmaz") {
				t.Errorf("the reminder: %+v; want Turkish, the first name only and %s", m, when)
			}
		}
	}
	if reminders != 1 {
		t.Fatalf("%d reminders reached the SMSC across the worker's death, want exactly 1: %+v", reminders, k.Messages())
	}
	// The worker died after the request went out. Kannel's report that the
	// SMSC has it usually comes before the retry, which then finds it sent
	// (sms_sent); a retry that comes first finds it committing, does not
	// send again, and the coach sees it in doubt (sms_failed, SMSInDoubt).
	remindedSent := smsEvent(view, "sms_sent", trajectory.SMSVisitReminder)
	remindedFailed := smsEvent(view, "sms_failed", trajectory.SMSVisitReminder)
	if (remindedSent == nil) == (remindedFailed == nil) || remindedFailed != nil && remindedFailed["detail"].(map[string]any)["reason"] != "SMSInDoubt" {
		t.Errorf("the reminder's events: sent %v, failed %v; want one: sent, or failed in doubt", remindedSent, remindedFailed)
	}
	rows := s.smsLedger(id, trajectory.SMSVisitReminder)
	if len(rows) != 1 || rows[0].status != "unconfirmed" && rows[0].status != "sent" || rows[0].recipient != "" || rows[0].attempts != 2 {
		t.Fatalf("the reminder in the ledger: %+v; want one row, in doubt (or settled by Kannel's report), two attempts, without the number", rows)
	}
	// Kannel's reports that the SMSC and the phone have it settle the
	// doubt: the ledger holds it as sent.
	s.waitReports(rows[0].token)
	if rows := s.smsLedger(id, trajectory.SMSVisitReminder); rows[0].status != "sent" {
		t.Errorf("the reminder after Kannel's reports: %+v; want sent", rows)
	}
	if rows := s.smsLedger(id, trajectory.SMSVisitMoved); len(rows) != 1 || rows[0].status != "sent" {
		t.Errorf("the confirmation in the ledger: %+v; want sent", rows)
	}

	// Kannel down: a reminder is tried until its bound (30 seconds in
	// test-seconds), then recorded as failed; the trajectory goes on.
	k.Stop()
	other := s.referWithSMS("E2E-SMS-2", "+32 470 99 88 77")
	s.mustStep(supervisor, other, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep(coach, other, "intake", map[string]any{"next_visit_due_at": time.Now().Add(35 * time.Second).UTC().Format(time.RFC3339)})
	var failed map[string]any
	for deadline := time.Now().Add(90 * time.Second); failed == nil; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no sms_failed within 90s; logs:\n%s", s.Logs())
		}
		_, v := s.call(coach, "GET", "/v1/trajectories/"+other, nil, nil)
		failed = smsEvent(v, "sms_failed", trajectory.SMSVisitReminder)
	}
	if reason := failed["detail"].(map[string]any)["reason"]; reason != "not_sent" {
		t.Errorf("the failed reminder's reason: %v, want not_sent", reason)
	}
	if rows := s.smsLedger(other, trajectory.SMSVisitReminder); len(rows) != 1 || rows[0].status != "pending" || rows[0].attempts < 2 {
		t.Errorf("the failed reminder in the ledger: %+v; want pending after several attempts", rows)
	}
	s.mustStep(coach, other, "visits", map[string]any{"next_visit_due_at": time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)})

	s.replayTrajectory(id, "sms-reminder-in-doubt")
	s.replayTrajectory(other, "sms-gateway-down")
	// No number and no text of an SMS in the histories, failures included.
	for _, tr := range []string{id, other} {
		raw, err := json.Marshal(s.history(tr, ""))
		if err != nil {
			t.Fatal(err)
		}
		for _, personal := range []string{"32470123456", "32470998877", "470 12 34 56", "470 99 88 77", "Merhaba", "Ay\u015fe", "Ayşe", "Ay%C5%9Fe"} {
			if strings.Contains(string(raw), personal) {
				t.Errorf("the history of %s holds %q in clear", tr, personal)
			}
		}
	}
	s.eraseLeavesNoSMS(id, rows[0].token)
}

// eraseLeavesNoSMS erases the trajectory: no column of the database holds
// the family's name or number then, and its SMS's delivery reports are
// refused (the token is cleared with the ledger's keys).
func (s *stack) eraseLeavesNoSMS(id, token string) {
	s.t.Helper()
	if status, erased := s.call("supervisor:test-supervisor", "POST", "/v1/trajectories/"+id+"/erasure", nil, nil); status != http.StatusOK {
		s.t.Fatalf("erasure: %d %v", status, erased)
	}
	ctx := context.Background()
	conn := s.db()
	defer conn.Close(ctx)
	cols, err := erasurecheck.List(ctx, conn)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, p := range erasurecheck.Unclassified(cols) {
		s.t.Error(p)
	}
	found, err := erasurecheck.Find(ctx, conn, cols, erasurecheck.Values{Texts: []string{"Ayşe Yılmaz", "0470 12 34 56", "+32470123456"}})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, f := range found {
		s.t.Errorf("after the erasure: %s", f)
	}
	if status, _ := s.call("", "GET", "/v1/sms-reports/"+token+"?status=1", nil, nil); status != http.StatusNotFound {
		s.t.Errorf("a delivery report of the erased trajectory's SMS: %d, want 404", status)
	}
}

// waitReports waits until Kannel's delivery reports of the SMS with token
// are recorded: accepted by the SMSC (8) and delivered (1).
func (s *stack) waitReports(token string) {
	s.t.Helper()
	ctx := context.Background()
	conn := s.db()
	defer conn.Close(ctx)
	var got []int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = nil
		rows, err := conn.Query(ctx, `SELECT status FROM sms_delivery_reports WHERE token = $1 ORDER BY reported_at, id`, token)
		if err != nil {
			s.t.Fatal(err)
		}
		for rows.Next() {
			var st int
			_ = rows.Scan(&st)
			got = append(got, st)
		}
		rows.Close()
		if len(got) >= 2 {
			return
		}
	}
	s.t.Errorf("delivery reports of the reminder: %v; want accepted (8) and delivered (1)", got)
}

// waitSMS waits for an SMS whose text holds part to reach the fake SMSC.
func (s *stack) waitSMS(k *kannelstack.Kannel, part string) kannelstack.Message {
	s.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, m := range k.Messages() {
			if strings.Contains(m.Text, part) {
				return m
			}
		}
	}
	s.t.Fatalf("no SMS with %q reached the SMSC within 30s; it got %+v; logs:\n%s", part, k.Messages(), s.Logs())
	return kannelstack.Message{}
}
