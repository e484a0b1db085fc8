package trajectory

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// milestoneID is a milestone's id: it appears in step keys and routes.
var milestoneID = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)

// reservedMilestoneID says whether id names a kind of step or the
// referral a milestone is anchored on: a milestone named so would be
// confused with them.
func reservedMilestoneID(id string) bool {
	return id == MilestoneAfterReferral || slices.Contains(StepKinds, StepKind(id))
}

// MilestoneGraphProblems checks a milestone graph: ids unique and well
// formed, each anchored on the referral or on another milestone of the
// list, a deadline, and no cycle. Each problem names its field
// ("milestones[2].after"). The programme loader and the workflow's
// validator of new timings both call it.
func MilestoneGraphProblems(ms []MilestoneTiming, reminderLead Duration) []Problem {
	var ps []Problem
	bad := func(i int, field, format string, args ...any) {
		ps = append(ps, Problem{Field: fmt.Sprintf("milestones[%d].%s", i, field), Message: fmt.Sprintf(format, args...)})
	}
	index := map[string]int{}
	for i, m := range ms {
		switch {
		case !milestoneID.MatchString(m.ID):
			bad(i, "id", "%q must be 2-63 lowercase letters, digits or underscores, starting with a letter", m.ID)
		case reservedMilestoneID(m.ID):
			bad(i, "id", "%q names a step every trajectory has; choose another id", m.ID)
		}
		if j, dup := index[m.ID]; dup {
			bad(i, "id", "%q is already the id of milestones[%d]", m.ID, j)
		} else {
			index[m.ID] = i
		}
		if m.Deadline <= 0 {
			bad(i, "deadline", "is required and must be longer than zero")
		}
		lead := m.ReminderLead
		if lead == 0 {
			lead = reminderLead
		}
		if m.ReminderLead < 0 || (m.Deadline > 0 && lead >= m.Deadline) {
			bad(i, "reminder_lead", "must be shorter than the deadline (%s), or the reminder comes before the milestone is open", m.Deadline.Std())
		}
	}
	for i, m := range ms {
		switch _, known := index[m.After]; {
		case m.After == MilestoneAfterReferral:
		case m.After == "":
			bad(i, "after", "is required: %q or the id of an earlier milestone", MilestoneAfterReferral)
		case m.After == m.ID:
			bad(i, "after", "names the milestone itself")
		case !known:
			bad(i, "after", "names %q, which is not a milestone of this programme (its predecessor is missing)", m.After)
		}
	}
	for _, i := range milestoneCycles(ms, index) {
		bad(i.at, "after", "makes a cycle (%s): every chain of milestones must start at the referral", strings.Join(i.chain, " -> "))
	}
	return ps
}

type milestoneCycle struct {
	at    int
	chain []string
}

// milestoneCycles finds the cycles, which never reach the referral: it
// follows each chain of predecessors; one that comes back to where it
// started is a cycle, reported once, at its first milestone in the list.
func milestoneCycles(ms []MilestoneTiming, index map[string]int) []milestoneCycle {
	var cycles []milestoneCycle
	for i, m := range ms {
		chain := []string{m.ID}
		at := m.After
		for steps := 0; steps < len(ms); steps++ {
			j, ok := index[at]
			if !ok || at == m.ID && steps == 0 {
				break
			}
			chain = append(chain, at)
			if at == m.ID {
				if first := slices.MinFunc(chain, func(a, b string) int { return index[a] - index[b] }); index[first] == i {
					cycles = append(cycles, milestoneCycle{at: i, chain: chain})
				}
				break
			}
			at = ms[j].After
		}
	}
	return cycles
}
