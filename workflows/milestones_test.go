package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// refusedAt schedules an Update that the validator must refuse with a
// message containing says.
func (r *run) refusedAt(offset time.Duration, name string, arg any, says string) {
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept: func() { r.t.Errorf("%s at t0+%s accepted; want it refused", name, offset) },
			OnReject: func(err error) {
				if !strings.Contains(err.Error(), says) {
					r.t.Errorf("%s at t0+%s refused with %q, want %q", name, offset, err, says)
				}
			},
			OnComplete: func(any, error) {},
		}, arg)
	}, offset)
}

// TestGentTrajectoryThroughEveryMilestone runs the shipped Gent programme
// (childcare to work) through its seven milestones. Each opens when the one
// before it is reached, due its deadline from then: one is reached after
// its reminder, one late (reminder and alert), one on time, and so on. Home
// visits are planned a year ahead, so only milestones send emails.
func TestGentTrajectoryThroughEveryMilestone(t *testing.T) {
	p := loadProgramme(t, "stad-gent-kinderopvang-naar-werk")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	by := "coach:" + coach
	milestone := func(offset time.Duration, id string) {
		r.at(offset, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: id, By: by})
	}

	r.refusedAt(12*time.Hour, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "opleiding_gestart"}, "no coach is assigned yet")
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(5*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(370 * day), By: by})
	r.refusedAt(6*day, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "stage"}, "stage follows opleiding_behaald, which is not reached yet")
	r.refusedAt(6*day, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "rijbewijs"}, `"rijbewijs" is not a milestone of this trajectory`)
	// Due 12w after the referral (84d), reminded 3 days before: reached after the reminder.
	milestone(82*day, "opleiding_gestart")
	r.refusedAt(83*day, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "opleiding_gestart"}, "already reached")
	r.at(360*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(725 * day), By: by})
	// Due 40w after it was started (82d+280d = 362d), reminded 2 weeks
	// before (its own lead), alerted 5 days after: reached late, at 370d.
	milestone(370*day, "opleiding_behaald")
	// Due 8w later (426d): reached before its reminder.
	milestone(400*day, "stage")
	// Due 12w later (484d), reminded at 481d: reached at 482d.
	milestone(482*day, "tewerkstelling")
	milestone(500*day, "opvolging_1m") // due 510d
	milestone(540*day, "opvolging_3m") // due 563d
	// Due 13w later (631d): reminded at 628d, alerted at 636d, reached at 640d.
	milestone(640*day, "opvolging_6m")
	r.at(641*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by})
	r.execute(referral(p))

	coachMail, sup := r.coachEmail(coach), p.SupervisorEmail
	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "milestone-opleiding_gestart/reminder", To: coachMail, At: t0.Add(81 * day)},
		sent{Key: "milestone-opleiding_behaald/reminder", To: coachMail, At: t0.Add(348 * day)},
		sent{Key: "milestone-opleiding_behaald/alert", To: sup, At: t0.Add(367 * day)},
		sent{Key: "milestone-tewerkstelling/reminder", To: coachMail, At: t0.Add(481 * day)},
		sent{Key: "milestone-opvolging_6m/reminder", To: coachMail, At: t0.Add(628 * day)},
		sent{Key: "milestone-opvolging_6m/alert", To: sup, At: t0.Add(636 * day)},
	)
	var state trajectory.State
	if err := r.env.GetWorkflowResult(&state); err != nil {
		t.Fatal(err)
	}
	var reached, late []string
	for _, m := range state.MilestonesReached {
		reached = append(reached, m.ID)
		if m.Late {
			late = append(late, m.ID)
		}
	}
	want := "opleiding_gestart opleiding_behaald stage tewerkstelling opvolging_1m opvolging_3m opvolging_6m"
	if strings.Join(reached, " ") != want || strings.Join(late, " ") != "opleiding_behaald opvolging_6m" || len(state.Milestones) != 0 {
		t.Errorf("reached %v (late %v), open %v; want %s, late opleiding_behaald and opvolging_6m", reached, late, state.Milestones, want)
	}
	// The event log says which step each milestone completed and whether late.
	var events []trajectory.Event
	for _, e := range r.events {
		if e.Kind == trajectory.EventMilestoneReached {
			events = append(events, e)
		}
	}
	if len(events) != 7 || events[1].Detail["step"] != "milestone-opleiding_behaald" || events[1].Detail["late"] != "true" ||
		events[1].Detail["step_due_at"] != t0.Add(362*day).Format(time.RFC3339) || events[2].Detail["late"] != "" {
		t.Errorf("milestone events %+v", events)
	}
}

// TestCoWorkerGetsCopiesOfReminders: in Genk's Op'stap the children's-rights
// expert assigned beside the coach gets a copy of every reminder the coach
// gets, at the same instant; the alert goes to the supervisor alone.
func TestCoWorkerGetsCopiesOfReminders(t *testing.T) {
	p := loadProgramme(t, "genk-opstap")
	r := newRun(t, p)
	coach, expert := p.Coaches[0].ID, p.CoWorkers[0]
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(2*day, trajectory.UpdateAssignCoWorker, trajectory.AssignCoWorker{CoWorkerID: expert.ID, Role: expert.Role, By: "supervisor:x"})
	r.refusedAt(3*day, trajectory.UpdateAssignCoWorker, trajectory.AssignCoWorker{CoWorkerID: expert.ID, Role: expert.Role}, "already a co-worker")
	// Intake due 10d after the referral: reminder at 8d, alert at 12d; done at 13d.
	r.at(13*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{By: "co_worker:" + expert.ID})
	// The first visit falls due a week later (20d): reminded at 18d.
	r.at(19*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway, By: "coach:" + coach})
	r.execute(referral(p))

	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "intake/reminder", To: r.coachEmail(coach), At: t0.Add(8 * day)},
		sent{Key: "intake/reminder", To: expert.Email, At: t0.Add(8 * day)},
		sent{Key: "intake/alert", To: p.SupervisorEmail, At: t0.Add(12 * day)},
		sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(18 * day)},
		sent{Key: "home_visit-1/reminder", To: expert.Email, At: t0.Add(18 * day)},
	)
	last := r.events[len(r.events)-1]
	if got := last.Summary.CoWorkers; len(got) != 1 || got[0] != expert.ID {
		t.Errorf("the read model's co-workers are %v, want [%s]", got, expert.ID)
	}
}

// TestConsultationBecomesAReferral: the school-gate tandem recorded an
// anonymous consultation; with the family's consent it became a referral.
// The trajectory names the consultation in its state and its referred
// event, and the consultation names the trajectory.
func TestConsultationBecomesAReferral(t *testing.T) {
	p := loadProgramme(t, "vrienden-van-het-huizeke")
	r := newRun(t, p)
	c, err := r.store.CreateConsultation(t.Context(), store.Consultation{ProgrammeID: p.ID, RecordedBy: "coach:" + p.Coaches[0].ID,
		Situation: "een ouder vraagt aan de schoolpoort hulp bij een brief van de huisvestingsmaatschappij", Advice: "samen naar het OCMW"})
	if err != nil {
		t.Fatal(err)
	}
	in := referral(p)
	in.Referral.ConsultationID = c.ID
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID, By: "supervisor:x"})
	r.at(2*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseFamilyDeclined, By: "supervisor:x"})
	r.execute(in)

	var state trajectory.State
	if err := r.env.GetWorkflowResult(&state); err != nil {
		t.Fatal(err)
	}
	if state.ConsultationID != c.ID || r.events[0].Kind != trajectory.EventReferred || r.events[0].Detail["consultation"] != c.ID {
		t.Errorf("state names consultation %q, referred event %+v; want %s", state.ConsultationID, r.events[0], c.ID)
	}
	linked, err := r.store.Consultation(t.Context(), c.ID)
	if err != nil || linked.TrajectoryID != in.TrajectoryID || linked.ReferredAt == nil || !linked.ReferredAt.Equal(t0) {
		t.Errorf("consultation %+v (%v): want it linked to %s at the referral", linked, err, in.TrajectoryID)
	}
	row, err := r.store.Trajectory(t.Context(), in.TrajectoryID)
	if err != nil || row.ConsultationID != c.ID {
		t.Errorf("read model names consultation %q (%v), want %s", row.ConsultationID, err, c.ID)
	}
}
