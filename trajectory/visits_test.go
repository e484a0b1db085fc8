package trajectory

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVisitRescheduleProblems: the rules of a moved and a missed visit,
// which the API and the workflow's validators both apply, by field and code.
func TestVisitRescheduleProblems(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	codes := func(ps []Problem) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Field+":"+string(p.Code))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		got  []Problem
		want []string
	}{
		{"move fine", MoveVisitProblems(now, MoveVisit{Step: "home_visit-2", To: now.Add(time.Hour), Reason: "op reis"}), nil},
		{"move empty", MoveVisitProblems(now, MoveVisit{}), []string{"step:visit_step_required", "to:appointment_required"}},
		{"move to the past", MoveVisitProblems(now, MoveVisit{Step: "home_visit-2", To: now.Add(-time.Minute)}), []string{"to:next_visit_due_at_not_in_future"}},
		{"move too far", MoveVisitProblems(now, MoveVisit{Step: "home_visit-2", To: now.Add(MaxPlanAhead + time.Hour)}), []string{"to:next_visit_due_at_too_far"}},
		{"move reason too long", MoveVisitProblems(now, MoveVisit{Step: "home_visit-2", To: now.Add(time.Hour), Reason: strings.Repeat("r", MaxVisitReasonLength+1)}),
			[]string{"reason:visit_text_too_long"}},
		{"move reason on two lines", MoveVisitProblems(now, MoveVisit{Step: "home_visit-2", To: now.Add(time.Hour), Reason: "a\nb"}), []string{"reason:visit_text_invalid"}},
		{"missed fine", MissedVisitProblems(now, MissedVisit{Step: "home_visit-2", Reason: MissedNotHome, Next: now.Add(time.Hour), Note: "a\nb"}), nil},
		{"missed empty", MissedVisitProblems(now, MissedVisit{}), []string{"step:visit_step_required", "reason:missed_visit_reason_required", "next:appointment_required"}},
		{"missed unknown reason", MissedVisitProblems(now, MissedVisit{Step: "home_visit-2", Reason: "bored", Next: now.Add(time.Hour)}), []string{"reason:missed_visit_reason_unknown"}},
		{"missed next in the past", MissedVisitProblems(now, MissedVisit{Step: "home_visit-2", Reason: MissedOther, Next: now}), []string{"next:next_visit_due_at_not_in_future"}},
		{"missed note too long", MissedVisitProblems(now, MissedVisit{Step: "home_visit-2", Reason: MissedOther, Next: now.Add(time.Hour), Note: strings.Repeat("n", MaxNoteLength+1)}),
			[]string{"note:visit_text_too_long"}},
	} {
		if got := codes(tc.got); !slices.Equal(got, tc.want) {
			t.Errorf("%s: problems %v, want %v", tc.name, got, tc.want)
		}
	}
}
