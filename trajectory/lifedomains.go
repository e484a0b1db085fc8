package trajectory

// LifeDomain is the id of a domain of a family's life that a goal of its
// plan is in. Programmes work "across the life domains": a default list
// every programme has unless its file names its own (life_domains), which
// may rename, add or drop domains. Ids appear in events and reports.
type LifeDomain string

// The default life domains.
const (
	DomainIncomeDebts          LifeDomain = "income_debts"
	DomainHousing              LifeDomain = "housing"
	DomainHealth               LifeDomain = "health"
	DomainParenting            LifeDomain = "parenting"
	DomainChildcareSchool      LifeDomain = "childcare_school"
	DomainWorkTraining         LifeDomain = "work_training"
	DomainSocialNetwork        LifeDomain = "social_network"
	DomainAdministrationRights LifeDomain = "administration_rights"
	DomainMaterialNeeds        LifeDomain = "material_needs"
)

// NamedDomain is a life domain with the name the coach and the family read.
type NamedDomain struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
}

// DefaultLifeDomains are the domains of a programme whose file names none.
var DefaultLifeDomains = []NamedDomain{
	{string(DomainIncomeDebts), "Inkomen en schulden"},
	{string(DomainHousing), "Wonen"},
	{string(DomainHealth), "Gezondheid"},
	{string(DomainParenting), "Opvoeding en ontwikkeling van de kinderen"},
	{string(DomainChildcareSchool), "Kinderopvang en school"},
	{string(DomainWorkTraining), "Werk en opleiding"},
	{string(DomainSocialNetwork), "Sociaal netwerk"},
	{string(DomainAdministrationRights), "Administratie en rechten"},
	{string(DomainMaterialNeeds), "Materiële noden"},
}
