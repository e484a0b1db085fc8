package programme

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Domains are the programme's life domains (life_domains): its own, or
// the defaults.
func (p Programme) Domains() []trajectory.NamedDomain {
	if len(p.LifeDomains) > 0 {
		return p.LifeDomains
	}
	return trajectory.DefaultLifeDomains
}

// lifeDomainID is a life domain's id: it appears in events and reports.
var lifeDomainID = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)

// LifeDomainProblems checks a programme's life domains: ids well formed
// and unique, each with a name. Each problem names its field
// ("life_domains[2].name").
func LifeDomainProblems(ds []trajectory.NamedDomain) []FieldError {
	var ps []FieldError
	seen := map[string]bool{}
	for i, d := range ds {
		field := fmt.Sprintf("life_domains[%d]", i)
		if !lifeDomainID.MatchString(d.ID) {
			ps = append(ps, FieldError{Field: field + ".id", Problem: fmt.Sprintf("%q must be 2-63 lowercase letters, digits or underscores, starting with a letter", d.ID)})
		} else if seen[d.ID] {
			ps = append(ps, FieldError{Field: field + ".id", Problem: fmt.Sprintf("%q is listed twice", d.ID)})
		}
		seen[d.ID] = true
		if strings.TrimSpace(d.Name) == "" {
			ps = append(ps, FieldError{Field: field + ".name", Problem: "is required: the name the coach and the family read"})
		}
	}
	return ps
}
