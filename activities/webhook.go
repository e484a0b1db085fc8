package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/webhook"
)

// NotifyReferrerName is the name NotifyReferrer is registered under.
const NotifyReferrerName = "NotifyReferrer"

// DeliveryLog logs each attempt to post a webhook event; *store.Store is one.
type DeliveryLog interface {
	// BeginWebhookDelivery counts an attempt; delivered: an earlier one
	// was answered 2xx, and nothing is posted again.
	BeginWebhookDelivery(ctx context.Context, e webhook.Event, organisation string) (delivered bool, err error)
	// EndWebhookDelivery records the attempt's status code (0: no answer).
	EndWebhookDelivery(ctx context.Context, eventID string, code int) error
}

// webhookTimeout bounds one post to a partner's endpoint.
const webhookTimeout = 10 * time.Second

var feedbackTemplate = emailTemplate("referral_feedback")

// NotifyReferrer tells the partner that referred a family that its
// referral reached a status: a signed event posted to the partner's
// webhook (docs/api.md, "Feedback on a referral"), or, for a partner
// without one, an email to the referral's contact_email, sent once
// through the ledger. Neither says anything of the family or its coach.
// An answer other than 2xx, or none, is an error that Temporal retries
// with backoff; the workflow gives up after its limit.
func (a *Activities) NotifyReferrer(ctx context.Context, f trajectory.ReferralFeedback) error {
	e := webhook.NewEvent(f.TrajectoryID, f.Status, f.At)
	if ep, ok := a.Webhooks[f.Organisation]; ok {
		// Heartbeats, so an attempt on a worker that died is retried
		// after the workflow's heartbeat timeout, not its start-to-close.
		defer heartbeat(ctx)()
		return a.postEvent(ctx, ep, e, f.Organisation)
	}
	if f.ContactEmail == "" {
		activity.GetLogger(ctx).Info("Referrer has no webhook and no contact email; not told", "trajectory", f.TrajectoryID, "status", f.Status)
		return nil
	}
	m, err := a.feedbackMessage(f, e)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("feedback %s of trajectory %s cannot be built", e.ID, f.TrajectoryID), ErrTypeInvalidNotification, err)
	}
	return a.deliver(ctx, f.TrajectoryID, "feedback/"+e.ID, m, false)
}

// postEvent posts e to the endpoint unless the delivery log has it
// delivered, and logs the attempt's answer.
func (a *Activities) postEvent(ctx context.Context, ep webhook.Endpoint, e webhook.Event, org string) error {
	if a.Deliveries == nil {
		return fmt.Errorf("webhook %s of trajectory %s: no delivery log is configured", e.ID, e.ReferralID)
	}
	delivered, err := a.Deliveries.BeginWebhookDelivery(ctx, e, org)
	if err != nil || delivered {
		return err
	}
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "elkgezin-webhooks/1")
	req.Header.Set(webhook.EventIDHeader, e.ID)
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(ep.Secret, time.Now(), body))
	code := 0
	res, postErr := http.DefaultClient.Do(req)
	if postErr == nil {
		code = res.StatusCode
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		_ = res.Body.Close()
	}
	if err := a.Deliveries.EndWebhookDelivery(ctx, e.ID, code); err != nil {
		return err
	}
	switch {
	case postErr != nil:
		// The URL is configuration, not personal data; the error names it.
		return fmt.Errorf("webhook %s of trajectory %s to %s: %w", e.ID, e.ReferralID, org, postErr)
	case code < 200 || code > 299:
		return fmt.Errorf("webhook %s of trajectory %s to %s: answered %d", e.ID, e.ReferralID, org, code)
	}
	activity.GetLogger(ctx).Info("Webhook delivered", "trajectory", e.ReferralID, "event", e.ID, "status", e.Status)
	return nil
}

// statusText says a status in Dutch, for the referrer's email.
var statusText = map[string]string{
	webhook.StatusCoachAssigned: "er is een vaste coach toegewezen",
	webhook.StatusInSupport:     "het gezin wordt begeleid",
	webhook.StatusClosed:        "het traject is afgesloten",
}

// feedbackMessage is the referrer's email of a status.
func (a *Activities) feedbackMessage(f trajectory.ReferralFeedback, e webhook.Event) (mailer.Message, error) {
	name := f.ProgrammeID
	if p, ok := a.Programmes.Get(f.ProgrammeID); ok {
		name = p.Name
	}
	text, ok := statusText[f.Status]
	if !ok {
		text = f.Status
	}
	loc, err := a.location()
	if err != nil {
		return mailer.Message{}, err
	}
	data := struct{ ProgrammeName, TrajectoryID, StatusText, At string }{name, f.TrajectoryID, text,
		f.At.In(loc).Format("02/01/2006 15:04")}
	subject, body, err := render(feedbackTemplate, data)
	if err != nil {
		return mailer.Message{}, err
	}
	key := "feedback/" + e.ID
	return mailer.Message{MessageID: MessageID(key), From: a.From, To: f.ContactEmail, Subject: subject, TextBody: body,
		Headers: map[string]string{"X-Elkgezin-Trajectory": f.TrajectoryID}}, nil
}
