package trajectory

import (
	"strconv"
	"strings"
)

// StepLabel names a step people wait for in Dutch, as the pages and the
// emails both show it: "huisbezoek 2", the milestone's name from the
// programme file (milestoneName, "" when it has none). It is never a key;
// a step kind it does not know is "een stap".
func StepLabel(s Step, milestoneName func(id string) string) string {
	switch s.Kind {
	case StepAssignment:
		return "toewijzing van een coach"
	case StepIntake:
		return "intake"
	case StepHomeVisit:
		if s.Number > 0 {
			return "huisbezoek " + strconv.Itoa(s.Number)
		}
		return "huisbezoek"
	case StepBirth:
		return "registratie van de geboorte"
	case StepFollowUpEnd:
		return "einde van de opvolging (afsluitende overdracht voorbereiden)"
	case StepHandoverAck:
		if s.Number > 0 {
			return "bevestiging van overdracht " + strconv.Itoa(s.Number)
		}
		return "bevestiging van een overdracht"
	case StepMilestone:
		if name := milestoneName(s.Milestone); name != "" {
			return "mijlpaal " + name
		}
		if s.Milestone == "" {
			return "mijlpaal"
		}
		return "mijlpaal " + strings.ReplaceAll(s.Milestone, "_", " ")
	case StepPlanAction:
		return "actie uit het gezinsplan"
	}
	return "een stap"
}

// KnownStepKind says whether StepLabel has a word for the kind.
func KnownStepKind(k StepKind) bool {
	switch k {
	case StepAssignment, StepIntake, StepHomeVisit, StepBirth, StepFollowUpEnd, StepHandoverAck, StepMilestone, StepPlanAction:
		return true
	}
	return false
}

// ParseStepKey reads a step's key (Step.Key: "home_visit-2",
// "milestone-opleiding_gestart", "intake"), also in the older forms
// "home_visit:2" and "milestone:opleiding_gestart"; ok is false for a key
// of no known kind.
func ParseStepKey(key string) (s Step, ok bool) {
	kind, rest, _ := strings.Cut(key, "-")
	if i := strings.IndexAny(key, ":/#"); i >= 0 && (len(kind) > i || !KnownStepKind(StepKind(kind))) {
		kind, rest = key[:i], key[i+1:]
	}
	s.Kind = StepKind(kind)
	if !KnownStepKind(s.Kind) {
		return Step{}, false
	}
	switch s.Kind {
	case StepMilestone:
		s.Milestone = rest
	case StepHomeVisit, StepHandoverAck:
		s.Number, _ = strconv.Atoi(rest)
	case StepPlanAction:
		s.Goal, s.Action, _ = strings.Cut(rest, "-")
	}
	return s, true
}

// StepKeyLabel names the step with the key in Dutch (StepLabel); a key of
// no known kind is "een stap", never the key itself.
func StepKeyLabel(key string, milestoneName func(id string) string) string {
	s, ok := ParseStepKey(key)
	if !ok {
		return "een stap"
	}
	return StepLabel(s, milestoneName)
}
