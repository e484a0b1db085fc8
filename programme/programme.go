// Package programme holds the configuration of a family-support programme:
// who may refer, how fast each step is due, who is reminded and who is
// alerted. Every programme of DOMAIN.md is one file; the workflow code is the
// same for all of them. A file is written in package trajectory's
// vocabulary and converted into the rules a trajectory keeps (Timings).
package programme

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Programme is one programme file. The workflow receives a copy at referral,
// so a running trajectory keeps the rules it started with.
type Programme struct {
	ID        string         `yaml:"id" json:"id"`
	Name      string         `yaml:"name" json:"name"`
	Referrers []Organisation `yaml:"referrers" json:"referrers"`
	// AssignmentLimit: the supervisor is alerted when no coach is assigned
	// this long after the referral.
	AssignmentLimit Duration `yaml:"assignment_limit" json:"assignment_limit"`
	// IntakeDeadline: the intake (first home visit) is due this long after the referral.
	IntakeDeadline Duration `yaml:"intake_deadline" json:"intake_deadline"`
	// HomeVisitCadence: the next visit's default due time after a visit, when
	// the coach and the family plan none themselves.
	HomeVisitCadence Duration `yaml:"home_visit_cadence" json:"home_visit_cadence"`
	// ReminderLead: the coach is reminded this long before a step is due.
	ReminderLead Duration `yaml:"reminder_lead" json:"reminder_lead"`
	// AlertGrace: the supervisor is alerted this long after a step was due.
	AlertGrace      Duration `yaml:"alert_grace" json:"alert_grace"`
	SupervisorEmail string   `yaml:"supervisor_email" json:"supervisor_email"`
	Coaches         []Coach  `yaml:"coaches" json:"coaches"`
	// Handover rules apply to every handover to a regular service.
	Handover HandoverRules `yaml:"handover" json:"handover"`
	// Perinatal is set for programmes that follow a pregnancy through the
	// birth until the child reaches an age.
	Perinatal *Perinatal `yaml:"perinatal,omitempty" json:"perinatal,omitempty"`
	// Milestones are the programme's own steps besides intake and visits.
	Milestones []Milestone `yaml:"milestones,omitempty" json:"milestones,omitempty"`
	// CoWorkers work on trajectories beside the coach, once a supervisor
	// assigns them; CopyRemindersTo names the roles that get a copy of
	// every reminder sent to the coach.
	CoWorkers       []CoWorker `yaml:"co_workers,omitempty" json:"co_workers,omitempty"`
	CopyRemindersTo []string   `yaml:"copy_reminders_to,omitempty" json:"copy_reminders_to,omitempty"`
	// CoWorkerRoles say, per role, its name and the steps a co-worker of
	// the role may take (see RoleSteps); a role not listed takes DefaultCoWorkerSteps.
	CoWorkerRoles []CoWorkerRole `yaml:"co_worker_roles,omitempty" json:"co_worker_roles,omitempty"`
	// RetentionAfterClosure is how long a closed trajectory's personal data
	// is kept before the retention schedule erases it (package retention);
	// zero keeps it until someone erases it.
	RetentionAfterClosure Duration `yaml:"retention_after_closure,omitempty" json:"retention_after_closure,omitempty"`
	// EmailDeliveryLimit is how long an email of a trajectory is retried
	// (a mail server that is down, an address that answers "try later")
	// before it is recorded as not delivered and the supervisor is told;
	// zero means 24 hours.
	EmailDeliveryLimit Duration `yaml:"email_delivery_limit,omitempty" json:"email_delivery_limit,omitempty"`
	// SMSReminderLead is how long before a planned home visit a family
	// that agreed to SMS gets its reminder; zero means a day.
	SMSReminderLead Duration `yaml:"sms_reminder_lead,omitempty" json:"sms_reminder_lead,omitempty"`
	// ManagerEmail and ManagerEscalationAfter are an optional second
	// escalation level: a step the supervisor was alerted about and that is
	// still not done this long after that alert is escalated once to the
	// manager. Both are set, or neither.
	ManagerEmail           string   `yaml:"manager_email,omitempty" json:"manager_email,omitempty"`
	ManagerEscalationAfter Duration `yaml:"manager_escalation_after,omitempty" json:"manager_escalation_after,omitempty"`
	// LifeDomains are the domains the goals of a family plan are in; none
	// means DefaultLifeDomains (see Domains).
	LifeDomains []trajectory.NamedDomain `yaml:"life_domains,omitempty" json:"life_domains,omitempty"`
	// PlanReviewCadence: each open goal of the family plan is reviewed
	// with the family at a visit at least this often; zero means the
	// home_visit_cadence.
	PlanReviewCadence Duration `yaml:"plan_review_cadence,omitempty" json:"plan_review_cadence,omitempty"`
	// MaterialNeedsDeadline is the default deadline of an action of the
	// material_needs domain agreed without a date of its own, counted
	// from the day the plan is agreed: material needs first, so the family
	// feels a result at once. Zero: such actions have no deadline.
	MaterialNeedsDeadline Duration `yaml:"material_needs_deadline,omitempty" json:"material_needs_deadline,omitempty"`
	// FamilyPage is what a family's own page says of the team, and how
	// long a family's link works.
	FamilyPage FamilyPage `yaml:"family_page,omitempty" json:"family_page,omitempty"`
}

// FamilyPage is the programme's part of the family's own page.
type FamilyPage struct {
	// TeamPhone and TeamEmail are how a family reaches its coach's team.
	TeamPhone string `yaml:"team_phone,omitempty" json:"team_phone,omitempty"`
	TeamEmail string `yaml:"team_email,omitempty" json:"team_email,omitempty"`
	// LinkValidFor is how long a family's link works; zero means
	// DefaultFamilyLinkValidFor.
	LinkValidFor Duration `yaml:"link_valid_for,omitempty" json:"link_valid_for,omitempty"`
}

// DefaultFamilyLinkValidFor is how long a family's link works when the
// programme file does not say.
const DefaultFamilyLinkValidFor = 90 * 24 * time.Hour

// ValidFor is how long a family's link of the programme works.
func (f FamilyPage) ValidFor() time.Duration {
	if f.LinkValidFor > 0 {
		return f.LinkValidFor.Std()
	}
	return DefaultFamilyLinkValidFor
}

// HandoverRules say how long a service has to acknowledge a handover.
type HandoverRules struct {
	// AcknowledgementLimit: the service is reminded when it has not
	// acknowledged the handover this long after it was sent; the supervisor is
	// alerted the programme's alert_grace later.
	AcknowledgementLimit Duration `yaml:"acknowledgement_limit" json:"acknowledgement_limit"`
	// LinkValidFor: how long the acknowledgement link in the email works.
	LinkValidFor Duration `yaml:"link_valid_for" json:"link_valid_for"`
}

// Perinatal is the schedule of a programme that starts before the birth.
type Perinatal struct {
	// PrenatalVisitCadence: default time between home visits before the birth.
	PrenatalVisitCadence Duration `yaml:"prenatal_visit_cadence" json:"prenatal_visit_cadence"`
	// BirthRecordMargin: the coach is reminded to record the birth when the
	// expected due date plus this margin passes without one.
	BirthRecordMargin Duration `yaml:"birth_record_margin" json:"birth_record_margin"`
	// PostnatalVisits: home visits after the birth, counted from the birth
	// (for example 1w, 2w, 4w, 6w) ...
	PostnatalVisits []Duration `yaml:"postnatal_visits" json:"postnatal_visits"`
	// ... and after the last of them, every PostnatalCadence.
	PostnatalCadence Duration `yaml:"postnatal_cadence" json:"postnatal_cadence"`
	// FollowUpMonths: follow-up ends when the child is this many months old.
	FollowUpMonths int `yaml:"follow_up_months" json:"follow_up_months"`
	// ClosingHandoverLead: the coach is reminded this long before the end
	// of follow-up to prepare the closing handover.
	ClosingHandoverLead Duration `yaml:"closing_handover_lead" json:"closing_handover_lead"`
}

// Organisation is a partner that may refer families to the programme.
type Organisation struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
}

// Coach is a family coach of the programme's team.
type Coach struct {
	ID    string `yaml:"id" json:"id"`
	Name  string `yaml:"name" json:"name"`
	Email string `yaml:"email" json:"email"`
}

// AllowsReferrer says whether the organisation may refer to this programme.
func (p Programme) AllowsReferrer(orgID string) bool {
	for _, o := range p.Referrers {
		if o.ID == orgID {
			return true
		}
	}
	return false
}

// Coach finds a coach of the programme by id.
func (p Programme) Coach(id string) (Coach, bool) {
	for _, c := range p.Coaches {
		if c.ID == id {
			return c, true
		}
	}
	return Coach{}, false
}

var slug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// FieldError names the file and field a programme is wrong in.
type FieldError struct {
	File, Field, Problem string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: field %s: %s", e.File, e.Field, e.Problem)
}

// badField reports one problem of a programme file's field.
type badField func(field, format string, args ...any)

// Validate checks a programme read from file; all problems are returned, each naming its field.
func (p Programme) Validate(file string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{File: file, Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	p.validateIdentity(bad)
	p.validateTimings(bad)
	p.validatePerinatal(bad)
	p.validateAddresses(bad)
	p.validateCoaches(bad)
	p.validatePlanRules(bad)
	validateRoles(p, bad)
	return errors.Join(errs...)
}

// validateIdentity checks the programme's id, name and referrers.
func (p Programme) validateIdentity(bad badField) {
	if !slug.MatchString(p.ID) {
		bad("id", "%q must be 2-63 lowercase letters, digits or dashes", p.ID)
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", "is required")
	}
	if len(p.Referrers) == 0 {
		bad("referrers", "at least one organisation must be allowed to refer")
	}
	seen := map[string]bool{}
	for i, o := range p.Referrers {
		if !slug.MatchString(o.ID) {
			bad(fmt.Sprintf("referrers[%d].id", i), "%q must be 2-63 lowercase letters, digits or dashes", o.ID)
		}
		if seen[o.ID] {
			bad(fmt.Sprintf("referrers[%d].id", i), "%q is listed twice", o.ID)
		}
		seen[o.ID] = true
		if strings.TrimSpace(o.Name) == "" {
			bad(fmt.Sprintf("referrers[%d].name", i), "is required")
		}
	}
}

// validateTimings checks the durations every trajectory runs by, and how
// they must relate for the steps to come in order.
func (p Programme) validateTimings(bad badField) {
	for field, d := range map[string]Duration{
		"assignment_limit": p.AssignmentLimit, "intake_deadline": p.IntakeDeadline,
		"home_visit_cadence": p.HomeVisitCadence, "reminder_lead": p.ReminderLead, "alert_grace": p.AlertGrace,
	} {
		if d <= 0 {
			bad(field, "is required and must be longer than zero")
		}
	}
	if p.AssignmentLimit > 0 && p.IntakeDeadline > 0 && p.AssignmentLimit >= p.IntakeDeadline {
		bad("assignment_limit", "must be shorter than intake_deadline (%s): the intake is due after a coach is assigned", p.IntakeDeadline.Std())
	}
	if p.ReminderLead > 0 && p.IntakeDeadline > 0 && p.ReminderLead >= p.IntakeDeadline {
		bad("reminder_lead", "must be shorter than intake_deadline (%s), or the reminder would come before the referral", p.IntakeDeadline.Std())
	}
	if p.ReminderLead > 0 && p.HomeVisitCadence > 0 && p.ReminderLead >= p.HomeVisitCadence {
		bad("reminder_lead", "must be shorter than home_visit_cadence (%s)", p.HomeVisitCadence.Std())
	}
	if p.RetentionAfterClosure < 0 {
		bad("retention_after_closure", "must not be negative")
	}
	if p.EmailDeliveryLimit < 0 {
		bad("email_delivery_limit", "must not be negative")
	}
	if p.Handover.AcknowledgementLimit <= 0 {
		bad("handover.acknowledgement_limit", "is required and must be longer than zero")
	}
	if p.Handover.LinkValidFor <= p.Handover.AcknowledgementLimit+p.AlertGrace {
		bad("handover.link_valid_for", "must be longer than acknowledgement_limit plus alert_grace, or the link dies before the reminder is answered")
	}
}

// validatePerinatal checks the schedule around the birth, if the programme has one.
func (p Programme) validatePerinatal(bad badField) {
	pn := p.Perinatal
	if pn == nil {
		return
	}
	for field, d := range map[string]Duration{
		"perinatal.prenatal_visit_cadence": pn.PrenatalVisitCadence, "perinatal.birth_record_margin": pn.BirthRecordMargin,
		"perinatal.postnatal_cadence": pn.PostnatalCadence, "perinatal.closing_handover_lead": pn.ClosingHandoverLead,
	} {
		if d <= 0 {
			bad(field, "is required and must be longer than zero")
		}
	}
	if pn.PrenatalVisitCadence > 0 && p.ReminderLead >= pn.PrenatalVisitCadence {
		bad("perinatal.prenatal_visit_cadence", "must be longer than reminder_lead (%s)", p.ReminderLead.Std())
	}
	if pn.PostnatalCadence > 0 && p.ReminderLead >= pn.PostnatalCadence {
		bad("perinatal.postnatal_cadence", "must be longer than reminder_lead (%s)", p.ReminderLead.Std())
	}
	for i, d := range pn.PostnatalVisits {
		if d <= 0 || (i > 0 && d <= pn.PostnatalVisits[i-1]) {
			bad(fmt.Sprintf("perinatal.postnatal_visits[%d]", i), "must be longer than zero and than the visit before it")
		}
	}
	if pn.FollowUpMonths < 1 || pn.FollowUpMonths > 72 {
		bad("perinatal.follow_up_months", "must be between 1 and 72 months")
	}
}

// validateAddresses checks whom emails go to beside the coaches, and how a
// family reaches its team.
func (p Programme) validateAddresses(bad badField) {
	if _, err := mail.ParseAddress(p.SupervisorEmail); err != nil {
		bad("supervisor_email", "%q is not an email address", p.SupervisorEmail)
	}
	switch {
	case p.ManagerEmail == "" && p.ManagerEscalationAfter == 0:
	case p.ManagerEmail == "":
		bad("manager_email", "is required with manager_escalation_after: say to whom the step is escalated")
	case p.ManagerEscalationAfter <= 0:
		bad("manager_escalation_after", "is required with manager_email and must be longer than zero")
	}
	if p.ManagerEmail != "" {
		if _, err := mail.ParseAddress(p.ManagerEmail); err != nil {
			bad("manager_email", "%q is not an email address", p.ManagerEmail)
		}
	}
	if e := p.FamilyPage.TeamEmail; e != "" {
		if _, err := mail.ParseAddress(e); err != nil {
			bad("family_page.team_email", "%q is not an email address", e)
		}
	}
	if len(p.FamilyPage.TeamPhone) > 40 {
		bad("family_page.team_phone", "is longer than 40 characters: give one phone number")
	}
	if p.FamilyPage.LinkValidFor < 0 {
		bad("family_page.link_valid_for", "must be longer than zero, or left out for %s", DefaultFamilyLinkValidFor)
	}
}

// validateCoaches checks the team's coaches.
func (p Programme) validateCoaches(bad badField) {
	if len(p.Coaches) == 0 {
		bad("coaches", "at least one coach is required")
	}
	seen := map[string]bool{}
	for i, c := range p.Coaches {
		if !slug.MatchString(c.ID) {
			bad(fmt.Sprintf("coaches[%d].id", i), "%q must be 2-63 lowercase letters, digits or dashes", c.ID)
		}
		if seen[c.ID] {
			bad(fmt.Sprintf("coaches[%d].id", i), "%q is listed twice", c.ID)
		}
		seen[c.ID] = true
		if strings.TrimSpace(c.Name) == "" {
			bad(fmt.Sprintf("coaches[%d].name", i), "is required")
		}
		if _, err := mail.ParseAddress(c.Email); err != nil {
			bad(fmt.Sprintf("coaches[%d].email", i), "%q is not an email address", c.Email)
		}
	}
}

// validatePlanRules checks the milestones (by the rule the trajectory
// checks new timings by) and the rules of the family plan.
func (p Programme) validatePlanRules(bad badField) {
	for _, pr := range trajectory.MilestoneGraphProblems(p.milestoneTimings(), trajectory.Duration(p.ReminderLead)) {
		bad(pr.Field, "%s", pr.Message)
	}
	for _, fe := range LifeDomainProblems(p.LifeDomains) {
		bad(fe.Field, "%s", fe.Problem)
	}
	if p.PlanReviewCadence < 0 {
		bad("plan_review_cadence", "must not be negative")
	}
	if p.MaterialNeedsDeadline < 0 {
		bad("material_needs_deadline", "must not be negative")
	}
}

// Catalogue is every programme the deployment runs, by id.
type Catalogue map[string]Programme

// Get finds a programme by id.
func (c Catalogue) Get(id string) (Programme, bool) {
	p, ok := c[id]
	return p, ok
}

// IDs lists the programme ids in order.
func (c Catalogue) IDs() []string {
	ids := make([]string, 0, len(c))
	for id := range c {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// FollowUpAges are the follow-up ages, in months, of the programmes with
// a perinatal follow-up, by id: the age at which reports count a child
// followed.
func (c Catalogue) FollowUpAges() map[string]int {
	ages := map[string]int{}
	for id, p := range c {
		if p.Perinatal != nil {
			ages[id] = p.Perinatal.FollowUpMonths
		}
	}
	return ages
}

// Timings are the timings a trajectory referred now runs by.
func (p Programme) Timings() trajectory.Timings { return p.rules().Timings() }

// rules converts the programme file into the rules a trajectory keeps.
func (p Programme) rules() trajectory.ProgrammeRules {
	r := trajectory.ProgrammeRules{
		ID: p.ID, Name: p.Name,
		AssignmentLimit:        trajectory.Duration(p.AssignmentLimit),
		IntakeDeadline:         trajectory.Duration(p.IntakeDeadline),
		HomeVisitCadence:       trajectory.Duration(p.HomeVisitCadence),
		ReminderLead:           trajectory.Duration(p.ReminderLead),
		AlertGrace:             trajectory.Duration(p.AlertGrace),
		Milestones:             p.milestoneTimings(),
		CopyRemindersTo:        p.CopyRemindersTo,
		EmailDeliveryLimit:     trajectory.Duration(p.EmailDeliveryLimit),
		SMSReminderLead:        trajectory.Duration(p.SMSReminderLead),
		ManagerEmail:           p.ManagerEmail,
		ManagerEscalationAfter: trajectory.Duration(p.ManagerEscalationAfter),
		LifeDomains:            p.LifeDomains,
		PlanReviewCadence:      trajectory.Duration(p.PlanReviewCadence),
		MaterialNeedsDeadline:  trajectory.Duration(p.MaterialNeedsDeadline),
	}
	r.Handover.AcknowledgementLimit = trajectory.Duration(p.Handover.AcknowledgementLimit)
	r.Handover.LinkValidFor = trajectory.Duration(p.Handover.LinkValidFor)
	if pn := p.Perinatal; pn != nil {
		r.Perinatal = &trajectory.PerinatalTimings{
			PrenatalVisitCadence: trajectory.Duration(pn.PrenatalVisitCadence),
			BirthRecordMargin:    trajectory.Duration(pn.BirthRecordMargin),
			PostnatalCadence:     trajectory.Duration(pn.PostnatalCadence),
			FollowUpMonths:       pn.FollowUpMonths,
			ClosingHandoverLead:  trajectory.Duration(pn.ClosingHandoverLead),
		}
		for _, d := range pn.PostnatalVisits {
			r.Perinatal.PostnatalVisits = append(r.Perinatal.PostnatalVisits, trajectory.Duration(d))
		}
	}
	return r
}

// LoadDir reads and validates every *.yaml file in dir. Unknown fields are
// errors: a typo in a deadline must not silently fall back to nothing.
func LoadDir(dir string) (Catalogue, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list programme files in %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no programme files (*.yaml) in %s", dir)
	}
	cat := Catalogue{}
	var errs []error
	for _, f := range files {
		p, err := LoadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := cat[p.ID]; dup {
			errs = append(errs, &FieldError{File: f, Field: "id", Problem: fmt.Sprintf("%q is used by another programme file", p.ID)})
			continue
		}
		cat[p.ID] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cat, nil
}

// fieldAtLine names the YAML key whose value stands at line, as a dotted
// path ("perinatal.birth_record_margin"), or "" when none does.
func fieldAtLine(path string, line int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var root yaml.Node
	if yaml.Unmarshal(b, &root) != nil {
		return ""
	}
	var find func(n *yaml.Node, prefix string) string
	find = func(n *yaml.Node, prefix string) string {
		for _, c := range n.Content {
			if n.Kind != yaml.MappingNode {
				if f := find(c, prefix); f != "" {
					return f
				}
			}
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, val := n.Content[i], n.Content[i+1]
				if val.Line == line && val.Kind == yaml.ScalarNode {
					return prefix + key.Value
				}
				if f := find(val, prefix+key.Value+"."); f != "" {
					return f
				}
			}
		}
		return ""
	}
	return find(&root, "")
}

// LoadFile reads and validates one programme file.
func LoadFile(path string) (Programme, error) {
	f, err := os.Open(path)
	if err != nil {
		return Programme{}, fmt.Errorf("open programme file: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var p Programme
	if err := dec.Decode(&p); err != nil {
		var de *durationError
		if errors.As(err, &de) {
			if field := fieldAtLine(path, de.line); field != "" {
				return Programme{}, &FieldError{File: path, Field: field, Problem: de.err.Error()}
			}
		}
		return Programme{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := p.Validate(path); err != nil {
		return Programme{}, err
	}
	return p, nil
}
