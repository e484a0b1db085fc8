package workflows

import (
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// eventOf is the first logged event of kind; it fails the test without one.
func (r *run) eventOf(kind string) trajectory.Event {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Kind == kind {
			return e
		}
	}
	r.t.Fatalf("no %s event in %v", kind, kinds(r.events))
	return trajectory.Event{}
}

// TestMovedVisitRemindsAtTheNewDateAndNeverAlertsAtTheOld: in Vilvoorde
// (reminder 2 days before, alert 3 days after), visit 1 is planned for
// t0+20d; its reminder goes out at t0+18d; at t0+19d the family asks to
// move it to t0+30d. No alert at t0+23d: the coach is reminded again at
// t0+28d, and the visit is done at t0+29d.
func TestMovedVisitRemindsAtTheNewDateAndNeverAlertsAtTheOld(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	by := "coach:" + coach

	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(20 * day), By: by})
	r.refusedAt(19*day, trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-2", To: t0.Add(30 * day), By: by}, "not the home visit planned now")
	r.refusedAt(19*day, trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-1", To: t0.Add(18 * day), By: by}, "must lie in the future")
	r.at(19*day+time.Hour, trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-1", To: t0.Add(30 * day), Reason: "familie op reis", By: by})
	r.at(29*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(200 * day), By: by})
	r.at(30*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by})
	r.execute(referral(p))

	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(18 * day)},
		sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(28 * day)},
	)
	moved := r.eventOf(trajectory.EventVisitMoved)
	want := map[string]string{"step": "home_visit-1", "visit": "1", "from": rfc3339(t0.Add(20 * day)),
		"next_visit_due": rfc3339(t0.Add(30 * day)), "reason": "familie op reis"}
	for k, v := range want {
		if moved.Detail[k] != v {
			t.Errorf("visit_moved detail[%s] = %q, want %q (detail %v)", k, moved.Detail[k], v, moved.Detail)
		}
	}
	if moved.Actor != by || moved.Summary.NextDueAt == nil || !moved.Summary.NextDueAt.Equal(t0.Add(30*day)) {
		t.Errorf("visit_moved by %s, read model next due %v; want %s and t0+30d", moved.Actor, moved.Summary.NextDueAt, by)
	}
	var reminders []trajectory.Event
	for _, e := range r.events {
		if e.Kind == trajectory.EventAlertSent {
			t.Errorf("alert recorded: %+v", e.Detail)
		}
		if e.Kind == trajectory.EventReminderSent {
			reminders = append(reminders, e)
		}
	}
	if len(reminders) != 2 || reminders[1].Detail["due_at"] != rfc3339(t0.Add(30*day)) || reminders[1].Detail["step"] != "home_visit-1" ||
		reminders[1].Detail["role"] != string(trajectory.RoleCoach) {
		t.Errorf("reminders %+v; want the second about home_visit-1 due t0+30d, to the coach", reminders)
	}
}

// TestMissedVisitPlansTheNextWithoutAnAlert: visit 1 was planned for
// t0+20d (reminder at t0+18d); the family was not home, and at t0+21d the
// coach records it with a new appointment at t0+27d. No alert at t0+23d;
// the new appointment is reminded at t0+25d and, left undone, alerted at
// t0+30d. The visit is not counted as done.
func TestMissedVisitPlansTheNextWithoutAnAlert(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	by := "coach:" + coach

	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(20 * day), By: by})
	r.refusedAt(21*day, trajectory.UpdateRecordMissedVisit, trajectory.MissedVisit{Step: "home_visit-1", Next: t0.Add(27 * day), By: by}, "reason is required")
	r.refusedAt(21*day, trajectory.UpdateRecordMissedVisit, trajectory.MissedVisit{Step: "home_visit-1", Reason: trajectory.MissedNotHome, By: by}, "next is required")
	r.at(21*day, trajectory.UpdateRecordMissedVisit, trajectory.MissedVisit{Step: "home_visit-1", Reason: trajectory.MissedNotHome,
		Next: t0.Add(27 * day), Note: "niemand thuis", By: by})
	r.at(31*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway, By: by})
	r.execute(referral(p))

	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(18 * day)},
		sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(25 * day)},
		sent{Key: "home_visit-1/alert", To: p.SupervisorEmail, At: t0.Add(30 * day)},
	)
	missed := r.eventOf(trajectory.EventVisitMissed)
	want := map[string]string{"step": "home_visit-1", "visit": "1", "planned_at": rfc3339(t0.Add(20 * day)),
		"reason": "not_home", "next_visit_due": rfc3339(t0.Add(27 * day)), "note": "niemand thuis"}
	for k, v := range want {
		if missed.Detail[k] != v {
			t.Errorf("visit_missed detail[%s] = %q, want %q (detail %v)", k, missed.Detail[k], v, missed.Detail)
		}
	}
	alert := r.eventOf(trajectory.EventAlertSent)
	if alert.Detail["due_at"] != rfc3339(t0.Add(27*day)) || alert.Detail["step"] != "home_visit-1" || alert.Detail["role"] != string(trajectory.RoleSupervisor) {
		t.Errorf("alert detail %v; want home_visit-1 due t0+27d, to the supervisor", alert.Detail)
	}
	var state trajectory.State
	if err := r.env.GetWorkflowResult(&state); err != nil {
		t.Fatal(err)
	}
	if state.VisitsDone != 0 {
		t.Errorf("visits done %d; a missed visit is not a visit done", state.VisitsDone)
	}
}
