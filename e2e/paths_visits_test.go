package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestRescheduledVisitsAndEscalationsReplay drives a trajectory through a
// moved visit, a missed visit whose new appointment is escalated to the
// supervisor and then to the manager, and an unacknowledged handover
// escalated the same way, on the real server, and replays its history.
// With ELKGEZIN_RECORD_HISTORIES=dir it records it for
// TestReplayRecordedHistories (CONTRIBUTING.md, "Changing the workflow").
func TestRescheduledVisitsAndEscalationsReplay(t *testing.T) {
	// The test programme with a manager, so the manager's alerts reach
	// an address.
	dir := t.TempDir()
	files, err := filepath.Glob("../deploy/programmes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "test-seconds.yaml" {
			b = append(b, "manager_email: manager@test.example\nmanager_escalation_after: 2s\n"...)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := startStackWith(t, dir)
	c := s.codecClient()
	seconds := func(n int) trajectory.Duration { return trajectory.Duration(time.Duration(n) * time.Second) }
	timings := trajectory.Timings{
		AssignmentLimit: seconds(60), IntakeDeadline: seconds(120), HomeVisitCadence: seconds(120),
		ReminderLead: seconds(1), AlertGrace: seconds(2), AcknowledgementLimit: seconds(2), LinkValidFor: seconds(12),
		ManagerEscalationAfter: seconds(2),
	}
	coach := "test-coach"
	by := "coach:" + coach

	id := s.startPath(c, "PATH-VISITS", timings, 0, trajectory.Date{})
	s.update(c, id, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:e2e"})
	s.update(c, id, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: time.Now().Add(time.Hour), By: by})
	s.update(c, id, trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-1", To: time.Now().Add(2 * time.Hour), Reason: "op reis", By: by})
	s.update(c, id, trajectory.UpdateRecordMissedVisit, trajectory.MissedVisit{Step: "home_visit-1", Reason: trajectory.MissedNotHome,
		Next: time.Now().Add(2 * time.Second), By: by})
	// The reminder, the supervisor's alert, then the manager's.
	s.waitEvent(id, trajectory.EventAlertSent, 2, 60*time.Second)
	s.update(c, id, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: time.Now().Add(time.Hour), By: by})

	consent := trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(time.Now()), Shares: []string{}}
	caw := trajectory.Service{ID: "caw", Name: "CAW", Kind: "welzijn", Email: "onthaal@caw.example"}
	s.update(c, id, trajectory.UpdateHandOver, trajectory.HandOver{Service: caw, Reason: "debt counselling", Consent: consent, By: by})
	s.waitEvent(id, trajectory.EventHandoverLinkExpired, 1, 90*time.Second)
	s.waitEvent(id, trajectory.EventAlertSent, 4, 5*time.Second)
	s.update(c, id, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by})

	s.waitCompleted(id)
	// Each escalation went to the supervisor and then to the manager, once.
	for _, subject := range []string{"Escalatie: huisbezoek 1", "Escalatie: bevestiging van overdracht 1"} {
		var to []string
		for _, m := range s.smtp.Messages() {
			if strings.HasPrefix(m.Subject, subject) {
				to = append(to, m.To...)
			}
		}
		slices.Sort(to)
		if !slices.Equal(to, []string{"manager@test.example", "supervisor@test.example"}) {
			t.Errorf("%q went to %v; want the supervisor and the manager", subject, to)
		}
	}
	s.replayTrajectory(id, "visits-moved-missed-escalated")
}
