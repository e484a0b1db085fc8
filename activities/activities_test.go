package activities_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

type events struct{ got []trajectory.Event }

func (e *events) RecordEvent(_ context.Context, ev trajectory.Event) error {
	e.got = append(e.got, ev)
	return nil
}

func (e *events) RecordEvents(_ context.Context, evs []trajectory.Event) ([]error, error) {
	e.got = append(e.got, evs...)
	return nil, nil
}

// fixture is one sink, one database and the activities that use them.
type fixture struct {
	sink  *smtpsink.Sink
	store *store.Store
	a     *activities.Activities
	links *handoverlink.Signer
}

func setup(t *testing.T) *fixture {
	t.Helper()
	sink := smtpsink.Start(t)
	st, err := store.Open(t.Context(), storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	st = st.WithKeys(keys.MustGenerate("test", keys.TestProgrammes...))
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	links, err := handoverlink.NewSigner(handoverlink.Key{ID: "t1", Secret: []byte("KVXfw+rArGCdQVBYXAVyOadFzbDJSg1Y1QGVL3baEnY=")})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sink: sink, store: st, links: links, a: &activities.Activities{
		Events:        &events{},
		Ledger:        st,
		Mail:          mailer.NewSender(mailer.Config{Addr: sink.Addr(), From: "elkgezin@localhost", Timeout: 2 * time.Second}),
		From:          "elkgezin@localhost",
		PublicBaseURL: "http://localhost:8080/",
		Location:      brussels,
		Links:         links,
		Programmes:    catalogue(),
	}}
}

// The programme the notifications of these tests belong to, as its file
// says now.
const (
	coachAddress      = "an.peeters@ocmw.example"
	supervisorAddress = "team-go@mechelen.example"
)

func catalogue() programme.Catalogue {
	return programme.Catalogue{"go-team-mechelen": {
		ID:              "go-team-mechelen",
		Name:            "GO-team Mechelen",
		SupervisorEmail: supervisorAddress,
		ManagerEmail:    "directie@mechelen.example",
		Coaches: []programme.Coach{
			{ID: "go-coach-1", Name: "An Peeters", Email: coachAddress},
			{ID: "go-coach-2", Name: "Bram Claes", Email: "bram.claes@ocmw.example"},
			{ID: "go-coach-mute", Name: "Zonder Adres"},
		},
		CoWorkers: []programme.CoWorker{{ID: "go-brug-1", Name: "Brugfiguur 1", Email: "brug1@mechelen.example", Role: "brugfiguur"}},
	}}
}

// env runs activities as a worker would.
func (f *fixture) env() *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(f.a)
	return env
}

// workerEnv is env on a worker whose context is ctx: cancelling ctx is the
// worker going away under its activities.
func (f *fixture) workerEnv(ctx context.Context) *testsuite.TestActivityEnvironment {
	env := f.env()
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	return env
}

func (f *fixture) status(t *testing.T, key string) store.EmailRecord {
	t.Helper()
	r, err := f.store.Email(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func nonRetryable(err error, errType string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.NonRetryable() && app.Type() == errType
}

func retryable(err error) bool {
	var app *temporal.ApplicationError
	return err != nil && !(errors.As(err, &app) && app.NonRetryable())
}

// Due at 14:30 UTC in summer: 16:30 in Brussels.
var due = time.Date(2026, 7, 3, 14, 30, 0, 0, time.UTC)

// notification is the email the workflow asks for: a reminder to the
// coach, an alert to the supervisor, except the alert about a handover,
// which goes to the coach.
func notification(kind trajectory.NotificationKind, step trajectory.Step) trajectory.Notification {
	to := trajectory.Recipient{Role: trajectory.RoleCoach, CoachID: "go-coach-1"}
	if kind == trajectory.Alert && step.Kind != trajectory.StepHandoverAck {
		to = trajectory.Recipient{Role: trajectory.RoleSupervisor}
	}
	return trajectory.Notification{
		Key:           trajectory.EmailKey("tr-abc", step, kind, to),
		Kind:          kind,
		TrajectoryID:  "tr-abc",
		ProgrammeID:   "go-team-mechelen",
		ProgrammeName: "GO-team Mechelen",
		Step:          step,
		Recipient:     to,
		ReportInDoubt: true, // as every workflow since email-in-doubt-reported
	}
}

// address is where n must go.
func address(n trajectory.Notification) string {
	if n.Recipient.Role == trajectory.RoleSupervisor {
		return supervisorAddress
	}
	return coachAddress
}

func TestNotificationSubjectsAndGreetings(t *testing.T) {
	f := setup(t)
	env := f.env()
	for _, tc := range []struct {
		kind     trajectory.NotificationKind
		step     trajectory.Step
		want     string
		greeting string
	}{
		{trajectory.Alert, trajectory.Step{Kind: trajectory.StepAssignment, DueAt: due},
			"Escalatie: toewijzing van een coach is te laat sinds 03-07-2026 16:30 (traject tr-abc)", "Beste,"},
		{trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due},
			"Herinnering: intake vervalt op 03-07-2026 16:30 (traject tr-abc)", "Beste coach,"},
		{trajectory.Reminder, trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 3, DueAt: due.AddDate(0, 6, 0)},
			"Herinnering: huisbezoek 3 vervalt op 03-01-2027 15:30 (traject tr-abc)", "Beste coach,"},
		{trajectory.Alert, trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 2, DueAt: due},
			"Escalatie: huisbezoek 2 is te laat sinds 03-07-2026 16:30 (traject tr-abc)", "Beste,"},
		{trajectory.Reminder, trajectory.Step{Kind: trajectory.StepBirth, DueAt: due},
			"Herinnering: registratie van de geboorte vervalt op 03-07-2026 16:30 (traject tr-abc)", "Beste coach,"},
		{trajectory.Alert, trajectory.Step{Kind: trajectory.StepBirth, DueAt: due},
			"Escalatie: registratie van de geboorte is te laat sinds 03-07-2026 16:30 (traject tr-abc)", "Beste,"},
		{trajectory.Reminder, trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: due},
			"Herinnering: einde van de opvolging (afsluitende overdracht voorbereiden) vervalt op 03-07-2026 16:30 (traject tr-abc)", "Beste coach,"},
		{trajectory.Alert, trajectory.Step{Kind: trajectory.StepFollowUpEnd, DueAt: due},
			"Escalatie: einde van de opvolging (afsluitende overdracht voorbereiden) is te laat sinds 03-07-2026 16:30 (traject tr-abc)", "Beste,"},
		// The service did not acknowledge: the coach, who knows it, is told.
		{trajectory.Alert, trajectory.Step{Kind: trajectory.StepHandoverAck, Number: 2, DueAt: due},
			"Escalatie: bevestiging van overdracht 2 is te laat sinds 03-07-2026 16:30 (traject tr-abc)", "Beste coach,"},
	} {
		n := notification(tc.kind, tc.step)
		if _, err := env.ExecuteActivity(f.a.SendNotification, n); err != nil {
			t.Fatalf("%s: %v", tc.want, err)
		}
		got := f.sink.WaitFor(t, func(m smtpsink.Received) bool { return m.Subject == tc.want }, 5*time.Second)
		if got.MessageID != activities.MessageID(n.Key) {
			t.Errorf("%s: Message-Id = %q, want %q", tc.want, got.MessageID, activities.MessageID(n.Key))
		}
		if len(got.To) != 1 || got.To[0] != address(n) {
			t.Errorf("%s: sent to %v, want %s", tc.want, got.To, address(n))
		}
		if !strings.HasPrefix(got.Body, tc.greeting+"\r\n") {
			t.Errorf("%s: body does not start with %q:\n%s", tc.want, tc.greeting, got.Body)
		}
		for _, part := range []string{"GO-team Mechelen", "http://localhost:8080/trajecten/tr-abc", "tr-abc"} {
			if !strings.Contains(got.Body, part) {
				t.Errorf("%s: body lacks %q:\n%s", tc.want, part, got.Body)
			}
		}
		if h := got.Header.Get("X-Elkgezin-Trajectory"); h != "tr-abc" {
			t.Errorf("X-Elkgezin-Trajectory = %q", h)
		}
		if h := got.Header.Get("X-Elkgezin-Notification"); h != n.Key {
			t.Errorf("X-Elkgezin-Notification = %q, want %q", h, n.Key)
		}
		if r := f.status(t, n.Key); r.Status != store.EmailSent || r.Attempts != 1 {
			t.Errorf("%s: ledger = %+v", tc.want, r)
		}
	}
}

// TestFastEmailRecordsNoHeartbeat: an email sent within a second records
// no heartbeat, a write on Temporal's side that a storm of 10,000 emails
// paid once for each.
func TestFastEmailRecordsNoHeartbeat(t *testing.T) {
	f := setup(t)
	env := f.env()
	var beats atomic.Int32
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })
	start := time.Now()
	if _, err := env.ExecuteActivity(f.a.SendNotification, notification(trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due})); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second && beats.Load() != 0 {
		t.Errorf("an email sent in %s recorded %d heartbeats, want none", took, beats.Load())
	}
}

func TestSendTwiceSendsOnce(t *testing.T) {
	f := setup(t)
	env := f.env()
	n := notification(trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due})
	for range 2 {
		if _, err := env.ExecuteActivity(f.a.SendNotification, n); err != nil {
			t.Fatal(err)
		}
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails sent, want 1", c)
	}
	if r := f.status(t, n.Key); r.Status != store.EmailSent || r.Attempts != 2 {
		t.Errorf("ledger = %+v", r)
	}
}

func TestRejectedIsNonRetryable(t *testing.T) {
	f := setup(t)
	env := f.env()
	for _, reject := range []func(int){f.sink.Reject, f.sink.RejectData} {
		reject(550)
		n := notification(trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due})
		_, err := env.ExecuteActivity(f.a.SendNotification, n)
		if !nonRetryable(err, activities.ErrTypeEmailRejected) {
			t.Fatalf("err = %v, want a non-retryable %s", err, activities.ErrTypeEmailRejected)
		}
		if strings.Contains(err.Error(), address(n)) {
			t.Errorf("error reveals the recipient: %v", err)
		}
		// A refusal, even of the whole message, delivered nothing.
		if r := f.status(t, n.Key); r.Status != store.EmailPending {
			t.Errorf("after a refusal the email is %s, want pending", r.Status)
		}
		reject(0)
	}
	if c := f.sink.Count(nil); c != 0 {
		t.Errorf("%d emails arrived", c)
	}
}

// A temporary refusal of the whole message (after the ledger said
// committing) is definite: the retry sends it.
func TestTemporaryRefusalOfMessageIsRetried(t *testing.T) {
	f := setup(t)
	env := f.env()
	n := notification(trajectory.Alert, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due})
	f.sink.RejectData(451)
	if _, err := env.ExecuteActivity(f.a.SendNotification, n); !retryable(err) {
		t.Fatalf("451 at the end of DATA: err = %v, want a retryable error", err)
	}
	if r := f.status(t, n.Key); r.Status != store.EmailPending {
		t.Errorf("after a 451 the email is %s, want pending", r.Status)
	}
	f.sink.RejectData(0)
	if _, err := env.ExecuteActivity(f.a.SendNotification, n); err != nil {
		t.Fatal(err)
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails arrived, want 1", c)
	}
}

func TestInvalidNotificationIsNonRetryable(t *testing.T) {
	f := setup(t)
	env := f.env()
	n := notification(trajectory.Reminder, trajectory.Step{Kind: "picknick", DueAt: due})
	if _, err := env.ExecuteActivity(f.a.SendNotification, n); !nonRetryable(err, activities.ErrTypeInvalidNotification) {
		t.Fatalf("err = %v, want a non-retryable %s", err, activities.ErrTypeInvalidNotification)
	}
	e := handover(trajectory.HandoverNotice, trajectory.SharedData{})
	e.Service.Email = ""
	if _, err := env.ExecuteActivity(f.a.SendHandover, e); !nonRetryable(err, activities.ErrTypeInvalidNotification) {
		t.Fatalf("handover without address: err = %v, want a non-retryable %s", err, activities.ErrTypeInvalidNotification)
	}
}

func TestRecordEventDelegates(t *testing.T) {
	f := setup(t)
	e := trajectory.Event{TrajectoryID: "tr-abc", Seq: 2, Kind: trajectory.EventCoachAssigned, At: due}
	if _, err := f.env().ExecuteActivity(f.a.RecordEvent, e); err != nil {
		t.Fatal(err)
	}
	got := f.a.Events.(*events).got
	if len(got) != 1 || got[0].Seq != 2 || got[0].Kind != trajectory.EventCoachAssigned {
		t.Errorf("recorded %+v", got)
	}
}

// The family's data, of which a handover may share some.
var (
	family   = trajectory.Family{ContactName: "Sara Janssens", Address: "Kerkstraat 12, 2800 Mechelen", Phone: "0470 12 34 56"}
	children = []trajectory.Child{
		{Name: "Noor", BirthDate: date("2025-03-14")},
		{Name: "Milan", BirthDate: date("2023-11-02")},
	}
	dueDate = date("2026-09-01")
	// personal is every piece of it, as an email could write it.
	personal = []string{"Sara", "Janssens", "Kerkstraat", "Mechelen", "0470", "Noor", "Milan",
		"14-03-2025", "2025-03-14", "02-11-2023", "2023-11-02", "01-09-2026", "2026-09-01"}
)

func date(s string) trajectory.Date {
	d, err := trajectory.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// shared is what the workflow puts in a handover email for the consent's
// shares.
func shared(shares ...string) trajectory.SharedData {
	var s trajectory.SharedData
	if slices.Contains(shares, trajectory.ShareContact) {
		c := family
		s.Contact = &c
	}
	if slices.Contains(shares, trajectory.ShareChildren) {
		s.Children = children
	}
	if slices.Contains(shares, trajectory.SharePregnancy) {
		s.ExpectedDueDate = dueDate
	}
	return s
}

var linkExpiry = time.Date(2026, 8, 14, 10, 0, 0, 0, time.UTC)

func handover(kind trajectory.NotificationKind, s trajectory.SharedData) trajectory.HandoverEmail {
	key := "tr-abc/handover-2"
	if kind == trajectory.Reminder {
		key += "/reminder"
	}
	return trajectory.HandoverEmail{
		Key:           key,
		Kind:          kind,
		TrajectoryID:  "tr-abc",
		ProgrammeName: "Perinatale werking Menen",
		Number:        2,
		Service:       trajectory.Service{ID: "kg-menen", Name: "Kind en Gezin Menen", Kind: "kind-en-gezin", Email: "menen@kindengezin.example"},
		Reason:        "Het gezin wil na de geboorte verder met het consultatiebureau.",
		Shared:        s,
		ReportInDoubt: true,
		ProgrammeID:   "go-team-mechelen",
		CoachID:       "go-coach-1",
		LinkExpiresAt: linkExpiry,
	}
}

// section returns the lines of body between the heading and the next blank line.
func section(body, heading string) []string {
	_, rest, ok := strings.Cut(body, "\n"+heading+"\n")
	if !ok {
		return nil
	}
	block, _, _ := strings.Cut(rest, "\n\n")
	return strings.Split(strings.TrimRight(block, "\n"), "\n")
}

func TestHandoverEmailHoldsExactlyTheConsentedData(t *testing.T) {
	const consent = "Het gezin gaf toestemming om deze gegevens met jullie te delen:"
	for _, tc := range []struct {
		name   string
		shares []string
		want   []string // the lines of the shared section
	}{
		{"nothing", nil, []string{"Het gezin deelt via deze e-mail geen persoonlijke gegevens. An Peeters vertelt jullie meer " +
			"in een gesprek waarbij het gezin zelf aanwezig is."}},
		{"contact", []string{trajectory.ShareContact}, []string{consent,
			"Contactpersoon: Sara Janssens", "Adres: Kerkstraat 12, 2800 Mechelen", "Telefoon: 0470 12 34 56"}},
		{"children", []string{trajectory.ShareChildren}, []string{consent,
			"Kinderen:", "- Noor, geboren op 14-03-2025", "- Milan, geboren op 02-11-2023"}},
		{"pregnancy", []string{trajectory.SharePregnancy}, []string{consent,
			"Verwachte bevallingsdatum: 01-09-2026"}},
		{"all", trajectory.ShareCategories, []string{consent,
			"Contactpersoon: Sara Janssens", "Adres: Kerkstraat 12, 2800 Mechelen", "Telefoon: 0470 12 34 56",
			"Kinderen:", "- Noor, geboren op 14-03-2025", "- Milan, geboren op 02-11-2023",
			"Verwachte bevallingsdatum: 01-09-2026"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			e := handover(trajectory.HandoverNotice, shared(tc.shares...))
			if _, err := f.env().ExecuteActivity(f.a.SendHandover, e); err != nil {
				t.Fatal(err)
			}
			got := f.sink.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second)
			body := strings.ReplaceAll(got.Body, "\r\n", "\n")

			if s := section(body, "Wat het gezin met jullie deelt"); !slices.Equal(s, tc.want) {
				t.Errorf("shared section =\n%q\nwant\n%q", s, tc.want)
			}
			// Nothing the family did not share appears anywhere else.
			rest := strings.Replace(body, strings.Join(tc.want, "\n"), "", 1) + "\n" + got.Subject
			for k := range got.Header.Map() {
				rest += "\n" + got.Header.Get(k)
			}
			for _, p := range personal {
				if strings.Contains(rest, p) {
					t.Errorf("%q appears outside the consented data:\n%s", p, body)
				}
			}

			if want := "Overdracht 2 van traject tr-abc: Perinatale werking Menen"; got.Subject != want {
				t.Errorf("subject = %q, want %q", got.Subject, want)
			}
			if len(got.To) != 1 || got.To[0] != e.Service.Email {
				t.Errorf("sent to %v", got.To)
			}
			for _, part := range []string{"Beste collega's van Kind en Gezin Menen,", "An Peeters", "an.peeters@ocmw.example",
				"Perinatale werking Menen", e.Reason, "14-08-2026 12:00"} {
				if !strings.Contains(body, part) {
					t.Errorf("body lacks %q:\n%s", part, body)
				}
			}
		})
	}
}

func TestHandoverEmailHeadersAndLink(t *testing.T) {
	f := setup(t)
	e := handover(trajectory.HandoverNotice, shared())
	if _, err := f.env().ExecuteActivity(f.a.SendHandover, e); err != nil {
		t.Fatal(err)
	}
	got := f.sink.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second)
	if got.MessageID != activities.MessageID(e.Key) {
		t.Errorf("Message-Id = %q, want %q", got.MessageID, activities.MessageID(e.Key))
	}
	if h := got.Header.Get("X-Elkgezin-Trajectory"); h != "tr-abc" {
		t.Errorf("X-Elkgezin-Trajectory = %q", h)
	}
	if rt, err := got.Header.AddressList("Reply-To"); err != nil || len(rt) != 1 || rt[0].Address != coachAddress {
		t.Errorf("Reply-To = %v (%v), want the coach", rt, err)
	}

	const prefix = "http://localhost:8080/v1/handovers/"
	var token string
	for _, l := range strings.Split(got.Body, "\r\n") {
		if strings.HasPrefix(l, prefix) {
			token = strings.TrimPrefix(l, prefix)
		}
	}
	if token == "" {
		t.Fatalf("no acknowledgement link in:\n%s", got.Body)
	}
	c, err := f.links.Verify(token, linkExpiry.Add(-time.Hour))
	if err != nil {
		t.Fatalf("link does not verify: %v", err)
	}
	if c.TrajectoryID != "tr-abc" || c.Number != 2 || !c.ExpiresAt.Equal(linkExpiry) {
		t.Errorf("link claims %+v", c)
	}
	if _, err := f.links.Verify(token, linkExpiry); !errors.Is(err, handoverlink.ErrExpired) {
		t.Errorf("link at its expiry: err = %v, want ErrExpired", err)
	}
}

// The reminder to acknowledge carries the handover again, so that a
// service that never got the first email still gets it.
func TestHandoverReminder(t *testing.T) {
	f := setup(t)
	e := handover(trajectory.Reminder, shared(trajectory.SharePregnancy))
	if _, err := f.env().ExecuteActivity(f.a.SendHandover, e); err != nil {
		t.Fatal(err)
	}
	got := f.sink.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second)
	if want := "Herinnering: bevestig de overdracht 2 van traject tr-abc"; got.Subject != want {
		t.Errorf("subject = %q, want %q", got.Subject, want)
	}
	body := strings.ReplaceAll(got.Body, "\r\n", "\n")
	for _, part := range []string{"nog geen bevestiging", e.Reason, "Verwachte bevallingsdatum: 01-09-2026",
		"http://localhost:8080/v1/handovers/" + f.links.Token(handoverlink.Claims{TrajectoryID: "tr-abc", Number: 2, ExpiresAt: linkExpiry})} {
		if !strings.Contains(body, part) {
			t.Errorf("body lacks %q:\n%s", part, body)
		}
	}
	if got.MessageID == activities.MessageID(handover(trajectory.HandoverNotice, shared()).Key) {
		t.Error("the reminder has the handover's Message-Id")
	}
}

func TestHandoverWithoutSignerIsRetryable(t *testing.T) {
	f := setup(t)
	f.a.Links = nil
	e := handover(trajectory.HandoverNotice, shared())
	if _, err := f.env().ExecuteActivity(f.a.SendHandover, e); !retryable(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if c := f.sink.Count(nil); c != 0 {
		t.Errorf("%d emails arrived", c)
	}
}

// An SMTP server that is down only delays the email.
func TestServerDownOnlyDelays(t *testing.T) {
	f := setup(t)
	env := f.env()
	e := handover(trajectory.HandoverNotice, shared(trajectory.ShareContact))
	f.sink.Stop()
	for range 2 {
		if _, err := env.ExecuteActivity(f.a.SendHandover, e); !retryable(err) {
			t.Fatalf("server down: err = %v, want a retryable error", err)
		}
		if r := f.status(t, e.Key); r.Status != store.EmailPending {
			t.Fatalf("server down: the email is %s, want pending", r.Status)
		}
	}
	f.sink.Restart()
	for range 2 {
		if _, err := env.ExecuteActivity(f.a.SendHandover, e); err != nil {
			t.Fatalf("retry: %v", err)
		}
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails arrived, want 1", c)
	}
	if r := f.status(t, e.Key); r.Status != store.EmailSent || r.Attempts != 4 || r.SentAt == nil {
		t.Errorf("ledger = %+v", r)
	}
}

// The worker dies after the mail server accepted the handover and before
// the activity heard so: the ledger says committing, and no retry may send
// a second copy.
func TestWorkerKilledAfterServerAcceptedSendsNoSecondCopy(t *testing.T) {
	f := setup(t)
	e := handover(trajectory.HandoverNotice, shared(trajectory.ShareChildren))
	workerCtx, kill := context.WithCancel(t.Context())
	f.sink.SetOnData(func(smtpsink.Received) {
		kill()
		// Let the connection close before the server replies.
		time.Sleep(200 * time.Millisecond)
	})
	_, err := f.workerEnv(workerCtx).ExecuteActivity(f.a.SendHandover, e)
	if err == nil {
		t.Fatal("the killed attempt succeeded")
	}
	t.Logf("killed attempt: %v", err)
	if f.sink.Count(nil) != 1 {
		t.Fatalf("%d emails arrived, want 1", f.sink.Count(nil))
	}
	if r := f.status(t, e.Key); r.Status != store.EmailCommitting {
		t.Fatalf("after the kill the email is %s, want committing", r.Status)
	}

	f.sink.SetOnData(nil)
	env := f.env() // another worker
	for range 2 {
		// In doubt, reported, never sent again: the second retry is what a
		// retried report of the first would find.
		if _, err := env.ExecuteActivity(f.a.SendHandover, e); !nonRetryable(err, activities.ErrTypeEmailInDoubt) {
			t.Fatalf("retry: err = %v, want the non-retryable %s", err, activities.ErrTypeEmailInDoubt)
		}
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails arrived, want exactly 1", c)
	}
	if r := f.status(t, e.Key); r.Status != store.EmailUnconfirmed || r.Attempts != 3 {
		t.Errorf("ledger = %+v, want unconfirmed after 3 attempts", r)
	}
}

// failingLedger makes one of the ledger's writes fail once, as a database
// that goes away at that moment would.
type failingLedger struct {
	*store.Store
	failSent, failCommitting bool
}

var errDatabaseGone = errors.New("database gone")

func (l *failingLedger) MarkEmailSent(ctx context.Context, key string) error {
	if l.failSent {
		l.failSent = false
		return errDatabaseGone
	}
	return l.Store.MarkEmailSent(ctx, key)
}

func (l *failingLedger) MarkEmailCommitting(ctx context.Context, key string, attempt int) error {
	if l.failCommitting {
		l.failCommitting = false
		return errDatabaseGone
	}
	return l.Store.MarkEmailCommitting(ctx, key, attempt)
}

// The server accepted the email but recording it failed: the retry sends
// nothing, leaves the email unconfirmed and reports it in doubt.
func TestMarkSentFailsSendsNoSecondCopy(t *testing.T) {
	f := setup(t)
	f.a.Ledger = &failingLedger{Store: f.store, failSent: true}
	env := f.env()
	n := notification(trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due})
	if _, err := env.ExecuteActivity(f.a.SendNotification, n); !retryable(err) {
		t.Fatalf("a failing MarkEmailSent: err = %v, want a retryable error", err)
	}
	if r := f.status(t, n.Key); r.Status != store.EmailCommitting {
		t.Fatalf("the email is %s, want committing", r.Status)
	}
	for range 2 {
		if _, err := env.ExecuteActivity(f.a.SendNotification, n); !nonRetryable(err, activities.ErrTypeEmailInDoubt) {
			t.Fatalf("retry: err = %v, want the non-retryable %s", err, activities.ErrTypeEmailInDoubt)
		}
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails arrived, want exactly 1", c)
	}
	if r := f.status(t, n.Key); r.Status != store.EmailUnconfirmed {
		t.Errorf("the email is %s, want unconfirmed", r.Status)
	}
}

// When the ledger cannot record that the message is about to commit, the
// message is withdrawn mid-DATA: the server discards it, and the retry
// sends it.
func TestCommitNotRecordedWithdrawsMessage(t *testing.T) {
	f := setup(t)
	f.a.Ledger = &failingLedger{Store: f.store, failCommitting: true}
	env := f.env()
	e := handover(trajectory.HandoverNotice, shared())
	_, err := env.ExecuteActivity(f.a.SendHandover, e)
	if !retryable(err) || !strings.Contains(err.Error(), errDatabaseGone.Error()) {
		t.Fatalf("err = %v, want a retryable error from the ledger", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.sink.Aborted() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a, c := f.sink.Aborted(), f.sink.Count(nil); a != 1 || c != 0 {
		t.Fatalf("server saw %d aborted and %d accepted messages, want 1 and 0", a, c)
	}
	if r := f.status(t, e.Key); r.Status != store.EmailPending {
		t.Fatalf("the email is %s, want pending", r.Status)
	}
	if _, err := env.ExecuteActivity(f.a.SendHandover, e); err != nil {
		t.Fatal(err)
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails arrived, want 1", c)
	}
	if r := f.status(t, e.Key); r.Status != store.EmailSent {
		t.Errorf("the email is %s, want sent", r.Status)
	}
}

// The server took the whole message but its reply never came, while the
// worker lives on: the email is in doubt, so it is not sent again; the
// activity reports it in doubt (non-retryable) with the email unconfirmed.
func TestNoReplyAfterCommitLeavesEmailUnconfirmed(t *testing.T) {
	f := setup(t)
	f.a.Mail = mailer.NewSender(mailer.Config{Addr: f.sink.Addr(), From: "elkgezin@localhost", Timeout: 300 * time.Millisecond})
	release := make(chan struct{})
	f.sink.SetOnData(func(smtpsink.Received) { <-release })
	defer close(release)
	env := f.env()
	n := notification(trajectory.Alert, trajectory.Step{Kind: trajectory.StepHandoverAck, Number: 1, DueAt: due})
	for range 2 {
		_, err := env.ExecuteActivity(f.a.SendNotification, n)
		if !nonRetryable(err, activities.ErrTypeEmailInDoubt) {
			t.Fatalf("in doubt: err = %v, want the non-retryable %s", err, activities.ErrTypeEmailInDoubt)
		}
		// What goes into Temporal's history names no address.
		if a := emailAddress.FindString(err.Error()); a != "" {
			t.Errorf("the error names the address %s: %v", a, err)
		}
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails arrived, want exactly 1", c)
	}
	if r := f.status(t, n.Key); r.Status != store.EmailUnconfirmed || r.Attempts != 2 {
		t.Errorf("ledger = %+v, want unconfirmed after 2 attempts", r)
	}
	doubt, err := f.store.EmailsInDoubt(t.Context(), time.Now(), 10)
	if err != nil || len(doubt) != 1 || doubt[0].Key != n.Key {
		t.Errorf("EmailsInDoubt = %+v, %v", doubt, err)
	}
}

// A run from before email-in-doubt-reported does not ask for the report
// (nor handle its error): its email in doubt is settled as sent, as then.
func TestEmailInDoubtOfAnOlderRunIsSettledAsBefore(t *testing.T) {
	f := setup(t)
	f.a.Mail = mailer.NewSender(mailer.Config{Addr: f.sink.Addr(), From: "elkgezin@localhost", Timeout: 300 * time.Millisecond})
	n := notification(trajectory.Alert, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due}) // to the supervisor
	n.ReportInDoubt = false
	f.sink.HangUpAfterData(supervisorAddress)
	for range 2 {
		if _, err := f.env().ExecuteActivity(f.a.SendNotification, n); err != nil {
			t.Fatalf("in doubt, for an older run: %v", err)
		}
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails arrived, want exactly 1", c)
	}
	if r := f.status(t, n.Key); r.Status != store.EmailUnconfirmed {
		t.Errorf("the email is %s, want unconfirmed", r.Status)
	}
}

// beforeOwnCommit runs a function when the activity is about to commit.
type beforeOwnCommit struct {
	*store.Store
	run func()
}

func (l *beforeOwnCommit) MarkEmailCommitting(ctx context.Context, key string, attempt int) error {
	l.run()
	return l.Store.MarkEmailCommitting(ctx, key, attempt)
}

// Two attempts at once (Temporal retries an attempt that timed out while it
// still runs): the older one, overtaken before it committed, withdraws its
// message; exactly one copy arrives.
func TestOvertakenAttemptWithdraws(t *testing.T) {
	f := setup(t)
	n := notification(trajectory.Reminder, trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 4, DueAt: due})
	m, err := activities.NotificationMessage(f.a, n)
	if err != nil {
		t.Fatal(err)
	}
	// The older attempt began, and is slow to reach the server.
	_, older, err := f.store.BeginEmail(t.Context(), n.Key, m.MessageID, m.To, m.Subject)
	if err != nil {
		t.Fatal(err)
	}
	// The retry began too; both are about to commit, the older one first.
	var olderErr error
	f.a.Ledger = &beforeOwnCommit{Store: f.store, run: func() {
		olderErr = f.a.Mail.SendCommitting(t.Context(), m, func(ctx context.Context) error {
			return f.store.MarkEmailCommitting(ctx, n.Key, older)
		})
	}}
	if _, err := f.env().ExecuteActivity(f.a.SendNotification, n); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(olderErr, mailer.ErrWithdrawn) || !errors.Is(olderErr, store.ErrEmailConflict) {
		t.Fatalf("the overtaken attempt: err = %v, want a withdrawal on a ledger conflict", olderErr)
	}
	if err := f.store.MarkEmailNotSent(t.Context(), n.Key, older); err != nil {
		t.Fatal(err)
	}
	if c := f.sink.Count(nil); c != 1 {
		t.Errorf("%d emails arrived, want exactly 1", c)
	}
	if r := f.status(t, n.Key); r.Status != store.EmailSent || r.Attempts != 2 {
		t.Errorf("ledger = %+v, want sent after 2 attempts", r)
	}
}
