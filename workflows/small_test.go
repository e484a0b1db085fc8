package workflows

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestSintTruidenRemindsAndAlertsAtExactInstants: the Sint-Truiden
// programme's limits (assignment 5d, intake 14d, visits every 21d before
// the birth, reminders 2d before, alerts 5d after).
func TestSintTruidenRemindsAndAlertsAtExactInstants(t *testing.T) {
	p := loadProgramme(t, "ocmw-sint-truiden")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.at(6*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(13*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{})
	r.at(40*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(70 * day)})
	r.at(45*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
	r.execute(pregnancy(p))
	r.assertSent(
		sent{Key: "assignment/alert", To: p.SupervisorEmail, At: t0.Add(5 * day)},
		r.assigned(coach, "intake", t0.Add(6*day)),
		sent{Key: "intake/reminder", To: r.coachEmail(coach), At: t0.Add(12 * day)},
		// Visit 1 by the prenatal cadence, 21 days after the intake (day 34).
		sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: t0.Add(32 * day)},
		sent{Key: "home_visit-1/alert", To: p.SupervisorEmail, At: t0.Add(39 * day)},
	)
}

// TestSearchAttributesUpsertOnlyWhatChanged: the first upsert sets every
// attribute; later ones only those that changed, so years of events do
// not rewrite the programme and referrer each time.
func TestSearchAttributesUpsertOnlyWhatChanged(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	var mu sync.Mutex
	var upserts []temporal.SearchAttributes
	r.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		mu.Lock()
		defer mu.Unlock()
		upserts = append(upserts, args.Get(0).(temporal.SearchAttributes))
	}).Return(nil)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(40 * day)})
	r.at(3*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
	r.execute(referral(p))
	if len(upserts) < 3 || !upserts[0].ContainsKey(trajectory.SearchProgramme) {
		t.Fatalf("upserts %v", upserts)
	}
	for i, sa := range upserts[1:] {
		if sa.ContainsKey(trajectory.SearchProgramme) || sa.ContainsKey(trajectory.SearchReferrerOrganisation) {
			t.Errorf("upsert %d repeats attributes that did not change: %v", i+1, sa.GetUntypedValues())
		}
	}
}

// TestStepsDoneStayBounded: years of visits keep only the last
// StepsDoneKept steps in the state (and in every Update's result), while
// the count goes on.
func TestStepsDoneStayBounded(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{})
	const visits = 30
	for i := 1; i <= visits; i++ {
		r.at(2*day+time.Duration(i)*10*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{})
	}
	r.at(2*day+(visits+1)*10*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(referral(p))
	s := r.finalState()
	if len(s.StepsDone) != trajectory.StepsDoneKept || s.VisitsDone != visits {
		t.Errorf("%d steps kept, %d visits counted; want %d and %d", len(s.StepsDone), s.VisitsDone, trajectory.StepsDoneKept, visits)
	}
	// The last step kept is the visit the closure left undone; before it, the last visit done.
	if last := s.StepsDone[len(s.StepsDone)-2]; last.Kind != string(trajectory.StepHomeVisit) || last.Number != visits {
		t.Errorf("last visit kept %+v, want home visit %d", last, visits)
	}
}

// TestNewTrajectoryFirstTaskWritesNoMarker: a referral started as the API
// starts it (its search attributes and code revision with the start) asks
// no GetVersion, so records no version marker and upserts no
// TemporalChangeVersion, and its first task upserts no search attribute:
// what a bare start does not pay either. A run of the current revision
// asks no change id later either (every change it meets is retired at
// it), through assignment, intake, visits, SMS to the family and closure,
// so TemporalChangeVersion keeps the API's "code-revision-N".
func TestNewTrajectoryFirstTaskWritesNoMarker(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	var mu sync.Mutex
	var asked []string
	var upsertedAt []time.Time
	ask := func(args mock.Arguments) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, fmt.Sprintf("%s at t0+%s", args.String(0), r.env.Now().Sub(t0)))
	}
	r.env.OnGetVersion(mock.Anything, workflow.DefaultVersion, 1).Run(ask).Return(workflow.Version(1))
	r.env.OnGetVersion(changeCodeRevision, workflow.DefaultVersion, Revision).Run(ask).Return(Revision)
	r.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(mock.Arguments) {
		mu.Lock()
		defer mu.Unlock()
		upsertedAt = append(upsertedAt, r.env.Now())
	}).Return(nil)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[0].ID})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(9 * day)})
	r.at(3*day, trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-1", To: t0.Add(10 * day)})
	r.at(10*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{})
	r.at(11*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
	in := smsReferral(referral(p))
	in.ReferredAt, in.SearchAttributesSet, in.CodeRevision = t0, true, trajectory.CodeRevision
	r.execute(in)
	if len(asked) > 0 {
		t.Errorf("a new trajectory of revision %d asked GetVersion: %v", trajectory.CodeRevision, asked)
	}
	if len(upsertedAt) == 0 || upsertedAt[0].Before(t0.Add(day)) {
		t.Errorf("search attributes upserted at %v; want none before the first step", upsertedAt)
	}
	if r.finalState().Phase != trajectory.PhaseClosed {
		t.Errorf("phase %s", r.finalState().Phase)
	}
}

// TestNewTrajectoryListsItsRevisionBeforeAChange: a change made after a
// new trajectory's revision (asked, not retired) would make the SDK's
// upsert of TemporalChangeVersion drop the API's "code-revision-N"; so the
// run asks code-revision first, once, with its own revision.
func TestNewTrajectoryListsItsRevisionBeforeAChange(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	var asked []string
	ask := func(args mock.Arguments) { asked = append(asked, args.String(0)) }
	env.OnGetVersion(changeCodeRevision, workflow.DefaultVersion, Revision).Run(ask).Return(Revision)
	env.OnGetVersion("a-change-made-later", workflow.DefaultVersion, 1).Run(ask).Return(workflow.Version(1))
	env.ExecuteWorkflow(func(ctx workflow.Context) error {
		w := &trajectoryWorkflow{revision: Revision, revisionUnlisted: true}
		w.takes(ctx, "a-change-made-later")
		w.takes(ctx, "a-change-made-later")
		w.takes(ctx, changeEventsWrittenOnDemand)
		return nil
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if want := []string{changeCodeRevision, "a-change-made-later", "a-change-made-later"}; !slices.Equal(asked, want) {
		t.Errorf("asked %v; want %v", asked, want)
	}
}
