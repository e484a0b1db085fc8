package workflows

import (
	"errors"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

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
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "intake/reminder", To: r.coachEmail(coach), At: t0.Add(12 * day)},
		sent{Key: "home_visit-2/reminder", To: r.coachEmail(coach), At: t0.Add(32 * day)},
		sent{Key: "home_visit-2/alert", To: p.SupervisorEmail, At: t0.Add(37 * day)},
	)
	var state trajectory.State
	if err := r.env.GetWorkflowResult(&state); err != nil {
		t.Fatal(err)
	}
	if state.Phase != trajectory.PhaseClosed || state.CloseReason != trajectory.CloseGoalsReached || state.VisitsDone != 1 {
		t.Errorf("final state %+v", state)
	}
	wantKinds := []string{trajectory.EventReferred, trajectory.EventCoachAssigned, trajectory.EventAssignmentNoticeSent, trajectory.EventReminderSent, trajectory.EventIntakeDone,
		trajectory.EventVisitDone, trajectory.EventReminderSent, trajectory.EventAlertSent, trajectory.EventClosed}
	for i, e := range r.events {
		if i >= len(wantKinds) || e.Kind != wantKinds[i] || e.Seq != int64(i+1) {
			t.Fatalf("events %v, want kinds %v with seq 1..n", kinds(r.events), wantKinds)
		}
	}
	if len(r.events) != len(wantKinds) {
		t.Fatalf("events %v, want %v", kinds(r.events), wantKinds)
	}
	if due := r.events[5].Summary.NextDueAt; due == nil || !due.Equal(t0.Add(34*day)) {
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
		sent{Key: "assignment/alert", To: p.SupervisorEmail, At: t0.Add(1 * day)},
		r.assigned(coach, "intake", t0.Add(1*day+2*time.Hour)),
		sent{Key: "intake/reminder", To: r.coachEmail(coach), At: t0.Add(2 * day)},
		sent{Key: "intake/alert", To: p.SupervisorEmail, At: t0.Add(4 * day)},
	)
}

// TestStepsDoneInTimeSendNothing: every step done before its reminder, so
// not one email goes out, and every timer was cancelled.
func TestStepsDoneInTimeSendNothing(t *testing.T) {
	for _, id := range []string{"omdat-elk-gezin-telt-vilvoorde", "go-team-mechelen", "ocmw-sint-truiden", "test-seconds"} {
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
			// Only the email telling the coach of the assignment.
			r.assertSent(r.assigned(p.Coaches[0].ID, "intake", t0.Add(assignAt)))
			if r.env.Now().UTC() != t0.Add(closeAt) {
				t.Errorf("workflow ended at %s, want at the closure %s: a timer was left pending", r.env.Now().UTC(), t0.Add(closeAt))
			}
		})
	}
}

// TestReassignedCoachIsRemindedOfTheOpenStep: the first coach was
// reminded of the intake and then left; the coach who takes over is told of
// the assignment and reminded of the intake at once (its reminder moment
// passed), each exactly once; the supervisor is alerted when it stays undone.
func TestReassignedCoachIsRemindedOfTheOpenStep(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	in := referral(p)
	first, second := p.Coaches[0].ID, p.Coaches[1].ID
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: first})
	r.at(13*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: second})
	r.at(18*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseFamilyDeclined})
	r.execute(in)
	r.assertSent(
		r.assigned(first, "intake", t0.Add(1*day)),
		sent{Key: "intake/reminder", To: r.coachEmail(first), At: t0.Add(12 * day)},
		r.assigned(second, "intake", t0.Add(13*day)),
		sent{Key: "intake/reminder", To: r.coachEmail(second), At: t0.Add(13 * day)},
		sent{Key: "intake/alert", To: p.SupervisorEmail, At: t0.Add(17 * day)},
	)
}

// TestStepsAtTheVersionTheyWereDecidedOn: a step that names the version
// the trajectory is at (trajectory.Precondition, the API's If-Match) is
// taken like any other; TestRejectedSteps refuses one that names another.
func TestStepsAtTheVersionTheyWereDecidedOn(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	at := func(v int64) trajectory.Precondition { return trajectory.Precondition{IfVersion: v} }
	// The referral is version 1; the assignment and its notice make 3.
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID, Precondition: at(1)})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{Precondition: at(3)})
	r.at(3*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseFamilyDeclined, Precondition: at(4)})
	r.execute(referral(p))
	if got := r.eventKinds(); !slices.Contains(got, trajectory.EventClosed) || !slices.Contains(got, trajectory.EventIntakeDone) {
		t.Errorf("events %v; want the intake and the closure", got)
	}
}

// TestTwoStepsOnOneVersion: two supervisors reassign at the same instant,
// each on the version both read: the first is taken, the second refused,
// since each step's version moves on before the next step's validator runs.
func TestTwoStepsOnOneVersion(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	var accepted, refused []string
	r.env.RegisterDelayedCallback(func() {
		for _, c := range p.Coaches[:2] {
			r.env.UpdateWorkflow(trajectory.UpdateAssignCoach, "assign-"+c.ID, &testsuite.TestUpdateCallback{
				OnAccept: func() { accepted = append(accepted, c.ID) },
				OnReject: func(err error) {
					if _, rs, ok := trajectory.RefusalOf(err); ok && len(rs) == 1 && rs[0].Code == trajectory.CodeVersionChanged {
						refused = append(refused, c.ID)
					} else {
						t.Errorf("%s refused: %v; want precondition_failed", c.ID, err)
					}
				},
				OnComplete: func(any, error) {},
			}, trajectory.AssignCoach{CoachID: c.ID, Precondition: trajectory.Precondition{IfVersion: 1}})
		}
	}, day)
	r.at(2*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseFamilyDeclined})
	r.execute(referral(p))
	if !slices.Equal(accepted, []string{p.Coaches[0].ID}) || !slices.Equal(refused, []string{p.Coaches[1].ID}) {
		t.Errorf("accepted %v, refused %v; want the first taken and the second refused", accepted, refused)
	}
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
		// code is the refusal's code and args: what the pages say in Dutch.
		code trajectory.Refusal
	}{
		{"intake before a coach", nil, intake, "no coach is assigned yet",
			trajectory.Refusal{Code: trajectory.CodeIntakeNeedsCoach}},
		{"visit before the intake", []step{assign}, visit, "the intake is not recorded yet",
			trajectory.Refusal{Code: trajectory.CodeVisitBeforeIntake}},
		{"visit without a coach", nil, visit, "the intake is not recorded yet",
			trajectory.Refusal{Code: trajectory.CodeVisitBeforeIntake}},
		{"no coach named", nil, step{trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: " "}}, "name the coach to assign",
			trajectory.Refusal{Code: trajectory.CodeCoachRequired}},
		{"same coach twice", []step{assign}, assign, "already the fixed coach",
			trajectory.Refusal{Code: trajectory.CodeCoachAlreadyAssigned, Args: map[string]string{trajectory.ArgCoach: coach}}},
		{"intake twice", []step{assign, intake}, intake, "the intake was already recorded on 2026-03-04T09:00:00Z",
			trajectory.Refusal{Code: trajectory.CodeIntakeAlreadyRecorded, Args: map[string]string{trajectory.ArgDoneAt: "2026-03-04T09:00:00Z"}}},
		{"visit in the future", []step{assign, intake}, step{trajectory.UpdateRecordVisit, trajectory.RecordVisit{DoneAt: t0.Add(30 * day)}}, "lies in the future",
			trajectory.Refusal{Code: trajectory.CodeDoneAtInFuture}},
		{"visit before the intake date", []step{assign, intake}, step{trajectory.UpdateRecordVisit, trajectory.RecordVisit{DoneAt: t0.Add(time.Hour)}}, "is before the previous visit",
			trajectory.Refusal{Code: trajectory.CodeDoneAtBeforeVisit, Args: map[string]string{trajectory.ArgDoneAt: "2026-03-02T10:00:00Z", trajectory.ArgNotBefore: "2026-03-04T09:00:00Z"}}},
		{"intake before the referral", []step{assign}, step{trajectory.UpdateRecordIntake, trajectory.RecordIntake{DoneAt: t0.Add(-day)}}, "is before the referral",
			trajectory.Refusal{Code: trajectory.CodeDoneAtBeforeReferral, Args: map[string]string{trajectory.ArgDoneAt: "2026-03-01T09:00:00Z", trajectory.ArgNotBefore: "2026-03-02T09:00:00Z"}}},
		{"next visit in the past", []step{assign, intake}, step{trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0}}, "next_visit_due_at must lie in the future",
			trajectory.Refusal{Code: trajectory.CodeNextVisitNotInFuture}},
		{"unknown closing reason", nil, step{trajectory.UpdateClose, trajectory.Close{Reason: "bored"}}, "reason must be one of goals_reached",
			trajectory.Refusal{Code: trajectory.CodeCloseReasonUnknown}},
		{"other without text", nil, step{trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseOther, Text: "  "}}, "text is required when the reason is other",
			trajectory.Refusal{Code: trajectory.CodeCloseTextRequired}},
		{"step on a closed trajectory", []step{{trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway}}}, assign, "this trajectory is closed (moved_away)",
			trajectory.Refusal{Code: trajectory.CodeTrajectoryClosed, Args: map[string]string{trajectory.ArgReason: "moved_away"}}},
		// The referral is version 1, the assignment 2 (its notice follows).
		{"a version the trajectory left", []step{assign}, step{trajectory.UpdateRecordIntake, trajectory.RecordIntake{Precondition: trajectory.Precondition{IfVersion: 1}}},
			"the trajectory changed since version 1 (it is at version 2 now)",
			trajectory.Refusal{Code: trajectory.CodeVersionChanged, Args: map[string]string{trajectory.ArgVersion: "2"}}},
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
				// An assignment also wrote the notice that went to the coach.
				want := int64(1 + len(c.before))
				for _, s := range c.before {
					if s.name == trajectory.UpdateAssignCoach {
						want++
					}
				}
				if after.EventSeq != want {
					t.Errorf("after the rejected step %d events, want %d: %+v", after.EventSeq, want, after)
				}
				r.env.UpdateWorkflow(trajectory.UpdateClose, "", &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(error) {}, OnComplete: func(any, error) {}},
					trajectory.Close{Reason: trajectory.CloseMovedAway})
			}, badAt+time.Minute)
			r.env.ExecuteWorkflow(Trajectory, new(referral(p)))
			if rejection == nil {
				t.Fatalf("not rejected; want %q", c.want)
			}
			if !strings.Contains(rejection.Error(), c.want) {
				t.Errorf("rejection %q does not say %q", rejection, c.want)
			}
			if _, rs, ok := trajectory.RefusalOf(rejection); !ok || len(rs) != 1 || !reflect.DeepEqual(rs[0], c.code) {
				t.Errorf("refusal %+v, want %+v", rs, c.code)
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
	r.env.ExecuteWorkflow(Trajectory, &in)

	var can *workflow.ContinueAsNewError
	if err := r.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next trajectory.Start
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Carried == nil || next.Carried.State.Next == nil || next.Carried.State.Next.Kind != trajectory.StepHomeVisit || next.Carried.State.Phase != trajectory.PhaseIntakeDone {
		t.Fatalf("carried %+v", next.Carried)
	}
	if next.State != nil || next.Referral.Family.ContactName != in.Referral.Family.ContactName {
		t.Fatalf("the next run's input is not the referral's: %+v", next)
	}
	// The timings go once, in the carried state, not again in the input.
	if next.Timings != nil || next.Programme != nil || next.Carried.Timings.AssignmentLimit != in.Timings.AssignmentLimit {
		t.Fatalf("the timings are not carried once: input %+v, carried %+v", next.Timings, next.Carried.Timings)
	}
	handedOverAt := r.env.Now().UTC()
	firstRunSent := r.sent

	// The second run starts where the first stopped.
	r2 := r.continued()
	r2.env.SetStartTime(handedOverAt)
	r2.env.RegisterDelayedCallback(func() {
		r2.env.UpdateWorkflow(trajectory.UpdateClose, "", &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(err error) { t.Error(err) }, OnComplete: func(any, error) {}},
			trajectory.Close{Reason: trajectory.CloseGoalsReached})
	}, t0.Add(25*day).Sub(handedOverAt))
	r2.execute(next)

	all := append(firstRunSent, r2.sent...)
	want := []sent{
		r.assigned(p.Coaches[0].ID, "intake", t0.Add(1*day)),
		{Key: "intake/reminder", To: r.coachEmail(p.Coaches[0].ID), At: t0.Add(12 * day)},
		{Key: "home_visit-1/reminder", To: r.coachEmail(p.Coaches[0].ID), At: t0.Add(18 * day)},
		{Key: "home_visit-1/alert", To: p.SupervisorEmail, At: t0.Add(23 * day)},
	}
	if len(all) != len(want) {
		t.Fatalf("sent %+v, want %+v", all, want)
	}
	for i := range want {
		if all[i] != want[i] {
			t.Errorf("email %d: got %+v want %+v", i, all[i], want[i])
		}
	}
	if last := r2.events[len(r2.events)-1]; last.Kind != trajectory.EventClosed || last.Seq <= next.Carried.State.EventSeq {
		t.Errorf("event numbering did not continue across runs: last %s seq %d after %d", last.Kind, last.Seq, next.Carried.State.EventSeq)
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
