package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// milestoneRun is what a programme's trajectory through its milestones
// ended with: the milestones reached (late ones marked), those left open,
// and when the workflow ended.
func milestoneRun(t *testing.T, r *run) (reached, late []string, open int, ended time.Time) {
	t.Helper()
	var state trajectory.State
	if err := r.env.GetWorkflowResult(&state); err != nil {
		t.Fatal(err)
	}
	if state.Phase != trajectory.PhaseClosed || state.CloseReason != trajectory.CloseGoalsReached {
		t.Errorf("final phase %s (%s), want closed with goals reached", state.Phase, state.CloseReason)
	}
	for _, m := range state.MilestonesReached {
		reached = append(reached, m.ID)
		if m.Late {
			late = append(late, m.ID)
		}
	}
	return reached, late, len(state.Milestones), r.env.Now().UTC()
}

// TestFeliesMotherBecomesAChildcareWorker runs Felies (Antwerp) through its
// milestones: parent participation beside the training from the referral,
// the training, an internship in group care, the certificate and a job.
// Each milestone is reminded and alerted at its exact instant, reached
// early, after its reminder or late; meetings are planned a year ahead, so
// only milestones send emails.
func TestFeliesMotherBecomesAChildcareWorker(t *testing.T) {
	p := loadProgramme(t, "felies-antwerpen")
	r := newRun(t, p)
	coach := p.Coaches[0]
	by := "coach:" + coach.ID
	milestone := func(offset time.Duration, id string) {
		r.at(offset, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: id, By: by})
	}
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach.ID, By: "supervisor:x"})
	r.at(5*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(360 * day), By: by})
	r.refusedAt(6*day, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "stage_groepsopvang", By: by},
		"stage_groepsopvang follows opleiding_gestart, which is not reached yet")
	// Parent participation: due 6w after the referral (42d), reminded 3
	// days before, alerted 5 days after; reached late, at 50d.
	milestone(50*day, "ouderparticipatie")
	// The training: due 12w after the referral (84d); started before its reminder.
	milestone(70*day, "opleiding_gestart")
	// The internship: due 16w later (182d), reminded at 179d, reached at 180d.
	milestone(180*day, "stage_groepsopvang")
	// The certificate: due 26w later (362d), reminded two weeks before
	// (its own lead, 348d), reached before it was due.
	milestone(360*day, "opleiding_behaald")
	r.at(355*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(650 * day), By: by})
	// The job: due 12w later (444d), reminded at 441d, alerted at 449d, reached at 450d.
	milestone(450*day, "tewerkstelling")
	r.at(451*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by})
	r.execute(referral(p))

	sup := p.SupervisorEmail
	r.assertSent(
		r.assigned(coach.ID, "intake", t0.Add(1*day)),
		sent{Key: "milestone-ouderparticipatie/reminder", To: coach.Email, At: t0.Add(39 * day)},
		sent{Key: "milestone-ouderparticipatie/alert", To: sup, At: t0.Add(47 * day)},
		sent{Key: "milestone-stage_groepsopvang/reminder", To: coach.Email, At: t0.Add(179 * day)},
		sent{Key: "milestone-opleiding_behaald/reminder", To: coach.Email, At: t0.Add(348 * day)},
		sent{Key: "milestone-tewerkstelling/reminder", To: coach.Email, At: t0.Add(441 * day)},
		sent{Key: "milestone-tewerkstelling/alert", To: sup, At: t0.Add(449 * day)},
	)
	reached, late, open, ended := milestoneRun(t, r)
	want := "ouderparticipatie opleiding_gestart stage_groepsopvang opleiding_behaald tewerkstelling"
	if strings.Join(reached, " ") != want || strings.Join(late, " ") != "ouderparticipatie tewerkstelling" || open != 0 {
		t.Errorf("reached %v (late %v), %d open; want %s, late ouderparticipatie and tewerkstelling", reached, late, open, want)
	}
	if !ended.Equal(t0.Add(451 * day)) {
		t.Errorf("the trajectory ended at %s, want at its closure, %s", ended, t0.Add(451*day))
	}
	var events int
	for _, e := range r.events {
		if e.Kind == trajectory.EventMilestoneReached {
			events++
		}
	}
	if events != 5 {
		t.Errorf("%d milestone events, want 5", events)
	}
}

// TestDnOpvangParentWorksInTheCreche runs D'n Opvang (Ostend) through its
// milestones: the parent takes part in the parents' crèche, is employed
// there, trains on the job, qualifies and moves on to a job in the sector.
func TestDnOpvangParentWorksInTheCreche(t *testing.T) {
	p := loadProgramme(t, "dn-opvang-oostende")
	r := newRun(t, p)
	coach := p.Coaches[0]
	by := "coach:" + coach.ID
	milestone := func(offset time.Duration, id string) {
		r.at(offset, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: id, By: by})
	}
	r.at(12*time.Hour, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach.ID, By: "supervisor:x"})
	r.at(3*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(300 * day), By: by})
	r.refusedAt(4*day, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "tewerkstelling", By: by},
		"tewerkstelling follows ouderparticipatie, which is not reached yet")
	// Taking part as a parent: due 4w after the referral (28d); reached
	// before its reminder.
	milestone(20*day, "ouderparticipatie")
	// Employed in the crèche: due 8w later (76d), reminded at 74d, alerted
	// at 79d, reached at 80d.
	milestone(80*day, "tewerkstelling")
	// Training on the job: due 8w later (136d), reminded at 134d, reached at 135d.
	milestone(135*day, "opleiding_gestart")
	r.at(290*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(650 * day), By: by})
	// The qualification: due 40w later (415d), reminded two weeks before
	// (401d), reached at 410d.
	milestone(410*day, "kwalificatie_behaald")
	r.refusedAt(411*day, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "kwalificatie_behaald", By: by}, "already reached")
	// A job in the sector: due 16w later (522d), reminded at 520d, reached at 521d.
	milestone(521*day, "doorstroom_werk")
	r.at(530*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by})
	r.execute(referral(p))

	sup := p.SupervisorEmail
	r.assertSent(
		r.assigned(coach.ID, "intake", t0.Add(12*time.Hour)),
		sent{Key: "milestone-tewerkstelling/reminder", To: coach.Email, At: t0.Add(74 * day)},
		sent{Key: "milestone-tewerkstelling/alert", To: sup, At: t0.Add(79 * day)},
		sent{Key: "milestone-opleiding_gestart/reminder", To: coach.Email, At: t0.Add(134 * day)},
		sent{Key: "milestone-kwalificatie_behaald/reminder", To: coach.Email, At: t0.Add(401 * day)},
		sent{Key: "milestone-doorstroom_werk/reminder", To: coach.Email, At: t0.Add(520 * day)},
	)
	reached, late, open, ended := milestoneRun(t, r)
	want := "ouderparticipatie tewerkstelling opleiding_gestart kwalificatie_behaald doorstroom_werk"
	if strings.Join(reached, " ") != want || strings.Join(late, " ") != "tewerkstelling" || open != 0 {
		t.Errorf("reached %v (late %v), %d open; want %s, late tewerkstelling", reached, late, open, want)
	}
	if !ended.Equal(t0.Add(530 * day)) {
		t.Errorf("the trajectory ended at %s, want at its closure, %s", ended, t0.Add(530*day))
	}
}
