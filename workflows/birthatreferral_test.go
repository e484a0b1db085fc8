package workflows

import (
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestSintTruidenFromABirthAtReferral: a family referred to OCMW
// Sint-Truiden two weeks after the birth (the baby listed among the
// children, an older sibling past the follow-up age beside it) gets the
// postnatal schedule from that birth: the visits after the intake fall on
// the programme's postnatal points and cadence, recording the birth again
// is refused, and follow-up runs until the child is three (36 months),
// with the closing handover's reminder six weeks before. Every email is
// asserted at its instant.
func TestSintTruidenFromABirthAtReferral(t *testing.T) {
	p := loadProgramme(t, "ocmw-sint-truiden")
	r := newRun(t, p)
	coach := p.Coaches[0]
	born := date(2026, 2, 16)
	in := referral(p)
	in.Referral.Children = []trajectory.Child{
		{Name: "Older Sibling", BirthDate: trajectory.DateOf(date(2021, 5, 1))},
		{Name: "Baby", BirthDate: trajectory.DateOf(born)},
	}
	var want []sent

	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach.ID})
	want = append(want, r.assigned(coach.ID, "intake", t0.Add(1*day)))
	r.refusedAt(2*day, trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: trajectory.DateOf(born)}, "already recorded")
	// The intake on day 3, 5 March: the postnatal point of week 2 (2 March)
	// has passed, so the first visit falls on week 6, 30 March, in the
	// morning in Belgium (summer time from 29 March: 07:00 UTC); then week
	// 12 and week 18 (the cadence of six weeks after the last point).
	r.at(3*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{})
	visits := []time.Time{morning(born.Add(42 * day)), morning(born.Add(84 * day)), morning(born.Add(126 * day))}
	if !visits[0].Equal(time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("week 6 falls on %s", visits[0])
	}
	for i, due := range visits {
		key := "home_visit-" + itoa(i+1)
		want = append(want, sent{Key: key + "/reminder", To: coach.Email, At: due.Add(-2 * day)})
		doneAt := due
		if i == 1 {
			// Done six days late, after the supervisor's alert five days past due.
			want = append(want, sent{Key: key + "/alert", To: p.SupervisorEmail, At: due.Add(5 * day)})
			doneAt = due.Add(6 * day)
		}
		visit := trajectory.RecordVisit{}
		if i == 2 {
			// From here on the family and the coach plan the visits themselves.
			visit.NextVisitDue = date(2027, 6, 1).Add(9 * time.Hour)
		}
		r.at(doneAt.Sub(t0), trajectory.UpdateRecordVisit, visit)
	}
	r.at(date(2027, 5, 27).Add(9*time.Hour).Sub(t0), trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: date(2028, 5, 20).Add(9 * time.Hour)})
	r.at(date(2028, 5, 15).Add(9*time.Hour).Sub(t0), trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: date(2029, 5, 1).Add(9 * time.Hour)})

	// Follow-up ends when the child is three, 16 February 2029 in the
	// morning (winter time, 08:00 UTC); the coach is reminded of the
	// closing handover six weeks before.
	end := morning(date(2029, 2, 16))
	want = append(want, sent{Key: "follow_up_end/reminder", To: coach.Email, At: end.Add(-42 * day)})
	handoverAt := date(2029, 1, 10).Add(9 * time.Hour)
	service := trajectory.Service{ID: "kinderopvang", Name: "Kinderopvang", Kind: "kinderopvang", Email: "aanmelding@kinderopvang.example"}
	r.at(handoverAt.Sub(t0), trajectory.UpdateHandOver, trajectory.HandOver{
		Service: service, Reason: "the child goes to school; the school and the childcare take over",
		Consent: trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(handoverAt), Shares: []string{trajectory.ShareContact, trajectory.ShareChildren}},
	})
	want = append(want, sent{Key: "handover-1", To: service.Email, At: handoverAt})
	r.at(handoverAt.Add(day).Sub(t0), trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1, By: "service"})
	r.at(end.Sub(t0), trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseHandedOver})
	r.execute(in)

	sortSent(want)
	r.assertSent(want...)

	// The intake and the visits planned the postnatal points.
	var planned []time.Time
	for _, e := range r.events {
		if e.Kind == trajectory.EventIntakeDone || e.Kind == trajectory.EventVisitDone {
			planned = append(planned, mustTime(t, e.Detail["next_visit_due"]))
		}
	}
	wantPlanned := append(append([]time.Time{}, visits...), date(2027, 6, 1).Add(9*time.Hour), date(2028, 5, 20).Add(9*time.Hour), date(2029, 5, 1).Add(9*time.Hour))
	if len(planned) != len(wantPlanned) {
		t.Fatalf("planned visits %v\nwant %v", planned, wantPlanned)
	}
	for i := range planned {
		if !planned[i].Equal(wantPlanned[i]) {
			t.Errorf("visit %d planned at %s, want %s", i+1, planned[i], wantPlanned[i])
		}
	}
	// The handover shares both children, the baby once.
	if len(r.handovers) != 1 || len(r.handovers[0].Shared.Children) != 2 {
		t.Errorf("handover emails %+v", r.handovers)
	}
	var final trajectory.State
	if err := r.env.GetWorkflowResult(&final); err != nil {
		t.Fatal(err)
	}
	if final.Phase != trajectory.PhaseClosed || !final.BornOn.Equal(born) || final.Birth != nil {
		t.Errorf("final state: phase %s, born on %s, birth step %+v; want closed, born on %s, no birth to record", final.Phase, final.BornOn, final.Birth, born)
	}
	if ended := r.env.Now(); !ended.Equal(end) {
		t.Errorf("the trajectory ended at %s, want at the end of follow-up, %s", ended, end)
	}
}

// TestNoPostnatalFollowUpWithoutAYoungChild: a referral to Sint-Truiden
// that lists only a child past the follow-up age, and one to a programme
// without a perinatal schedule that lists a baby, follow no birth: the
// visits keep the programme's cadence and there is no end of follow-up.
func TestNoPostnatalFollowUpWithoutAYoungChild(t *testing.T) {
	for _, c := range []struct {
		programme string
		born      time.Time
	}{
		{"ocmw-sint-truiden", date(2023, 2, 1)},
		{"omdat-elk-gezin-telt-vilvoorde", date(2026, 2, 16)},
	} {
		t.Run(c.programme, func(t *testing.T) {
			p := loadProgramme(t, c.programme)
			r := newRun(t, p)
			in := referral(p)
			in.Referral.Children = []trajectory.Child{{Name: "Child", BirthDate: trajectory.DateOf(c.born)}}
			r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
			r.at(3*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{})
			r.at(4*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
			r.execute(in)
			var final trajectory.State
			if err := r.env.GetWorkflowResult(&final); err != nil {
				t.Fatal(err)
			}
			for _, e := range r.events {
				if e.Kind == trajectory.EventIntakeDone {
					if got, want := mustTime(t, e.Detail["next_visit_due"]), t0.Add(3*day+p.HomeVisitCadence.Std()); !got.Equal(want) {
						t.Errorf("first visit due %s, want the programme's cadence after the intake, %s", got, want)
					}
				}
			}
			if !final.BornOn.IsZero() || final.FollowUpEnd != nil {
				t.Errorf("born on %s, follow-up end %+v: want no postnatal follow-up", final.BornOn, final.FollowUpEnd)
			}
		})
	}
}
