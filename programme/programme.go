// Package programme holds the configuration of a family-support programme:
// who may refer, how fast each step is due, who is reminded and who is
// alerted. Every programme of DOMAIN.md is one file; the workflow code is the
// same for all of them.
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

	"gopkg.in/yaml.v3"
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

// Validate checks a programme read from file; all problems are returned, each naming its field.
func (p Programme) Validate(file string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{File: file, Field: field, Problem: fmt.Sprintf(format, args...)})
	}
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
		if seen["r"+o.ID] {
			bad(fmt.Sprintf("referrers[%d].id", i), "%q is listed twice", o.ID)
		}
		seen["r"+o.ID] = true
		if strings.TrimSpace(o.Name) == "" {
			bad(fmt.Sprintf("referrers[%d].name", i), "is required")
		}
	}
	for field, d := range map[string]Duration{
		"assignment_limit": p.AssignmentLimit, "intake_deadline": p.IntakeDeadline,
		"home_visit_cadence": p.HomeVisitCadence, "reminder_lead": p.ReminderLead, "alert_grace": p.AlertGrace,
	} {
		if d <= 0 {
			bad(field, "is required and must be longer than zero")
		}
	}
	if p.ReminderLead > 0 && p.IntakeDeadline > 0 && p.ReminderLead >= p.IntakeDeadline {
		bad("reminder_lead", "must be shorter than intake_deadline (%s), or the reminder would come before the referral", p.IntakeDeadline.Std())
	}
	if p.ReminderLead > 0 && p.HomeVisitCadence > 0 && p.ReminderLead >= p.HomeVisitCadence {
		bad("reminder_lead", "must be shorter than home_visit_cadence (%s)", p.HomeVisitCadence.Std())
	}
	if _, err := mail.ParseAddress(p.SupervisorEmail); err != nil {
		bad("supervisor_email", "%q is not an email address", p.SupervisorEmail)
	}
	if len(p.Coaches) == 0 {
		bad("coaches", "at least one coach is required")
	}
	for i, c := range p.Coaches {
		if !slug.MatchString(c.ID) {
			bad(fmt.Sprintf("coaches[%d].id", i), "%q must be 2-63 lowercase letters, digits or dashes", c.ID)
		}
		if seen["c"+c.ID] {
			bad(fmt.Sprintf("coaches[%d].id", i), "%q is listed twice", c.ID)
		}
		seen["c"+c.ID] = true
		if strings.TrimSpace(c.Name) == "" {
			bad(fmt.Sprintf("coaches[%d].name", i), "is required")
		}
		if _, err := mail.ParseAddress(c.Email); err != nil {
			bad(fmt.Sprintf("coaches[%d].email", i), "%q is not an email address", c.Email)
		}
	}
	return errors.Join(errs...)
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
		return Programme{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := p.Validate(path); err != nil {
		return Programme{}, err
	}
	return p, nil
}
