package trajectory

import (
	"strings"
	"testing"
	"time"
)

// TestMilestoneIDsAreNotStepNames: a milestone may not be named like a
// kind of step or like the referral it is anchored on; the list is
// StepKinds, so a new kind of step is reserved at once.
func TestMilestoneIDsAreNotStepNames(t *testing.T) {
	week := Duration(7 * 24 * time.Hour)
	reserved := []string{MilestoneAfterReferral}
	for _, k := range StepKinds {
		reserved = append(reserved, string(k))
	}
	for _, id := range reserved {
		ps := MilestoneGraphProblems([]MilestoneTiming{{ID: id, After: MilestoneAfterReferral, Deadline: week}}, Duration(time.Hour))
		if len(ps) != 1 || ps[0].Field != "milestones[0].id" || !strings.Contains(ps[0].Message, "names a step") {
			t.Errorf("milestone %q: %+v, want it refused as a step's name", id, ps)
		}
	}
	ok := []MilestoneTiming{{ID: "opleiding_gestart", After: MilestoneAfterReferral, Deadline: week}, {ID: "stage", After: "opleiding_gestart", Deadline: week}}
	if ps := MilestoneGraphProblems(ok, Duration(time.Hour)); len(ps) != 0 {
		t.Errorf("a chain from the referral: %+v", ps)
	}
	cycle := []MilestoneTiming{{ID: "een", After: "twee", Deadline: week}, {ID: "twee", After: "een", Deadline: week}}
	ps := MilestoneGraphProblems(cycle, Duration(time.Hour))
	if len(ps) != 1 || ps[0].Field != "milestones[0].after" || !strings.Contains(ps[0].Message, "een -> twee -> een") {
		t.Errorf("a cycle: %+v, want one problem at its first milestone", ps)
	}
	timings := Timings{ReminderLead: Duration(time.Hour), Milestones: cycle}
	if ps := timings.MilestoneProblems(); len(ps) != 1 || ps[0].Field != "timings.milestones[0].after" || ps[0].Code != CodeTimingsMilestonesInvalid {
		t.Errorf("new timings with a cycle: %+v", ps)
	}
}
