// Package ledger sends an email at most once through the email ledger
// (*store.Store), and exactly once unless the mail server's answer to the
// end of the message is lost: the protocol the worker's emails and the
// family's link share.
package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/store"
)

// Ledger follows every email through its SMTP transaction, under the
// email's idempotency key; *store.Store is one. See store.EmailStatus for
// the meaning of each status.
type Ledger interface {
	// BeginEmail records an attempt and returns the status before it and
	// the attempt's number.
	BeginEmail(ctx context.Context, key, messageID, recipient, subject string) (prior store.EmailStatus, attempt int, err error)
	// MarkEmailCommitting runs just before the message's final "." goes
	// out; it fails when a newer attempt began.
	MarkEmailCommitting(ctx context.Context, key string, attempt int) error
	MarkEmailSent(ctx context.Context, key string) error
	// MarkEmailUnconfirmed settles an email whose delivery is in doubt:
	// never to be sent again, reported to the supervisor.
	MarkEmailUnconfirmed(ctx context.Context, key string) error
	// MarkEmailNotSent puts the email back to pending after a failure that
	// certainly delivered nothing.
	MarkEmailNotSent(ctx context.Context, key string, attempt int) error
}

// Sender delivers one email, calling beforeCommit just before the server
// can accept it; *mailer.Sender is one.
type Sender interface {
	SendCommitting(ctx context.Context, m mailer.Message, beforeCommit func(context.Context) error) error
}

// Result says how an email delivered without error stands.
type Result int

const (
	// Sent: this attempt sent it.
	Sent Result = iota
	// SentBefore: an earlier attempt sent it; nothing was sent now.
	SentBefore
	// InDoubtBefore: an earlier attempt died after the server may have
	// accepted it (found committing, now marked unconfirmed, or found
	// unconfirmed); it is not sent again.
	InDoubtBefore
	// InDoubt: this attempt's end of message went out without the
	// server's answer; marked unconfirmed, not sent again.
	InDoubt
)

// Outcome is what Deliver did: its Result, the attempt's number, and for
// InDoubt the send error that left it so.
type Outcome struct {
	Result  Result
	Attempt int
	Cause   error
}

// Deliver sends m, the email named by key, unless the ledger has it sent
// or in doubt: an attempt that may have reached the server is marked
// unconfirmed and never sent again; a failure that certainly delivered
// nothing puts it back to pending and is the error, so a retry sends it.
// Errors name the key, never the recipient or content. The protocol, case
// by case: docs/design/email-delivery.md.
func Deliver(ctx context.Context, l Ledger, s Sender, key string, m mailer.Message) (Outcome, error) {
	prior, attempt, err := l.BeginEmail(ctx, key, m.MessageID, m.To, m.Subject)
	if err != nil {
		return Outcome{}, fmt.Errorf("begin email %s: %w", key, err)
	}
	out := Outcome{Attempt: attempt}
	switch prior {
	case store.EmailSent:
		out.Result = SentBefore
		return out, nil
	case store.EmailUnconfirmed:
		out.Result = InDoubtBefore
		return out, nil
	case store.EmailCommitting:
		if err := l.MarkEmailUnconfirmed(ctx, key); err != nil {
			return out, fmt.Errorf("mark email %s unconfirmed: %w", key, err)
		}
		out.Result = InDoubtBefore
		return out, nil
	case store.EmailPending:
	default:
		return out, fmt.Errorf("email %s has unknown ledger status %q", key, prior)
	}

	err = s.SendCommitting(ctx, m, func(ctx context.Context) error {
		return l.MarkEmailCommitting(ctx, key, attempt)
	})
	switch {
	case err == nil:
		if err := l.MarkEmailSent(ctx, key); err != nil {
			// A retry finds it committing and sends nothing.
			return out, fmt.Errorf("email %s was sent; marking it sent failed: %w", key, err)
		}
		out.Result = Sent
		return out, nil
	case errors.Is(err, mailer.ErrInDoubt):
		if err2 := l.MarkEmailUnconfirmed(ctx, key); err2 != nil {
			// A retry finds it committing and does the same.
			return out, fmt.Errorf("email %s may have been sent (%v); marking it unconfirmed failed: %w", key, err, err2)
		}
		out.Result, out.Cause = InDoubt, err
		return out, nil
	}
	// Nothing was delivered. After a superseded attempt, this changes nothing.
	if err2 := l.MarkEmailNotSent(ctx, key, attempt); err2 != nil {
		err = errors.Join(err, fmt.Errorf("mark email %s not sent: %w", key, err2))
	}
	return out, fmt.Errorf("send email %s: %w", key, err)
}
