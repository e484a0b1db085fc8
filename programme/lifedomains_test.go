package programme

import (
	"testing"

	"github.com/elkgezin/elkgezin/trajectory"
)

func TestLifeDomainProblems(t *testing.T) {
	if ps := LifeDomainProblems(trajectory.DefaultLifeDomains); len(ps) != 0 {
		t.Errorf("default domains: %v", ps)
	}
	if ps := LifeDomainProblems([]trajectory.NamedDomain{{ID: "wonen", Name: "Wonen"}, {ID: "wonen", Name: ""}, {ID: "X", Name: "x"}}); len(ps) != 3 {
		t.Errorf("bad domains: %v", ps)
	}
}
