package e2e

import (
	"bytes"
	"context"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestFamilyPlanReplays drives a trajectory through a family plan on the
// real server: the plan agreed, the coach's action reminded and alerted
// (the family's, due at the same instant, never), actions done, a goal
// reached and one let go, the family asking for another date, the closure
// with each goal's outcome; it replays the history and checks that the
// plan's words are nowhere in clear in Temporal. With
// ELKGEZIN_RECORD_HISTORIES=dir it records it for
// TestReplayRecordedHistories (CONTRIBUTING.md, "Changing the workflow").
func TestFamilyPlanReplays(t *testing.T) {
	s := startStack(t)
	c := s.codecClient()
	seconds := func(n int) trajectory.Duration { return trajectory.Duration(time.Duration(n) * time.Second) }
	timings := trajectory.Timings{
		AssignmentLimit: seconds(60), IntakeDeadline: seconds(120), HomeVisitCadence: seconds(120),
		ReminderLead: seconds(1), AlertGrace: seconds(2), AcknowledgementLimit: seconds(60), LinkValidFor: seconds(600),
	}
	coach := "test-coach"
	by := "coach:" + coach
	id := s.startPath(c, "PATH-PLAN", timings, 0, trajectory.Date{})
	s.update(c, id, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:e2e"})
	s.update(c, id, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: time.Now().Add(time.Hour), By: by})

	const words = "Een woning met een tuin voor Yasmine"
	due := time.Now().Add(3 * time.Second)
	s.update(c, id, trajectory.UpdateAgreePlan, trajectory.AgreePlan{By: by, Plan: trajectory.Plan{
		AgreedOn: time.Now(), Strengths: []string{"Sterk netwerk van buren"},
		Goals: []trajectory.Goal{
			{Domain: trajectory.DomainHousing, Text: words, Actions: []trajectory.Action{
				{What: "Inschrijven bij het sociaal verhuurkantoor", Owner: trajectory.ActionOwner{Role: trajectory.OwnerCoach}, Due: &due},
				{What: "Loonbrieven verzamelen", Owner: trajectory.ActionOwner{Role: trajectory.OwnerFamily}, Due: &due},
			}},
			{Domain: trajectory.DomainIncomeDebts, Text: "Geen aanmaningen meer"},
		},
	}})
	s.waitEvent(id, trajectory.EventAlertSent, 1, 30*time.Second)
	s.update(c, id, trajectory.UpdateRecordActionDone, trajectory.RecordActionDone{GoalID: "g1", ActionID: "a1", By: by})
	s.update(c, id, trajectory.UpdateRecordActionDone, trajectory.RecordActionDone{GoalID: "g1", ActionID: "a2", By: by})
	s.update(c, id, trajectory.UpdateReviewGoals, trajectory.ReviewGoals{By: by})
	s.update(c, id, trajectory.UpdateRequestNewDate, trajectory.RequestNewDate{Message: "Liever woensdag", By: "family"})
	s.update(c, id, trajectory.UpdateSetGoalStatus, trajectory.SetGoalStatus{GoalID: "g1", Status: trajectory.GoalReached, By: by})
	s.update(c, id, trajectory.UpdateSetGoalStatus, trajectory.SetGoalStatus{GoalID: "g2", Status: trajectory.GoalLetGo, Reason: "Geregeld via het OCMW", By: by})
	s.update(c, id, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by,
		Outcomes: map[string]string{"g1": "Verhuisd naar een sociale woning"}})
	s.waitCompleted(id)

	// One reminder and one alert, both about the coach's action.
	db := s.db()
	defer db.Close(context.Background())
	rows, err := db.Query(context.Background(), `SELECT kind, detail->>'step' FROM trajectory_events
		WHERE trajectory_id = $1 AND kind IN ('reminder_sent', 'alert_sent') ORDER BY seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var kind, step string
		if err := rows.Scan(&kind, &step); err != nil {
			t.Fatal(err)
		}
		got = append(got, kind+" "+step)
	}
	if len(got) != 2 || got[0] != "reminder_sent plan_action-g1-a1" || got[1] != "alert_sent plan_action-g1-a1" {
		t.Errorf("reminders and alerts %v; want one of each, about plan_action-g1-a1", got)
	}

	// The log keeps the plan's words in the sealed detail only.
	var clear int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM trajectory_events WHERE trajectory_id = $1
		AND (detail::text LIKE '%Yasmine%' OR detail::text LIKE '%woensdag%' OR detail::text LIKE '%OCMW%' OR detail::text LIKE '%buren%')`, id).Scan(&clear); err != nil {
		t.Fatal(err)
	}
	if clear != 0 {
		t.Errorf("%d events hold the plan's words in the clear detail", clear)
	}

	hist, err := s.client.WorkflowService().GetWorkflowExecutionHistory(context.Background(), &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: s.namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: id}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := proto.Marshal(hist)
	if bytes.Contains(raw, []byte(words)) || bytes.Contains(raw, []byte("Liever woensdag")) {
		t.Error("the plan's words are in clear in Temporal's history")
	}
	s.replayTrajectory(id, "family-plan")
}
