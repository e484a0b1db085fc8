package store

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// threeEvents is a trajectory that was referred, got a coach and had its intake.
func threeEvents(at time.Time) []trajectory.Event {
	referred := referredEvent("p1", "cpas", "ref-1", at)
	assigned := nextEvent(referred, trajectory.EventCoachAssigned, func(s *trajectory.Summary) {
		s.Phase, s.CoachID, s.NextStep = trajectory.PhaseCoachAssigned, "coach-an", string(trajectory.StepIntake)
		due := at.Add(14 * 24 * time.Hour)
		s.NextDueAt = &due
	})
	intake := nextEvent(assigned, trajectory.EventIntakeDone, func(s *trajectory.Summary) {
		s.Phase, s.NextStep = trajectory.PhaseIntakeDone, "home_visit-2"
		due := at.Add(30 * 24 * time.Hour)
		s.NextDueAt = &due
	})
	intake.Detail = map[string]string{"note": "met the family"}
	return []trajectory.Event{referred, assigned, intake}
}

func TestRecordEventIsIdempotent(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	events := threeEvents(time.Now().Add(-time.Hour))
	id := events[0].TrajectoryID
	for _, tc := range []struct {
		name  string
		event trajectory.Event
	}{
		{"referred", events[0]},
		{"coach assigned", events[1]},
		{"intake with detail", events[2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			record(t, s, tc.event)
			once, err := s.Trajectory(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			record(t, s, tc.event)
			twice, err := s.Trajectory(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(once, twice) {
				t.Errorf("second write changed the trajectory:\n once: %+v\ntwice: %+v", once, twice)
			}
			if n, err := s.CountEvents(t.Context(), id, tc.event.Kind); err != nil || n != 1 {
				t.Errorf("CountEvents(%s) = %d, %v; want 1", tc.event.Kind, n, err)
			}
		})
	}
}

func TestRecordEventNeverMovesTheReadModelBack(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, order := range [][]int{{0, 1, 2}, {0, 2, 1}, {2, 1, 0}, {1, 2, 0}} {
		at := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
		events := threeEvents(at)
		// A distinct trajectory per case, on the one database.
		for i := range events {
			events[i].TrajectoryID += "-" + fmtInts(order)
		}
		t.Run(fmtInts(order), func(t *testing.T) {
			for _, i := range order {
				record(t, s, events[i])
			}
			got, err := s.Trajectory(t.Context(), events[0].TrajectoryID)
			if err != nil {
				t.Fatal(err)
			}
			last := events[2]
			if got.Phase != trajectory.PhaseIntakeDone || got.CoachID != "coach-an" || got.NextStep != last.Summary.NextStep ||
				got.NextDueAt == nil || !got.NextDueAt.Equal(*last.Summary.NextDueAt) || !got.UpdatedAt.Equal(last.At) {
				t.Errorf("read model is not that of the last event: %+v", got.TrajectorySummary)
			}
			if got.Family == nil || got.Family.ContactName != "Family ref-1" || got.Reason != "reason for ref-1" || got.ReferrerReference != "ref-1" {
				t.Errorf("referral data missing: family %+v, reason %q, reference %q", got.Family, got.Reason, got.ReferrerReference)
			}
			var seqs []int64
			for _, e := range got.Events {
				seqs = append(seqs, e.Seq)
			}
			if !reflect.DeepEqual(seqs, []int64{1, 2, 3}) {
				t.Errorf("events by seq = %v, want [1 2 3]", seqs)
			}
		})
	}
}

// fmtInts writes a delivery order as "021".
func fmtInts(xs []int) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteByte(byte('0' + x))
	}
	return b.String()
}

func TestTrajectoryShowsReferralAndEvents(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	events := threeEvents(at) // all due dates long past
	record(t, s, events...)

	got, err := s.Trajectory(t.Context(), events[0].TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	want := TrajectorySummary{
		ID:          events[0].TrajectoryID,
		ProgrammeID: "p1",
		ReferrerOrg: "cpas",
		Phase:       trajectory.PhaseIntakeDone,
		CoachID:     "coach-an",
		NextStep:    "home_visit-2",
		NextDueAt:   events[2].Summary.NextDueAt,
		Overdue:     true,
		ReferredAt:  at,
		UpdatedAt:   events[2].At,
	}
	// Times come back in the local zone; compare them as instants.
	if got.NextDueAt == nil || !got.NextDueAt.Equal(*want.NextDueAt) || !got.ReferredAt.Equal(want.ReferredAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("times = %v, %v, %v; want %v, %v, %v", got.NextDueAt, got.ReferredAt, got.UpdatedAt, want.NextDueAt, want.ReferredAt, want.UpdatedAt)
	}
	got.NextDueAt, got.ReferredAt, got.UpdatedAt = want.NextDueAt, want.ReferredAt, want.UpdatedAt
	want.CoWorkers = []string{}
	if !reflect.DeepEqual(got.TrajectorySummary, want) {
		t.Errorf("summary =\n %+v\nwant\n %+v", got.TrajectorySummary, want)
	}
	if got.ReferrerReference != "ref-1" || got.Reason != "reason for ref-1" ||
		got.Family == nil || *got.Family != events[0].Referral.Family {
		t.Errorf("referral = %q, %q, %+v", got.ReferrerReference, got.Reason, got.Family)
	}
	if len(got.Events) != 3 {
		t.Fatalf("%d events, want 3", len(got.Events))
	}
	if e := got.Events[2]; e.Seq != 3 || e.Kind != trajectory.EventIntakeDone || e.Actor != "coach:an" ||
		!e.At.Equal(events[2].At) || e.Detail["note"] != "met the family" {
		t.Errorf("last event = %+v", e)
	}
	if e := got.Events[0]; e.Kind != trajectory.EventReferred || e.Actor != "partner:cpas" {
		t.Errorf("first event = %+v", e)
	}
}

func TestTrajectoryNotFound(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	_, err := s.Trajectory(t.Context(), "tr-nothere")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

// TestTrajectoryAccessReadsOnlyWhoMaySee: the narrow read before a full
// one gives the programme, coach and co-workers, and ErrNotFound for an
// unknown id.
func TestTrajectoryAccessReadsOnlyWhoMaySee(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	events := threeEvents(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	record(t, s, events...)
	got, err := s.TrajectoryAccess(t.Context(), events[0].TrajectoryID)
	if err != nil || got.ProgrammeID != "p1" || got.CoachID != "coach-an" || got.ID != events[0].TrajectoryID {
		t.Errorf("access = %+v, %v", got, err)
	}
	if _, err := s.TrajectoryAccess(t.Context(), "tr-nothere"); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	if len(got.ReadBy) != 0 {
		t.Errorf("read by %v, want nobody else", got.ReadBy)
	}

	// The family referred again: the new trajectory's coach and co-worker
	// may read the earlier one, which names none of them itself.
	again := referredEvent("p1", "cpas", "ref-2", time.Date(2025, 9, 1, 9, 0, 0, 0, time.UTC))
	again.Referral.PreviousTrajectoryID = events[0].TrajectoryID
	assigned := nextEvent(again, trajectory.EventCoachAssigned, func(sum *trajectory.Summary) {
		sum.Phase, sum.CoachID, sum.CoWorkers = trajectory.PhaseCoachAssigned, "coach-bo", []string{"brug-1"}
	})
	record(t, s, again, assigned)
	got, err = s.TrajectoryAccess(t.Context(), events[0].TrajectoryID)
	if err != nil || !slices.Equal(slices.Sorted(slices.Values(got.ReadBy)), []string{"brug-1", "coach-bo"}) {
		t.Errorf("read by %v (%v), want the next trajectory's coach and co-worker", got.ReadBy, err)
	}
	full, err := s.Trajectory(t.Context(), again.TrajectoryID)
	if err != nil || full.PreviousTrajectoryID != events[0].TrajectoryID {
		t.Errorf("previous trajectory %q (%v), want %s", full.PreviousTrajectoryID, err, events[0].TrajectoryID)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	e := referredEvent("p1", "cpas", "ref-1", time.Now())
	record(t, s, e)
	for _, sql := range []string{
		`UPDATE trajectory_events SET actor = 'someone else'`,
		// No row is rewritten, not even by a later write of its number.
		`UPDATE trajectory_events SET at = at + interval '1 second', kind = 'coach_assigned'`,
		`UPDATE trajectory_events SET at = at - interval '1 second', actor = 'someone else'`,
		`UPDATE trajectory_events SET seq = seq + 1, at = at + interval '1 second'`,
		`DELETE FROM trajectory_events`,
		`TRUNCATE trajectory_events`,
	} {
		t.Run(strings.Fields(sql)[0], func(t *testing.T) {
			_, err := s.Pool().Exec(t.Context(), sql)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("err = %v, want the append-only refusal", err)
			}
		})
	}
	if n, err := s.CountEvents(t.Context(), e.TrajectoryID, ""); err != nil || n != 1 {
		t.Errorf("CountEvents = %d, %v; want 1", n, err)
	}
}

func TestRecordEventRefusesIncompleteEvents(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	good := referredEvent("p1", "cpas", "ref-1", time.Now())
	for name, breakIt := range map[string]func(*trajectory.Event){
		"no id":          func(e *trajectory.Event) { e.TrajectoryID = "" },
		"seq 0":          func(e *trajectory.Event) { e.Seq = 0 },
		"no kind":        func(e *trajectory.Event) { e.Kind = "" },
		"no time":        func(e *trajectory.Event) { e.At = time.Time{} },
		"no phase":       func(e *trajectory.Event) { e.Summary.Phase = "" },
		"no programme":   func(e *trajectory.Event) { e.Summary.ProgrammeID = "" },
		"no referred at": func(e *trajectory.Event) { e.Summary.ReferredAt = time.Time{} },
	} {
		t.Run(name, func(t *testing.T) {
			e := good
			breakIt(&e)
			if err := s.RecordEvent(t.Context(), e); !errors.Is(err, ErrInvalidEvent) {
				t.Errorf("err = %v, want ErrInvalidEvent", err)
			}
		})
	}
}

// TestTrajectoryShowsPregnancyAndChildren: the due date and children of
// the referral, then the birth, which adds the child, once.
func TestTrajectoryShowsPregnancyAndChildren(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	at := time.Now().Add(-time.Hour).UTC()
	referred := referredEvent("p1", "kind-en-gezin", "ref-preg", at)
	due := trajectory.DateOf(at.Add(60 * 24 * time.Hour))
	referred.Referral.ExpectedDueDate = due
	referred.Referral.Children = []trajectory.Child{{Name: "Older", BirthDate: trajectory.DateOf(time.Date(2023, 6, 15, 0, 0, 0, 0, time.UTC))}}
	birth := nextEvent(referred, trajectory.EventBirthRecorded, func(s *trajectory.Summary) { s.Phase = trajectory.PhasePostnatal })
	birth.Detail = map[string]string{"born_on": "2026-11-20", "name": "Baby"}
	record(t, s, referred)
	record(t, s, birth)
	record(t, s, birth) // a retried write adds no second child
	got, err := s.Trajectory(t.Context(), referred.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExpectedDueDate == nil || !got.ExpectedDueDate.Equal(due.Time) {
		t.Errorf("expected due date %v, want %s", got.ExpectedDueDate, due)
	}
	if got.BornOn == nil || got.BornOn.String() != "2026-11-20" {
		t.Errorf("born on %v", got.BornOn)
	}
	if len(got.Children) != 2 || got.Children[0].Name != "Older" || got.Children[1].Name != "Baby" || got.Children[1].BirthDate.String() != "2026-11-20" {
		t.Errorf("children %+v", got.Children)
	}
}
