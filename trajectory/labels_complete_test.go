package trajectory

import (
	"testing"
)

// TestEveryStepKindHasDutchWords: the pages and the emails name every kind
// of step people wait for in Dutch (StepLabel), and read it back from its
// key (ParseStepKey).
func TestEveryStepKindHasDutchWords(t *testing.T) {
	p := func(id string) string { return map[string]string{"stage": "Stage"}[id] }
	for _, k := range StepKinds {
		s := Step{Kind: k, Number: 1, Milestone: "stage"}
		if !KnownStepKind(k) || StepLabel(s, p) == "een stap" {
			t.Errorf("step kind %s has no Dutch words: %q", k, StepLabel(s, p))
		}
		if back, ok := ParseStepKey(s.Key()); !ok || back.Kind != k {
			t.Errorf("step kind %s: its key %q reads back as %+v (%v)", k, s.Key(), back, ok)
		}
	}
}
