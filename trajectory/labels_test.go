package trajectory

import (
	"regexp"
	"testing"
)

// TestStepKeyLabel: every form of a step's key reads as Dutch words, the
// milestone by its name from the programme file, never as a key.
func TestStepKeyLabel(t *testing.T) {
	p := func(id string) string { return map[string]string{"opleiding_gestart": "Opleiding gestart"}[id] }
	for key, want := range map[string]string{
		"home_visit-1":                "huisbezoek 1",
		"home_visit:1":                "huisbezoek 1",
		"home_visit/3":                "huisbezoek 3",
		"intake":                      "intake",
		"assignment":                  "toewijzing van een coach",
		"birth":                       "registratie van de geboorte",
		"follow_up_end":               "einde van de opvolging (afsluitende overdracht voorbereiden)",
		"handover_ack-2":              "bevestiging van overdracht 2",
		"milestone-opleiding_gestart": "mijlpaal Opleiding gestart",
		"milestone:opleiding_gestart": "mijlpaal Opleiding gestart",
		"milestone-tewerkstelling":    "mijlpaal tewerkstelling",
		"iets_anders-4":               "een stap",
	} {
		if got := StepKeyLabel(key, p); got != want {
			t.Errorf("StepKeyLabel(%q) = %q, want %q", key, got, want)
		}
	}
	keyLike := regexp.MustCompile(`[a-z]+_[a-z_]+|[a-z]+[-:][0-9]`)
	for _, k := range []StepKind{StepAssignment, StepIntake, StepHomeVisit, StepBirth, StepFollowUpEnd, StepHandoverAck, StepMilestone} {
		if l := StepLabel(Step{Kind: k, Number: 1, Milestone: "opleiding_gestart"}, p); keyLike.MatchString(l) {
			t.Errorf("StepLabel of %s reads like a key: %q", k, l)
		}
	}
}
