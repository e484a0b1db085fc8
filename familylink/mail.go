package familylink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/mailer/ledger"
)

// Mailer sends a family its link by email, once per link: the key names
// the link, so a request sent again finds the email sent and sends
// nothing. Texter sends the link by SMS.
type Mailer struct {
	Ledger ledger.Ledger
	Sender ledger.Sender
	From   string
}

// Notifier sends a family its link, and tells the coach of a family's
// request for another date; Mailer is the one for email.
type Notifier interface {
	SendLink(ctx context.Context, m LinkMessage) error
	SendDateRequest(ctx context.Context, m DateRequestMessage) error
}

// DateRequestMessage tells the coach that the family asked for another
// date: where to see it, nothing of what the family wrote (that is in the
// trajectory's sealed log).
type DateRequestMessage struct {
	TrajectoryID string
	// Key names the request (its Update's key): one email per request.
	Key      string
	To       string
	PagesURL string // the coach's page of the trajectory
}

// SendDateRequest emails the coach, once per request.
func (m *Mailer) SendDateRequest(ctx context.Context, d DateRequestMessage) error {
	key := d.TrajectoryID + "/date-request/" + d.Key + "/coach"
	return m.deliver(ctx, key, mailer.Message{
		MessageID: messageID(key),
		From:      m.From,
		To:        d.To,
		Subject:   "Een gezin vraagt een andere datum (traject " + d.TrajectoryID + ")",
		TextBody: "Het gezin van traject " + d.TrajectoryID + " vraagt op zijn eigen pagina een andere datum voor de volgende afspraak.\n" +
			"De afspraak zelf is niet veranderd. Neem contact op met het gezin en kies samen een nieuwe datum.\n\n" +
			"Het traject: " + d.PagesURL + "\n",
		Headers: map[string]string{"X-Elkgezin-Trajectory": d.TrajectoryID},
	})
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

// SendLink sends the link through the ledger (ledger.Deliver): at most once, and exactly once unless the mail server's
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
	return m.deliver(ctx, key, msg)
}

// deliver sends msg under key through the ledger; an email that may have
// reached the server, now or in an earlier attempt, is ErrInDoubt.
func (m *Mailer) deliver(ctx context.Context, key string, msg mailer.Message) error {
	out, err := ledger.Deliver(ctx, m.Ledger, m.Sender, key, msg)
	if err == nil && (out.Result == ledger.InDoubt || out.Result == ledger.InDoubtBefore) {
		return ErrInDoubt
	}
	return err
}

// messageID is the email's stable Message-Id, from its key, naming no one.
func messageID(key string) string {
	return "<" + strings.ReplaceAll(key, "/", ".") + "@elkgezin>"
}
