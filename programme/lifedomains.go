package programme

import (
	"fmt"
	"regexp"
	"strings"
)

// LifeDomain is one domain of a family's life that a goal of its plan is
// in. Programmes work "across the life domains": a default list every
// programme has unless its file names its own (life_domains), which may
// rename, add or drop domains. Ids appear in events and reports; the name
// is what the coach and the family read.
type LifeDomain struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
}

// The ids of the default life domains.
const (
	DomainIncomeDebts          = "income_debts"
	DomainHousing              = "housing"
	DomainHealth               = "health"
	DomainParenting            = "parenting"
	DomainChildcareSchool      = "childcare_school"
	DomainWorkTraining         = "work_training"
	DomainSocialNetwork        = "social_network"
	DomainAdministrationRights = "administration_rights"
	DomainMaterialNeeds        = "material_needs"
)

// DefaultLifeDomains are the domains of a programme whose file names none.
var DefaultLifeDomains = []LifeDomain{
	{DomainIncomeDebts, "Inkomen en schulden"},
	{DomainHousing, "Wonen"},
	{DomainHealth, "Gezondheid"},
	{DomainParenting, "Opvoeding en ontwikkeling van de kinderen"},
	{DomainChildcareSchool, "Kinderopvang en school"},
	{DomainWorkTraining, "Werk en opleiding"},
	{DomainSocialNetwork, "Sociaal netwerk"},
	{DomainAdministrationRights, "Administratie en rechten"},
	{DomainMaterialNeeds, "Materiële noden"},
}

// Domains are the programme's life domains: its own, or the defaults.
func (p Programme) Domains() []LifeDomain {
	if len(p.LifeDomains) > 0 {
		return p.LifeDomains
	}
	return DefaultLifeDomains
}

// lifeDomainID is a life domain's id: it appears in events and reports.
var lifeDomainID = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)

// LifeDomainProblems checks a programme's life domains: ids well formed
// and unique, each with a name. Each problem names its field
// ("life_domains[2].name").
func LifeDomainProblems(ds []LifeDomain) []FieldError {
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
