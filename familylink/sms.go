package familylink

import (
	"context"
	"errors"
	"fmt"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/mailer/ledger"
	"github.com/elkgezin/elkgezin/sms"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Texter sends a family its link by SMS, once per link, through the email
// ledger (store.SMSLedger), to the number of the sealed referral: only for
// a family that agreed to SMS there.
type Texter struct {
	Families interface {
		FamilyContact(ctx context.Context, trajectoryID string) (trajectory.Family, error)
	}
	Ledger  ledger.Ledger
	Gateway *sms.Client
	// ReportSecret keys the delivery reports' tokens (sms.ReportToken).
	ReportSecret []byte
}

// ErrNoSMSConsent: the family did not agree to SMS, or gave no number.
var ErrNoSMSConsent = errors.New("the family did not agree to SMS in its referral, or has no phone number")

// SMSKey is the ledger's key of a link's SMS: the trajectory, the link,
// the kind and the channel.
func SMSKey(trajectoryID, linkID string) string {
	return trajectoryID + "/family-link/" + linkID + "/" + string(trajectory.SMSFamilyLink) + "/family/sms"
}

// SendLinkSMS texts the link in the link's language with the family's
// first name. An SMS sent before is not sent again (nil); one that may or
// may not have reached the gateway is ErrInDoubt.
func (t *Texter) SendLinkSMS(ctx context.Context, l LinkMessage) error {
	family, err := t.Families.FamilyContact(ctx, l.TrajectoryID)
	switch {
	case errors.Is(err, keys.ErrErased):
		return ErrNoSMSConsent
	case err != nil:
		return err
	case family.SMSConsent == nil || sms.Number(family.Phone) == "":
		return ErrNoSMSConsent
	}
	text, err := sms.Render(l.Language.Code, sms.Text{Kind: trajectory.SMSFamilyLink, FirstName: sms.FirstName(family.ContactName), URL: l.URL})
	if err != nil {
		return err
	}
	key := SMSKey(l.TrajectoryID, l.LinkID)
	token := sms.ReportToken(t.ReportSecret, key)
	out, err := ledger.Deliver(ctx, t.Ledger, linkSender{gateway: t.Gateway, to: sms.Number(family.Phone), token: token}, key,
		mailer.Message{MessageID: token, TextBody: text})
	if err != nil {
		return fmt.Errorf("sms of family link %s: %w", l.LinkID, err)
	}
	if out.Result == ledger.InDoubt || out.Result == ledger.InDoubtBefore {
		return ErrInDoubt
	}
	return nil
}

// linkSender is the gateway as the ledger's protocol sees a mail server.
type linkSender struct {
	gateway   *sms.Client
	to, token string
}

func (s linkSender) SendCommitting(ctx context.Context, m mailer.Message, beforeCommit func(context.Context) error) error {
	return s.gateway.Send(ctx, sms.Message{To: s.to, Text: m.TextBody, ReportToken: s.token}, beforeCommit)
}

// text sends the link by SMS when asked: whether it went (now or before)
// and, if not, why in English.
func (i Issuer) text(ctx context.Context, link LinkMessage) (bool, string) {
	if i.SMS == nil || i.SMS.Gateway == nil {
		return false, "this server sends no SMS (no SMS gateway is configured); hand the family the link another way"
	}
	err := i.SMS.SendLinkSMS(ctx, link)
	switch {
	case err == nil:
		return true, ""
	case errors.Is(err, ErrNoSMSConsent):
		return false, "the family did not agree to SMS in its referral (family.sms_consent), or has no phone number"
	case errors.Is(err, ErrInDoubt):
		return false, "the SMS may or may not have reached the SMS gateway, so it is not sent again; ask the family whether it arrived"
	}
	i.logger().Warn("family link: sms failed", "trajectory_id", link.TrajectoryID, "error", err)
	return false, "the SMS could not be sent now; send the same request again to retry, or hand the family the link"
}
