package store

import (
	"errors"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestSMSInTheEmailLedger: an SMS is a row of the email ledger under its
// own key, channel sms, with no number or text; its delivery reports are
// recorded by its token and only by it; the family's number is read from
// the sealed referral; an erasure leaves neither the number nor the token.
func TestSMSInTheEmailLedger(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ref := referredEvent("p1", "org", "SMS-LEDGER", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	consent := &trajectory.SMSConsent{RecordedOn: trajectory.Date{Time: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)}, Channel: "in_person"}
	ref.Referral.Family.SMSConsent = consent
	record(t, s, ref)
	id := ref.TrajectoryID

	f, err := s.FamilyContact(ctx, id)
	if err != nil || f.Phone != "+32 470 00 00 00" || f.SMSConsent == nil || f.SMSConsent.Channel != "in_person" {
		t.Fatalf("family contact: %+v, %v", f, err)
	}

	key := id + "/home_visit-1@20270110T090000Z/visit_reminder/family/sms"
	prior, attempt, err := SMSLedger{s}.BeginEmail(ctx, key, "token-1", "+32 470 00 00 00", "subject")
	if err != nil || prior != EmailPending || attempt != 1 {
		t.Fatalf("begin sms: %v %d %v", prior, attempt, err)
	}
	if err := s.MarkEmailCommitting(ctx, key, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailSent(ctx, key); err != nil {
		t.Fatal(err)
	}
	if prior, _, _ := s.BeginSMS(ctx, key, "token-2"); prior != EmailSent {
		t.Errorf("an SMS sent is %s to a second attempt", prior)
	}
	var channel, recipient, subject, token string
	if err := s.pool.QueryRow(ctx, `SELECT channel, recipient, subject, message_id FROM outbound_emails WHERE key = $1`, key).
		Scan(&channel, &recipient, &subject, &token); err != nil {
		t.Fatal(err)
	}
	if channel != "sms" || recipient != "" || subject != "" || token != "token-1" {
		t.Errorf("ledger row: %s %q %q %q; want sms, no number, no subject, the first token", channel, recipient, subject, token)
	}

	if err := s.RecordSMSReport(ctx, "token-1", 8); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSMSReport(ctx, "token-1", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSMSReport(ctx, "guessed", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("a report of an unknown token: %v", err)
	}
	if got, err := s.SMSReports(ctx, key); err != nil || len(got) != 2 || got[0].Status != 8 || got[1].Status != 1 {
		t.Errorf("reports: %+v, %v", got, err)
	}

	// An SMS in doubt (a worker died with the request at the gateway) is
	// settled as sent by the report that the SMSC has it.
	doubt := id + "/home_visit-1@20270110T090000Z/visit_moved/family/sms"
	if _, _, err := s.BeginSMS(ctx, doubt, "token-3"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailCommitting(ctx, doubt, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailUnconfirmed(ctx, doubt); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSMSReport(ctx, "token-3", 4); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Email(ctx, doubt); r.Status != EmailUnconfirmed {
		t.Errorf("after a queued report the SMS is %s, want still unconfirmed", r.Status)
	}
	if err := s.RecordSMSReport(ctx, "token-3", 8); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Email(ctx, doubt); r.Status != EmailSent || r.SentAt == nil {
		t.Errorf("after the SMSC's report the SMS is %s, want sent", r.Status)
	}

	if _, err := s.Erase(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FamilyContact(ctx, id); !errors.Is(err, keys.ErrErased) {
		t.Errorf("family contact after erasure: %v", err)
	}
	if err := s.RecordSMSReport(ctx, "token-1", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("a report after erasure: %v; want refused, its token is gone", err)
	}
}
