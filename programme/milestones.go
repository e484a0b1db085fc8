package programme

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Milestone is a step of its own a programme declares besides intake and
// home visits (Gent: a training started, a training passed, an
// internship, a job, follow-up after the job starts). It falls due
// Deadline after the referral, or after an earlier milestone is reached.
type Milestone struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
	// After is MilestoneAfterReferral or the id of another milestone: the
	// deadline counts from the referral, or from when that one was reached.
	After    string   `yaml:"after" json:"after"`
	Deadline Duration `yaml:"deadline" json:"deadline"`
	// ReminderLead overrides the programme's reminder_lead for this milestone.
	ReminderLead Duration `yaml:"reminder_lead,omitempty" json:"reminder_lead,omitempty"`
}

// MilestoneAfterReferral anchors a milestone's deadline on the referral.
const MilestoneAfterReferral = "referral"

// CoWorker is someone who works on a family's trajectory beside the coach:
// a bridge figure, an expert by experience, a children's-rights expert.
type CoWorker struct {
	ID    string `yaml:"id" json:"id"`
	Name  string `yaml:"name" json:"name"`
	Email string `yaml:"email" json:"email"`
	Role  string `yaml:"role" json:"role"`
}

// CoWorkerRoles are the roles a co-worker may have.
var CoWorkerRoles = []string{"brugfiguur", "ervaringsdeskundige", "kinderrechtenexpert"}

// CoWorker finds a co-worker of the programme by id.
func (p Programme) CoWorker(id string) (CoWorker, bool) {
	for _, c := range p.CoWorkers {
		if c.ID == id {
			return c, true
		}
	}
	return CoWorker{}, false
}

// milestoneID is a milestone's id: it appears in step keys and routes.
var milestoneID = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)

// reservedStepNames cannot be milestone ids: they name the steps every
// trajectory has, and a milestone named so would be confused with them.
var reservedStepNames = []string{"referral", "assignment", "intake", "home_visit", "birth", "follow_up_end", "handover_ack"}

// MilestoneProblems checks a milestone graph: ids unique and well formed,
// each anchored on the referral or on another milestone of the list, a
// deadline, and no cycle. Each problem names its field
// ("milestones[2].after"). The programme loader and the workflow's
// validator of new timings both call it.
func MilestoneProblems(ms []Milestone, reminderLead Duration) []FieldError {
	var ps []FieldError
	bad := func(i int, field, format string, args ...any) {
		ps = append(ps, FieldError{Field: fmt.Sprintf("milestones[%d].%s", i, field), Problem: fmt.Sprintf(format, args...)})
	}
	index := map[string]int{}
	for i, m := range ms {
		switch {
		case !milestoneID.MatchString(m.ID):
			bad(i, "id", "%q must be 2-63 lowercase letters, digits or underscores, starting with a letter", m.ID)
		case slices.Contains(reservedStepNames, m.ID):
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
	// A cycle never reaches the referral: follow each chain of
	// predecessors; one that comes back to where it started is a cycle,
	// reported once, at its first milestone in the file.
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
					bad(i, "after", "makes a cycle (%s): every chain of milestones must start at the referral", strings.Join(chain, " -> "))
				}
				break
			}
			at = ms[j].After
		}
	}
	return ps
}

func validateRoles(p Programme, bad func(field, format string, args ...any)) {
	seen := map[string]bool{}
	for i, c := range p.CoWorkers {
		field := func(f string) string { return fmt.Sprintf("co_workers[%d].%s", i, f) }
		if !slug.MatchString(c.ID) {
			bad(field("id"), "%q must be 2-63 lowercase letters, digits or dashes", c.ID)
		}
		if _, isCoach := p.Coach(c.ID); isCoach || seen[c.ID] {
			bad(field("id"), "%q is listed twice (as a coach or a co-worker)", c.ID)
		}
		seen[c.ID] = true
		if strings.TrimSpace(c.Name) == "" {
			bad(field("name"), "is required")
		}
		if !strings.Contains(c.Email, "@") {
			bad(field("email"), "%q is not an email address", c.Email)
		}
		if !slices.Contains(CoWorkerRoles, c.Role) {
			bad(field("role"), "%q must be one of %s", c.Role, strings.Join(CoWorkerRoles, ", "))
		}
	}
	validateRoleSteps(p, bad)
	for i, r := range p.CopyRemindersTo {
		if !slices.Contains(CoWorkerRoles, r) {
			bad(fmt.Sprintf("copy_reminders_to[%d]", i), "%q must be one of %s", r, strings.Join(CoWorkerRoles, ", "))
		}
	}
}
