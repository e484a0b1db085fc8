package activities_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"elkgezin/activities"
	"elkgezin/internal/smtpsink"
	"elkgezin/mailer"
	"elkgezin/trajectory"
)

// ledger is an in-memory EmailLedger with the semantics of the real one:
// BeginEmail remembers the intent, MarkEmailSent settles it.
type ledger struct {
	mu    sync.Mutex
	begun map[string]string // key -> message id
	sent  map[string]bool
}

func newLedger() *ledger {
	return &ledger{begun: map[string]string{}, sent: map[string]bool{}}
}

func (l *ledger) BeginEmail(_ context.Context, key, messageID, _, _ string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id, ok := l.begun[key]; ok && id != messageID {
		return false, errors.New("same key, other message id")
	}
	l.begun[key] = messageID
	return l.sent[key], nil
}

func (l *ledger) MarkEmailSent(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.begun[key]; !ok {
		return errors.New("marked before begun")
	}
	l.sent[key] = true
	return nil
}

type events struct{ got []trajectory.Event }

func (e *events) RecordEvent(_ context.Context, ev trajectory.Event) error {
	e.got = append(e.got, ev)
	return nil
}

func setup(t *testing.T) (*smtpsink.Sink, *activities.Activities, *testsuite.TestActivityEnvironment) {
	sink := smtpsink.Start(t)
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	a := &activities.Activities{
		Events:        &events{},
		Ledger:        newLedger(),
		Mail:          mailer.NewSender(mailer.Config{Addr: sink.Addr(), From: "elkgezin@localhost", Timeout: 2 * time.Second}),
		From:          "elkgezin@localhost",
		PublicBaseURL: "http://localhost:8080/",
		Location:      brussels,
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	return sink, a, env
}

// Due at 14:30 UTC in summer: 16:30 in Brussels.
var due = time.Date(2026, 7, 3, 14, 30, 0, 0, time.UTC)

func notification(kind trajectory.NotificationKind, step trajectory.Step) trajectory.Notification {
	return trajectory.Notification{
		Key:           "tr-abc/" + string(kind) + ":" + step.Key(),
		Kind:          kind,
		To:            "coach@example.org",
		TrajectoryID:  "tr-abc",
		ProgrammeName: "GO-team Mechelen",
		Step:          step,
	}
}

func TestSubjects(t *testing.T) {
	sink, a, env := setup(t)
	for _, tc := range []struct {
		kind trajectory.NotificationKind
		step trajectory.Step
		want string
	}{
		{trajectory.Alert, trajectory.Step{Kind: trajectory.StepAssignment, DueAt: due},
			"Escalatie: toewijzing van een coach is te laat sinds 03-07-2026 16:30 (traject tr-abc)"},
		{trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due},
			"Herinnering: intake vervalt op 03-07-2026 16:30 (traject tr-abc)"},
		{trajectory.Reminder, trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 3, DueAt: due.AddDate(0, 6, 0)},
			"Herinnering: huisbezoek 3 vervalt op 03-01-2027 15:30 (traject tr-abc)"},
		{trajectory.Alert, trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 2, DueAt: due},
			"Escalatie: huisbezoek 2 is te laat sinds 03-07-2026 16:30 (traject tr-abc)"},
	} {
		n := notification(tc.kind, tc.step)
		if _, err := env.ExecuteActivity(a.SendNotification, n); err != nil {
			t.Fatalf("%s: %v", tc.want, err)
		}
		got := sink.WaitFor(t, func(m smtpsink.Received) bool { return m.Subject == tc.want }, 5*time.Second)
		if got.MessageID != activities.MessageID(n.Key) {
			t.Errorf("%s: Message-Id = %q, want %q", tc.want, got.MessageID, activities.MessageID(n.Key))
		}
		if len(got.To) != 1 || got.To[0] != n.To {
			t.Errorf("%s: sent to %v", tc.want, got.To)
		}
		for _, part := range []string{"GO-team Mechelen", "http://localhost:8080/v1/trajectories/tr-abc", "tr-abc"} {
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
	}
}

func TestSendTwiceSendsOnce(t *testing.T) {
	sink, a, env := setup(t)
	n := notification(trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due})
	for range 2 {
		if _, err := env.ExecuteActivity(a.SendNotification, n); err != nil {
			t.Fatal(err)
		}
	}
	if c := sink.Count(nil); c != 1 {
		t.Errorf("%d emails sent, want 1", c)
	}
}

func TestRetryAfterServerOutageSendsOnce(t *testing.T) {
	sink, a, env := setup(t)
	n := notification(trajectory.Alert, trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 1, DueAt: due})
	sink.Stop()
	_, err := env.ExecuteActivity(a.SendNotification, n)
	if err == nil {
		t.Fatal("sending with the server down succeeded")
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.NonRetryable() {
		t.Fatalf("server down gave a non-retryable error: %v", err)
	}
	sink.Restart()
	for range 2 {
		if _, err := env.ExecuteActivity(a.SendNotification, n); err != nil {
			t.Fatalf("retry: %v", err)
		}
	}
	if c := sink.Count(nil); c != 1 {
		t.Errorf("%d emails sent, want 1", c)
	}
}

func TestRejectedIsNonRetryable(t *testing.T) {
	sink, a, env := setup(t)
	sink.Reject(550)
	n := notification(trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due})
	_, err := env.ExecuteActivity(a.SendNotification, n)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || app.Type() != activities.ErrTypeEmailRejected {
		t.Fatalf("err = %v, want a non-retryable %s", err, activities.ErrTypeEmailRejected)
	}
	if strings.Contains(err.Error(), n.To) {
		t.Errorf("error reveals the recipient: %v", err)
	}
}

func TestInvalidNotificationIsNonRetryable(t *testing.T) {
	_, a, env := setup(t)
	n := notification(trajectory.Reminder, trajectory.Step{Kind: "picknick", DueAt: due})
	_, err := env.ExecuteActivity(a.SendNotification, n)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || app.Type() != activities.ErrTypeInvalidNotification {
		t.Fatalf("err = %v, want a non-retryable %s", err, activities.ErrTypeInvalidNotification)
	}
}

func TestRecordEventDelegates(t *testing.T) {
	_, a, env := setup(t)
	e := trajectory.Event{TrajectoryID: "tr-abc", Seq: 2, Kind: trajectory.EventCoachAssigned, At: due}
	if _, err := env.ExecuteActivity(a.RecordEvent, e); err != nil {
		t.Fatal(err)
	}
	got := a.Events.(*events).got
	if len(got) != 1 || got[0].Seq != 2 || got[0].Kind != trajectory.EventCoachAssigned {
		t.Errorf("recorded %+v", got)
	}
}

// failingMark fails MarkEmailSent once, as a worker crash after the SMTP
// server accepted the email would.
type failingMark struct {
	*ledger
	failed bool
}

func (f *failingMark) MarkEmailSent(ctx context.Context, key string) error {
	if !f.failed {
		f.failed = true
		return errors.New("database gone")
	}
	return f.ledger.MarkEmailSent(ctx, key)
}

// Between sending and marking, exactly-once is impossible; the resent email
// must then be recognisably the same message.
func TestCrashAfterSendResendsSameMessage(t *testing.T) {
	sink, a, env := setup(t)
	a.Ledger = &failingMark{ledger: newLedger()}
	n := notification(trajectory.Reminder, trajectory.Step{Kind: trajectory.StepIntake, DueAt: due})
	if _, err := env.ExecuteActivity(a.SendNotification, n); err == nil {
		t.Fatal("a failing MarkEmailSent went unreported")
	}
	for range 2 {
		if _, err := env.ExecuteActivity(a.SendNotification, n); err != nil {
			t.Fatal(err)
		}
	}
	msgs := sink.Messages()
	if len(msgs) != 2 || msgs[0].MessageID != msgs[1].MessageID || msgs[0].Subject != msgs[1].Subject {
		t.Errorf("want the same email twice, got %d: %+v", len(msgs), msgs)
	}
}
