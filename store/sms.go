package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// SMS to families share the email ledger (outbound_emails, channel sms):
// the same statuses, the same Mark methods, one row per obligation under
// its key. Only BeginSMS differs: no recipient and no subject are kept,
// and the message id is the token of the SMS's delivery reports.

// BeginSMS is BeginEmail for the SMS named by key, whose delivery reports
// come under token.
func (s *Store) BeginSMS(ctx context.Context, key, token string) (prior EmailStatus, attempt int, err error) {
	return s.begin(ctx, key, token, "", "", "sms")
}

// SMSLedger is the store as the email ledger's protocol
// (mailer/ledger.Ledger) for SMS: its BeginEmail is BeginSMS, and keeps
// no recipient or subject.
type SMSLedger struct{ *Store }

// BeginEmail begins an SMS; messageID is its delivery reports' token.
func (l SMSLedger) BeginEmail(ctx context.Context, key, messageID, _, _ string) (EmailStatus, int, error) {
	return l.BeginSMS(ctx, key, messageID)
}

// FamilyContact reads the family's contact data (name, phone number,
// language, consent to SMS) from the trajectory's sealed personal data,
// when an SMS goes out: no workflow carries the number. An error
// wrapping keys.ErrErased once the trajectory is erased, ErrNotFound
// before its referral is recorded.
func (s *Store) FamilyContact(ctx context.Context, trajectoryID string) (trajectory.Family, error) {
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT personal FROM trajectories WHERE id = $1`, trajectoryID).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return trajectory.Family{}, fmt.Errorf("family of %s: %w", trajectoryID, ErrNotFound)
	}
	if err != nil {
		return trajectory.Family{}, fmt.Errorf("family of %s: %w", trajectoryID, err)
	}
	k, err := s.openKey(ctx, trajectoryID)
	if err != nil {
		return trajectory.Family{}, fmt.Errorf("family of %s: %w", trajectoryID, err)
	}
	if k == nil {
		return trajectory.Family{}, fmt.Errorf("family of %s: %w", trajectoryID, keys.ErrErased)
	}
	if sealed == nil {
		// Written before data keys: from before SMS, so no consent to them.
		return trajectory.Family{}, nil
	}
	plain, err := k.Open(sealed, aadPersonal)
	if err != nil {
		return trajectory.Family{}, fmt.Errorf("family of %s: %w", trajectoryID, err)
	}
	defer clear(plain)
	var p personal
	if err := json.Unmarshal(plain, &p); err != nil {
		return trajectory.Family{}, fmt.Errorf("family of %s: %w", trajectoryID, err)
	}
	if p.Family == nil {
		return trajectory.Family{}, nil
	}
	return *p.Family, nil
}

// SMSReport is one delivery report of an SMS: Kannel's report type
// (sms.Delivered and the others) and when it came.
type SMSReport struct {
	Status     int       `json:"status"`
	ReportedAt time.Time `json:"reported_at"`
}

// Kannel's report types that say the SMSC or the phone has the SMS.
const (
	smsDelivered       = 1
	smsAcceptedBySMSC  = 8
	settledByReportSQL = `UPDATE outbound_emails SET status = 'sent', sent_at = coalesce(sent_at, now()), updated_at = now()
		WHERE channel = 'sms' AND message_id = $1 AND $1 <> '' AND status IN ('committing', 'unconfirmed') AND $2 IN (1, 8)`
	insertSMSReportSQL = `INSERT INTO sms_delivery_reports (token, status)
		SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM outbound_emails WHERE channel = 'sms' AND message_id = $1 AND $1 <> '')`
)

// RecordSMSReport records the gateway's report of the SMS whose token it
// is; an error wrapping ErrNotFound when no SMS has that token (a guess,
// or an erased trajectory's: its token was cleared). A report that the
// SMSC or the phone has it (smsAcceptedBySMSC, smsDelivered) settles an
// SMS in doubt as sent: the question the ledger could not answer.
func (s *Store) RecordSMSReport(ctx context.Context, token string, status int) error {
	if status == smsDelivered || status == smsAcceptedBySMSC {
		if _, err := s.pool.Exec(ctx, settledByReportSQL, token, status); err != nil {
			return fmt.Errorf("record sms report: %w", err)
		}
	}
	tag, err := s.pool.Exec(ctx, insertSMSReportSQL, token, status)
	if err != nil {
		return fmt.Errorf("record sms report: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record sms report: %w", ErrNotFound)
	}
	return nil
}

// SMSReports lists the delivery reports of the SMS named by key, oldest first.
func (s *Store) SMSReports(ctx context.Context, key string) ([]SMSReport, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.status, r.reported_at FROM sms_delivery_reports r
		JOIN outbound_emails e ON e.message_id = r.token AND e.channel = 'sms'
		WHERE e.key = $1 ORDER BY r.reported_at, r.id`, key)
	if err != nil {
		return nil, fmt.Errorf("sms reports of %s: %w", key, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SMSReport, error) {
		var r SMSReport
		return r, row.Scan(&r.Status, &r.ReportedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("sms reports of %s: %w", key, err)
	}
	return out, nil
}
