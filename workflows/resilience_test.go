package workflows

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Tests that no family goes silent: an email refused for good, a step
// re-planned, a retried step, a coach assigned late.

func (r *run) finalState() trajectory.State {
	r.t.Helper()
	var s trajectory.State
	if err := r.env.GetWorkflowResult(&s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

func (r *run) countEvents(kind string) int {
	n := 0
	for _, k := range r.eventKinds() {
		if k == kind {
			n++
		}
	}
	return n
}

func (r *run) sentAbout(prefix string) []sent {
	var s []sent
	for _, e := range r.sent {
		if strings.HasPrefix(e.Key, prefix) {
			s = append(s, e)
		}
	}
	return s
}

// TestRefusedAlertDoesNotEndTheTrajectory: the mail server refuses the
// supervisor's address for good when the intake alert goes out. The
// trajectory records the failure (without the address), shows it to
// supervisors, and goes on: the later visit reminder goes out.
func TestRefusedAlertDoesNotEndTheTrajectory(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.sink.RejectRecipient(p.SupervisorEmail, 550)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.env.RegisterDelayedCallback(func() { r.sink.RejectRecipient(p.SupervisorEmail, 0) }, 18*day)
	r.at(20*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(30 * day)})
	r.at(29*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(referral(p))

	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "intake/reminder", To: r.coachEmail(coach), At: t0.Add(12 * day)},
		sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(28 * day)},
	)
	s := r.finalState()
	want := trajectory.EmailFailure{At: t0.Add(17 * day), Kind: trajectory.Alert, Step: "intake", To: "supervisor", Reason: activities.ErrTypeEmailRejected}
	if !s.EmailFailed || len(s.EmailFailures) != 1 || s.EmailFailures[0] != want {
		t.Errorf("email failures %v %+v, want %+v", s.EmailFailed, s.EmailFailures, want)
	}
	if last := r.events[len(r.events)-1]; !last.Summary.EmailFailed {
		t.Errorf("the read model does not show the failed email to supervisors: %+v", last.Summary)
	}
	if n := r.countEvents(trajectory.EventEmailFailed); n != 1 {
		t.Errorf("%d email_failed events, want 1: %v", n, r.eventKinds())
	}
	for _, e := range r.events {
		if e.Kind == trajectory.EventEmailFailed && strings.Contains(strings.Join(mapValues(e.Detail), " "), "@") {
			t.Errorf("the email_failed event names an address: %v", e.Detail)
		}
	}
}

func mapValues(m map[string]string) []string {
	var v []string
	for _, s := range m {
		v = append(v, s)
	}
	return v
}

// TestRefusedCoachEmailIsReportedToTheSupervisor: the coach's address is
// refused; each failed email is reported to the supervisor once, and the
// trajectory goes on.
func TestRefusedCoachEmailIsReportedToTheSupervisor(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.sink.RejectRecipient(r.coachEmail(coach), 550)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(13*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(30 * day)})
	r.at(14*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(referral(p))
	r.assertSent(
		sent{Key: "intake/email_failed", To: p.SupervisorEmail, At: t0.Add(1 * day)},
		sent{Key: "intake/email_failed", To: p.SupervisorEmail, At: t0.Add(12 * day)},
	)
	if s := r.finalState(); len(s.EmailFailures) != 2 || s.EmailFailures[0].Kind != trajectory.AssignmentNotice || s.EmailFailures[1].Kind != trajectory.Reminder {
		t.Errorf("email failures %+v", s.EmailFailures)
	}
}

// TestExtendedFollowUpIsRemindedAgain: the coach was reminded of the end of
// follow-up; the supervisor extends it; the new end is a new obligation,
// reminded once more to the coach at its own instant.
func TestExtendedFollowUpIsRemindedAgain(t *testing.T) {
	p := loadProgramme(t, "perinatal-menen")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: date(2027, 2, 20)})
	r.at(date(2026, 7, 21).Sub(t0), trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: trajectory.DateOf(date(2026, 7, 20))})
	r.at(date(2027, 1, 5).Sub(t0), trajectory.UpdateExtendFollowUp, trajectory.ExtendFollowUp{Until: trajectory.DateOf(date(2027, 3, 1)), Reason: "housing"})
	r.at(date(2027, 3, 2).Sub(t0), trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(pregnancy(p))
	want := []sent{
		{Key: "follow_up_end/reminder", To: r.coachEmail(coach), At: morning(date(2027, 1, 20)).Add(-21 * day)},
		{Key: "follow_up_end/reminder", To: r.coachEmail(coach), At: morning(date(2027, 3, 1)).Add(-21 * day)},
	}
	if got := r.sentAbout("follow_up_end"); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("follow-up emails %+v, want %+v", got, want)
	}
}

// TestBirthReplanRemindsTheVisitAgain: the coach was reminded of a
// prenatal visit; the birth re-plans it to week 1 after the birth, a new
// instant, which is reminded once more.
func TestBirthReplanRemindsTheVisitAgain(t *testing.T) {
	p := loadProgramme(t, "perinatal-menen")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	born := date(2026, 3, 17)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{}) // visit 1 due day 16, reminded day 14
	r.at(15*day, trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: trajectory.DateOf(born)})
	r.at(morning(born.Add(7*day)).Sub(t0), trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(pregnancy(p))
	want := []sent{
		{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(14 * day)},
		{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: morning(born.Add(7 * day)).Add(-2 * day)},
	}
	if got := r.sentAbout("home_visit"); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("visit emails %+v, want %+v", got, want)
	}
}

// TestLateCoachIsNotRemindedAfterTheAlert: a coach assigned after the
// intake's alert moment is told of the assignment, and the supervisor is
// alerted at once that the intake is late; no reminder follows.
func TestLateCoachIsNotRemindedAfterTheAlert(t *testing.T) {
	p := loadProgramme(t, "go-team-mechelen")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.at(4*day+time.Hour, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(5*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
	r.execute(referral(p))
	r.assertSent(
		sent{Key: "assignment/alert", To: p.SupervisorEmail, At: t0.Add(1 * day)},
		r.assigned(coach, "intake", t0.Add(4*day+time.Hour)),
		sent{Key: "intake/alert", To: p.SupervisorEmail, At: t0.Add(4*day + time.Hour)},
	)
}

// TestVisitRetriedAcrossContinueAsNewIsRecordedOnce: a coach's visit is
// applied, the trajectory continues as new, and the client retries the
// same step (same Update id) against the new run: it is answered, not
// recorded a second time.
func TestVisitRetriedAcrossContinueAsNewIsRecordedOnce(t *testing.T) {
	t.Run("hashes", func(t *testing.T) { visitRetriedAcrossContinueAsNew(t, false) })
	// A run of older code handed on the ids themselves (recent_updates).
	t.Run("ids of older runs", func(t *testing.T) { visitRetriedAcrossContinueAsNew(t, true) })
}

func visitRetriedAcrossContinueAsNew(t *testing.T, asIDs bool) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	in := referral(p)
	visit := trajectory.RecordVisit{NextVisitDue: t0.Add(40 * day)}
	const visitID = trajectory.UpdateRecordVisit + "/coach-key-1"
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{})
	r.env.RegisterDelayedCallback(func() { r.env.SetCurrentHistoryLength(DefaultHistoryLimit) }, 10*day-time.Second)
	r.atWithID(10*day, trajectory.UpdateRecordVisit, visitID, visit)
	r.env.ExecuteWorkflow(Trajectory, &in)
	next := continuedInput(t, r)
	if !slices.Contains(next.Carried.AppliedUpdates, trajectory.UpdateIDHash(visitID)) || next.Carried.RecentUpdates != nil {
		t.Fatalf("carried updates %v / %v, want the visit's hash", next.Carried.AppliedUpdates, next.Carried.RecentUpdates)
	}
	if asIDs {
		next.Carried.AppliedUpdates, next.Carried.RecentUpdates = nil, []string{"other", visitID}
	}

	r2 := r.continued()
	r2.env.SetStartTime(r.env.Now())
	var answered trajectory.State
	r2.env.RegisterDelayedCallback(func() {
		r2.env.UpdateWorkflow(trajectory.UpdateRecordVisit, visitID, &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("retry rejected: %v", err) },
			OnComplete: func(v any, err error) {
				if err != nil {
					t.Errorf("retry failed: %v", err)
					return
				}
				answered = v.(trajectory.StepResult).State
			},
		}, visit)
	}, time.Minute)
	r2.at(time.Hour, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r2.execute(next)
	if answered.VisitsDone != 1 || r2.finalState().VisitsDone != 1 {
		t.Errorf("visits done after the retry: answered %d, final %d; want 1", answered.VisitsDone, r2.finalState().VisitsDone)
	}
	// Both runs may write the visit (the first recorded it, the second
	// carried it unwritten): the log holds it once.
	n, err := r.store.CountEvents(context.Background(), in.TrajectoryID, trajectory.EventVisitDone)
	if err != nil || n != 1 {
		t.Errorf("%d visit events in the log (%v), want 1", n, err)
	}
}

// continuedInput is the input r's run continued as new with.
func continuedInput(t testing.TB, r *run) trajectory.Start {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if err := r.env.GetWorkflowError(); !asContinueAsNew(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next trajectory.Start
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	return next
}

// TestFailedHandoverIsCorrectedAndSentAgain: the service's address is
// refused; the handover is held, the supervisor told; the coach corrects
// the address and sends it again; the service acknowledges.
func TestFailedHandoverIsCorrectedAndSentAgain(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	wrong := trajectory.Service{ID: "caw", Name: "CAW", Kind: "welzijn", Email: "typo@caw.example"}
	right := wrong
	right.Email = "onthaal@caw.example"
	r.sink.RejectRecipient(wrong.Email, 550)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(40 * day)})
	r.at(3*day, trajectory.UpdateHandOver, trajectory.HandOver{Service: wrong, Reason: "debt counselling",
		Consent: trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(t0), Shares: []string{trajectory.ShareContact}}})
	var ackRefused error
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(trajectory.UpdateAcknowledgeHandover, "", &testUpdate{onReject: func(err error) { ackRefused = err }}, trajectory.AcknowledgeHandover{Number: 1})
	}, 3*day+time.Hour)
	r.at(4*day, trajectory.UpdateResendHandover, trajectory.ResendHandover{Number: 1, Service: right})
	r.at(5*day, trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1})
	r.at(6*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseHandedOver})
	r.execute(referral(p))
	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "handover_ack-1/email_failed", To: p.SupervisorEmail, At: t0.Add(3 * day)},
		sent{Key: "handover-1", To: right.Email, At: t0.Add(4 * day)},
	)
	if ackRefused == nil {
		t.Error("an acknowledgement of a handover that was never delivered was accepted")
	}
	h := r.finalState().Handovers[0]
	if h.Failed || h.Attempt != 1 || h.AcknowledgedAt.IsZero() || !h.LinkExpiresAt.Equal(t0.Add(4*day).Add(p.Handover.LinkValidFor.Std())) {
		t.Errorf("handover %+v", h)
	}
}

// TestFailedHandoverGoesToAnotherServiceOnlyWithItsConsent: the family
// consented to share its contact and children with one service, whose
// address bounces. Sent again to another service, the handover needs the
// family's consent for that service (the validator refuses it without),
// and the email then shares only what the new consent allows.
func TestFailedHandoverGoesToAnotherServiceOnlyWithItsConsent(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	caw := trajectory.Service{ID: "caw", Name: "CAW", Kind: "welzijn", Email: "typo@caw.example"}
	ocmw := trajectory.Service{ID: "ocmw", Name: "OCMW", Kind: "welzijn", Email: "onthaal@ocmw.example"}
	r.sink.RejectRecipient(caw.Email, 550)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(40 * day)})
	r.at(3*day, trajectory.UpdateHandOver, trajectory.HandOver{Service: caw, Reason: "debt counselling",
		Consent: trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(t0), Shares: []string{trajectory.ShareContact, trajectory.ShareChildren}}})
	var refused []error
	for _, req := range []trajectory.ResendHandover{
		{Number: 1, Service: ocmw},
		{Number: 1, Service: ocmw, Consent: &trajectory.Consent{Given: false, RecordedOn: trajectory.DateOf(t0.Add(3 * day)), Shares: []string{trajectory.ShareChildren}}},
	} {
		r.env.RegisterDelayedCallback(func() {
			r.env.UpdateWorkflow(trajectory.UpdateResendHandover, "", &testUpdate{onReject: func(err error) { refused = append(refused, err) }}, req)
		}, 4*day-time.Hour)
	}
	r.at(4*day, trajectory.UpdateResendHandover, trajectory.ResendHandover{Number: 1, Service: ocmw,
		Consent: &trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(t0.Add(3 * day)), Shares: []string{trajectory.ShareChildren}}})
	r.at(5*day, trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1})
	r.at(6*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseHandedOver})
	r.execute(referral(p))
	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "handover_ack-1/email_failed", To: p.SupervisorEmail, At: t0.Add(3 * day)},
		sent{Key: "handover-1", To: ocmw.Email, At: t0.Add(4 * day)},
	)
	if len(refused) != 2 {
		t.Fatalf("resends to another service without a consent given: %d refused (%v), want 2", len(refused), refused)
	}
	for _, err := range refused {
		if _, rs, ok := trajectory.RefusalOf(err); !ok || len(rs) == 0 || rs[0].Code != trajectory.CodeConsentMissing {
			t.Errorf("refusal %v, want %s", err, trajectory.CodeConsentMissing)
		}
	}
	var email string
	for _, m := range r.sink.Messages() {
		if slices.Contains(m.To, ocmw.Email) {
			email = m.Body
		}
	}
	if email == "" || strings.Contains(email, "Test Family") || strings.Contains(email, "+32 470") {
		t.Errorf("the email to the other service shares what its consent does not allow:\n%s", email)
	}
	if h := r.finalState().Handovers[0]; h.Service.ID != ocmw.ID || !slices.Equal(h.Shares, []string{trajectory.ShareChildren}) {
		t.Errorf("handover %+v, want it to the OCMW sharing the children only", h)
	}
}

// TestAdoptedTimingsMoveTheReminders: a supervisor moves a running
// trajectory to the programme's new timings; the open step's reminder
// follows the new lead.
func TestAdoptedTimingsMoveTheReminders(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	newer := p.Timings()
	newer.ReminderLead = trajectory.Duration(5 * day)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(2*day, trajectory.UpdateAdoptTimings, trajectory.AdoptTimings{Timings: newer, Reason: "team asks for earlier reminders"})
	r.at(10*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(40 * day)})
	r.at(11*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(referral(p))
	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "intake/reminder", To: r.coachEmail(coach), At: t0.Add(9 * day)},
	)
	if r.countEvents(trajectory.EventTimingsAdopted) != 1 {
		t.Errorf("events %v", r.eventKinds())
	}
}

// TestReassignedCoachIsOwedTheAlertsOfTheLastCoach: what the coach who left
// was reminded of is owed again to the coach who takes over: the birth not
// yet recorded, whose moment has passed, goes out at the reassignment. The
// missing acknowledgement of a handover was escalated to the supervisor,
// who is not alerted again.
func TestReassignedCoachIsOwedTheAlertsOfTheLastCoach(t *testing.T) {
	t.Run("handover", func(t *testing.T) {
		p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
		r := newRun(t, p)
		first, second := p.Coaches[0].ID, p.Coaches[1].ID
		r.handedOverOnDay3(first)
		r.at(12*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: second})
		r.at(20*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
		r.execute(referral(p))
		r.assertSent(
			r.assigned(first, "intake", t0.Add(1*day)),
			sent{Key: "handover-1", To: cawService.Email, At: t0.Add(3 * day)},
			sent{Key: "handover-1/reminder", To: cawService.Email, At: t0.Add(8 * day)},
			sent{Key: "handover_ack-1/alert", To: p.SupervisorEmail, At: t0.Add(11 * day)},
			r.assigned(second, "home_visit-1", t0.Add(12*day)),
		)
	})
	t.Run("birth", func(t *testing.T) {
		p := loadProgramme(t, "perinatal-menen")
		r := newRun(t, p)
		first, second := p.Coaches[1].ID, p.Coaches[0].ID
		reminded := morning(date(2026, 7, 23)) // three days after the due date
		r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: first})
		r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: date(2026, 12, 1)})
		r.at(reminded.Add(1*day).Sub(t0), trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: second})
		r.at(reminded.Add(1*day+time.Hour).Sub(t0), trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
		r.execute(pregnancy(p))
		r.assertSent(
			r.assigned(first, "intake", t0.Add(1*day)),
			sent{Key: "birth/reminder", To: r.coachEmail(first), At: reminded},
			r.assigned(second, "home_visit-1", reminded.Add(1*day)),
			sent{Key: "birth/reminder", To: r.coachEmail(second), At: reminded.Add(1 * day)},
		)
	})
}

// TestBirthKeepsAnEarlierPlannedVisit: the coach planned the next visit
// with the family before the first postnatal visit would fall due; the
// birth leaves that visit where it is, and it is reminded once, two days
// before it.
func TestBirthKeepsAnEarlierPlannedVisit(t *testing.T) {
	p := loadProgramme(t, "perinatal-menen")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	born := date(2026, 3, 16)
	planned := t0.Add(20 * day) // 22 March, before week 1 after the birth
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: planned})
	r.at(15*day, trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: trajectory.DateOf(born)})
	r.at(21*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(pregnancy(p))
	want := sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: planned.Add(-2 * day)}
	if got := r.sentAbout("home_visit"); len(got) != 1 || got[0] != want {
		t.Errorf("visit emails %+v, want only %+v", got, want)
	}
}

// TestAcknowledgementAfterTheLinkExpiredIsRefused: a service that answers
// after its link expired is refused with the date it expired; the
// trajectory goes on.
func TestAcknowledgementAfterTheLinkExpiredIsRefused(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	r.handedOverOnDay3(p.Coaches[0].ID)
	var refused error
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(trajectory.UpdateAcknowledgeHandover, "", &testUpdate{onReject: func(err error) { refused = err }},
			trajectory.AcknowledgeHandover{Number: 1, By: "service"})
	}, 34*day) // the link expired on day 33
	r.at(35*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(referral(p))
	if refused == nil || !strings.Contains(refused.Error(), "expired") {
		t.Errorf("acknowledging after the link expired: got %v, want a refusal saying the link expired", refused)
	}
}

// TestStepsDoneStandInForFieldsOfOlderRuns: a run whose state predates
// LastVisitAt and IntakeDoneAt finds both in the steps done.
func TestStepsDoneStandInForFieldsOfOlderRuns(t *testing.T) {
	w := &trajectoryWorkflow{}
	w.c.State.ReferredAt = t0
	if got := w.lastVisitAt(); !got.Equal(t0) {
		t.Errorf("no visit yet: lastVisitAt %s, want the referral %s", got, t0)
	}
	w.c.State.StepsDone = []trajectory.DoneStep{{Kind: string(trajectory.StepIntake), At: t0.Add(1 * day)}}
	if got := w.lastVisitAt(); !got.Equal(t0.Add(1 * day)) {
		t.Errorf("after the intake: lastVisitAt %s, want the intake %s", got, t0.Add(1*day))
	}
	w.c.State.StepsDone = []trajectory.DoneStep{
		{Kind: string(trajectory.StepIntake), At: t0.Add(1 * day)},
		{Kind: string(trajectory.StepHomeVisit), Number: 1, At: t0.Add(5 * day)},
		{Kind: string(trajectory.StepHomeVisit), Number: 2, At: t0.Add(9 * day)},
		{Kind: "handover", At: t0.Add(10 * day)},
	}
	if got := w.lastVisitAt(); !got.Equal(t0.Add(9 * day)) {
		t.Errorf("lastVisitAt %s, want the second visit %s", got, t0.Add(9*day))
	}
	if got, want := w.intakeDoneAt(), t0.Add(1*day); !got.Equal(want) {
		t.Errorf("intakeDoneAt %s, want %s", got, want)
	}
}

// TestSecondAcknowledgementIsRefused: a service that confirms a handover
// twice is told it was already acknowledged, and when.
func TestSecondAcknowledgementIsRefused(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	r.handedOverOnDay3(p.Coaches[0].ID)
	r.at(4*day, trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1, By: "service"})
	var refused error
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(trajectory.UpdateAcknowledgeHandover, "", &testUpdate{onReject: func(err error) { refused = err }},
			trajectory.AcknowledgeHandover{Number: 1, By: "service"})
	}, 5*day)
	r.at(6*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseHandedOver})
	r.execute(referral(p))
	if refused == nil || !strings.Contains(refused.Error(), "already acknowledged") {
		t.Errorf("a second acknowledgement: got %v, want refused as already acknowledged", refused)
	}
}

// TestStepWaitsOutADatabaseOutage: the intake is written while PostgreSQL
// is down for longer than one write's timeout (six failed writes, a minute
// of backoff). The write is retried until it lands: the coach's Update
// succeeds, late, and the event is in the log once.
func TestStepWaitsOutADatabaseOutage(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	failed := 0
	r.recordFails = func(e trajectory.Event) bool {
		if e.Kind != trajectory.EventIntakeDone || failed == 6 {
			return false
		}
		failed++
		return true
	}
	var intakeDone bool
	var intakeErr error
	r.at(day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(trajectory.UpdateRecordIntake, "", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { t.Errorf("intake rejected: %v", err) },
			OnComplete: func(_ any, err error) { intakeDone, intakeErr = true, err },
		}, trajectory.RecordIntake{})
	}, 2*day)
	r.at(3*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
	r.execute(referral(p))
	if !intakeDone || intakeErr != nil {
		t.Fatalf("intake while the database was down: completed %v, error %v; want it recorded once the database is back", intakeDone, intakeErr)
	}
	if failed != 6 {
		t.Errorf("%d failed writes of the intake, want 6", failed)
	}
	if n := slices.Index(r.eventKinds(), trajectory.EventIntakeDone); n < 0 || slices.Contains(r.eventKinds()[n+1:], trajectory.EventIntakeDone) {
		t.Errorf("event log %v, want intake_done once", r.eventKinds())
	}
}

// TestEmailInDoubtIsReportedToTheSupervisor: the mail server hangs up after
// taking the coach's assignment notice, and later the service's handover,
// without answering: neither can be known to have arrived. Neither is sent
// again; each is recorded and reported to the supervisor, and the handover
// still waits for its acknowledgement (reminded, then acknowledged).
func TestEmailInDoubtIsReportedToTheSupervisor(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.sink.HangUpAfterData(r.coachEmail(coach))
	r.env.RegisterDelayedCallback(func() {
		r.sink.HangUpAfterData("")
		r.sink.HangUpAfterData(cawService.Email)
	}, 2*day)
	r.env.RegisterDelayedCallback(func() { r.sink.HangUpAfterData("") }, 4*day)
	r.handedOverOnDay3(coach)
	r.at(9*day, trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1, By: "service"})
	r.at(10*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseHandedOver})
	r.execute(referral(p))

	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "intake/email_failed", To: p.SupervisorEmail, At: t0.Add(1 * day)},
		sent{Key: "handover-1", To: cawService.Email, At: t0.Add(3 * day)},
		sent{Key: "handover_ack-1/email_failed", To: p.SupervisorEmail, At: t0.Add(3 * day)},
		sent{Key: "handover-1/reminder", To: cawService.Email, At: t0.Add(8 * day)},
	)
	s := r.finalState()
	want := []trajectory.EmailFailure{
		{At: t0.Add(1 * day), Kind: trajectory.AssignmentNotice, Step: "intake", To: "coach:" + coach, Reason: activities.ErrTypeEmailInDoubt},
		{At: t0.Add(3 * day), Kind: trajectory.HandoverNotice, Step: "handover_ack-1", To: "service:caw", Reason: activities.ErrTypeEmailInDoubt},
	}
	if !s.EmailFailed || !slices.Equal(s.EmailFailures, want) {
		t.Errorf("email failures %v %+v, want %+v", s.EmailFailed, s.EmailFailures, want)
	}
	if h := s.Handovers[0]; h.Failed || h.SentAt.IsZero() || h.AcknowledgedAt.IsZero() {
		t.Errorf("handover %+v, want sent and acknowledged, not failed", h)
	}
	for kind, n := range map[string]int{
		trajectory.EventEmailFailed: 2, trajectory.EventAssignmentNoticeSent: 1, trajectory.EventHandoverSent: 1,
	} {
		if got := r.countEvents(kind); got != n {
			t.Errorf("%d %s events, want %d: %v", got, kind, n, r.eventKinds())
		}
	}
}
