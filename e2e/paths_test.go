package e2e

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestEveryPathReplays drives trajectories down the paths a workflow
// change must not break, on the real server, and replays each history:
// an alert, a handover whose email is refused and then corrected, the
// reminder and alert of an unacknowledged handover and its link expiring;
// a pregnancy with a birth and an extension; a run continued as new; a
// programme's own milestones and a collective activity.
// With ELKGEZIN_RECORD_HISTORIES=dir it records them for
// TestReplayRecordedHistories (CONTRIBUTING.md, "Changing the workflow").
func TestEveryPathReplays(t *testing.T) {
	s := startStack(t)
	c := s.codecClient()
	seconds := func(n int) trajectory.Duration { return trajectory.Duration(time.Duration(n) * time.Second) }
	timings := trajectory.Timings{
		AssignmentLimit: seconds(2), IntakeDeadline: seconds(120), HomeVisitCadence: seconds(120),
		ReminderLead: seconds(60), AlertGrace: seconds(2), AcknowledgementLimit: seconds(2), LinkValidFor: seconds(10),
	}
	consent := trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(time.Now()), Shares: []string{trajectory.ShareContact}}
	coach := "test-coach"

	// An alert, a refused handover corrected, its reminder, alert and expiry.
	alerted := s.startPath(c, "PATH-HANDOVER", timings, 0, trajectory.Date{})
	s.waitEvent(alerted, trajectory.EventAlertSent, 1, 30*time.Second)
	s.update(c, alerted, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:e2e"})
	s.update(c, alerted, trajectory.UpdateRecordIntake, trajectory.RecordIntake{By: "coach:" + coach})
	s.smtp.RejectRecipient("typo@caw.example", 550)
	wrong := trajectory.Service{ID: "caw", Name: "CAW", Kind: "welzijn", Email: "typo@caw.example"}
	s.update(c, alerted, trajectory.UpdateHandOver, trajectory.HandOver{Service: wrong, Reason: "debt counselling", Consent: consent, By: "coach:" + coach})
	s.waitEvent(alerted, trajectory.EventEmailFailed, 1, 30*time.Second)
	s.waitListed(`Programme = "test-seconds" AND EmailFailed = true`, alerted)
	right := wrong
	right.Email = "onthaal@caw.example"
	s.update(c, alerted, trajectory.UpdateResendHandover, trajectory.ResendHandover{Number: 1, Service: right, By: "coach:" + coach})
	s.waitEvent(alerted, trajectory.EventHandoverLinkExpired, 1, 60*time.Second)
	s.waitEvent(alerted, trajectory.EventAlertSent, 2, time.Second)
	s.update(c, alerted, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: "coach:" + coach})

	// A pregnancy: the birth, then an extension of follow-up.
	perinatal := timings
	perinatal.Perinatal = &trajectory.PerinatalTimings{
		PrenatalVisitCadence: seconds(120), BirthRecordMargin: seconds(0), PostnatalVisits: []trajectory.Duration{seconds(120)},
		PostnatalCadence: seconds(120), FollowUpMonths: 6, ClosingHandoverLead: seconds(60),
	}
	today := trajectory.DateOf(time.Now())
	pregnancy := s.startPath(c, "PATH-PERINATAL", perinatal, 0, today)
	s.update(c, pregnancy, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:e2e"})
	s.update(c, pregnancy, trajectory.UpdateRecordIntake, trajectory.RecordIntake{By: "coach:" + coach})
	s.update(c, pregnancy, trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: today, Name: "Baby", By: "coach:" + coach})
	s.update(c, pregnancy, trajectory.UpdateExtendFollowUp, trajectory.ExtendFollowUp{Until: trajectory.DateOf(time.Now().AddDate(0, 8, 0)), Reason: "housing", By: "supervisor:e2e"})
	s.update(c, pregnancy, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: "coach:" + coach})

	// A family referred after the birth: postnatal follow-up from the birth
	// the referral lists, with no birth to record.
	afterBirth := s.startPath(c, "PATH-BIRTH-AT-REFERRAL", perinatal, 0, trajectory.Date{}, trajectory.Child{Name: "Baby", BirthDate: today})
	s.update(c, afterBirth, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:e2e"})
	s.update(c, afterBirth, trajectory.UpdateRecordIntake, trajectory.RecordIntake{By: "coach:" + coach})
	s.update(c, afterBirth, trajectory.UpdateRecordVisit, trajectory.RecordVisit{By: "coach:" + coach})
	s.update(c, afterBirth, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: "coach:" + coach})

	// Enough visits to continue as new; the next run closes.
	long := s.startPath(c, "PATH-CONTINUED", timings, 60, trajectory.Date{})
	firstRun := c.GetWorkflow(context.Background(), long, "").GetRunID()
	s.update(c, long, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:e2e"})
	s.update(c, long, trajectory.UpdateRecordIntake, trajectory.RecordIntake{By: "coach:" + coach})
	for i := 0; i < 20 && c.GetWorkflow(context.Background(), long, "").GetRunID() == firstRun; i++ {
		s.update(c, long, trajectory.UpdateRecordVisit, trajectory.RecordVisit{By: "coach:" + coach, NextVisitDue: time.Now().Add(time.Hour)})
		time.Sleep(200 * time.Millisecond)
	}
	if c.GetWorkflow(context.Background(), long, "").GetRunID() == firstRun {
		t.Fatal("the trajectory did not continue as new after 20 visits")
	}
	s.update(c, long, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: "coach:" + coach})

	// A programme's own milestones, reminded and reached, and a collective
	// activity attended.
	withMilestones := timings
	withMilestones.Milestones = []trajectory.MilestoneTiming{
		{ID: "opleiding_gestart", After: trajectory.MilestoneAfterReferral, Deadline: seconds(6), ReminderLead: seconds(4)},
		{ID: "tewerkstelling", After: "opleiding_gestart", Deadline: seconds(60), ReminderLead: seconds(30)},
	}
	job := s.startPath(c, "PATH-MILESTONES", withMilestones, 0, trajectory.Date{})
	s.update(c, job, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:e2e"})
	s.waitEvent(job, trajectory.EventReminderSent, 1, 30*time.Second)
	s.update(c, job, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "opleiding_gestart", By: "coach:" + coach})
	s.update(c, job, trajectory.UpdateRecordAttendance, trajectory.RecordAttendance{ActivityID: "act-1", Kind: "ouderavond", On: trajectory.DateOf(time.Now()), By: "coach:" + coach})
	s.update(c, job, trajectory.UpdateRecordMilestone, trajectory.RecordMilestone{Milestone: "tewerkstelling", By: "coach:" + coach})
	s.update(c, job, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: "coach:" + coach})

	for name, id := range map[string]string{
		"alert-failed-handover-link-expiry": alerted, "perinatal-birth-extension": pregnancy, "continued-as-new": long,
		"milestones-and-attendance": job, "birth-at-referral": afterBirth,
	} {
		s.waitCompleted(id)
		s.replayTrajectory(id, name)
	}
}

// codecClient talks to the stack's Temporal with the payload codec, as
// the worker and the API do.
func (s *stack) codecClient() client.Client {
	s.t.Helper()
	ring, err := payloadcodec.ParseKeyRing(testPayloadKeys)
	if err != nil {
		s.t.Fatal(err)
	}
	dc, fc := payloadcodec.ClientOptionsWithDataKeys(ring, s.keyedStore().Vault())
	c, err := client.NewClientFromExisting(s.client, client.Options{Namespace: s.namespace, DataConverter: dc, FailureConverter: fc, Logger: quietLogger{}})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// startPath starts a trajectory of the test-seconds programme with its
// own timings, as the API does, for a family with children.
func (s *stack) startPath(c client.Client, reference string, t trajectory.Timings, historyLimit int, due trajectory.Date, children ...trajectory.Child) string {
	s.t.Helper()
	ref := trajectory.Referral{
		ProgrammeID: "test-seconds", Referrer: trajectory.Referrer{Organisation: "test-partner", Reference: reference},
		Family: trajectory.Family{ContactName: "Gezin Pad"}, Reason: "path", ExpectedDueDate: due, Children: children,
	}
	id := trajectory.ID(testIDKey, "test-seconds", "test-partner", reference)
	_, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: trajectory.TaskQueue}, trajectory.WorkflowName,
		trajectory.Start{TrajectoryID: id, ProgrammeID: "test-seconds", ProgrammeName: "Testprogramma", Timings: &t, Referral: ref, HistoryLimit: historyLimit})
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

// update runs one step as an Update and waits for it to complete.
func (s *stack) update(c client.Client, id, name string, req any) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, UpdateID: name + "/" + rand.Text(), Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		s.t.Fatalf("%s on %s: %v", name, id, err)
	}
}

// waitEvent waits until the trajectory's event log holds n events of kind.
func (s *stack) waitEvent(id, kind string, n int, timeout time.Duration) {
	s.t.Helper()
	db := s.db()
	defer db.Close(context.Background())
	deadline := time.Now().Add(timeout)
	for {
		var got int
		if err := db.QueryRow(context.Background(), `SELECT count(*) FROM trajectory_events WHERE trajectory_id = $1 AND kind = $2`, id, kind).Scan(&got); err != nil {
			s.t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("trajectory %s: %d %s events after %s, want %d; logs:\n%s", id, got, kind, timeout, n, s.Logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitListed waits, for at most 30 seconds, until a visibility query (as a
// supervisor types it in the UI) lists the trajectory.
func (s *stack) waitListed(query, id string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := s.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.namespace, Query: query})
		if err != nil {
			s.t.Fatalf("list %q: %v", query, err)
		}
		for _, e := range resp.Executions {
			if e.Execution.WorkflowId == id {
				return
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	s.t.Fatalf("%q does not list trajectory %s within 30s", query, id)
}
