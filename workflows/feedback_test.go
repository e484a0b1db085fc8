package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/webhook"
)

// told is one NotifyReferrer attempt: the status, the instant it
// carries, and the workflow clock when the attempt ran.
type told struct {
	Status  string
	At, Ran time.Time
}

// watchFeedback replaces NotifyReferrer by one that keeps each attempt
// and answers with answer (nil: told).
func (r *run) watchFeedback(answer func(trajectory.ReferralFeedback) error) *[]told {
	var mu sync.Mutex
	got := &[]told{}
	r.env.OnActivity(activities.NotifyReferrerName, mock.Anything, mock.Anything).Return(
		func(_ context.Context, f trajectory.ReferralFeedback) error {
			mu.Lock()
			*got = append(*got, told{f.Status, f.At, r.env.Now().UTC()})
			mu.Unlock()
			if f.Organisation == "" || f.TrajectoryID == "" || f.ProgrammeID == "" {
				r.t.Errorf("feedback without its ids: %+v", f)
			}
			return answer(f)
		})
	return got
}

// TestReferrerIsToldAtAssignmentIntakeAndClosure: the referrer is told of
// the first assignment (not of a reassignment), of the intake (in
// support) and of the closure, each at the step's exact instant; a run
// from before the change is told nothing (the replay tests).
func TestReferrerIsToldAtAssignmentIntakeAndClosure(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	got := r.watchFeedback(func(trajectory.ReferralFeedback) error { return nil })
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.at(1*day+time.Hour, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[1].ID})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(60 * day)})
	r.at(5*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(referral(p))

	want := []told{
		{webhook.StatusCoachAssigned, t0.Add(1 * day), t0.Add(1 * day)},
		{webhook.StatusInSupport, t0.Add(2 * day), t0.Add(2 * day)},
		{webhook.StatusClosed, t0.Add(5 * day), t0.Add(5 * day)},
	}
	if len(*got) != len(want) {
		t.Fatalf("told %+v, want %+v", *got, want)
	}
	for i, w := range want {
		if g := (*got)[i]; g.Status != w.Status || !g.At.Equal(w.At) || !g.Ran.Equal(w.Ran) {
			t.Errorf("feedback %d: %+v, want %+v", i, g, w)
		}
	}
}

// TestFailingFeedbackNeverFailsTheTrajectory: an endpoint that never
// answers 2xx is retried with backoff, then given up; the trajectory
// closes and completes all the same, and no attempt comes after the
// workflow's limit.
func TestFailingFeedbackNeverFailsTheTrajectory(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	got := r.watchFeedback(func(trajectory.ReferralFeedback) error { return errors.New("webhook answered 503") })
	closedAt := 2 * day
	r.at(closedAt, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
	r.execute(referral(p))

	if len(*got) < 2 {
		t.Fatalf("attempts %+v, want retries", *got)
	}
	first, second := (*got)[0], (*got)[1]
	if first.Status != webhook.StatusClosed || !first.Ran.Equal(t0.Add(closedAt)) || !second.Ran.Equal(t0.Add(closedAt+10*time.Second)) {
		t.Errorf("attempts %+v: want the first at the closure, the second 10 s later", *got)
	}
	if last := (*got)[len(*got)-1]; last.Ran.After(t0.Add(closedAt + feedbackGivesUpAfter)) {
		t.Errorf("an attempt at %s, past the limit", last.Ran)
	}
	if s := r.finalState(); s.Phase != trajectory.PhaseClosed {
		t.Errorf("phase %s", s.Phase)
	}
}

// TestFeedbackStartedByAFirstTaskUpdateIsNotResumedAgain: an Update that
// arrives with the start runs in the first task, before the run resumes
// what it carried; the feedback it put on its way is not started again.
func TestFeedbackStartedByAFirstTaskUpdateIsNotResumedAgain(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	got := r.watchFeedback(func(trajectory.ReferralFeedback) error { return nil })
	in := referral(p)
	r.env.ExecuteWorkflow(func(ctx workflow.Context) error {
		w := &trajectoryWorkflow{in: in, stepChanged: workflow.NewBufferedChannel(ctx, 1)}
		w.c.State = trajectory.State{TrajectoryID: in.TrajectoryID, ProgrammeID: p.ID, ReferrerOrg: "test-partner"}
		w.tellReferrer(ctx, webhook.StatusCoachAssigned) // the Update's handler
		w.resumeSending(ctx)                             // the run's start, after it
		return workflow.Await(ctx, func() bool { return len(w.c.Feedback) == 0 })
	})
	if err := r.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 1 {
		t.Errorf("told %+v, want the assignment once", *got)
	}
}
