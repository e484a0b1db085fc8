package familylink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"elkgezin/mailer"
	"elkgezin/store"
)

// Ledger is the email ledger (*store.Store): each email under its key
// goes out once, as in package activities.
type Ledger interface {
	BeginEmail(ctx context.Context, key, messageID, recipient, subject string) (prior store.EmailStatus, attempt int, err error)
	MarkEmailCommitting(ctx context.Context, key string, attempt int) error
	MarkEmailSent(ctx context.Context, key string) error
	MarkEmailUnconfirmed(ctx context.Context, key string) error
	MarkEmailNotSent(ctx context.Context, key string, attempt int) error
}

// Sender delivers one email (*mailer.Sender).
type Sender interface {
	SendCommitting(ctx context.Context, m mailer.Message, beforeCommit func(context.Context) error) error
}

// Mailer sends a family its link by email, once per link: the key names
// the link, so a request sent again finds the email sent and sends
// nothing. (A text message is another channel, not built: it would be a
// second implementation of Notifier.)
type Mailer struct {
	Ledger Ledger
	Sender Sender
	From   string
}

// Notifier sends a family its link; Mailer is the one for email.
type Notifier interface {
	SendLink(ctx context.Context, m LinkMessage) error
}

// LinkMessage is the email that carries a family's link.
type LinkMessage struct {
	TrajectoryID, LinkID string
	To                   string
	Language             Language
	URL                  string
	ExpiresAt            time.Time
	// ReplyTo is the team's address, so the family's answer reaches it.
	ReplyTo string
}

// ErrInDoubt: the email may or may not have reached the mail server; it
// is not sent again.
var ErrInDoubt = errors.New("the email may or may not have been accepted; it is not sent again")

// EmailKey is the ledger's key of a link's email: under the trajectory's
// id, so the erasure clears it with the trajectory's other emails.
func EmailKey(trajectoryID, linkID string) string {
	return trajectoryID + "/family-link/" + linkID
}

// SendLink sends the link through the ledger (see activities.deliver for
// the protocol): at most once, and exactly once unless the mail server's
// answer to the end of the message is lost.
func (m *Mailer) SendLink(ctx context.Context, l LinkMessage) error {
	key := EmailKey(l.TrajectoryID, l.LinkID)
	lang := l.Language.Code
	msg := mailer.Message{
		MessageID: messageID(key),
		From:      m.From,
		To:        l.To,
		ReplyTo:   l.ReplyTo,
		Subject:   text(lang, msgMailSubject),
		TextBody:  fmt.Sprintf(text(lang, msgMailBody), l.URL, l.ExpiresAt.In(Zone).Format("02-01-2006")) + "\n",
		Headers:   map[string]string{"Content-Language": lang},
	}
	prior, attempt, err := m.Ledger.BeginEmail(ctx, key, msg.MessageID, msg.To, msg.Subject)
	if err != nil {
		return fmt.Errorf("begin email %s: %w", key, err)
	}
	switch prior {
	case store.EmailSent:
		return nil
	case store.EmailUnconfirmed:
		return ErrInDoubt
	case store.EmailCommitting:
		if err := m.Ledger.MarkEmailUnconfirmed(ctx, key); err != nil {
			return fmt.Errorf("mark email %s unconfirmed: %w", key, err)
		}
		return ErrInDoubt
	}
	err = m.Sender.SendCommitting(ctx, msg, func(ctx context.Context) error {
		return m.Ledger.MarkEmailCommitting(ctx, key, attempt)
	})
	switch {
	case err == nil:
		return m.Ledger.MarkEmailSent(ctx, key)
	case errors.Is(err, mailer.ErrInDoubt):
		if err2 := m.Ledger.MarkEmailUnconfirmed(ctx, key); err2 != nil {
			return errors.Join(err, err2)
		}
		return ErrInDoubt
	}
	if err2 := m.Ledger.MarkEmailNotSent(ctx, key, attempt); err2 != nil {
		err = errors.Join(err, err2)
	}
	return fmt.Errorf("send email %s: %w", key, err)
}

// messageID is the email's stable Message-Id, from its key, naming no one.
func messageID(key string) string {
	return "<" + strings.ReplaceAll(key, "/", ".") + "@elkgezin>"
}
