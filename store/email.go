package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/keys"
)

// EmailStatus is where an email stands in the ledger.
type EmailStatus string

// Statuses of an email in the ledger. The activity that sends an email
// moves it pending -> committing -> sent; see migration 0002.
const (
	// EmailPending is recorded, not (or, for certain, not yet) accepted by
	// the mail server: sending it is safe.
	EmailPending EmailStatus = "pending"
	// EmailCommitting says that the final "." of the message was about to
	// go out: from then on the server may have accepted it.
	EmailCommitting EmailStatus = "committing"
	// EmailSent is accepted by the mail server.
	EmailSent EmailStatus = "sent"
	// EmailUnconfirmed was found committing by a later attempt: it is
	// treated as sent and never sent again, and is kept for an operator to
	// check against the mail server's log.
	EmailUnconfirmed EmailStatus = "unconfirmed"
)

// EmailStatuses lists every status, as the API's export shows them.
var EmailStatuses = []EmailStatus{EmailPending, EmailCommitting, EmailSent, EmailUnconfirmed}

// ErrEmailConflict is wrapped by the errors of the Mark methods when the
// email is not in the state the call expects, because another attempt
// moved it meanwhile: a newer attempt began, or one settled it. The caller
// must not go on as if its step had been recorded.
var ErrEmailConflict = errors.New("the email's ledger row changed meanwhile")

// EmailRecord is one row of the email ledger.
type EmailRecord struct {
	Key            string      `json:"key"`
	MessageID      string      `json:"message_id"`
	Recipient      string      `json:"recipient"`
	Subject        string      `json:"subject"`
	Status         EmailStatus `json:"status"`
	Attempts       int         `json:"attempts"`
	FirstAttemptAt time.Time   `json:"first_attempt_at"`
	CommittingAt   *time.Time  `json:"committing_at,omitempty"`
	SentAt         *time.Time  `json:"sent_at,omitempty"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// BeginEmail records an attempt to send the email named by key, before the
// mail server is contacted. The first attempt creates the row, pending; a
// later one counts one more attempt and keeps the first message id,
// recipient and subject. It returns the status the row had before this
// attempt (pending for a new row) and the number of this attempt, which
// MarkEmailCommitting and MarkEmailNotSent take: a newer attempt fences
// off an older one still running, so only one of them can commit.
//
// The caller sends only when prior is pending: sent and unconfirmed are
// settled, and committing means an earlier attempt may have got through.
// An email of an erased trajectory (its key starts with the trajectory's
// id) is refused with an error wrapping keys.ErrErased: its recipient and
// subject would outlive the erasure.
func (s *Store) BeginEmail(ctx context.Context, key, messageID, recipient, subject string) (prior EmailStatus, attempt int, err error) {
	return s.begin(ctx, key, messageID, recipient, subject, "email")
}

// begin is BeginEmail for a message of the channel (email, sms).
func (s *Store) begin(ctx context.Context, key, messageID, recipient, subject, channel string) (prior EmailStatus, attempt int, err error) {
	trajectoryID, _, _ := strings.Cut(key, "/")
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("begin email %s: %w", key, err)
	}
	// A connection given back inside the transaction (an error) is closed
	// by the pool, never reused.
	defer c.Release()
	// One round trip. The data key's row is locked first: an erasure
	// under way (which deletes it) is waited for, and the insert, a later
	// statement, sees that it happened; an erasure that comes after waits
	// for this row and clears it.
	var b pgx.Batch
	b.Queue("BEGIN")
	b.Queue(`SELECT 1 FROM trajectory_keys WHERE trajectory_id = $1 FOR KEY SHARE`, trajectoryID)
	// The update changes only attempts, so the returned status is the one
	// before this attempt.
	b.Queue(`
		INSERT INTO outbound_emails AS e (key, message_id, recipient, subject, status, attempts, channel)
		SELECT $1, $2, $3, $4, 'pending', 1, $6
		WHERE NOT EXISTS (SELECT 1 FROM erased_trajectories WHERE trajectory_id = $5)
		ON CONFLICT (key) DO UPDATE SET attempts = e.attempts + 1, updated_at = now()
		RETURNING e.status, e.attempts`,
		key, messageID, recipient, subject, trajectoryID, channel).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&prior, &attempt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	b.Queue("COMMIT")
	if err := c.SendBatch(ctx, &b).Close(); err != nil {
		return "", 0, fmt.Errorf("begin email %s: %w", key, err)
	}
	if attempt == 0 {
		return "", 0, fmt.Errorf("begin an email of %s: %w", trajectoryID, keys.ErrErased)
	}
	return prior, attempt, nil
}

// MarkEmailCommitting records, just before the final "." of the message
// goes to the mail server, that the outcome is about to be in doubt. It
// succeeds only for a pending row whose latest attempt is attempt;
// otherwise it returns an error wrapping ErrEmailConflict (or ErrNotFound),
// and the caller must withdraw the message.
func (s *Store) MarkEmailCommitting(ctx context.Context, key string, attempt int) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE outbound_emails SET status = 'committing', committing_at = now(), updated_at = now()
		WHERE key = $1 AND status = 'pending' AND attempts = $2`, key, attempt)
	if err != nil {
		return fmt.Errorf("mark email %s committing: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return s.emailConflict(ctx, key, "mark email committing", fmt.Sprintf("pending at attempt %d", attempt))
	}
	return nil
}

// MarkEmailSent records that the mail server accepted the email, so later
// attempts send nothing. It settles any status, an unconfirmed one too. It
// returns an error wrapping ErrNotFound when BeginEmail was not called for key.
func (s *Store) MarkEmailSent(ctx context.Context, key string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE outbound_emails SET status = 'sent', sent_at = coalesce(sent_at, now()), updated_at = now()
		WHERE key = $1`, key)
	if err != nil {
		return fmt.Errorf("mark email %s sent: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark email %s sent: %w", key, ErrNotFound)
	}
	return nil
}

// MarkEmailUnconfirmed settles an email found committing: it counts as sent
// and is never sent again. An email already sent or unconfirmed stays as
// it is. A pending one is an error wrapping ErrEmailConflict: an attempt
// found meanwhile that it certainly did not go out, so it must be sent.
func (s *Store) MarkEmailUnconfirmed(ctx context.Context, key string) error {
	var status EmailStatus
	err := s.pool.QueryRow(ctx, `
		WITH moved AS (
			UPDATE outbound_emails SET status = 'unconfirmed', updated_at = now()
			WHERE key = $1 AND status = 'committing'
			RETURNING status)
		SELECT status FROM moved
		UNION ALL
		SELECT status FROM outbound_emails WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM moved)`, key).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("mark email %s unconfirmed: %w", key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("mark email %s unconfirmed: %w", key, err)
	}
	if status == EmailPending {
		return fmt.Errorf("mark email %s unconfirmed: it is %s: %w", key, status, ErrEmailConflict)
	}
	return nil
}

// MarkEmailNotSent puts the email back to pending after attempt failed in
// a way that is certain not to have delivered it (the server could not be
// reached, or refused before the end of the message), so that a retry sends
// it. It changes nothing when a newer attempt began meanwhile, or when the
// email is settled (sent or unconfirmed): that is no error.
func (s *Store) MarkEmailNotSent(ctx context.Context, key string, attempt int) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE outbound_emails SET status = 'pending', updated_at = now()
		WHERE key = $1 AND attempts = $2 AND status IN ('pending', 'committing')`, key, attempt)
	if err != nil {
		return fmt.Errorf("mark email %s not sent: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.Email(ctx, key); err != nil {
			return fmt.Errorf("mark email %s not sent: %w", key, err)
		}
	}
	return nil
}

// emailConflict explains why a conditional update of key changed no row.
func (s *Store) emailConflict(ctx context.Context, key, op, want string) error {
	r, err := s.Email(ctx, key)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, key, err)
	}
	return fmt.Errorf("%s %s: want %s, it is %s at attempt %d: %w", op, key, want, r.Status, r.Attempts, ErrEmailConflict)
}

// Email returns the ledger row of key, or an error wrapping ErrNotFound.
func (s *Store) Email(ctx context.Context, key string) (EmailRecord, error) {
	var r EmailRecord
	err := s.pool.QueryRow(ctx, `
		SELECT key, message_id, recipient, subject, status, attempts, first_attempt_at, committing_at, sent_at, updated_at
		FROM outbound_emails WHERE key = $1`, key).
		Scan(&r.Key, &r.MessageID, &r.Recipient, &r.Subject, &r.Status, &r.Attempts,
			&r.FirstAttemptAt, &r.CommittingAt, &r.SentAt, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return EmailRecord{}, fmt.Errorf("email %s: %w", key, err)
	}
	return r, nil
}

// EmailsInDoubt lists, oldest change first, the emails whose delivery no
// mail server confirmed: unconfirmed ones, and committing ones last
// changed before olderThan (a younger one may still be on its way). An
// operator checks them against the mail server's log. At most limit rows;
// none of an erased trajectory.
func (s *Store) EmailsInDoubt(ctx context.Context, olderThan time.Time, limit int) ([]EmailRecord, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT key, message_id, recipient, subject, status, attempts, first_attempt_at, committing_at, sent_at, updated_at
		FROM outbound_emails
		WHERE (status = 'unconfirmed' OR (status = 'committing' AND updated_at < $1))
			AND message_id <> '' -- an erased trajectory's: nothing left to look up
		ORDER BY updated_at, key
		LIMIT $2`, olderThan, limit)
	if err != nil {
		return nil, fmt.Errorf("emails in doubt: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (EmailRecord, error) {
		var r EmailRecord
		err := row.Scan(&r.Key, &r.MessageID, &r.Recipient, &r.Subject, &r.Status, &r.Attempts,
			&r.FirstAttemptAt, &r.CommittingAt, &r.SentAt, &r.UpdatedAt)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("emails in doubt: %w", err)
	}
	return out, nil
}
