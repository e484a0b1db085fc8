package programme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validProgramme = `id: demo
name: Demo
referrers:
  - id: kind-en-gezin
    name: Kind en Gezin
assignment_limit: 2d
intake_deadline: 14d
home_visit_cadence: 2w
reminder_lead: 36h
alert_grace: 2d
handover:
  acknowledgement_limit: 5d
  link_valid_for: 30d
supervisor_email: sup@demo.example
coaches:
  - id: coach-a
    name: Coach A
    email: a@demo.example
`

func TestShippedProgrammesLoad(t *testing.T) {
	cat, err := LoadDir("../deploy/programmes")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"omdat-elk-gezin-telt-vilvoorde", "go-team-mechelen", "perinatal-menen", "ocmw-sint-truiden", "test-seconds"} {
		if _, ok := cat.Get(id); !ok {
			t.Errorf("programme %s is not shipped", id)
		}
	}
	vilvoorde, _ := cat.Get("omdat-elk-gezin-telt-vilvoorde")
	for _, org := range []string{"kind-en-gezin", "ckg-de-kleine-parachute", "warmkracht"} {
		if !vilvoorde.AllowsReferrer(org) {
			t.Errorf("Vilvoorde does not accept %s", org)
		}
	}
	mechelen, _ := cat.Get("go-team-mechelen")
	if len(mechelen.Referrers) != 3 || !mechelen.AllowsReferrer("politie-jeugd-en-gezin") || !mechelen.AllowsReferrer("clb") || mechelen.AllowsReferrer("caw") {
		t.Errorf("the GO-team takes referrals only from the police, Kind en Gezin and the CLB: %+v", mechelen.Referrers)
	}
	if _, err := LoadServices("../deploy/services.yaml"); err != nil {
		t.Error(err)
	}
}

func TestProgrammeFileErrorsNameFileAndField(t *testing.T) {
	cases := []struct {
		name, from, to, field string
	}{
		{"bad id", "id: demo", "id: Demo Programme", "field id"},
		{"no referrers", "referrers:\n  - id: kind-en-gezin\n    name: Kind en Gezin\n", "referrers: []\n", "field referrers"},
		{"duration typo", "intake_deadline: 14d", "intake_deadline: 14 days", "intake_deadline"},
		{"zero cadence", "home_visit_cadence: 2w", "home_visit_cadence: 0d", "field home_visit_cadence"},
		{"lead longer than deadline", "reminder_lead: 36h", "reminder_lead: 15d", "field reminder_lead"},
		{"assignment after intake", "assignment_limit: 2d", "assignment_limit: 20d", "field assignment_limit"},
		{"bad supervisor email", "supervisor_email: sup@demo.example", "supervisor_email: nobody", "field supervisor_email"},
		{"bad coach email", "email: a@demo.example", "email: a-at-demo", "field coaches[0].email"},
		{"unknown field", "alert_grace: 2d", "alert_grace: 2d\nescalation_grace: 1d", "escalation_grace"},
		{"link dies too soon", "link_valid_for: 30d", "link_valid_for: 6d", "field handover.link_valid_for"},
		{"negative delivery limit", "alert_grace: 2d", "alert_grace: 2d\nemail_delivery_limit: -1h", "field email_delivery_limit"},
		{"manager without escalation", "alert_grace: 2d", "alert_grace: 2d\nmanager_email: directie@demo.example", "field manager_escalation_after"},
		{"escalation without manager", "alert_grace: 2d", "alert_grace: 2d\nmanager_escalation_after: 7d", "field manager_email"},
		{"bad manager email", "alert_grace: 2d", "alert_grace: 2d\nmanager_email: directie\nmanager_escalation_after: 7d", "field manager_email"},
		{"negative manager escalation", "alert_grace: 2d", "alert_grace: 2d\nmanager_email: directie@demo.example\nmanager_escalation_after: -1d", "field manager_escalation_after"},
		{"life domain twice", "alert_grace: 2d", "alert_grace: 2d\nlife_domains:\n  - id: wonen\n    name: Wonen\n  - id: wonen\n    name: Huisvesting", "field life_domains[1].id"},
		{"life domain unnamed", "alert_grace: 2d", "alert_grace: 2d\nlife_domains:\n  - id: wonen\n    name: \"\"", "field life_domains[0].name"},
		{"negative review cadence", "alert_grace: 2d", "alert_grace: 2d\nplan_review_cadence: -1d", "field plan_review_cadence"},
		{"negative material needs deadline", "alert_grace: 2d", "alert_grace: 2d\nmaterial_needs_deadline: -1d", "field material_needs_deadline"},
		{"postnatal visits out of order", "coaches:", "perinatal:\n  prenatal_visit_cadence: 14d\n  birth_record_margin: 3d\n  postnatal_visits: [2w, 1w]\n  postnatal_cadence: 4w\n  follow_up_months: 6\n  closing_handover_lead: 3w\ncoaches:", "field perinatal.postnatal_visits[1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := strings.Replace(validProgramme, c.from, c.to, 1)
			if body == validProgramme {
				t.Fatalf("case does not change the file")
			}
			path := filepath.Join(t.TempDir(), "demo.yaml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFile(path)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.field) {
				t.Errorf("error %q does not name the file and %q", err, c.field)
			}
		})
	}
}
