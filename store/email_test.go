package store

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elkgezin/elkgezin/internal/pgtest"
)

// begin calls BeginEmail with a message id that changes per call, so tests
// see that the first one is kept.
func begin(t *testing.T, s *Store, key string, n int) (EmailStatus, int) {
	t.Helper()
	prior, attempt, err := s.BeginEmail(t.Context(), key, "<msg-"+strconv.Itoa(n)+"@elkgezin>", "coach@example.org", "Intake due")
	if err != nil {
		t.Fatalf("BeginEmail %s: %v", key, err)
	}
	return prior, attempt
}

func email(t *testing.T, s *Store, key string) EmailRecord {
	t.Helper()
	r, err := s.Email(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEmailLedgerSendsOnce(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	const key = "tr-abc/reminder:intake"

	if prior, attempt := begin(t, s, key, 1); prior != EmailPending || attempt != 1 {
		t.Fatalf("first BeginEmail = %s, %d; want pending, 1", prior, attempt)
	}
	// A retry before the first attempt reached the server.
	prior, attempt := begin(t, s, key, 2)
	if prior != EmailPending || attempt != 2 {
		t.Fatalf("second BeginEmail = %s, %d; want pending, 2", prior, attempt)
	}
	if err := s.MarkEmailCommitting(ctx, key, attempt); err != nil {
		t.Fatal(err)
	}
	if r := email(t, s, key); r.Status != EmailCommitting || r.CommittingAt == nil || r.SentAt != nil {
		t.Errorf("after MarkEmailCommitting: %+v", r)
	}
	if err := s.MarkEmailSent(ctx, key); err != nil {
		t.Fatal(err)
	}
	if prior, attempt := begin(t, s, key, 3); prior != EmailSent || attempt != 3 {
		t.Errorf("BeginEmail after sent = %s, %d; want sent, 3", prior, attempt)
	}
	r := email(t, s, key)
	if r.Status != EmailSent || r.Attempts != 3 || r.SentAt == nil || r.MessageID != "<msg-1@elkgezin>" ||
		r.Recipient != "coach@example.org" || r.Subject != "Intake due" || r.FirstAttemptAt.IsZero() || r.UpdatedAt.IsZero() {
		t.Errorf("ledger row = %+v", r)
	}
}

func TestEmailLedgerDefiniteFailureGoesBackToPending(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	const key = "tr-abc/handover-1"

	// The server was down: nothing was committed.
	_, attempt := begin(t, s, key, 1)
	if err := s.MarkEmailNotSent(ctx, key, attempt); err != nil {
		t.Fatal(err)
	}
	// The server refused the end of the message.
	prior, attempt := begin(t, s, key, 2)
	if prior != EmailPending {
		t.Fatalf("prior = %s, want pending", prior)
	}
	if err := s.MarkEmailCommitting(ctx, key, attempt); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailNotSent(ctx, key, attempt); err != nil {
		t.Fatal(err)
	}
	if prior, attempt := begin(t, s, key, 3); prior != EmailPending || attempt != 3 {
		t.Errorf("BeginEmail after a definite failure = %s, %d; want pending, 3", prior, attempt)
	}
}

func TestEmailLedgerInDoubtBecomesUnconfirmed(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	const key = "tr-abc/alert:home_visit-2"

	_, attempt := begin(t, s, key, 1)
	if err := s.MarkEmailCommitting(ctx, key, attempt); err != nil {
		t.Fatal(err)
	}
	// The worker died here. The retry finds the email committing.
	prior, attempt := begin(t, s, key, 2)
	if prior != EmailCommitting || attempt != 2 {
		t.Fatalf("BeginEmail in doubt = %s, %d; want committing, 2", prior, attempt)
	}
	// The retry cannot commit it again, nor put it back to pending.
	if err := s.MarkEmailCommitting(ctx, key, attempt); !errors.Is(err, ErrEmailConflict) {
		t.Errorf("MarkEmailCommitting of a committing email: err = %v, want ErrEmailConflict", err)
	}
	if err := s.MarkEmailNotSent(ctx, key, 1); err != nil {
		t.Errorf("MarkEmailNotSent of a superseded attempt: %v", err)
	}
	if r := email(t, s, key); r.Status != EmailCommitting {
		t.Errorf("a superseded attempt changed the status to %s", r.Status)
	}
	if err := s.MarkEmailUnconfirmed(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailUnconfirmed(ctx, key); err != nil {
		t.Errorf("MarkEmailUnconfirmed twice: %v", err)
	}
	if err := s.MarkEmailNotSent(ctx, key, 2); err != nil {
		t.Fatal(err)
	}
	if prior, _ := begin(t, s, key, 3); prior != EmailUnconfirmed {
		t.Errorf("BeginEmail after unconfirmed = %s, want unconfirmed", prior)
	}

	// An operator sees it; a young committing email is not listed yet.
	_, young := begin(t, s, "young", 1)
	if err := s.MarkEmailCommitting(ctx, "young", young); err != nil {
		t.Fatal(err)
	}
	doubt, err := s.EmailsInDoubt(ctx, time.Now().Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(doubt) != 1 || doubt[0].Key != key || doubt[0].Status != EmailUnconfirmed || doubt[0].Attempts != 3 {
		t.Errorf("EmailsInDoubt = %+v", doubt)
	}
	if doubt, err := s.EmailsInDoubt(ctx, time.Now().Add(time.Hour), 10); err != nil || len(doubt) != 2 {
		t.Errorf("EmailsInDoubt with both = %d rows, %v", len(doubt), err)
	}

	// A late confirmation settles it as sent.
	if err := s.MarkEmailSent(ctx, key); err != nil {
		t.Fatal(err)
	}
	if r := email(t, s, key); r.Status != EmailSent || r.SentAt == nil {
		t.Errorf("after a late MarkEmailSent: %+v", r)
	}
	if err := s.MarkEmailUnconfirmed(ctx, key); err != nil {
		t.Errorf("MarkEmailUnconfirmed of a sent email: %v", err)
	}
	if r := email(t, s, key); r.Status != EmailSent {
		t.Errorf("MarkEmailUnconfirmed moved a sent email to %s", r.Status)
	}
}

// Two attempts running at once (Temporal starts a retry when the first one
// timed out, which may still be running): only the newest may commit.
func TestEmailLedgerNewerAttemptFencesOlder(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	const key = "tr-abc/handover-2"

	_, first := begin(t, s, key, 1)
	_, second := begin(t, s, key, 2)
	if err := s.MarkEmailCommitting(ctx, key, first); !errors.Is(err, ErrEmailConflict) {
		t.Fatalf("the older attempt committed: err = %v", err)
	}
	if err := s.MarkEmailNotSent(ctx, key, first); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailCommitting(ctx, key, second); err != nil {
		t.Fatalf("the newer attempt cannot commit: %v", err)
	}
	if err := s.MarkEmailNotSent(ctx, key, first); err != nil {
		t.Fatal(err)
	}
	if r := email(t, s, key); r.Status != EmailCommitting {
		t.Errorf("the older attempt moved the newer one's email to %s", r.Status)
	}
}

func TestEmailLedgerUnconfirmedOfPendingIsConflict(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	const key = "tr-abc/reminder:birth"
	begin(t, s, key, 1)
	if err := s.MarkEmailUnconfirmed(t.Context(), key); !errors.Is(err, ErrEmailConflict) {
		t.Errorf("MarkEmailUnconfirmed of a pending email: err = %v, want ErrEmailConflict", err)
	}
	if r := email(t, s, key); r.Status != EmailPending {
		t.Errorf("status = %s, want pending", r.Status)
	}
}

func TestEmailUnknownKey(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	for name, err := range map[string]error{
		"MarkEmailSent":        s.MarkEmailSent(ctx, "nope"),
		"MarkEmailCommitting":  s.MarkEmailCommitting(ctx, "nope", 1),
		"MarkEmailUnconfirmed": s.MarkEmailUnconfirmed(ctx, "nope"),
		"MarkEmailNotSent":     s.MarkEmailNotSent(ctx, "nope", 1),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.Email(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Email: err = %v, want ErrNotFound", err)
	}
}

// A row the previous version left 'sending' becomes pending, so that it is
// sent as that version would have sent it.
func TestMigrationMakesSendingPending(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := migrateUpTo(ctx, pool, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO outbound_emails (key, message_id, recipient, subject, status, attempts, sent_at)
		VALUES ('old-sending', '<a@elkgezin>', 'coach@example.org', 's', 'sending', 2, NULL),
		       ('old-sent', '<b@elkgezin>', 'coach@example.org', 's', 'sent', 1, now())`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	s := &Store{pool: pool}
	if prior, attempt := begin(t, s, "old-sending", 9); prior != EmailPending || attempt != 3 {
		t.Errorf("old sending row: BeginEmail = %s, %d; want pending, 3", prior, attempt)
	}
	if r := email(t, s, "old-sent"); r.Status != EmailSent || r.SentAt == nil {
		t.Errorf("old sent row = %+v", r)
	}
	if _, err := pool.Exec(ctx, `UPDATE outbound_emails SET status = 'sending' WHERE key = 'old-sent'`); err == nil {
		t.Error("the status check still allows 'sending'")
	}
}
