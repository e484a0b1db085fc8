package trajectory

import (
	"testing"
	"time"
)

// TestBirthFollowedFrom: the birth a family referred after it is followed
// from is its youngest child still below the follow-up age at the
// referral; a due date, a child past that age or a birth date after the
// referral start nothing.
func TestBirthFollowedFrom(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	day := func(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }
	pn := PerinatalTimings{FollowUpMonths: 36}
	for _, c := range []struct {
		name     string
		due      Date
		children []Date
		want     Date
	}{
		{"the youngest of two young children", Date{}, []Date{day(2024, 1, 5), day(2026, 2, 16), day(2025, 6, 1)}, day(2026, 2, 16)},
		{"a child of three on the day of the referral", Date{}, []Date{day(2023, 3, 2)}, Date{}},
		{"a child a day younger than three", Date{}, []Date{day(2023, 3, 3)}, day(2023, 3, 3)},
		{"a birth date after the referral", Date{}, []Date{day(2026, 3, 3)}, Date{}},
		{"a pregnancy beside a young child", day(2026, 8, 1), []Date{day(2025, 6, 1)}, Date{}},
		{"no children", Date{}, nil, Date{}},
	} {
		r := Referral{ExpectedDueDate: c.due}
		for _, b := range c.children {
			r.Children = append(r.Children, Child{BirthDate: b})
		}
		if got := pn.BirthFollowedFrom(r, at); !got.Equal(c.want.Time) {
			t.Errorf("%s: followed from %s, want %s", c.name, got, c.want)
		}
	}
}
