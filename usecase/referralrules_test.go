package usecase

import (
	"slices"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestCheckReferral: a referral's fields by the rules the API and the
// pages share: a family that cannot be reached, a child born tomorrow and
// a due date a year ahead are named by field; a good referral has none.
func TestCheckReferral(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	day := trajectory.Today(now)
	good := trajectory.Referral{ProgrammeID: "test-seconds", Referrer: trajectory.Referrer{Organisation: "test-partner", Reference: "consultatie/co-abc"},
		Family: trajectory.Family{ContactName: "Gezin", Phone: "+32 470 00 00 00"}, Reason: "raad",
		Children: []trajectory.Child{{BirthDate: trajectory.Date{Time: day.AddDate(-2, 0, 0)}}}}
	if ps := CheckReferral(good, now); len(ps) != 0 {
		t.Errorf("a good referral: %v", ps)
	}
	bad := good
	bad.Family.Phone = ""
	bad.ExpectedDueDate = trajectory.Date{Time: day.AddDate(1, 0, 0)}
	bad.Children = []trajectory.Child{{BirthDate: trajectory.Date{Time: day.AddDate(0, 0, 1)}}}
	var fields []string
	for _, p := range CheckReferral(bad, now) {
		fields = append(fields, p.Field)
	}
	for _, want := range []string{"family.address", "family.phone", "expected_due_date", "children[0].birth_date"} {
		if !slices.Contains(fields, want) {
			t.Errorf("problems %v lack %s", fields, want)
		}
	}
}
