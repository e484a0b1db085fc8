// Package activities holds the Temporal activities of a trajectory: all of
// its I/O. Each is idempotent, since Temporal may run one more than once.
package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/mailer/ledger"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/webhook"
)

// EventRecorder writes events and their read model; a repeated cause must
// change nothing. *store.Store is one.
type EventRecorder interface {
	RecordEvent(ctx context.Context, e trajectory.Event) error
	// RecordEvents writes each event it can, in order, and returns those it
	// refused for good (store.ErrInvalidEvent) apart from a failure that a
	// retry may mend.
	RecordEvents(ctx context.Context, events []trajectory.Event) (refused []error, err error)
}

// Activities are registered with the worker as one struct, so that they
// share its dependencies.
type Activities struct {
	Events        EventRecorder
	Ledger        ledger.Ledger // *store.Store is one
	Mail          ledger.Sender // *mailer.Sender is one
	From          string
	PublicBaseURL string         // e.g. http://localhost:8080, for links
	Location      *time.Location // for dates in emails; nil means Europe/Brussels
	// Links signs the acknowledgement links of handover emails, with the
	// secret the API verifies them with. SendHandover needs it.
	Links *handoverlink.Signer
	// Programmes are the current programme files: emails look up the
	// coach's and the supervisor's address here, by id, when they go out.
	Programmes programme.Catalogue
	// Webhooks are the partners' endpoints for feedback on their
	// referrals (NotifyReferrer); a partner without one gets an email.
	Webhooks webhook.Endpoints
	// Deliveries logs each webhook delivery; *store.Store is one.
	Deliveries DeliveryLog
}

// Error types of the non-retryable errors, for workflows that look at them.
const (
	ErrTypeInvalidNotification = "InvalidNotification"
	ErrTypeEmailRejected       = "EmailRejected"
	// ErrTypeEmailInDoubt is an email that may or may not have reached the
	// mail server: a worker died, or the server's reply never came, after
	// the end of the message went out. It is not sent again (that could
	// deliver it twice); the workflow tells the supervisor instead, who
	// can ask the recipient (the ledger holds it unconfirmed).
	ErrTypeEmailInDoubt = trajectory.EmailInDoubt
	// ErrTypeInvalidEvent is an event the store refuses (store.ErrInvalidEvent):
	// a bug in the workflow that no retry mends.
	ErrTypeInvalidEvent = "InvalidEvent"
)

// RecordEventName is the name RecordEvent is registered under. Workflows
// run it as a local activity by this name: a method expression would need
// the activity registered wherever the history is replayed, and a replayer
// registers no activities.
const RecordEventName = "RecordEvent"

// RecordEvent writes e to the store. An event the store refuses as
// invalid fails for good, so the workflow sees it at once instead of
// retrying forever (which would also block its continue-as-new); a
// database that is away is retried.
func (a *Activities) RecordEvent(ctx context.Context, e trajectory.Event) error {
	err := a.Events.RecordEvent(ctx, e)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrInvalidEvent):
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("event %d (%s) of trajectory %s is invalid", e.Seq, e.Kind, e.TrajectoryID),
			ErrTypeInvalidEvent, err)
	}
	return fmt.Errorf("record event %d (%s) of trajectory %s: %w", e.Seq, e.Kind, e.TrajectoryID, err)
}

// RecordEventsName is the name RecordEvents is registered under; workflows
// run it by name, so a replayer needs no activities registered.
const RecordEventsName = "RecordEvents"

// RecordEvents writes events the workflow recorded in its history, in
// order. A write already made (by the API from a step's answer, or by an
// earlier attempt) changes nothing. An event the store refuses for good is
// logged by kind and number and skipped: a retry cannot mend it, and the
// events after it are written. A database that is away is retried.
func (a *Activities) RecordEvents(ctx context.Context, events []trajectory.Event) error {
	refused, err := a.Events.RecordEvents(ctx, events)
	for _, r := range refused {
		activity.GetLogger(ctx).Error("Event refused by the store; the trajectory carries on", "error", r)
	}
	if err != nil {
		return fmt.Errorf("record %d events: %w", len(events), err)
	}
	return nil
}

// SendNotification sends the reminder, alert or notice n exactly once as far as
// anything can tell, and at most once in every case; see deliver.
func (a *Activities) SendNotification(ctx context.Context, n trajectory.Notification) error {
	m, err := a.notificationMessage(n)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("notification %s of trajectory %s cannot be built", n.Key, n.TrajectoryID),
			ErrTypeInvalidNotification, err)
	}
	return a.deliver(ctx, n.TrajectoryID, n.Key, m, n.ReportInDoubt)
}

// SendHandover sends the handover email e to the service, or the reminder
// to acknowledge it, once; see deliver. A reminder repeats the handover, so
// that a service that never got the first email still gets it.
func (a *Activities) SendHandover(ctx context.Context, e trajectory.HandoverEmail) error {
	if a.Links == nil {
		// Wiring, not the email: a retry on a worker set up right succeeds.
		return fmt.Errorf("handover %s of trajectory %s: no signer for acknowledgement links is configured", e.Key, e.TrajectoryID)
	}
	m, err := a.handoverMessage(e)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("handover email %s of trajectory %s cannot be built", e.Key, e.TrajectoryID),
			ErrTypeInvalidNotification, err)
	}
	return a.deliver(ctx, e.TrajectoryID, e.Key, m, e.ReportInDoubt)
}

// deliver sends m, the email named by key, through the ledger
// (ledger.Deliver), so that whatever fails, the recipient gets at most one
// copy, and exactly one unless a worker dies in the instant around the
// final "." of the message. No protocol can tell afterwards whether such a
// message arrived: SMTP has no way to ask. That email is reported, not
// lost: the activity fails with ErrTypeEmailInDoubt, and the workflow tells
// the supervisor. Only when it asked to (reportInDoubt): a workflow from
// before that does not handle the error, and gets the email settled as
// sent, as it did then. A permanent refusal is a non-retryable error; any
// other failure is retried.
//
// Logs and errors name the key and the trajectory, never the recipient or
// the content.
func (a *Activities) deliver(ctx context.Context, trajectoryID, key string, m mailer.Message, reportInDoubt bool) error {
	log := activity.GetLogger(ctx)
	defer heartbeat(ctx)()
	out, err := ledger.Deliver(ctx, a.Ledger, a.Mail, key, m)
	switch {
	case err != nil:
		if mailer.IsPermanent(err) {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("email %s of trajectory %s was refused", key, trajectoryID),
				ErrTypeEmailRejected, err)
		}
		return err
	case out.Result == ledger.SentBefore:
		log.Info("Email was sent before", "trajectory", trajectoryID, "key", key)
		return nil
	case out.Result == ledger.InDoubtBefore:
		log.Warn("Email may have been delivered by an earlier attempt that did not finish; not sending it again",
			"trajectory", trajectoryID, "key", key, "attempt", out.Attempt, "reported", reportInDoubt)
		return emailInDoubt(trajectoryID, key, nil, reportInDoubt)
	case out.Result == ledger.InDoubt:
		log.Warn("Email may or may not have been accepted by the mail server; not sending it again",
			"trajectory", trajectoryID, "key", key, "attempt", out.Attempt, "reported", reportInDoubt, "error", out.Cause)
		return emailInDoubt(trajectoryID, key, out.Cause, reportInDoubt)
	}
	log.Info("Email sent", "trajectory", trajectoryID, "key", key, "attempt", out.Attempt)
	return nil
}

// emailInDoubt is the non-retryable error of an email that may or may not
// have arrived, when the workflow reports such emails (report), and nil
// when it does not; cause, when known, says why (no addresses: see mailer).
func emailInDoubt(trajectoryID, key string, cause error, report bool) error {
	if !report {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("email %s of trajectory %s may or may not have reached the mail server; it is not sent again", key, trajectoryID),
		ErrTypeEmailInDoubt, cause)
}

// heartbeatInterval is how often a sending activity tells Temporal it is
// alive; the SDK throttles what it forwards to the heartbeat timeout.
const heartbeatInterval = time.Second

// heartbeat records heartbeats until the returned function is called, so
// that a workflow that sets a HeartbeatTimeout on email activities has an
// attempt on a dead worker retried after that timeout instead of the
// StartToCloseTimeout. Without a HeartbeatTimeout it does no harm. The
// first comes after heartbeatInterval, not at the start: each is a write
// on Temporal's side, and an email sent sooner (most are) needs none, as
// the heartbeat timeout runs from the attempt's start.
func heartbeat(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// MessageID is the stable Message-Id of the notification with key.
func MessageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:])[:32] + "@elkgezin>"
}
