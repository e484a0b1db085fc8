package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
)

// date is midnight UTC of a calendar day.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// pregnancy is a referral at 20 weeks of pregnancy: due 20 weeks after t0.
func pregnancy(p programme.Programme) trajectory.Start {
	in := referral(p)
	in.Referral.ExpectedDueDate = trajectory.DateOf(t0.Add(20 * 7 * day))
	in.Referral.Children = []trajectory.Child{{Name: "Older Sibling", BirthDate: trajectory.DateOf(date(2022, 5, 1))}}
	return in
}

// morning is when a step that falls on the day of t is due: 09:00 in Belgium.
func morning(t time.Time) time.Time { return trajectory.MorningOf(t).UTC() }

// TestMenenPerinatalTrajectory runs a whole trajectory of the Menen
// perinatal programme: referral at 20 weeks of pregnancy, intake, prenatal
// visits every two weeks, a birth a week early that re-plans the postnatal
// schedule and the end of follow-up, postnatal visits at weeks 1, 2, 4 and 6
// and then monthly (one of them late), a closing handover, and the end at
// six months. Every reminder, alert and planned visit is asserted at its
// instant.
func TestMenenPerinatalTrajectory(t *testing.T) { menenPerinatalTrajectory(t) }

// BenchmarkMenenPerinatalTrajectory measures the whole perinatal trajectory
// of ten months in the time-skipping environment (its goal: well
// under a second); run with go test -bench Menen ./workflows/.
func BenchmarkMenenPerinatalTrajectory(b *testing.B) {
	for b.Loop() {
		menenPerinatalTrajectory(b)
	}
}

func menenPerinatalTrajectory(t testing.TB) {
	p := loadProgramme(t, "perinatal-menen")
	r := newRun(t, p)
	in := pregnancy(p)
	coach := p.Coaches[0]
	due := date(2026, 7, 20) // t0 (2026-03-02) + 20 weeks
	if !in.Referral.ExpectedDueDate.Equal(due) {
		t.Fatalf("due date %s", in.Referral.ExpectedDueDate)
	}
	var want []sent
	var wantPlanned []time.Time // the due instant of each home visit, in order
	remind := func(key string, at time.Time) {
		want = append(want, sent{Key: key + "/reminder", To: coach.Email, At: at})
	}

	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach.ID})
	want = append(want, r.assigned(coach.ID, "intake", t0.Add(1*day)))
	// Intake on day 4, before its reminder (due day 7, reminder day 5).
	r.at(4*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{})

	// Prenatal visits at the prenatal cadence (14 days from each visit), each
	// done three days before it is due, before its reminder (two days
	// before): no email.
	visitDue := t0.Add(4*day + 14*day)
	birthRecordedAt := date(2026, 7, 14).Add(10 * time.Hour)
	n := 1
	for ; visitDue.Add(-3 * day).Before(birthRecordedAt); n++ {
		wantPlanned = append(wantPlanned, visitDue)
		r.at(visitDue.Add(-3*day).Sub(t0), trajectory.UpdateRecordVisit, trajectory.RecordVisit{})
		visitDue = visitDue.Add(-3 * day).Add(14 * day)
	}
	// The visit open at the birth was planned from the prenatal cadence;
	// the birth (a week early, on 13 July, recorded on the 14th) replaces it
	// with week 1 of the postnatal schedule.
	r.at(birthRecordedAt.Sub(t0), trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: trajectory.DateOf(date(2026, 7, 13)), Name: "Baby"})
	born := date(2026, 7, 13)
	// Postnatal visits fall due in the morning of their day, in Belgian
	// time (summer time until 25 October).
	postnatal := []time.Time{morning(born.Add(7 * day)), morning(born.Add(14 * day)), morning(born.Add(28 * day)), morning(born.Add(42 * day))}
	for k := 1; k <= 5; k++ {
		postnatal = append(postnatal, morning(born.Add(42*day+time.Duration(k)*28*day)))
	}
	// Each postnatal visit is done at its due instant, after its reminder
	// two days before; the one of week 6 is done three days late, after the
	// supervisor's alert two days past due.
	for i, visitAt := range postnatal {
		wantPlanned = append(wantPlanned, visitAt)
		key := "home_visit-" + itoa(n+i)
		remind(key, visitAt.Add(-2*day))
		doneAt := visitAt
		if i == 3 {
			want = append(want, sent{Key: key + "/alert", To: p.SupervisorEmail, At: visitAt.Add(2 * day)})
			doneAt = visitAt.Add(3 * day)
		}
		r.at(doneAt.Sub(t0), trajectory.UpdateRecordVisit, trajectory.RecordVisit{})
	}
	// Follow-up ends at six months of the real birth, 13 January 2027 (not
	// the 20th the due date gave): the coach is reminded three weeks before.
	end := morning(date(2027, 1, 13))
	remindEnd := sent{Key: "follow_up_end/reminder", To: coach.Email, At: end.Add(-21 * day)}
	// A closing handover, with consent to share the contact and the
	// children, acknowledged the next day; then closure.
	handoverAt := date(2027, 1, 5).Add(9 * time.Hour)
	service := trajectory.Service{ID: "kind-en-gezin-consultatiebureau", Name: "Kind en Gezin", Kind: "preventief", Email: "overdracht@kindengezin.example"}
	r.at(handoverAt.Sub(t0), trajectory.UpdateHandOver, trajectory.HandOver{
		Service: service, Reason: "regular follow-up by the consultatiebureau",
		Consent: trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(handoverAt), Shares: []string{trajectory.ShareContact, trajectory.ShareChildren}},
	})
	r.at(handoverAt.Add(day).Sub(t0), trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1, By: "service"})
	// The coach closes when follow-up ends, the day the child is six months old.
	r.at(end.Sub(t0), trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseHandedOver})

	r.execute(in)

	// The visit reminders of December and the end-of-follow-up reminder are
	// interleaved by time; the handover email is sent at its request.
	want = append(want, remindEnd, sent{Key: "handover-1", To: service.Email, At: handoverAt})
	sortSent(want)
	r.assertSent(want...)

	var planned []time.Time
	for _, e := range r.events {
		if e.Kind == trajectory.EventIntakeDone || e.Kind == trajectory.EventVisitDone || e.Kind == trajectory.EventBirthRecorded {
			if e.Summary.NextStep == "" {
				continue
			}
		}
		if e.Kind == trajectory.EventIntakeDone || e.Kind == trajectory.EventVisitDone {
			planned = append(planned, mustTime(t, e.Detail["next_visit_due"]))
		}
		if e.Kind == trajectory.EventBirthRecorded && e.Detail["follow_up_end"] != end.UTC().Format(time.RFC3339) {
			t.Errorf("follow-up end after the birth %s, want %s", e.Detail["follow_up_end"], end)
		}
	}
	// The visit planned before the birth was re-planned at the birth; the
	// intake and visits recorded its original instant.
	replanned := wantPlanned[len(wantPlanned)-len(postnatal)]
	wantFromEvents := append(append([]time.Time{}, wantPlanned[:len(wantPlanned)-len(postnatal)]...), visitDue)
	wantFromEvents = append(wantFromEvents, postnatal[1:]...)
	wantFromEvents = append(wantFromEvents, postnatal[len(postnatal)-1].Add(28*day))
	if len(planned) != len(wantFromEvents) {
		t.Fatalf("planned visits %v\nwant %v", planned, wantFromEvents)
	}
	for i := range planned {
		if !planned[i].Equal(wantFromEvents[i]) {
			t.Errorf("visit %d planned at %s, want %s", i+1, planned[i], wantFromEvents[i])
		}
	}
	if !replanned.Equal(morning(born.Add(7 * day))) {
		t.Errorf("first postnatal visit %s", replanned)
	}

	// The handover holds what the family consented to: contact and children
	// (the baby joined them), not the pregnancy.
	if len(r.handovers) != 1 {
		t.Fatalf("handover emails %+v", r.handovers)
	}
	h := r.handovers[0]
	if h.Shared.Contact == nil || len(h.Shared.Children) != 2 || h.Shared.Children[1].Name != "Baby" || !h.Shared.ExpectedDueDate.IsZero() {
		t.Errorf("shared data %+v", h.Shared)
	}
	if h.CoachID != coach.ID || h.CoachEmail != "" || !h.LinkExpiresAt.Equal(handoverAt.Add(30*day)) {
		t.Errorf("handover email %+v", h)
	}
	var final trajectory.State
	if err := r.env.GetWorkflowResult(&final); err != nil {
		t.Fatal(err)
	}
	if final.Phase != trajectory.PhaseClosed || final.CloseReason != trajectory.CloseHandedOver || !final.BornOn.Equal(born) {
		t.Errorf("final state %+v", final)
	}
	if ended := r.env.Now(); !ended.Equal(end) {
		t.Errorf("the trajectory ended at %s, want at six months of the real birth, %s", ended, end)
	}
}

// TestBirthNotRecordedRemindsThenAlerts: the due date plus the margin pass
// without a birth: the coach is reminded, then the supervisor alerted; a
// supervisor's extension moves the end of follow-up and its reminder.
func TestBirthNotRecordedRemindsThenAlerts(t *testing.T) {
	p := loadProgramme(t, "perinatal-menen")
	r := newRun(t, p)
	in := pregnancy(p)
	coach := p.Coaches[1]
	due := date(2026, 7, 20)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach.ID})
	// Visits planned far apart, so only the birth's timers fire.
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: date(2026, 12, 1)})
	r.at(date(2026, 8, 1).Sub(t0), trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: trajectory.DateOf(date(2026, 7, 24))})
	// Six months from 24 July is 24 January; the supervisor extends to 1 March.
	r.at(date(2026, 8, 2).Sub(t0), trajectory.UpdateExtendFollowUp, trajectory.ExtendFollowUp{Until: trajectory.DateOf(date(2027, 3, 1)), Reason: "housing still unsure"})
	r.at(date(2026, 11, 20).Sub(t0), trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: date(2027, 6, 1)})
	r.at(date(2027, 3, 2).Sub(t0), trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(in)
	r.assertSent(
		r.assigned(coach.ID, "intake", t0.Add(1*day)),
		// The birth falls due in the morning, three days after the due date.
		sent{Key: "birth/reminder", To: coach.Email, At: morning(due.Add(3 * day))},
		sent{Key: "birth/alert", To: p.SupervisorEmail, At: morning(due.Add(3 * day)).Add(2 * day)},
		// The visit planned for 1 December was re-planned to week 1 after the
		// birth, 31 July in the morning; its reminder moment had passed when
		// the birth was recorded on 1 August, so the reminder goes out at once.
		sent{Key: "home_visit-1/reminder", To: coach.Email, At: date(2026, 8, 1)},
		sent{Key: "home_visit-1/alert", To: p.SupervisorEmail, At: morning(date(2026, 7, 31)).Add(2 * day)},
		// The extended end, 1 March, in the morning; reminded three weeks before.
		sent{Key: "follow_up_end/reminder", To: coach.Email, At: morning(date(2027, 3, 1)).Add(-21 * day)},
	)
}

// TestHandoverNotAcknowledged: the service is reminded at the limit, the
// coach alerted after the grace; closing as "handed over" is refused until
// a handover is acknowledged.
func TestHandoverNotAcknowledged(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	in := referral(p)
	coach := p.Coaches[0]
	r.handedOverOnDay3(coach.ID)
	var refused error
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(trajectory.UpdateClose, "", &testUpdate{onReject: func(err error) { refused = err }}, trajectory.Close{Reason: trajectory.CloseHandedOver})
	}, 4*day)
	r.at(20*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(in)
	r.assertSent(
		r.assigned(coach.ID, "intake", t0.Add(1*day)),
		sent{Key: "handover-1", To: cawService.Email, At: t0.Add(3 * day)},
		sent{Key: "handover-1/reminder", To: cawService.Email, At: t0.Add(8 * day)},
		// The unacknowledged handover escalates to the supervisor.
		sent{Key: "handover_ack-1/alert", To: p.SupervisorEmail, At: t0.Add(11 * day)},
	)
	if refused == nil {
		t.Error("closing as handed over without an acknowledged handover was accepted")
	}
	// Closed on day 20, the trajectory still waited for the service until
	// the link expired, 30 days after the handover.
	if end := r.env.Now().UTC(); !end.Equal(t0.Add(33 * day)) {
		t.Errorf("the workflow ended at %s, want when the link expired, %s", end, t0.Add(33*day))
	}
	if last := r.events[len(r.events)-1]; last.Kind != trajectory.EventHandoverLinkExpired {
		t.Errorf("last event %s, want %s", last.Kind, trajectory.EventHandoverLinkExpired)
	}
}

// TestClosingHandoverIsSentAfterClosure: a coach requests the closing
// handover and closes in the same moment; the email still goes out, and the
// service's acknowledgement after the closure completes the trajectory.
func TestClosingHandoverIsSentAfterClosure(t *testing.T) {
	p := loadProgramme(t, "go-team-mechelen")
	r := newRun(t, p)
	in := referral(p)
	service := trajectory.Service{ID: "clb", Name: "CLB", Kind: "leerlingenbegeleiding", Email: "aanmelding@clb.example"}
	// The GO-team's limits are short: assigned within the day, intake the next.
	r.at(12*time.Hour, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.at(1*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(60 * day)})
	r.at(10*day, trajectory.UpdateHandOver, trajectory.HandOver{Service: service, Reason: "school follow-up",
		Consent: trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(t0.Add(10 * day)), Shares: []string{trajectory.ShareChildren}}})
	r.at(10*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.at(11*day, trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1, By: "service"})
	r.execute(in)
	r.assertSent(r.assigned(p.Coaches[0].ID, "intake", t0.Add(12*time.Hour)), sent{Key: "handover-1", To: service.Email, At: t0.Add(10 * day)})
	if end := r.env.Now().UTC(); !end.Equal(t0.Add(11 * day)) {
		t.Errorf("the workflow ended at %s, want at the acknowledgement", end)
	}
}

// TestRefusedBirthAndExtensionSayWhy: a second birth is refused because the
// birth was recorded (not because none is expected any more), and an
// extension to the current end of follow-up, not after it, is refused.
func TestRefusedBirthAndExtensionSayWhy(t *testing.T) {
	p := loadProgramme(t, "perinatal-menen")
	r := newRun(t, p)
	born := date(2026, 3, 16) // follow-up ends six months later, 16 September
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(20 * day)})
	r.at(15*day, trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: trajectory.DateOf(born)})
	var secondBirth, sameEnd error
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(trajectory.UpdateRecordBirth, "", &testUpdate{onReject: func(err error) { secondBirth = err }},
			trajectory.RecordBirth{BornOn: trajectory.DateOf(born)})
		r.env.UpdateWorkflow(trajectory.UpdateExtendFollowUp, "", &testUpdate{onReject: func(err error) { sameEnd = err }},
			trajectory.ExtendFollowUp{Until: trajectory.DateOf(date(2026, 9, 16)), Reason: "x"})
	}, 16*day)
	r.at(17*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(pregnancy(p))
	if secondBirth == nil || !strings.Contains(secondBirth.Error(), "already recorded") {
		t.Errorf("a second birth: got %v, want refused as already recorded", secondBirth)
	}
	if sameEnd == nil || !strings.Contains(sameEnd.Error(), "must lie after") {
		t.Errorf("an extension to the current end: got %v, want refused", sameEnd)
	}
}
