// Package activities holds the Temporal activities of a trajectory: all of
// its I/O. Each is idempotent, since Temporal may run one more than once.
package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"elkgezin/mailer"
	"elkgezin/trajectory"
)

// EventRecorder writes an event and its read model; a repeated (trajectory
// id, seq) must change nothing.
type EventRecorder interface {
	RecordEvent(ctx context.Context, e trajectory.Event) error
}

// EmailLedger remembers which notifications went out.
type EmailLedger interface {
	// BeginEmail records the intent to send (or finds it); alreadySent
	// says MarkEmailSent was called for key before.
	BeginEmail(ctx context.Context, key, messageID, recipient, subject string) (alreadySent bool, err error)
	MarkEmailSent(ctx context.Context, key string) error
}

// EmailSender delivers one email; *mailer.Sender is one.
type EmailSender interface {
	Send(ctx context.Context, m mailer.Message) error
}

// Activities are registered with the worker as one struct, so that they
// share its dependencies.
type Activities struct {
	Events        EventRecorder
	Ledger        EmailLedger
	Mail          EmailSender
	From          string
	PublicBaseURL string         // e.g. http://localhost:8080, for links
	Location      *time.Location // for dates in emails; nil means Europe/Brussels
}

// Error types of the non-retryable errors, for workflows that look at them.
const (
	ErrTypeInvalidNotification = "InvalidNotification"
	ErrTypeEmailRejected       = "EmailRejected"
)

// RecordEvent writes e to the store.
func (a *Activities) RecordEvent(ctx context.Context, e trajectory.Event) error {
	if err := a.Events.RecordEvent(ctx, e); err != nil {
		return fmt.Errorf("record event %d (%s) of trajectory %s: %w", e.Seq, e.Kind, e.TrajectoryID, err)
	}
	return nil
}

// SendNotification sends the reminder or alert n at most once as far as the
// ledger can tell. Sending and marking are two steps, so a crash between
// them sends the email again on retry; it then carries the same
// Message-Id, so mail clients and people can see it is the same message.
func (a *Activities) SendNotification(ctx context.Context, n trajectory.Notification) error {
	log := activity.GetLogger(ctx)
	m, err := a.Email(n)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("notification %s of trajectory %s cannot be built", n.Key, n.TrajectoryID),
			ErrTypeInvalidNotification, err)
	}
	sent, err := a.Ledger.BeginEmail(ctx, n.Key, m.MessageID, m.To, m.Subject)
	if err != nil {
		return fmt.Errorf("begin email %s: %w", n.Key, err)
	}
	if sent {
		log.Info("Notification was sent before", "trajectory", n.TrajectoryID, "key", n.Key)
		return nil
	}
	if err := a.Mail.Send(ctx, m); err != nil {
		if mailer.IsPermanent(err) {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("notification %s of trajectory %s was refused", n.Key, n.TrajectoryID),
				ErrTypeEmailRejected, err)
		}
		return fmt.Errorf("send email %s: %w", n.Key, err)
	}
	if err := a.Ledger.MarkEmailSent(ctx, n.Key); err != nil {
		return fmt.Errorf("mark email %s sent: %w", n.Key, err)
	}
	log.Info("Notification sent", "trajectory", n.TrajectoryID, "key", n.Key, "kind", string(n.Kind))
	return nil
}

// MessageID is the stable Message-Id of the notification with key.
func MessageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:])[:32] + "@elkgezin>"
}

// StepLabel names a step in Dutch, as subjects and bodies show it.
func StepLabel(s trajectory.Step) (string, error) {
	switch s.Kind {
	case trajectory.StepAssignment:
		return "toewijzing van een coach", nil
	case trajectory.StepIntake:
		return "intake", nil
	case trajectory.StepHomeVisit:
		return "huisbezoek " + strconv.Itoa(s.Number), nil
	}
	return "", fmt.Errorf("unknown step kind %q", s.Kind)
}

// Email builds the message for n. Emails are not a safe channel, so it holds
// no data of the family: only the trajectory id, the programme, the step and
// its due time, and a link to the trajectory for those allowed to see it.
func (a *Activities) Email(n trajectory.Notification) (mailer.Message, error) {
	if n.Key == "" || n.TrajectoryID == "" || n.To == "" {
		return mailer.Message{}, fmt.Errorf("notification lacks key, trajectory id or recipient")
	}
	step, err := StepLabel(n.Step)
	if err != nil {
		return mailer.Message{}, err
	}
	loc := a.Location
	if loc == nil {
		if loc, err = time.LoadLocation("Europe/Brussels"); err != nil {
			return mailer.Message{}, fmt.Errorf("load time zone: %w", err)
		}
	}
	due := n.Step.DueAt.In(loc).Format("02-01-2006 15:04")
	link := strings.TrimRight(a.PublicBaseURL, "/") + "/v1/trajectories/" + url.PathEscape(n.TrajectoryID)

	var subject, body string
	switch n.Kind {
	case trajectory.Reminder:
		subject = fmt.Sprintf("Herinnering: %s vervalt op %s (traject %s)", step, due, n.TrajectoryID)
		body = fmt.Sprintf("Beste coach,\n\n"+
			"In traject %s van %s vervalt de stap \"%s\" op %s.\n\n"+
			"Bekijk het traject: %s\n",
			n.TrajectoryID, n.ProgrammeName, step, due, link)
	case trajectory.Alert:
		subject = fmt.Sprintf("Escalatie: %s is te laat sinds %s (traject %s)", step, due, n.TrajectoryID)
		body = fmt.Sprintf("Beste,\n\n"+
			"In traject %s van %s is de stap \"%s\" te laat: die verviel op %s.\n"+
			"Gelieve dit op te volgen.\n\n"+
			"Bekijk het traject: %s\n",
			n.TrajectoryID, n.ProgrammeName, step, due, link)
	default:
		return mailer.Message{}, fmt.Errorf("unknown notification kind %q", n.Kind)
	}
	body += "\nDeze e-mail bevat bewust geen gegevens over het gezin; die vind je via de link.\n" +
		"Tijden zijn Belgische tijd.\n"

	return mailer.Message{
		MessageID: MessageID(n.Key),
		From:      a.From,
		To:        n.To,
		Subject:   subject,
		TextBody:  body,
		Headers: map[string]string{
			"X-Elkgezin-Trajectory":   n.TrajectoryID,
			"X-Elkgezin-Notification": n.Key,
		},
	}, nil
}
