package programme

import (
	"fmt"
	"slices"
	"strings"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Milestone is a step of its own a programme declares besides intake and
// home visits (Gent: a training started, a training passed, an
// internship, a job, follow-up after the job starts). It falls due
// Deadline after the referral, or after an earlier milestone is reached.
type Milestone struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
	// After is trajectory.MilestoneAfterReferral or the id of another
	// milestone: the deadline counts from the referral, or from when that
	// one was reached.
	After    string   `yaml:"after" json:"after"`
	Deadline Duration `yaml:"deadline" json:"deadline"`
	// ReminderLead overrides the programme's reminder_lead for this milestone.
	ReminderLead Duration `yaml:"reminder_lead,omitempty" json:"reminder_lead,omitempty"`
}

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

// MilestoneName is the milestone's name in the programme file; "" when
// the programme has no such milestone or gives it no name.
func (p Programme) MilestoneName(id string) string {
	for _, m := range p.Milestones {
		if m.ID == id {
			return m.Name
		}
	}
	return ""
}

// milestoneTimings are the programme's milestones as a trajectory keeps them.
func (p Programme) milestoneTimings() []trajectory.MilestoneTiming {
	var ms []trajectory.MilestoneTiming
	for _, m := range p.Milestones {
		ms = append(ms, trajectory.MilestoneTiming{ID: m.ID, After: m.After, Deadline: trajectory.Duration(m.Deadline), ReminderLead: trajectory.Duration(m.ReminderLead)})
	}
	return ms
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
