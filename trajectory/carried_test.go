package trajectory

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestEmailKeyNamesOneObligation: the same email about the same step due
// at the same instant to the same person has one key; another instant,
// another person or another kind is another obligation.
func TestEmailKeyNamesOneObligation(t *testing.T) {
	due := time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)
	step := Step{Kind: StepIntake, DueAt: due}
	coachA := Recipient{Role: RoleCoach, CoachID: "a"}
	key := EmailKey("tr-x", step, Reminder, coachA)
	if want := "tr-x/intake@20260316T090000Z/reminder/coach:a"; key != want {
		t.Errorf("key %q, want %q", key, want)
	}
	if again := EmailKey("tr-x", Step{Kind: StepIntake, DueAt: due.In(time.FixedZone("x", 3600)), Reminded: true}, Reminder, coachA); again != key {
		t.Errorf("the same obligation has two keys: %q and %q", key, again)
	}
	others := []string{
		EmailKey("tr-x", Step{Kind: StepIntake, DueAt: due.Add(time.Hour)}, Reminder, coachA),
		EmailKey("tr-x", step, Reminder, Recipient{Role: RoleCoach, CoachID: "b"}),
		EmailKey("tr-x", step, Alert, coachA),
		EmailKey("tr-y", step, Reminder, coachA),
	}
	for _, o := range others {
		if o == key {
			t.Errorf("another obligation has the same key %q", o)
		}
	}
}

// TestMorningOfIsNineInBelgium: summer and winter time alike.
func TestMorningOfIsNineInBelgium(t *testing.T) {
	for day, want := range map[time.Time]time.Time{
		time.Date(2026, 7, 20, 0, 0, 0, 0, time.UTC): time.Date(2026, 7, 20, 7, 0, 0, 0, time.UTC),
		time.Date(2027, 1, 13, 0, 0, 0, 0, time.UTC): time.Date(2027, 1, 13, 8, 0, 0, 0, time.UTC),
	} {
		if got := MorningOf(day); !got.Equal(want) {
			t.Errorf("MorningOf(%s) = %s, want %s", day, got.UTC(), want)
		}
	}
}

// Every registered search attribute is named in SearchAttributeNames, so a
// run hands all it published on to the next.
func TestSearchAttributeNamesAreEveryAttribute(t *testing.T) {
	types := SearchAttributeTypes()
	if len(types) != len(SearchAttributeNames) {
		t.Fatalf("%d names for %d attributes", len(SearchAttributeNames), len(types))
	}
	for _, n := range SearchAttributeNames {
		if _, ok := types[n]; !ok {
			t.Errorf("%s is not a registered search attribute", n)
		}
	}
}

// Ids a run of older code carried are kept as hashes, after those, and
// within the bound; the hash of an id is what a retried Update is matched by.
func TestHashRecentUpdates(t *testing.T) {
	c := Carried{RecentUpdates: []string{"a", "b"}, AppliedUpdates: []uint64{UpdateIDHash("c")}}
	c.HashRecentUpdates()
	if c.RecentUpdates != nil || !slices.Equal(c.AppliedUpdates, []uint64{UpdateIDHash("a"), UpdateIDHash("b"), UpdateIDHash("c")}) {
		t.Fatalf("got %v / %v", c.RecentUpdates, c.AppliedUpdates)
	}
	if UpdateIDHash("a") == UpdateIDHash("b") {
		t.Fatal("two ids, one hash")
	}
	old := make([]string, RecentUpdatesKept+5)
	for i := range old {
		old[i] = fmt.Sprint("update-", i)
	}
	c = Carried{RecentUpdates: old}
	c.HashRecentUpdates()
	if len(c.AppliedUpdates) != RecentUpdatesKept || c.AppliedUpdates[len(c.AppliedUpdates)-1] != UpdateIDHash(old[len(old)-1]) {
		t.Fatalf("%d kept, last %d", len(c.AppliedUpdates), c.AppliedUpdates[len(c.AppliedUpdates)-1])
	}
}
