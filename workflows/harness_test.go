package workflows

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

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

// t0 is the referral instant of every test trajectory.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// sent is one email as it reached the SMTP server: what it was about
// (step key and kind, or "handover-n"), the address it went to, and the
// instant of the workflow clock at which the workflow sent it.
type sent struct {
	Key string
	To  string
	At  time.Time
}

// run is one trajectory in the time-skipping test environment with the
// real activities: events go to a PostgreSQL database of its own, emails
// through the real ledger to a real SMTP server. So an email the ledger
// deduplicates, or the server refuses, is not counted as sent.
type run struct {
	t      testing.TB
	env    *testsuite.TestWorkflowEnvironment
	prog   programme.Programme
	sink   *smtpsink.Sink
	store  *store.Store
	mu     sync.Mutex
	sent   []sent
	events []trajectory.Event
	// handovers are the handover emails the workflow asked for.
	handovers []trajectory.HandoverEmail
	seen      map[string]bool // Message-IDs counted in sent
	// recordFails, when set, fails an event's write as a database that is
	// down does, each time it returns true.
	recordFails func(trajectory.Event) bool
}

var (
	catalogueOnce sync.Once
	catalogue     programme.Catalogue
	catalogueErr  error
)

func programmes(t testing.TB) programme.Catalogue {
	catalogueOnce.Do(func() { catalogue, catalogueErr = programme.LoadDir("../deploy/programmes") })
	if catalogueErr != nil {
		t.Fatal(catalogueErr)
	}
	return catalogue
}

func loadProgramme(t testing.TB, id string) programme.Programme {
	t.Helper()
	p, ok := programmes(t).Get(id)
	if !ok {
		t.Fatalf("no programme %s", id)
	}
	return p
}

func newRun(t testing.TB, p programme.Programme) *run {
	t.Helper()
	st, err := store.Open(context.Background(), storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return newRunOn(t, p, st.WithKeys(keys.MustGenerate("test", keys.TestProgrammes...)), smtpsink.Start(t))
}

// continued is a new environment for the next run of r's trajectory, with
// the same database and mail server, as after a continue-as-new.
func (r *run) continued() *run {
	next := newRunOn(r.t, r.prog, r.store, r.sink)
	next.seen = r.seen
	return next
}

func newRunOn(t testing.TB, p programme.Programme, st *store.Store, sink *smtpsink.Sink) *run {
	links, err := handoverlink.NewSigner(handoverlink.Key{ID: "t1", Secret: []byte("Q0Yqyocxx7euorRwbhKUzfGAe1ap5ovF49hs6tizxq8=")})
	if err != nil {
		t.Fatal(err)
	}
	r := &run{t: t, prog: p, sink: sink, store: st, seen: map[string]bool{}}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger{t})
	r.env = suite.NewTestWorkflowEnvironment()
	r.env.SetStartTime(t0)
	acts := &activities.Activities{
		Events:        st,
		Ledger:        st,
		Mail:          mailer.NewSender(mailer.Config{Addr: r.sink.Addr(), From: "elkgezin@test.example", Timeout: 5 * time.Second}),
		From:          "elkgezin@test.example",
		PublicBaseURL: "http://elkgezin.test",
		Links:         links,
		Programmes:    programmes(t),
	}
	r.env.RegisterActivity(acts)
	r.env.OnActivity(acts.SendNotification, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, n trajectory.Notification) error {
			at := r.env.Now().UTC()
			err := acts.SendNotification(ctx, n)
			r.observe(n.Key, n.Step.Key()+"/"+string(n.Kind), at)
			return err
		})
	r.env.OnActivity(acts.SendHandover, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, e trajectory.HandoverEmail) error {
			at := r.env.Now().UTC()
			r.mu.Lock()
			r.handovers = append(r.handovers, e)
			r.mu.Unlock()
			err := acts.SendHandover(ctx, e)
			what := "handover-" + itoa(e.Number)
			if e.Kind == trajectory.Reminder {
				what += "/reminder"
			}
			r.observe(e.Key, what, at)
			return err
		})
	r.env.OnActivity(acts.RecordEvent, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, e trajectory.Event) error {
			if r.recordFails != nil && r.recordFails(e) {
				return errors.New("record event: dial tcp 127.0.0.1:5432: connect: connection refused")
			}
			if err := acts.RecordEvent(ctx, e); err != nil {
				return err
			}
			r.logged(e)
			return nil
		})
	r.env.OnActivity(acts.RecordEvents, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, events []trajectory.Event) error {
			for _, e := range events {
				if r.recordFails != nil && r.recordFails(e) {
					return errors.New("record events: dial tcp 127.0.0.1:5432: connect: connection refused")
				}
			}
			if err := acts.RecordEvents(ctx, events); err != nil {
				return err
			}
			for _, e := range events {
				r.logged(e)
			}
			return nil
		})
	return r
}

// logged keeps an event the store wrote, in the log's order; a cause
// written again counts once.
func (r *run) logged(e trajectory.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.ContainsFunc(r.events, func(x trajectory.Event) bool { return x.Cause == e.Cause }) {
		return
	}
	i, _ := slices.BinarySearchFunc(r.events, e.Seq, func(x trajectory.Event, seq int64) int { return cmp.Compare(x.Seq, seq) })
	r.events = slices.Insert(r.events, i, e)
}

// observe counts the email with key as sent if it reached the server,
// once, whatever the workflow asked.
func (r *run) observe(key, what string, at time.Time) {
	id := activities.MessageID(key)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[id] {
		return
	}
	for _, m := range r.sink.Messages() {
		if m.MessageID == id {
			r.seen[id] = true
			r.sent = append(r.sent, sent{Key: what, To: strings.Join(m.To, ","), At: at})
		}
	}
}

// testIDKey keys the trajectory ids of these tests.
var testIDKey = func() trajectory.IDKey {
	k, err := trajectory.ParseIDKey("nQlQsXRF6mWdnsDMs64Z7ser77llwM7L7Ozvwyj2Pa0=")
	if err != nil {
		panic(err)
	}
	return k
}()

func referral(p programme.Programme) trajectory.Start {
	ref := trajectory.Referral{
		ProgrammeID: p.ID,
		Referrer:    trajectory.Referrer{Organisation: p.Referrers[0].ID, Reference: "REF-1"},
		Family:      trajectory.Family{ContactName: "Test Family", Phone: "+32 470 00 00 00"},
		Reason:      "test",
	}
	timings := p.Timings()
	return trajectory.Start{
		TrajectoryID:  trajectory.ID(testIDKey, p.ID, ref.Referrer.Organisation, ref.Referrer.Reference),
		ProgrammeID:   p.ID,
		ProgrammeName: p.Name,
		Timings:       &timings,
		Referral:      ref,
	}
}

// at schedules an Update at an instant after t0 that must be accepted.
func (r *run) at(offset time.Duration, name string, arg any) {
	r.atWithID(offset, name, "", arg)
}

// atWithID is at with an Update id, as the API sends one.
func (r *run) atWithID(offset time.Duration, name, id string, arg any) {
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { r.t.Errorf("%s at t0+%s rejected: %v", name, offset, err) },
			OnComplete: func(any, error) {},
		}, arg)
	}, offset)
}

func (r *run) execute(in trajectory.Start) {
	r.t.Helper()
	r.env.ExecuteWorkflow(Trajectory, &in)
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("workflow did not complete")
	}
	if err := r.env.GetWorkflowError(); err != nil {
		r.t.Fatalf("workflow failed: %v", err)
	}
}

// assertSent checks the emails sent, each at its exact instant. Emails of
// one instant go out side by side, so among them the order is free.
func (r *run) assertSent(want ...sent) {
	r.t.Helper()
	got := inOrder(r.sent)
	want = inOrder(want)
	if len(got) != len(want) {
		r.t.Fatalf("sent %d emails, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			r.t.Errorf("email %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// inOrder sorts emails by instant, and those of one instant by what they
// are about and to whom.
func inOrder(emails []sent) []sent {
	return slices.SortedStableFunc(slices.Values(emails), func(a, b sent) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Key, b.Key), cmp.Compare(a.To, b.To))
	})
}

func (r *run) coachEmail(id string) string {
	c, ok := r.prog.Coach(id)
	if !ok {
		r.t.Fatalf("no coach %s", id)
	}
	return c.Email
}

// assigned is the email that tells a coach a family was assigned, with
// the step owed.
func (r *run) assigned(coachID, step string, at time.Time) sent {
	return sent{Key: step + "/" + string(trajectory.AssignmentNotice), To: r.coachEmail(coachID), At: at}
}

func (r *run) eventKinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return kinds(r.events)
}

// quietLogger passes on only warnings and errors: the SDK's debug lines
// would bury a failing test's own output.
type quietLogger struct{ t testing.TB }

func (quietLogger) Debug(string, ...any)          {}
func (quietLogger) Info(string, ...any)           {}
func (l quietLogger) Warn(msg string, kv ...any)  { l.t.Log(append([]any{"WARN", msg}, kv...)...) }
func (l quietLogger) Error(msg string, kv ...any) { l.t.Log(append([]any{"ERROR", msg}, kv...)...) }

func asContinueAsNew(err error, target **workflow.ContinueAsNewError) bool {
	return errors.As(err, target)
}

// cawService is the service the handover tests hand families over to.
var cawService = trajectory.Service{ID: "caw", Name: "CAW", Kind: "welzijn", Email: "onthaal@caw.example"}

// handedOverOnDay3 assigns the coach on day 1, records the intake on day 2
// (the next visit far ahead, so only the handover's timers fire) and hands
// the family over to cawService on day 3, sharing nothing.
func (r *run) handedOverOnDay3(coachID string) {
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coachID})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(60 * day)})
	r.at(3*day, trajectory.UpdateHandOver, trajectory.HandOver{Service: cawService, Reason: "debt counselling",
		Consent: trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(t0), Shares: []string{}}})
}
