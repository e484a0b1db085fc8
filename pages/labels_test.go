package pages

import (
	"testing"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

func TestEventLabel(t *testing.T) {
	for _, tc := range []struct {
		kind   string
		detail map[string]string
		want   string
	}{
		{trajectory.EventEmailFailed, map[string]string{"reason": "EmailRejected"}, "E-mail mislukt"},
		{trajectory.EventEmailFailed, map[string]string{"reason": trajectory.EmailInDoubt}, "E-mail mogelijk niet aangekomen"},
		{trajectory.EventIntakeDone, nil, "Intake"},
		{"something_new", nil, "something_new"},
	} {
		if got := eventLabel(tc.kind, tc.detail); got != tc.want {
			t.Errorf("eventLabel(%s, %v) = %q, want %q", tc.kind, tc.detail, got, tc.want)
		}
	}
}

// TestNextStepInWords: the pages name a trajectory's next step in Dutch,
// a milestone by its name in the programme file, never by its key.
func TestNextStepInWords(t *testing.T) {
	h := &handler{Config: Config{Cases: usecase.Cases{Programmes: programme.Catalogue{"gent": {ID: "gent",
		Milestones: []programme.Milestone{{ID: "opleiding_gestart", Name: "Opleiding gestart"}}}}}}}
	for key, want := range map[string]string{
		"home_visit-1":                "huisbezoek 1",
		"home_visit:2":                "huisbezoek 2",
		"milestone-opleiding_gestart": "mijlpaal Opleiding gestart",
		"milestone:opleiding_gestart": "mijlpaal Opleiding gestart",
	} {
		if got := h.stepLabel(key, "gent"); got != want {
			t.Errorf("stepLabel(%q, gent) = %q, want %q", key, got, want)
		}
		if got := h.stepLabel(key); got != want {
			t.Errorf("stepLabel(%q) = %q, want %q", key, got, want)
		}
	}
}
