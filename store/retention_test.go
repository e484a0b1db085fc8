package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// closeAt records a trajectory of programmeID referred at `at` and closed
// an hour later, and returns its id.
func closeAt(t *testing.T, s *Store, programmeID, reference string, at time.Time) string {
	t.Helper()
	referred := referredEvent(programmeID, "org", reference, at)
	record(t, s, referred, nextEvent(referred, trajectory.EventClosed, func(sum *trajectory.Summary) { sum.Phase = trajectory.PhaseClosed }))
	return referred.TrajectoryID
}

// Pages of what retention must erase: in id order, at most limit each,
// every expired trajectory once, and nothing else.
func TestExpiredNotErasedPagesByID(t *testing.T) {
	s := newStore(t)
	now := time.Now()
	longAgo, lately := now.AddDate(-2, 0, 0), now.Add(-48*time.Hour)
	var want []string
	for i := range 7 {
		want = append(want, closeAt(t, s, "p1", fmt.Sprintf("OLD-%d", i), longAgo))
	}
	closeAt(t, s, "p1", "RECENT", lately)                     // closed within p1's retention
	closeAt(t, s, "p2", "NO-RETENTION", longAgo)              // p2 has no cutoff
	erased := closeAt(t, s, "p1", "ERASED", longAgo)          // its key destroyed already
	record(t, s, referredEvent("p1", "org", "OPEN", longAgo)) // never closed
	if _, err := s.Vault().Erase(t.Context(), erased); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	cutoffs := []RetentionCutoff{{ProgrammeID: "p1", ClosedBy: now.AddDate(-1, 0, 0)}}

	var got []string
	after := ""
	for pages := 0; ; pages++ {
		page, err := s.ExpiredNotErased(t.Context(), cutoffs, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 3 || pages > 4 {
			t.Fatalf("page %d holds %d trajectories (limit 3)", pages, len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			got = append(got, c.ID)
			if c.ProgrammeID != "p1" || !c.ClosedAt.Equal(longAgo.Add(time.Hour).Truncate(time.Microsecond)) {
				t.Errorf("%s: programme %s, closed at %v", c.ID, c.ProgrammeID, c.ClosedAt)
			}
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("expired over all pages: %v, want %v", got, want)
	}
	if page, err := s.ExpiredNotErased(t.Context(), nil, "", 3); err != nil || len(page) != 0 {
		t.Errorf("without cutoffs: %v, %v; want nothing", page, err)
	}
}

// The destruction of a key and its audit entry commit together, written
// only by the call that destroys it: a repeated erasure writes no second
// entry, and one whose entry could not be written (its month's partition
// dropped) destroys nothing until the entry is written with it.
func TestEraseAuditedWritesOneEntryWithTheDestruction(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	id := closeAt(t, s, "p1", "AUDITED", time.Now().AddDate(-2, 0, 0))
	if _, err := s.DropAuditBefore(ctx, time.Now().AddDate(0, 6, 0)); err != nil {
		t.Fatal(err)
	}
	entry := AuditEntry{Actor: "system:retention", Action: "erase_trajectory", TrajectoryID: id, Outcome: OutcomeOK}
	for i, want := range []bool{true, false} {
		erased, err := s.EraseAudited(ctx, id, entry)
		if err != nil || erased != want {
			t.Fatalf("erasure %d: %v, %v; want %v", i+1, erased, err, want)
		}
	}
	n := 0
	entries, err := s.AuditEntries(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == "erase_trajectory" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d erasure entries, want 1: %+v", n, entries)
	}
	if _, err := s.Vault().Key(ctx, id); !errors.Is(err, keys.ErrErased) {
		t.Errorf("the key after erasure: %v", err)
	}
	if _, err := s.EraseAudited(ctx, "tr-unknown", entry); !errors.Is(err, keys.ErrNoKey) {
		t.Errorf("a trajectory without a key: %v; want keys.ErrNoKey", err)
	}
}
