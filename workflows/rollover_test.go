package workflows

import (
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestRollOverContinuesAsNew: an operator's roll-over makes the run
// continue as new, closed or open, once its Updates are done; the next run
// gets the state, the search attributes it had published, and the events
// and emails it had not finished, and the same Update sent again to the
// next run changes nothing.
func TestRollOverContinuesAsNew(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.atWithID(2*day, trajectory.UpdateRollOver, trajectory.UpdateRollOver+"/run-1", trajectory.RollOver{By: "operator"})
	r.env.ExecuteWorkflow(Trajectory, new(referral(p)))
	next := continuedInput(t, r)
	if !r.env.Now().Equal(t0.Add(2 * day)) {
		t.Errorf("continued as new at %v, want at the roll-over, %v", r.env.Now(), t0.Add(2*day))
	}
	c := next.Carried
	if c == nil || c.State.CoachID != coach || c.State.Phase != trajectory.PhaseCoachAssigned || c.Published["Coach"] != coach {
		t.Fatalf("carried %+v, want the assigned trajectory and what it had published", c)
	}
	if next.Referral.Reason != referral(p).Referral.Reason || next.State != nil {
		t.Errorf("the next run's input is not the referral as it was: %+v", next)
	}

	r2 := r.continued()
	r2.env.SetStartTime(r.env.Now())
	r2.atWithID(time.Hour, trajectory.UpdateRollOver, trajectory.UpdateRollOver+"/run-1", trajectory.RollOver{By: "operator"})
	r2.at(2*time.Hour, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r2.execute(next)
	if s := r2.finalState(); s.Phase != trajectory.PhaseClosed || s.CoachID != coach {
		t.Errorf("final state %+v, want the same trajectory closed", s)
	}
}
