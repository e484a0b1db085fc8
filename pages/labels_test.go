package pages

import (
	"testing"

	"elkgezin/trajectory"
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
