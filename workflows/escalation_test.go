package workflows

import (
	"testing"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestManagerIsAlertedOnceWhenTheSupervisorsAlertIsNotFollowed uses
// Aprèstoe's second escalation level (manager_escalation_after 7d; reminder
// 2 days before, alert 3 days after). Visit 1, planned for t0+20d, is
// reminded at t0+18d and escalated to the coordinator at t0+23d; still
// not done, the manager is alerted at t0+30d, once. When the visit is done
// before that, the manager hears nothing.
func TestManagerIsAlertedOnceWhenTheSupervisorsAlertIsNotFollowed(t *testing.T) {
	p := loadProgramme(t, "aprestoe-brussel")
	if p.ManagerEmail == "" || p.ManagerEscalationAfter.Std() != 7*day {
		t.Fatalf("aprestoe-brussel's manager: %q after %s; the test expects one after 7 days", p.ManagerEmail, p.ManagerEscalationAfter.Std())
	}
	coach := p.Coaches[0].ID
	by := "coach:" + coach
	start := func(r *run) {
		r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
		r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(20 * day), By: by})
	}

	t.Run("not followed", func(t *testing.T) {
		r := newRun(t, p)
		start(r)
		r.at(39*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway, By: by})
		r.execute(referral(p))
		r.assertSent(
			r.assigned(coach, "intake", t0.Add(1*day)),
			sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(18 * day)},
			sent{Key: "home_visit-1/alert", To: p.SupervisorEmail, At: t0.Add(23 * day)},
			sent{Key: "home_visit-1/alert", To: p.ManagerEmail, At: t0.Add(30 * day)},
		)
		var alerts []map[string]string
		for _, e := range r.events {
			if e.Kind == trajectory.EventAlertSent {
				alerts = append(alerts, e.Detail)
			}
		}
		if len(alerts) != 2 || alerts[0]["role"] != "supervisor" || alerts[0]["level"] != "" ||
			alerts[1]["role"] != "manager" || alerts[1]["level"] != "manager" || alerts[1]["step"] != "home_visit-1" {
			t.Errorf("alert events %v; want the supervisor's, then the manager's about home_visit-1", alerts)
		}
	})
	t.Run("followed", func(t *testing.T) {
		r := newRun(t, p)
		start(r)
		r.at(29*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(60 * day), By: by})
		r.at(39*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway, By: by})
		r.execute(referral(p))
		r.assertSent(
			r.assigned(coach, "intake", t0.Add(1*day)),
			sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(18 * day)},
			sent{Key: "home_visit-1/alert", To: p.SupervisorEmail, At: t0.Add(23 * day)},
		)
	})
}
