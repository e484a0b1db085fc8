package programme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// milestoneProgramme is validProgramme with a graph of milestones and
// co-workers; each case below breaks it in one place.
var milestoneProgramme = validProgramme + `co_workers:
  - id: brugfiguur-1
    name: Brugfiguur 1
    email: b1@demo.example
    role: brugfiguur
copy_reminders_to: [brugfiguur]
co_worker_roles:
  - role: brugfiguur
    name: Brugfiguur
    steps: [bezoek, mijlpaal]
milestones:
  - id: opleiding_gestart
    name: Opleiding gestart
    after: referral
    deadline: 12w
  - id: opleiding_behaald
    name: Opleiding behaald
    after: opleiding_gestart
    deadline: 40w
  - id: tewerkstelling
    name: Tewerkstelling
    after: opleiding_behaald
    deadline: 12w
`

// TestMilestoneGraphErrorsNameFileAndField: an invalid graph is refused by
// LoadFile, which `elkgezin check` runs, naming the file and the field.
func TestMilestoneGraphErrorsNameFileAndField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(path, []byte(milestoneProgramme), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err != nil {
		t.Fatalf("the valid graph is refused: %v", err)
	}
	cases := []struct {
		name, from, to, field, says string
	}{
		{"cycle", "after: referral", "after: tewerkstelling", "field milestones[0].after", "cycle (opleiding_gestart -> tewerkstelling -> opleiding_behaald -> opleiding_gestart)"},
		{"missing predecessor", "after: opleiding_behaald", "after: stage", "field milestones[2].after", "predecessor is missing"},
		{"duplicate id", "id: tewerkstelling", "id: opleiding_gestart", "field milestones[2].id", "already the id of milestones[0]"},
		{"itself", "after: opleiding_behaald", "after: tewerkstelling", "field milestones[2].after", "itself"},
		{"no anchor", "    after: referral\n", "", "field milestones[0].after", "is required"},
		{"reserved id", "id: opleiding_gestart", "id: intake", "field milestones[0].id", "every trajectory has"},
		{"no deadline", "deadline: 12w\n  - id: opleiding_behaald", "deadline: 0d\n  - id: opleiding_behaald", "field milestones[0].deadline", "longer than zero"},
		{"lead too long", "deadline: 40w", "deadline: 1d", "field milestones[1].reminder_lead", "shorter than the deadline"},
		{"unknown role", "role: brugfiguur", "role: buurvrouw", "field co_workers[0].role", "must be one of"},
		{"steps of an unknown role", "  - role: brugfiguur\n", "  - role: buurvrouw\n", "field co_worker_roles[0].role", "must be one of"},
		{"unknown step of a role", "steps: [bezoek, mijlpaal]", "steps: [bezoek, afsluiting]", "field co_worker_roles[0].steps[1]", `"afsluiting" must be one of`},
		{"a role without steps", "steps: [bezoek, mijlpaal]", "steps: []", "field co_worker_roles[0].steps", "is required"},
		{"a role without a name", "    name: Brugfiguur\n    steps", "    steps", "field co_worker_roles[0].name", "is required"},
		{"copies to unknown role", "copy_reminders_to: [brugfiguur]", "copy_reminders_to: [iedereen]", "field copy_reminders_to[0]", "must be one of"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := strings.Replace(milestoneProgramme, c.from, c.to, 1)
			if body == milestoneProgramme {
				t.Fatalf("case does not change the file")
			}
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFile(path)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), path+": "+c.field) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q does not name the file, %q and say %q", err, c.field, c.says)
			}
		})
	}
}

// TestRoleSteps: a role the file describes takes its steps and is named
// as the file names it; another takes the default steps.
func TestRoleSteps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(path, []byte(milestoneProgramme), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.RoleSteps("brugfiguur"); strings.Join(got, ",") != "bezoek,mijlpaal" {
		t.Errorf("RoleSteps(brugfiguur) = %v", got)
	}
	if got := p.RoleSteps("ervaringsdeskundige"); strings.Join(got, ",") != strings.Join(DefaultCoWorkerSteps, ",") {
		t.Errorf("RoleSteps of a role the file does not describe = %v, want the default", got)
	}
	if got := p.RoleName("ervaringsdeskundige"); got != "Ervaringsdeskundige" {
		t.Errorf("RoleName = %q", got)
	}
}
