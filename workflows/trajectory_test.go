package workflows

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"elkgezin/activities"
	"elkgezin/programme"
	"elkgezin/trajectory"
)

// t0 is the referral instant of every test trajectory.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// sent is one reminder or alert as the workflow asked for it, with the
// instant of the workflow clock at which it went out.
type sent struct {
	Key string
	To  string
	At  time.Time
}

// run is one trajectory in the time-skipping test environment, with every
// email and every event the workflow produced.
type run struct {
	t      testing.TB
	env    *testsuite.TestWorkflowEnvironment
	prog   programme.Programme
	mu     sync.Mutex
	sent   []sent
	events []trajectory.Event
}

func loadProgramme(t testing.TB, id string) programme.Programme {
	t.Helper()
	p, err := programme.LoadFile("../deploy/programmes/" + id + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newRun(t testing.TB, p programme.Programme) *run {
	r := &run{t: t, prog: p}
	var suite testsuite.WorkflowTestSuite
	r.env = suite.NewTestWorkflowEnvironment()
	r.env.SetStartTime(t0)
	acts := &activities.Activities{}
	r.env.RegisterActivity(acts)
	r.env.OnActivity(acts.SendNotification, mock.Anything, mock.Anything).Return(
		func(_ context.Context, n trajectory.Notification) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.sent = append(r.sent, sent{Key: n.Key, To: n.To, At: r.env.Now().UTC()})
			return nil
		})
	r.env.OnActivity(acts.RecordEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, e trajectory.Event) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.events = append(r.events, e)
			return nil
		})
	return r
}

func referral(p programme.Programme) trajectory.Start {
	ref := trajectory.Referral{
		ProgrammeID: p.ID,
		Referrer:    trajectory.Referrer{Organisation: p.Referrers[0].ID, Reference: "REF-1"},
		Family:      trajectory.Family{ContactName: "Test Family", Phone: "+32 470 00 00 00"},
		Reason:      "test",
	}
	return trajectory.Start{TrajectoryID: trajectory.ID(p.ID, ref.Referrer.Organisation, ref.Referrer.Reference), Programme: &p, Referral: ref}
}

// at schedules an Update at an instant after t0 that must be accepted.
func (r *run) at(offset time.Duration, name string, arg any) {
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { r.t.Errorf("%s at t0+%s rejected: %v", name, offset, err) },
			OnComplete: func(any, error) {},
		}, arg)
	}, offset)
}

func (r *run) execute(in trajectory.Start) {
	r.env.ExecuteWorkflow(Trajectory, in)
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("workflow did not complete")
	}
}

func (r *run) assertSent(want ...sent) {
	r.t.Helper()
	if len(r.sent) != len(want) {
		r.t.Fatalf("sent %d emails, want %d:\n got %+v\nwant %+v", len(r.sent), len(want), r.sent, want)
	}
	for i := range want {
		if r.sent[i] != want[i] {
			r.t.Errorf("email %d:\n got %+v\nwant %+v", i, r.sent[i], want[i])
		}
	}
}

func (r *run) coachEmail(id string) string {
	c, ok := r.prog.Coach(id)
	if !ok {
		r.t.Fatalf("no coach %s", id)
	}
	return c.Email
}

// TestVilvoordeTrajectoryRemindsAndAlertsAtExactInstants runs a trajectory
// of the shipped Vilvoorde programme: the intake is done after its
// reminder, the first visit before its reminder (so none is sent), and the
// second visit is missed, which brings the reminder and then the alert.
func TestVilvoordeTrajectoryRemindsAndAlertsAtExactInstants(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	in := referral(p)
	coach := p.Coaches[0].ID

	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(13*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{By: "coach:" + coach})
	r.at(24*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(34 * day), By: "coach:" + coach})
	r.at(40*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: "coach:" + coach})
	r.execute(in)

	// Intake due at t0+14d (the programme's deadline), reminder 2 days before.
	// Visit 1 defaulted to intake+14d = t0+27d and was done at t0+24d: no email.
	// Visit 2, planned for t0+34d: reminder at 32d, alert 3 days late at 37d.
	r.assertSent(
		sent{Key: in.TrajectoryID + "/intake/reminder", To: r.coachEmail(coach), At: t0.Add(12 * day)},
		sent{Key: in.TrajectoryID + "/home_visit-2/reminder", To: r.coachEmail(coach), At: t0.Add(32 * day)},
		sent{Key: in.TrajectoryID + "/home_visit-2/alert", To: p.SupervisorEmail, At: t0.Add(37 * day)},
	)
	var state trajectory.State
	if err := r.env.GetWorkflowResult(&state); err != nil {
		t.Fatal(err)
	}
	if state.Phase != trajectory.PhaseClosed || state.CloseReason != trajectory.CloseGoalsReached || state.VisitsDone != 1 {
		t.Errorf("final state %+v", state)
	}
	wantKinds := []string{trajectory.EventReferred, trajectory.EventCoachAssigned, trajectory.EventReminderSent, trajectory.EventIntakeDone,
		trajectory.EventVisitDone, trajectory.EventReminderSent, trajectory.EventAlertSent, trajectory.EventClosed}
	for i, e := range r.events {
		if i >= len(wantKinds) || e.Kind != wantKinds[i] || e.Seq != int64(i+1) {
			t.Fatalf("events %v, want kinds %v with seq 1..n", kinds(r.events), wantKinds)
		}
	}
	if len(r.events) != len(wantKinds) {
		t.Fatalf("events %v, want %v", kinds(r.events), wantKinds)
	}
	if due := r.events[4].Summary.NextDueAt; due == nil || !due.Equal(t0.Add(34*day)) {
		t.Errorf("after visit 1 the read model's next due is %v, want the planned t0+34d", due)
	}
}

// TestGOTeamMechelenAlertsWhenNobodyIsAssigned uses the GO-team's short
// limits: nobody assigned after a day alerts the supervisor at that instant;
// the intake, never done, brings the reminder and then the alert.
func TestGOTeamMechelenAlertsWhenNobodyIsAssigned(t *testing.T) {
	p := loadProgramme(t, "go-team-mechelen")
	r := newRun(t, p)
	in := referral(p)
	coach := p.Coaches[2].ID

	r.at(1*day+2*time.Hour, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(5*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseOther, Text: "family unreachable", By: "coach:" + coach})
	r.execute(in)

	r.assertSent(
		sent{Key: in.TrajectoryID + "/assignment/alert", To: p.SupervisorEmail, At: t0.Add(1 * day)},
		sent{Key: in.TrajectoryID + "/intake/reminder", To: r.coachEmail(coach), At: t0.Add(2 * day)},
		sent{Key: in.TrajectoryID + "/intake/alert", To: p.SupervisorEmail, At: t0.Add(4 * day)},
	)
}

// TestStepsDoneInTimeSendNothing: every step done before its reminder, so
// not one email goes out, and every timer was cancelled.
func TestStepsDoneInTimeSendNothing(t *testing.T) {
	for _, id := range []string{"omdat-elk-gezin-telt-vilvoorde", "go-team-mechelen", "test-seconds"} {
		t.Run(id, func(t *testing.T) {
			p := loadProgramme(t, id)
			r := newRun(t, p)
			lead := p.ReminderLead.Std()
			// Each step lands a tenth of the lead before its reminder would.
			early := lead / 10
			assignAt := p.AssignmentLimit.Std() - early
			intakeAt := p.IntakeDeadline.Std() - lead - early
			if intakeAt < assignAt {
				intakeAt = assignAt + early
			}
			visitAt := intakeAt + p.HomeVisitCadence.Std() - lead - early
			closeAt := visitAt + early
			r.at(assignAt, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
			r.at(intakeAt, trajectory.UpdateRecordIntake, trajectory.RecordIntake{})
			r.at(visitAt, trajectory.UpdateRecordVisit, trajectory.RecordVisit{})
			r.at(closeAt, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
			r.execute(referral(p))
			r.assertSent()
			if r.env.Now().UTC() != t0.Add(closeAt) {
				t.Errorf("workflow ended at %s, want at the closure %s: a timer was left pending", r.env.Now().UTC(), t0.Add(closeAt))
			}
		})
	}
}

// TestReassignedCoachIsRemindedOfTheOpenStep: a coach who takes over gets
// the reminder for the step that is open, at its usual instant.
func TestReassignedCoachIsRemindedOfTheOpenStep(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	in := referral(p)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.at(3*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[1].ID})
	r.at(12*day+time.Hour, trajectory.UpdateRecordIntake, trajectory.RecordIntake{})
	r.at(13*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseFamilyDeclined})
	r.execute(in)
	r.assertSent(sent{Key: in.TrajectoryID + "/intake/reminder", To: r.coachEmail(p.Coaches[1].ID), At: t0.Add(12 * day)})
}

// TestRejectedSteps: each step out of order or with wrong data is refused
// by the validator with a message that says why, and changes nothing.
func TestRejectedSteps(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	coach := p.Coaches[0].ID
	assign := step{trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach}}
	intake := step{trajectory.UpdateRecordIntake, trajectory.RecordIntake{}}
	visit := step{trajectory.UpdateRecordVisit, trajectory.RecordVisit{}}
	cases := []struct {
		name   string
		before []step
		bad    step
		want   string
	}{
		{"intake before a coach", nil, intake, "no coach is assigned yet"},
		{"visit before the intake", []step{assign}, visit, "the intake is not recorded yet"},
		{"visit without a coach", nil, visit, "the intake is not recorded yet"},
		{"unknown coach", nil, step{trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: "nobody"}}, `"nobody" is not a coach of programme omdat-elk-gezin-telt-vilvoorde`},
		{"same coach twice", []step{assign}, assign, "already the fixed coach"},
		{"intake twice", []step{assign, intake}, intake, "the intake was already recorded on 2026-03-04T09:00:00Z"},
		{"visit in the future", []step{assign, intake}, step{trajectory.UpdateRecordVisit, trajectory.RecordVisit{DoneAt: t0.Add(30 * day)}}, "lies in the future"},
		{"visit before the intake date", []step{assign, intake}, step{trajectory.UpdateRecordVisit, trajectory.RecordVisit{DoneAt: t0.Add(time.Hour)}}, "is before the previous visit"},
		{"intake before the referral", []step{assign}, step{trajectory.UpdateRecordIntake, trajectory.RecordIntake{DoneAt: t0.Add(-day)}}, "is before the referral"},
		{"next visit in the past", []step{assign, intake}, step{trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0}}, "next_visit_due 2026-03-02T09:00:00Z must lie in the future"},
		{"unknown closing reason", nil, step{trajectory.UpdateClose, trajectory.Close{Reason: "bored"}}, `closing reason "bored" is not one of`},
		{"other without text", nil, step{trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseOther, Text: "  "}}, "needs a text"},
		{"step on a closed trajectory", []step{{trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway}}}, assign, "this trajectory is closed (moved_away)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRun(t, p)
			var rejection error
			// Earlier steps a day apart; the bad one in the same instant as
			// the last of them, so it also meets a trajectory just closed.
			badAt := max(time.Duration(len(c.before))*day, time.Second)
			for i, s := range c.before {
				r.at(time.Duration(i+1)*day, s.name, s.arg)
			}
			r.env.RegisterDelayedCallback(func() {
				r.env.UpdateWorkflow(c.bad.name, "", &testsuite.TestUpdateCallback{
					OnAccept:   func() { t.Error("accepted, want rejected") },
					OnReject:   func(err error) { rejection = err },
					OnComplete: func(any, error) {},
				}, c.bad.arg)
			}, badAt)
			r.env.RegisterDelayedCallback(func() {
				v, err := r.env.QueryWorkflow(trajectory.QueryState)
				if err != nil {
					return // closed before: the rejection is what counts
				}
				var after trajectory.State
				if err := v.Get(&after); err != nil {
					t.Error(err)
				}
				// The referral and each accepted step wrote one event; the
				// rejected step none.
				if want := int64(1 + len(c.before)); after.EventSeq != want {
					t.Errorf("after the rejected step %d events, want %d: %+v", after.EventSeq, want, after)
				}
				r.env.UpdateWorkflow(trajectory.UpdateClose, "", &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(error) {}, OnComplete: func(any, error) {}},
					trajectory.Close{Reason: trajectory.CloseMovedAway})
			}, badAt+time.Minute)
			r.env.ExecuteWorkflow(Trajectory, referral(p))
			if rejection == nil {
				t.Fatalf("not rejected; want %q", c.want)
			}
			if !strings.Contains(rejection.Error(), c.want) {
				t.Errorf("rejection %q does not say %q", rejection, c.want)
			}
		})
	}
}

type step struct {
	name string
	arg  any
}

// TestContinueAsNewKeepsTheOpenStep: with a small history limit the
// trajectory continues as new; the next run sends no reminder a second time
// and keeps every timer at its instant.
func TestContinueAsNewKeepsTheOpenStep(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	in := referral(p)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	// The history passes the limit just before the intake; the intake wakes
	// the workflow, which then continues as new.
	r.env.RegisterDelayedCallback(func() { r.env.SetCurrentHistoryLength(DefaultHistoryLimit) }, 13*day-time.Second)
	r.at(13*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(20 * day)})
	r.env.ExecuteWorkflow(Trajectory, in)

	var can *workflow.ContinueAsNewError
	if err := r.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next trajectory.Start
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || next.State.Next == nil || next.State.Next.Kind != trajectory.StepHomeVisit || next.State.Phase != trajectory.PhaseIntakeDone {
		t.Fatalf("carried state %+v", next.State)
	}
	handedOverAt := r.env.Now().UTC()
	firstRunSent := r.sent

	// The second run starts where the first stopped.
	r2 := newRun(t, p)
	r2.env.SetStartTime(handedOverAt)
	r2.env.RegisterDelayedCallback(func() {
		r2.env.UpdateWorkflow(trajectory.UpdateClose, "", &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(err error) { t.Error(err) }, OnComplete: func(any, error) {}},
			trajectory.Close{Reason: trajectory.CloseGoalsReached})
	}, t0.Add(25*day).Sub(handedOverAt))
	r2.execute(next)

	all := append(firstRunSent, r2.sent...)
	want := []sent{
		{Key: in.TrajectoryID + "/intake/reminder", To: r.coachEmail(p.Coaches[0].ID), At: t0.Add(12 * day)},
		{Key: in.TrajectoryID + "/home_visit-1/reminder", To: r.coachEmail(p.Coaches[0].ID), At: t0.Add(18 * day)},
		{Key: in.TrajectoryID + "/home_visit-1/alert", To: p.SupervisorEmail, At: t0.Add(23 * day)},
	}
	if len(all) != len(want) {
		t.Fatalf("sent %+v, want %+v", all, want)
	}
	for i := range want {
		if all[i] != want[i] {
			t.Errorf("email %d: got %+v want %+v", i, all[i], want[i])
		}
	}
	if last := r2.events[len(r2.events)-1]; last.Kind != trajectory.EventClosed || last.Seq <= next.State.EventSeq {
		t.Errorf("event numbering did not continue across runs: last %s seq %d after %d", last.Kind, last.Seq, next.State.EventSeq)
	}
}

func kinds(es []trajectory.Event) []string {
	var k []string
	for _, e := range es {
		k = append(k, e.Kind)
	}
	return k
}

// testUpdate is an update callback with only the parts a test cares about.
type testUpdate struct {
	onReject func(error)
}

func (u *testUpdate) Accept()             {}
func (u *testUpdate) Reject(err error)    { u.onReject(err) }
func (u *testUpdate) Complete(any, error) {}

func itoa(n int) string { return strconv.Itoa(n) }

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func sortSent(s []sent) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].At.Before(s[j].At) })
}

// TestStepInTheFirstWorkflowTask: a supervisor may assign a coach before
// the worker has run the new trajectory's first workflow task; the Update
// then arrives together with the start and must meet a trajectory that is
// already set up.
func TestStepInTheFirstWorkflowTask(t *testing.T) {
	p := loadProgramme(t, "go-team-mechelen")
	r := newRun(t, p)
	in := referral(p)
	var completed bool
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(trajectory.UpdateAssignCoach, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { t.Errorf("rejected: %v", err) },
			OnComplete: func(_ any, err error) { completed = err == nil },
		}, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	}, 0)
	r.at(time.Hour, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseFamilyDeclined})
	r.execute(in)
	if err := r.env.GetWorkflowError(); err != nil || !completed {
		t.Fatalf("assignment with the start: completed %v, workflow error %v", completed, err)
	}
}
