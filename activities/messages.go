package activities

import (
	"bytes"
	"embed"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
)

// The email texts, one file per kind, each defining "subject" and "body";
// common.tmpl holds what they share.
//
//go:embed templates/*.tmpl
var templateFiles embed.FS

func emailTemplate(name string) *template.Template {
	return template.Must(template.New(name).ParseFS(templateFiles, "templates/common.tmpl", "templates/"+name+".tmpl"))
}

var (
	notificationTemplates = map[trajectory.NotificationKind]*template.Template{
		trajectory.Reminder:          emailTemplate("reminder"),
		trajectory.Alert:             emailTemplate("alert"),
		trajectory.AssignmentNotice:  emailTemplate("assignment"),
		trajectory.EmailFailedNotice: emailTemplate("email_failed"),
	}
	handoverTemplate = emailTemplate("handover")
)

// render executes the template's subject and body.
func render(t *template.Template, data any) (subject, body string, err error) {
	var s, b bytes.Buffer
	if err := t.ExecuteTemplate(&s, "subject", data); err != nil {
		return "", "", fmt.Errorf("render subject of %s: %w", t.Name(), err)
	}
	if err := t.ExecuteTemplate(&b, "body", data); err != nil {
		return "", "", fmt.Errorf("render body of %s: %w", t.Name(), err)
	}
	return strings.TrimSpace(s.String()), b.String(), nil
}

// kindLabel names an email kind in Dutch.
func kindLabel(k trajectory.NotificationKind) string {
	switch k {
	case trajectory.Reminder:
		return "herinnering"
	case trajectory.Alert:
		return "escalatie"
	case trajectory.HandoverNotice:
		return "overdracht"
	case trajectory.AssignmentNotice:
		return "bericht van toewijzing"
	case trajectory.EmailFailedNotice:
		return "melding van een niet afgeleverde e-mail"
	}
	return string(k)
}

// location is where the times in emails are shown.
func (a *Activities) location() (*time.Location, error) {
	if a.Location != nil {
		return a.Location, nil
	}
	return trajectory.Belgium(), nil
}

// programme finds the programme by id in the current programme files.
func (a *Activities) programme(id string) (programme.Programme, error) {
	if id == "" {
		return programme.Programme{}, fmt.Errorf("no programme id to look the recipient up in")
	}
	p, ok := a.Programmes.Get(id)
	if !ok {
		return programme.Programme{}, fmt.Errorf("programme %q is not in the programme files", id)
	}
	return p, nil
}

// coach finds the coach by id in the programme's current file.
func (a *Activities) coach(programmeID, coachID string) (programme.Coach, error) {
	p, err := a.programme(programmeID)
	if err != nil {
		return programme.Coach{}, err
	}
	c, ok := p.Coach(coachID)
	if !ok {
		return programme.Coach{}, fmt.Errorf("coach %q is not a coach of programme %s", coachID, programmeID)
	}
	if strings.TrimSpace(c.Email) == "" {
		return programme.Coach{}, fmt.Errorf("coach %q of programme %s has no email address", coachID, programmeID)
	}
	return c, nil
}

// recipientAddress is where n goes: the address a run started before
// recipients by id put in To, else the coach's or the supervisor's address
// as the programme files say now. Errors name ids, never addresses.
func (a *Activities) recipientAddress(n trajectory.Notification) (string, error) {
	if n.To != "" {
		return n.To, nil
	}
	switch n.Recipient.Role {
	case trajectory.RoleCoach:
		c, err := a.coach(n.ProgrammeID, n.Recipient.CoachID)
		if err != nil {
			return "", err
		}
		return c.Email, nil
	case trajectory.RoleSupervisor:
		p, err := a.programme(n.ProgrammeID)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(p.SupervisorEmail) == "" {
			return "", fmt.Errorf("programme %s has no supervisor_email", p.ID)
		}
		return p.SupervisorEmail, nil
	case trajectory.RoleManager:
		p, err := a.programme(n.ProgrammeID)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(p.ManagerEmail) == "" {
			return "", fmt.Errorf("programme %s has no manager_email", p.ID)
		}
		return p.ManagerEmail, nil
	case trajectory.RoleCoWorker:
		p, err := a.programme(n.ProgrammeID)
		if err != nil {
			return "", err
		}
		c, ok := p.CoWorker(n.Recipient.CoWorkerID)
		if !ok || strings.TrimSpace(c.Email) == "" {
			return "", fmt.Errorf("co-worker %q of programme %s is unknown or has no email address", n.Recipient.CoWorkerID, n.ProgrammeID)
		}
		return c.Email, nil
	}
	return "", fmt.Errorf("a notification cannot go to recipient %q", n.Recipient.ID())
}

// notificationData is what the templates of notifications see. It holds
// no data of the family.
type notificationData struct {
	TrajectoryID, ProgrammeName, Link string
	// Step is the step's Dutch label ("" when none is owed), StepKind its kind.
	Step, StepKind, Due string
	Number              int
	// Role is the recipient's role: an alert greets the coach, the
	// supervisor or the manager as what they are ("" for a run from before
	// recipients by id, whose handover alerts went to the coach).
	Role   string
	Failed *failedData
	// CoWorker is the co-worker the email goes to (a copy of a reminder),
	// greeted by name and told in which role; nil for anyone else.
	CoWorker *coWorkerData
}

type coWorkerData struct {
	Name, Role string
}

type failedData struct {
	Kind, Step, To, Reason string
	// InDoubt: the email may have arrived; only the recipient can say.
	InDoubt bool
}

// notificationMessage builds the message for n. Emails are not a safe
// channel, so it holds no data of the family: only the trajectory id, the
// programme, the step and its due time, and a link to the trajectory for
// those allowed to see it. A reminder or an assignment notice goes to the
// coach, an alert to the supervisor (the alert about a handover the
// service did not acknowledge went to the coach in runs from before it
// went to the supervisor) and, a while later, to the programme's manager,
// an email-failed notice to the supervisor; the workflow names the
// recipient, and the programme files give the address.
func (a *Activities) notificationMessage(n trajectory.Notification) (mailer.Message, error) {
	if n.Key == "" || n.TrajectoryID == "" {
		return mailer.Message{}, fmt.Errorf("notification lacks key or trajectory id")
	}
	t, ok := notificationTemplates[n.Kind]
	if !ok {
		return mailer.Message{}, fmt.Errorf("unknown notification kind %q", n.Kind)
	}
	to, err := a.recipientAddress(n)
	if err != nil {
		return mailer.Message{}, err
	}
	loc, err := a.location()
	if err != nil {
		return mailer.Message{}, err
	}
	d := notificationData{
		TrajectoryID:  n.TrajectoryID,
		ProgrammeName: n.ProgrammeName,
		Link:          strings.TrimRight(a.PublicBaseURL, "/") + "/trajecten/" + url.PathEscape(n.TrajectoryID),
		StepKind:      string(n.Step.Kind),
		Number:        n.Step.Number,
		Role:          string(n.Recipient.Role),
	}
	if d.ProgrammeName == "" {
		if p, ok := a.Programmes.Get(n.ProgrammeID); ok {
			d.ProgrammeName = p.Name
		}
	}
	// An assignment notice may come when no step is open; every other
	// notification is about a step.
	prog, _ := a.Programmes.Get(n.ProgrammeID)
	if n.Recipient.Role == trajectory.RoleCoWorker {
		if c, ok := prog.CoWorker(n.Recipient.CoWorkerID); ok {
			d.CoWorker = &coWorkerData{Name: c.Name, Role: strings.ToLower(prog.RoleName(c.Role))}
		}
	}
	if n.Step.Kind != "" || n.Kind != trajectory.AssignmentNotice {
		if !trajectory.KnownStepKind(n.Step.Kind) {
			return mailer.Message{}, fmt.Errorf("unknown step kind %q", n.Step.Kind)
		}
		d.Step = trajectory.StepLabel(n.Step, prog.MilestoneName)
		d.Due = n.Step.DueAt.In(loc).Format("02-01-2006 15:04")
	}
	if n.Kind == trajectory.EmailFailedNotice {
		f := n.Failed
		if f == nil {
			return mailer.Message{}, fmt.Errorf("email-failed notice does not say which email failed")
		}
		d.Failed = &failedData{Kind: kindLabel(f.Kind), To: f.To, Reason: f.Reason, InDoubt: f.Reason == ErrTypeEmailInDoubt}
		if f.Step != "" {
			d.Failed.Step = trajectory.StepKeyLabel(f.Step, prog.MilestoneName)
		}
	}
	subject, body, err := render(t, d)
	if err != nil {
		return mailer.Message{}, err
	}
	return mailer.Message{
		MessageID: MessageID(n.Key),
		From:      a.From,
		To:        to,
		Subject:   subject,
		TextBody:  body,
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

// handoverData is what the handover template sees.
type handoverData struct {
	Reminder                                 bool
	Number                                   int
	TrajectoryID, ProgrammeName, Service     string
	Coach, CoachEmail, Reason, Link, Expires string
	Shared                                   []string
}

// handoverCoach is the coach named in handover e: the name and address a
// run started before coaches by id put in it, else the coach's entry in
// the programme's current file.
func (a *Activities) handoverCoach(e trajectory.HandoverEmail) (name, email string, err error) {
	if e.CoachEmail != "" {
		return e.CoachName, e.CoachEmail, nil
	}
	c, err := a.coach(e.ProgrammeID, e.CoachID)
	if err != nil {
		return "", "", err
	}
	return c.Name, c.Email, nil
}

// handoverMessage builds the email of e to the service: who hands the
// family over and why, only the data the family consented to share (what
// e.Shared holds), the coach as contact (replies go to the coach), and the
// link to acknowledge receipt. A reminder carries the same handover, with
// a request to acknowledge it first.
func (a *Activities) handoverMessage(e trajectory.HandoverEmail) (mailer.Message, error) {
	if e.Key == "" || e.TrajectoryID == "" || e.Number < 1 || e.Service.Email == "" || e.LinkExpiresAt.IsZero() {
		return mailer.Message{}, fmt.Errorf("handover email lacks key, trajectory id, number, service address or link expiry")
	}
	if e.Kind != trajectory.HandoverNotice && e.Kind != trajectory.Reminder {
		return mailer.Message{}, fmt.Errorf("unknown handover email kind %q", e.Kind)
	}
	if a.Links == nil {
		return mailer.Message{}, fmt.Errorf("no signer for acknowledgement links")
	}
	coachName, coachEmail, err := a.handoverCoach(e)
	if err != nil {
		return mailer.Message{}, err
	}
	loc, err := a.location()
	if err != nil {
		return mailer.Message{}, err
	}
	d := handoverData{
		Reminder:      e.Kind == trajectory.Reminder,
		Number:        e.Number,
		TrajectoryID:  e.TrajectoryID,
		ProgrammeName: strings.TrimSpace(e.ProgrammeName),
		Service:       strings.TrimSpace(e.Service.Name),
		Coach:         strings.TrimSpace(coachName),
		CoachEmail:    coachEmail,
		Reason:        strings.TrimSpace(e.Reason),
		Link:          a.handoverLink(handoverlink.Claims{TrajectoryID: e.TrajectoryID, Number: e.Number, ExpiresAt: e.LinkExpiresAt}),
		Expires:       e.LinkExpiresAt.In(loc).Format("02-01-2006 15:04"),
		Shared:        sharedLines(e.Shared),
	}
	if d.Coach == "" {
		d.Coach = "de gezinscoach"
	}
	subject, body, err := render(handoverTemplate, d)
	if err != nil {
		return mailer.Message{}, err
	}
	return mailer.Message{
		MessageID: MessageID(e.Key),
		From:      a.From,
		To:        e.Service.Email,
		ReplyTo:   coachEmail,
		Subject:   subject,
		TextBody:  body,
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
