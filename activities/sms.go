package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/mailer/ledger"
	"github.com/elkgezin/elkgezin/sms"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Error types of an SMS to the family that failed for good.
const (
	// ErrTypeSMSRejected: the gateway refused it (a bad number); or it
	// cannot be written.
	ErrTypeSMSRejected = "SMSRejected"
	// ErrTypeSMSInDoubt: the request went to the gateway and no answer
	// came (a worker died, the connection broke): it may have gone out,
	// so it is not sent again.
	ErrTypeSMSInDoubt = "SMSInDoubt"
)

// FamilyContacts reads the family's contact data from the sealed
// referral; *store.Store is one.
type FamilyContacts interface {
	FamilyContact(ctx context.Context, trajectoryID string) (trajectory.Family, error)
}

// SMSActivities send SMS to families. Registered with the worker beside
// Activities; with a nil Gateway (no SMS_GATEWAY_URL) they send nothing
// and say so.
type SMSActivities struct {
	Gateway  *sms.Client
	Families FamilyContacts
	// Ledger is the email ledger for SMS (store.SMSLedger).
	Ledger ledger.Ledger
	// ReportSecret keys the delivery reports' tokens (sms.ReportToken).
	ReportSecret []byte
}

// SendFamilySMS sends m once through the ledger, as deliver does an
// email: the number, the first name and the language are read now from
// the sealed referral. A family that no longer agrees to SMS (or was
// erased), or a worker without a gateway, is sent nothing, which is no
// failure. Logs and errors name the key, never the number or the text.
func (a *SMSActivities) SendFamilySMS(ctx context.Context, m trajectory.FamilySMS) (trajectory.SMSResult, error) {
	if a.Gateway == nil {
		return trajectory.SMSResult{Reason: trajectory.SMSNotConfigured}, nil
	}
	family, err := a.Families.FamilyContact(ctx, m.TrajectoryID)
	switch {
	case errors.Is(err, keys.ErrErased):
		return trajectory.SMSResult{Reason: trajectory.SMSNoConsent}, nil
	case err != nil:
		return trajectory.SMSResult{}, fmt.Errorf("sms %s: %w", m.Key, err)
	case family.SMSConsent == nil || sms.Number(family.Phone) == "":
		return trajectory.SMSResult{Reason: trajectory.SMSNoConsent}, nil
	}
	lang, _ := familylink.MatchLanguage(family.Language)
	text, err := sms.Render(lang.Code, sms.Text{Kind: m.Kind, FirstName: sms.FirstName(family.ContactName), At: m.At})
	if err != nil {
		return trajectory.SMSResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("sms %s cannot be written", m.Key), ErrTypeSMSRejected, err)
	}
	token := sms.ReportToken(a.ReportSecret, m.Key)
	defer heartbeat(ctx)()
	send := smsSender{gateway: a.Gateway, to: sms.Number(family.Phone), token: token}
	out, err := ledger.Deliver(ctx, a.Ledger, send, m.Key, mailer.Message{MessageID: token, TextBody: text})
	log := activity.GetLogger(ctx)
	switch {
	case err != nil && mailer.IsPermanent(err):
		return trajectory.SMSResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("sms %s was refused", m.Key), ErrTypeSMSRejected, err)
	case err != nil:
		return trajectory.SMSResult{}, err
	case out.Result == ledger.InDoubt || out.Result == ledger.InDoubtBefore:
		log.Warn("SMS may or may not have reached the gateway; not sending it again", "trajectory", m.TrajectoryID, "key", m.Key, "attempt", out.Attempt)
		return trajectory.SMSResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("sms %s may or may not have reached the gateway; it is not sent again", m.Key), ErrTypeSMSInDoubt, out.Cause)
	}
	log.Info("SMS sent", "trajectory", m.TrajectoryID, "key", m.Key, "attempt", out.Attempt, "before", out.Result == ledger.SentBefore)
	return trajectory.SMSResult{Sent: true}, nil
}

// smsSender is the gateway as the ledger's protocol sees a mail server:
// the message's body is the text, the number and the token come along.
type smsSender struct {
	gateway   *sms.Client
	to, token string
}

func (s smsSender) SendCommitting(ctx context.Context, m mailer.Message, beforeCommit func(context.Context) error) error {
	return s.gateway.Send(ctx, sms.Message{To: s.to, Text: m.TextBody, ReportToken: s.token}, beforeCommit)
}
