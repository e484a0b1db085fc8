package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Statuses of an email in the ledger.
const (
	EmailSending = "sending" // an attempt began; it may or may not have gone out
	EmailSent    = "sent"
)

// EmailRecord is one row of the email ledger.
type EmailRecord struct {
	Key            string     `json:"key"`
	MessageID      string     `json:"message_id"`
	Recipient      string     `json:"recipient"`
	Subject        string     `json:"subject"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	FirstAttemptAt time.Time  `json:"first_attempt_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
}

// BeginEmail records an attempt to send the email named by key, before it
// is handed to the mail server. The first attempt creates the row; a retry
// counts one more attempt and keeps the first message id, so the recipient's
// mail server can drop a duplicate. alreadySent tells the caller to send
// nothing: an earlier attempt got through.
func (s *Store) BeginEmail(ctx context.Context, key, messageID, recipient, subject string) (alreadySent bool, err error) {
	err = s.pool.QueryRow(ctx, `
		INSERT INTO outbound_emails AS e (key, message_id, recipient, subject, status, attempts)
		VALUES ($1, $2, $3, $4, 'sending', 1)
		ON CONFLICT (key) DO UPDATE SET attempts = e.attempts + 1
		RETURNING e.status = 'sent'`,
		key, messageID, recipient, subject).Scan(&alreadySent)
	if err != nil {
		return false, fmt.Errorf("begin email %s: %w", key, err)
	}
	return alreadySent, nil
}

// MarkEmailSent records that the mail server accepted the email, so later
// attempts send nothing. It returns an error wrapping ErrNotFound when
// BeginEmail was not called for key.
func (s *Store) MarkEmailSent(ctx context.Context, key string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE outbound_emails SET status = 'sent', sent_at = coalesce(sent_at, now())
		WHERE key = $1`, key)
	if err != nil {
		return fmt.Errorf("mark email %s sent: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark email %s sent: %w", key, ErrNotFound)
	}
	return nil
}

// Email returns the ledger row of key, or an error wrapping ErrNotFound.
func (s *Store) Email(ctx context.Context, key string) (EmailRecord, error) {
	var r EmailRecord
	err := s.pool.QueryRow(ctx, `
		SELECT key, message_id, recipient, subject, status, attempts, first_attempt_at, sent_at
		FROM outbound_emails WHERE key = $1`, key).
		Scan(&r.Key, &r.MessageID, &r.Recipient, &r.Subject, &r.Status, &r.Attempts, &r.FirstAttemptAt, &r.SentAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return EmailRecord{}, fmt.Errorf("email %s: %w", key, err)
	}
	return r, nil
}
