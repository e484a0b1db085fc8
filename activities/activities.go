// Package activities holds the Temporal activities of a trajectory: all of
// its I/O. Each is idempotent, since Temporal may run one more than once.
package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"elkgezin/handoverlink"
	"elkgezin/mailer"
	"elkgezin/programme"
	"elkgezin/store"
	"elkgezin/trajectory"
)

// EventRecorder writes an event and its read model; a repeated (trajectory
// id, seq) must change nothing.
type EventRecorder interface {
	RecordEvent(ctx context.Context, e trajectory.Event) error
}

// EmailLedger follows every email through its SMTP transaction, under the
// email's idempotency key; *store.Store is one. See store.EmailStatus for
// the meaning of each status.
type EmailLedger interface {
	// BeginEmail records an attempt and returns the status before it and
	// the attempt's number.
	BeginEmail(ctx context.Context, key, messageID, recipient, subject string) (prior store.EmailStatus, attempt int, err error)
	// MarkEmailCommitting runs just before the message's final "." goes
	// out; it fails when a newer attempt began.
	MarkEmailCommitting(ctx context.Context, key string, attempt int) error
	MarkEmailSent(ctx context.Context, key string) error
	// MarkEmailUnconfirmed settles an email whose delivery is in doubt as
	// sent, never to be sent again.
	MarkEmailUnconfirmed(ctx context.Context, key string) error
	// MarkEmailNotSent puts the email back to pending after a failure that
	// certainly delivered nothing.
	MarkEmailNotSent(ctx context.Context, key string, attempt int) error
}

// EmailSender delivers one email, calling beforeCommit just before the
// server can accept it; *mailer.Sender is one.
type EmailSender interface {
	SendCommitting(ctx context.Context, m mailer.Message, beforeCommit func(context.Context) error) error
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
	// Links signs the acknowledgement links of handover emails, with the
	// secret the API verifies them with. SendHandover needs it.
	Links *handoverlink.Signer
	// Programmes are looked up by id when an email needs a programme's people.
	Programmes programme.Catalogue
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

// SendNotification sends the reminder or alert n exactly once as far as
// anything can tell, and at most once in every case; see deliver.
func (a *Activities) SendNotification(ctx context.Context, n trajectory.Notification) error {
	m, err := a.notificationMessage(n)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("notification %s of trajectory %s cannot be built", n.Key, n.TrajectoryID),
			ErrTypeInvalidNotification, err)
	}
	return a.deliver(ctx, n.TrajectoryID, n.Key, m)
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
	return a.deliver(ctx, e.TrajectoryID, e.Key, m)
}

// deliver sends m, the email named by key, through the ledger, so that
// whatever fails, the recipient gets at most one copy, and exactly one
// unless a worker dies in the instant between the final "." of the message
// and the server's reply:
//
//   - BeginEmail finds it sent or unconfirmed: nothing to do.
//   - It finds it committing: an earlier attempt died after the server may
//     have accepted it. It is marked unconfirmed and not sent again. (A
//     handover lost that way is caught by the acknowledgement reminder.)
//   - Otherwise it is sent, and MarkEmailCommitting runs just before the
//     final "."; if that fails, the message is withdrawn.
//   - A failure that certainly delivered nothing (server down, a refusal,
//     a withdrawn message) puts it back to pending: a retry sends it, so an
//     SMTP server that is down only delays it. A permanent refusal is a
//     non-retryable error.
//   - A failure after the final "." without the server's reply leaves it in
//     doubt: it is marked unconfirmed and not sent again.
//
// Logs and errors name the key and the trajectory, never the recipient or
// the content.
func (a *Activities) deliver(ctx context.Context, trajectoryID, key string, m mailer.Message) error {
	log := activity.GetLogger(ctx)
	defer heartbeat(ctx)()
	prior, attempt, err := a.Ledger.BeginEmail(ctx, key, m.MessageID, m.To, m.Subject)
	if err != nil {
		return fmt.Errorf("begin email %s: %w", key, err)
	}
	switch prior {
	case store.EmailSent, store.EmailUnconfirmed:
		log.Info("Email was sent before", "trajectory", trajectoryID, "key", key, "status", string(prior))
		return nil
	case store.EmailCommitting:
		if err := a.Ledger.MarkEmailUnconfirmed(ctx, key); err != nil {
			return fmt.Errorf("mark email %s unconfirmed: %w", key, err)
		}
		log.Warn("Email may have been delivered by an earlier attempt that did not finish; "+
			"not sending it again, left unconfirmed for an operator",
			"trajectory", trajectoryID, "key", key, "attempt", attempt)
		return nil
	case store.EmailPending:
	default:
		return fmt.Errorf("email %s has unknown ledger status %q", key, prior)
	}

	err = a.Mail.SendCommitting(ctx, m, func(ctx context.Context) error {
		return a.Ledger.MarkEmailCommitting(ctx, key, attempt)
	})
	switch {
	case err == nil:
		if err := a.Ledger.MarkEmailSent(ctx, key); err != nil {
			// A retry finds it committing and sends nothing.
			return fmt.Errorf("email %s was sent; marking it sent failed: %w", key, err)
		}
		log.Info("Email sent", "trajectory", trajectoryID, "key", key, "attempt", attempt)
		return nil
	case errors.Is(err, mailer.ErrInDoubt):
		if err2 := a.Ledger.MarkEmailUnconfirmed(ctx, key); err2 != nil {
			// A retry finds it committing and does the same.
			return fmt.Errorf("email %s may have been sent (%v); marking it unconfirmed failed: %w", key, err, err2)
		}
		log.Warn("Email may or may not have been accepted by the mail server; "+
			"not sending it again, left unconfirmed for an operator",
			"trajectory", trajectoryID, "key", key, "attempt", attempt, "error", err)
		return nil
	}
	// Nothing was delivered. After a superseded attempt, this changes nothing.
	if err2 := a.Ledger.MarkEmailNotSent(ctx, key, attempt); err2 != nil {
		log.Error("Marking an email not sent failed", "trajectory", trajectoryID, "key", key, "error", err2)
		err = errors.Join(err, fmt.Errorf("mark email %s not sent: %w", key, err2))
	}
	if mailer.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("email %s of trajectory %s was refused", key, trajectoryID),
			ErrTypeEmailRejected, err)
	}
	return fmt.Errorf("send email %s: %w", key, err)
}

// heartbeatInterval is how often a sending activity tells Temporal it is
// alive; the SDK throttles what it forwards to the heartbeat timeout.
const heartbeatInterval = time.Second

// heartbeat records heartbeats until the returned function is called, so
// that a workflow that sets a HeartbeatTimeout on email activities has an
// attempt on a dead worker retried after that timeout instead of the
// StartToCloseTimeout. Without a HeartbeatTimeout it does no harm.
func heartbeat(ctx context.Context) (stop func()) {
	activity.RecordHeartbeat(ctx)
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

// StepLabel names a step in Dutch, as subjects and bodies show it.
func StepLabel(s trajectory.Step) (string, error) {
	switch s.Kind {
	case trajectory.StepAssignment:
		return "toewijzing van een coach", nil
	case trajectory.StepIntake:
		return "intake", nil
	case trajectory.StepHomeVisit:
		return "huisbezoek " + strconv.Itoa(s.Number), nil
	case trajectory.StepBirth:
		return "registratie van de geboorte", nil
	case trajectory.StepFollowUpEnd:
		return "einde van de opvolging (afsluitende overdracht voorbereiden)", nil
	case trajectory.StepHandoverAck:
		return "bevestiging van overdracht " + strconv.Itoa(s.Number), nil
	}
	return "", fmt.Errorf("unknown step kind %q", s.Kind)
}

// location is where the times in emails are shown.
func (a *Activities) location() (*time.Location, error) {
	if a.Location != nil {
		return a.Location, nil
	}
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return nil, fmt.Errorf("load time zone: %w", err)
	}
	return loc, nil
}

// notificationMessage builds the message for n. Emails are not a safe channel, so it holds
// no data of the family: only the trajectory id, the programme, the step and
// its due time, and a link to the trajectory for those allowed to see it.
// A reminder goes to the coach, an alert to the supervisor, except the
// alert about a handover the service did not acknowledge: that one goes to
// the coach, who knows the service.
func (a *Activities) notificationMessage(n trajectory.Notification) (mailer.Message, error) {
	if n.Key == "" || n.TrajectoryID == "" || n.To == "" {
		return mailer.Message{}, fmt.Errorf("notification lacks key, trajectory id or recipient")
	}
	step, err := StepLabel(n.Step)
	if err != nil {
		return mailer.Message{}, err
	}
	loc, err := a.location()
	if err != nil {
		return mailer.Message{}, err
	}
	due := n.Step.DueAt.In(loc).Format("02-01-2006 15:04")
	link := strings.TrimRight(a.PublicBaseURL, "/") + "/v1/trajectories/" + url.PathEscape(n.TrajectoryID)

	var subject string
	var body strings.Builder
	switch n.Kind {
	case trajectory.Reminder:
		subject = fmt.Sprintf("Herinnering: %s vervalt op %s (traject %s)", step, due, n.TrajectoryID)
		fmt.Fprintf(&body, "Beste coach,\n\n"+
			"In traject %s van %s vervalt de stap \"%s\" op %s.\n",
			n.TrajectoryID, n.ProgrammeName, step, due)
		switch n.Step.Kind {
		case trajectory.StepBirth:
			body.WriteString("Dat is de verwachte bevallingsdatum. Registreer de geboorte zodra het kindje er is.\n")
		case trajectory.StepFollowUpEnd:
			body.WriteString("Dan loopt de opvolging af. Bereid samen met het gezin de afsluitende overdracht " +
				"naar de reguliere diensten voor.\n")
		}
	case trajectory.Alert:
		subject = fmt.Sprintf("Escalatie: %s is te laat sinds %s (traject %s)", step, due, n.TrajectoryID)
		if n.Step.Kind == trajectory.StepHandoverAck {
			fmt.Fprintf(&body, "Beste coach,\n\n"+
				"In traject %s van %s heeft de dienst overdracht %d nog niet bevestigd; "+
				"dat werd verwacht tegen %s.\n"+
				"Neem contact op met de dienst om na te gaan of de overdracht goed is aangekomen.\n",
				n.TrajectoryID, n.ProgrammeName, n.Step.Number, due)
		} else {
			fmt.Fprintf(&body, "Beste,\n\n"+
				"In traject %s van %s is de stap \"%s\" te laat: die verviel op %s.\n"+
				"Gelieve dit op te volgen.\n",
				n.TrajectoryID, n.ProgrammeName, step, due)
		}
	default:
		return mailer.Message{}, fmt.Errorf("unknown notification kind %q", n.Kind)
	}
	fmt.Fprintf(&body, "\nBekijk het traject: %s\n", link)
	body.WriteString("\nDeze e-mail bevat bewust geen gegevens over het gezin; die vind je via de link.\n" +
		"Tijden zijn Belgische tijd.\n")

	return mailer.Message{
		MessageID: MessageID(n.Key),
		From:      a.From,
		To:        n.To,
		Subject:   subject,
		TextBody:  body.String(),
		Headers: map[string]string{
			"X-Elkgezin-Trajectory":   n.TrajectoryID,
			"X-Elkgezin-Notification": n.Key,
		},
	}, nil
}

// handoverLink is the link with which the service acknowledges handover
// number of the trajectory; it is the same for the same claims.
func (a *Activities) handoverLink(c handoverlink.Claims) string {
	return strings.TrimRight(a.PublicBaseURL, "/") + "/v1/handovers/" + url.PathEscape(a.Links.Token(c))
}

// handoverMessage builds the email of e to the service: who hands the
// family over and why, only the data the family consented to share (what
// e.Shared holds), the coach as contact (replies go to the coach), and the
// link to acknowledge receipt. A reminder carries the same handover, with
// a request to acknowledge it first.
func (a *Activities) handoverMessage(e trajectory.HandoverEmail) (mailer.Message, error) {
	if e.Key == "" || e.TrajectoryID == "" || e.Number < 1 || e.Service.Email == "" || e.CoachEmail == "" || e.LinkExpiresAt.IsZero() {
		return mailer.Message{}, fmt.Errorf("handover email lacks key, trajectory id, number, service address, coach address or link expiry")
	}
	if a.Links == nil {
		return mailer.Message{}, fmt.Errorf("no signer for acknowledgement links")
	}
	loc, err := a.location()
	if err != nil {
		return mailer.Message{}, err
	}
	coach := strings.TrimSpace(e.CoachName)
	if coach == "" {
		coach = "de gezinscoach"
	}
	service := strings.TrimSpace(e.Service.Name)
	programmeName := strings.TrimSpace(e.ProgrammeName)
	link := a.handoverLink(handoverlink.Claims{TrajectoryID: e.TrajectoryID, Number: e.Number, ExpiresAt: e.LinkExpiresAt})
	expires := e.LinkExpiresAt.In(loc).Format("02-01-2006 15:04")

	var subject string
	var b strings.Builder
	if service != "" {
		fmt.Fprintf(&b, "Beste collega's van %s,\n\n", service)
	} else {
		b.WriteString("Beste collega's,\n\n")
	}
	switch e.Kind {
	case trajectory.HandoverNotice:
		subject = fmt.Sprintf("Overdracht %d van traject %s: %s", e.Number, e.TrajectoryID, programmeName)
		fmt.Fprintf(&b, "%s, gezinscoach bij %s, draagt met deze e-mail een gezin aan jullie over "+
			"(overdracht %d van traject %s).\n", coach, programmeName, e.Number, e.TrajectoryID)
	case trajectory.Reminder:
		subject = fmt.Sprintf("Herinnering: bevestig de overdracht %d van traject %s", e.Number, e.TrajectoryID)
		fmt.Fprintf(&b, "%s, gezinscoach bij %s, heeft eerder een gezin aan jullie overgedragen "+
			"(overdracht %d van traject %s). We hebben nog geen bevestiging ontvangen dat die overdracht "+
			"bij jullie is aangekomen. Hieronder staat ze nog eens.\n", coach, programmeName, e.Number, e.TrajectoryID)
	default:
		return mailer.Message{}, fmt.Errorf("unknown handover email kind %q", e.Kind)
	}

	b.WriteString("\nWaarom deze overdracht\n")
	if reason := strings.TrimSpace(e.Reason); reason != "" {
		b.WriteString(reason + "\n")
	} else {
		fmt.Fprintf(&b, "%s licht dat graag toe.\n", coach)
	}

	b.WriteString("\nWat het gezin met jullie deelt\n")
	if shared := sharedLines(e.Shared); len(shared) > 0 {
		b.WriteString("Het gezin gaf toestemming om deze gegevens met jullie te delen:\n")
		for _, l := range shared {
			b.WriteString(l + "\n")
		}
	} else {
		fmt.Fprintf(&b, "Het gezin deelt via deze e-mail geen persoonlijke gegevens. %s vertelt jullie meer "+
			"in een gesprek waarbij het gezin zelf aanwezig is.\n", coach)
	}

	b.WriteString("\nContact\n")
	fmt.Fprintf(&b, "%s, %s (%s). Antwoorden op deze e-mail komen bij %s terecht.\n",
		coach, e.CoachEmail, programmeName, coach)

	b.WriteString("\nOntvangst bevestigen\n")
	fmt.Fprintf(&b, "Laat ons weten dat deze overdracht bij jullie is aangekomen door deze link te openen:\n%s\n"+
		"De link werkt tot %s (Belgische tijd). Hij is alleen voor jullie dienst bedoeld: stuur hem niet door.\n",
		link, expires)

	b.WriteString("\nDeze e-mail gaat over een gezin in een kwetsbare situatie. Behandel hem vertrouwelijk " +
		"en deel hem alleen met wie het gezin verder helpt.\n")

	return mailer.Message{
		MessageID: MessageID(e.Key),
		From:      a.From,
		To:        e.Service.Email,
		ReplyTo:   e.CoachEmail,
		Subject:   subject,
		TextBody:  b.String(),
		Headers: map[string]string{
			"X-Elkgezin-Trajectory":   e.TrajectoryID,
			"X-Elkgezin-Notification": e.Key,
			"X-Elkgezin-Handover":     strconv.Itoa(e.Number),
		},
	}, nil
}

// sharedLines renders what the family consented to share, and nothing
// else: an empty field is left out.
func sharedLines(s trajectory.SharedData) []string {
	var lines []string
	if c := s.Contact; c != nil {
		if v := strings.TrimSpace(c.ContactName); v != "" {
			lines = append(lines, "Contactpersoon: "+v)
		}
		if v := strings.TrimSpace(c.Address); v != "" {
			lines = append(lines, "Adres: "+v)
		}
		if v := strings.TrimSpace(c.Phone); v != "" {
			lines = append(lines, "Telefoon: "+v)
		}
	}
	var children []string
	for _, ch := range s.Children {
		name, born := strings.TrimSpace(ch.Name), !ch.BirthDate.IsZero()
		switch {
		case name != "" && born:
			children = append(children, "- "+name+", geboren op "+ch.BirthDate.Format("02-01-2006"))
		case name != "":
			children = append(children, "- "+name)
		case born:
			children = append(children, "- een kind geboren op "+ch.BirthDate.Format("02-01-2006"))
		}
	}
	if len(children) > 0 {
		lines = append(append(lines, "Kinderen:"), children...)
	}
	if !s.ExpectedDueDate.IsZero() {
		lines = append(lines, "Verwachte bevallingsdatum: "+s.ExpectedDueDate.Format("02-01-2006"))
	}
	return lines
}
