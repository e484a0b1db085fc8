package programme

import (
	"fmt"
	"slices"
	"strings"
)

// CoWorkerRole is what a programme file says of one co-worker role: its
// name as people read it ("Brugfiguur") and the steps a co-worker of the
// role may take on the trajectories they are assigned to.
type CoWorkerRole struct {
	Role  string   `yaml:"role" json:"role"`
	Name  string   `yaml:"name" json:"name"`
	Steps []string `yaml:"steps" json:"steps"`
}

// CoWorkerSteps are the steps (by their name in the step table,
// usecase.Steps) a programme may give a co-worker role: the steps a
// co-worker may take at all.
var CoWorkerSteps = []string{"bezoek", "bezoek-verplaatsen", "bezoek-gemist", "mijlpaal", "consultatie", "activiteit", "actie-gedaan"}

// DefaultCoWorkerSteps are the steps of a role the programme file does
// not describe: record a home visit (a contact) and a consultation.
var DefaultCoWorkerSteps = []string{"bezoek", "consultatie"}

// RoleSteps are the steps a co-worker of the role may take.
func (p Programme) RoleSteps(role string) []string {
	for _, r := range p.CoWorkerRoles {
		if r.Role == role {
			return r.Steps
		}
	}
	return DefaultCoWorkerSteps
}

// RoleName is the role's name as people read it: the programme file's,
// or the role with a capital.
func (p Programme) RoleName(role string) string {
	for _, r := range p.CoWorkerRoles {
		if r.Role == role && r.Name != "" {
			return r.Name
		}
	}
	if role == "" {
		return ""
	}
	return strings.ToUpper(role[:1]) + role[1:]
}

func validateRoleSteps(p Programme, bad func(field, format string, args ...any)) {
	seen := map[string]bool{}
	for i, r := range p.CoWorkerRoles {
		field := func(f string) string { return fmt.Sprintf("co_worker_roles[%d].%s", i, f) }
		if !slices.Contains(CoWorkerRoles, r.Role) {
			bad(field("role"), "%q must be one of %s", r.Role, strings.Join(CoWorkerRoles, ", "))
		}
		if seen[r.Role] {
			bad(field("role"), "%q is described twice", r.Role)
		}
		seen[r.Role] = true
		if strings.TrimSpace(r.Name) == "" {
			bad(field("name"), "is required: the role's name as people read it")
		}
		if len(r.Steps) == 0 {
			bad(field("steps"), "is required: at least one of %s", strings.Join(CoWorkerSteps, ", "))
		}
		for j, s := range r.Steps {
			if !slices.Contains(CoWorkerSteps, s) {
				bad(fmt.Sprintf("%s[%d]", field("steps"), j), "%q must be one of %s", s, strings.Join(CoWorkerSteps, ", "))
			}
		}
	}
}
