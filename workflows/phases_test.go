package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestEveryStepRefusedWhereTheDomainForbidsIt brings a trajectory to each
// phase and tries every step the domain forbids there: each is refused by
// its validator (so it never reaches history), whatever phase it meets.
func TestEveryStepRefusedWhereTheDomainForbidsIt(t *testing.T) {
	menen := loadProgramme(t, "perinatal-menen")
	vilvoorde := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	service := trajectory.Service{ID: "caw", Name: "CAW", Kind: "welzijn", Email: "onthaal@caw.example"}
	consent := trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(t0), Shares: []string{}}

	assign := func(p programme.Programme, i int) step {
		return step{trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: p.Coaches[i].ID}}
	}
	intake := step{trajectory.UpdateRecordIntake, trajectory.RecordIntake{}}
	visit := step{trajectory.UpdateRecordVisit, trajectory.RecordVisit{}}
	birth := step{trajectory.UpdateRecordBirth, trajectory.RecordBirth{BornOn: trajectory.DateOf(t0.Add(2 * day))}}
	extendNotLater := step{trajectory.UpdateExtendFollowUp, trajectory.ExtendFollowUp{Until: trajectory.DateOf(t0), Reason: "x"}}
	extend := step{trajectory.UpdateExtendFollowUp, trajectory.ExtendFollowUp{Until: trajectory.DateOf(t0.Add(400 * day)), Reason: "x"}}
	handover := step{trajectory.UpdateHandOver, trajectory.HandOver{Service: service, Reason: "r", Consent: consent}}
	handoverNoConsent := step{trajectory.UpdateHandOver, trajectory.HandOver{Service: service, Reason: "r", Consent: trajectory.Consent{Shares: []string{}}}}
	ack := step{trajectory.UpdateAcknowledgeHandover, trajectory.AcknowledgeHandover{Number: 1}}
	resend := step{trajectory.UpdateResendHandover, trajectory.ResendHandover{Number: 1, Service: service}}
	closeStep := step{trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached}}
	closeHandedOver := step{trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseHandedOver}}
	adopt := step{trajectory.UpdateAdoptTimings, trajectory.AdoptTimings{Timings: menen.Timings(), Reason: "x"}}
	// The first home visit moved or missed, with a new appointment well ahead.
	move := step{trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-1", To: t0.Add(200 * day)}}
	missed := step{trajectory.UpdateRecordMissedVisit, trajectory.MissedVisit{Step: "home_visit-1", Reason: trajectory.MissedNotHome, Next: t0.Add(200 * day)}}
	moveAnother := step{trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-7", To: t0.Add(200 * day)}}

	phases := []struct {
		phase     trajectory.Phase
		prog      programme.Programme
		pregnancy bool
		before    []step
		refused   map[string]step
	}{
		{trajectory.PhaseReferred, menen, true, nil, map[string]step{
			"intake before a coach": intake, "visit": visit, "handover without a coach": handover,
			"acknowledge a handover that does not exist": ack, "resend": resend, "extend not later": extendNotLater,
			"close as handed over": closeHandedOver, "move a visit before the intake": move, "missed visit before the intake": missed,
		}},
		{trajectory.PhaseCoachAssigned, menen, true, []step{assign(menen, 0)}, map[string]step{
			"the same coach again": assign(menen, 0), "visit before the intake": visit, "handover without consent": handoverNoConsent,
			"acknowledge": ack, "resend": resend, "move a visit before the intake": move, "missed visit before the intake": missed,
		}},
		{trajectory.PhasePrenatal, menen, true, []step{assign(menen, 0), intake}, map[string]step{
			"a second intake": intake, "acknowledge": ack, "resend": resend, "extend not later": extendNotLater,
		}},
		{trajectory.PhasePostnatal, menen, true, []step{assign(menen, 0), intake, birth}, map[string]step{
			"a second intake": intake, "a second birth": birth, "extend not later": extendNotLater,
		}},
		{trajectory.PhaseInSupport, vilvoorde, false, []step{assign(vilvoorde, 0), intake, visit}, map[string]step{
			"a second intake": intake, "a birth nobody expects": birth, "an extension without follow-up": extend,
			"close as handed over without an acknowledgement": closeHandedOver,
			"move a visit that is not the one planned":        moveAnother, "missed visit that was done": missed,
		}},
		{trajectory.PhaseClosed, menen, true, []step{assign(menen, 0), intake, closeStep}, map[string]step{
			"assign": assign(menen, 1), "intake": intake, "visit": visit, "birth": birth, "extend": extend,
			"handover": handover, "close again": closeStep, "new timings": adopt, "acknowledge": ack,
			"move a visit": move, "missed visit": missed,
		}},
	}
	for _, ph := range phases {
		t.Run(string(ph.phase), func(t *testing.T) {
			r := newRun(t, ph.prog)
			in := referral(ph.prog)
			if ph.pregnancy {
				in = pregnancy(ph.prog)
			}
			for i, s := range ph.before {
				r.at(time.Duration(i+1)*day, s.name, s.arg)
			}
			tryAt := time.Duration(len(ph.before)+1) * day
			if ph.phase == trajectory.PhaseClosed {
				// In the instant of the closure, while the workflow still runs.
				tryAt -= day
			}
			var reached trajectory.Phase
			refusals := map[string]error{}
			r.env.RegisterDelayedCallback(func() {
				v, err := r.env.QueryWorkflow(trajectory.QueryState)
				if err == nil {
					var s trajectory.State
					_ = v.Get(&s)
					reached = s.Phase
				}
				for name, s := range ph.refused {
					r.env.UpdateWorkflow(s.name, "", &testUpdate{onReject: func(err error) { refusals[name] = err }}, s.arg)
				}
			}, tryAt)
			if ph.phase != trajectory.PhaseClosed {
				r.at(tryAt+time.Hour, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseMovedAway})
			}
			r.env.ExecuteWorkflow(Trajectory, &in)
			// The closure lands in the same instant, after the query.
			if ph.phase != trajectory.PhaseClosed && reached != ph.phase {
				t.Fatalf("reached phase %q, want %q", reached, ph.phase)
			}
			for name := range ph.refused {
				if refusals[name] == nil {
					t.Errorf("%s: accepted in phase %s, want refused", name, ph.phase)
				} else if ph.phase == trajectory.PhaseClosed && name != "acknowledge" && !strings.Contains(refusals[name].Error(), "this trajectory is closed") {
					t.Errorf("%s: refused for %q, want because the trajectory is closed", name, refusals[name])
				}
			}
		})
	}
}
