package usecase

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// accessStore holds one trajectory and counts the full reads (which
// decrypt the family's data in the real store).
type accessStore struct {
	row       store.Trajectory
	fullReads int
}

func (s *accessStore) TrajectoryAccess(_ context.Context, id string) (store.TrajectorySummary, error) {
	if id != s.row.ID {
		return store.TrajectorySummary{}, fmt.Errorf("trajectory %s: %w", id, store.ErrNotFound)
	}
	return store.TrajectorySummary{ID: id, ProgrammeID: s.row.ProgrammeID, CoachID: s.row.CoachID}, nil
}

func (s *accessStore) Trajectory(_ context.Context, id string) (store.Trajectory, error) {
	s.fullReads++
	if id != s.row.ID {
		return store.Trajectory{}, fmt.Errorf("trajectory %s: %w", id, store.ErrNotFound)
	}
	return s.row, nil
}

func (s *accessStore) RecordEvents(context.Context, []trajectory.Event) ([]error, error) {
	return nil, nil
}

func (s *accessStore) ListTrajectories(context.Context, store.Filter) (store.Page, error) {
	return store.Page{}, nil
}

// TestVisibleDecidesBeforeLoading: "not yours" and "not there" each cost
// one narrow read and no full read (no key unwrapped, nothing decrypted),
// so the time of the 404 does not tell them apart; only the caller who may
// see the trajectory causes the full read.
func TestVisibleDecidesBeforeLoading(t *testing.T) {
	row := store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: "tr-mine", ProgrammeID: "test-seconds", CoachID: "coach-a"}}
	coachA := Principal{Kind: KindCoach, ID: "coach-a", Programmes: []string{"test-seconds"}}
	coachB := Principal{Kind: KindCoach, ID: "coach-b", Programmes: []string{"test-seconds"}}
	for _, c := range []struct {
		name      string
		who       Principal
		id        string
		want      error
		fullReads int
	}{
		{"not yours", coachB, "tr-mine", ErrDenied, 0},
		{"not there", coachB, "tr-unknown", ErrNotFound, 0},
		{"yours", coachA, "tr-mine", nil, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &accessStore{row: row}
			_, err := Cases{Store: st}.Visible(t.Context(), c.who, c.id)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if st.fullReads != c.fullReads {
				t.Errorf("%d full reads, want %d", st.fullReads, c.fullReads)
			}
		})
	}
}

// TestMayRead: the coach and co-workers of the trajectory that follows
// (ReadBy) may read an earlier one in their programme, and act on none of it.
func TestMayRead(t *testing.T) {
	earlier := store.TrajectorySummary{ID: "tr-1", ProgrammeID: "p1", CoachID: "coach-a", ReadBy: []string{"coach-b"}}
	for _, tc := range []struct {
		name         string
		p            Principal
		read, access bool
	}{
		{"its own coach", Principal{Kind: KindCoach, ID: "coach-a", Programmes: []string{"p1"}}, true, true},
		{"the next trajectory's coach", Principal{Kind: KindCoach, ID: "coach-b", Programmes: []string{"p1"}}, true, false},
		{"the next coach, off the programme", Principal{Kind: KindCoach, ID: "coach-b", Programmes: []string{"p2"}}, false, false},
		{"another coach", Principal{Kind: KindCoach, ID: "coach-c", Programmes: []string{"p1"}}, false, false},
		{"a partner named like the coach", Principal{Kind: KindPartner, ID: "coach-b"}, false, false},
		{"the supervisor", Principal{Kind: KindSupervisor, ID: "sup", Programmes: []string{"p1"}}, true, true},
	} {
		if got := MayRead(tc.p, earlier); got != tc.read {
			t.Errorf("%s: MayRead = %v, want %v", tc.name, got, tc.read)
		}
		if got := MayAccess(tc.p, earlier); got != tc.access {
			t.Errorf("%s: MayAccess = %v, want %v", tc.name, got, tc.access)
		}
	}
}
