package pages

import (
	"testing"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestEveryEventKindHasDutchWords: a kind of event the trajectory writes
// is never shown as its code nor as "Andere gebeurtenis".
func TestEveryEventKindHasDutchWords(t *testing.T) {
	n := names{progs: programme.Catalogue{}}
	for _, k := range trajectory.EventKinds {
		if got := n.Event("p", store.EventRow{Kind: k, Detail: map[string]string{}}); got == "Andere gebeurtenis" || got == k {
			t.Errorf("event %s reads %q on the timeline", k, got)
		}
	}
}
