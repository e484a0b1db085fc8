package store

import (
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// rawRows dumps, as text, everything PostgreSQL holds about a trajectory:
// its read model row and its events.
func rawRows(t *testing.T, s *Store, id string) string {
	t.Helper()
	var row, events string
	if err := s.Pool().QueryRow(t.Context(), `SELECT row_to_json(t)::text FROM trajectories t WHERE id = $1`, id).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(t.Context(), `SELECT coalesce(json_agg(e)::text, '') FROM trajectory_events e WHERE trajectory_id = $1`, id).Scan(&events); err != nil {
		t.Fatal(err)
	}
	return row + events
}

func TestPersonalDataIsSealedAndErasureShredsIt(t *testing.T) {
	s := newStore(t)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ref := referredEvent("p1", "org", "PV/2025/004217", at)
	visit := nextEvent(ref, trajectory.EventIntakeDone, func(sum *trajectory.Summary) { sum.Phase = trajectory.PhaseIntakeDone })
	visit.Detail = map[string]string{"note": "mama Fatima slaapt slecht"}
	record(t, s, ref, visit)

	raw := rawRows(t, s, ref.TrajectoryID)
	for _, secret := range []string{"Family PV/2025/004217", "PV/2025/004217", "reason for", "Fatima", "+32 470"} {
		if strings.Contains(raw, secret) {
			t.Errorf("PostgreSQL holds %q in the clear: %s", secret, raw)
		}
	}
	got, err := s.Trajectory(t.Context(), ref.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Family == nil || got.Family.ContactName != "Family PV/2025/004217" || got.ReferrerReference != "PV/2025/004217" ||
		got.Events[1].Detail["note"] != "mama Fatima slaapt slecht" {
		t.Fatalf("decrypted trajectory: %+v", got)
	}

	erased, err := s.Erase(t.Context(), ref.TrajectoryID)
	if err != nil || !erased {
		t.Fatalf("erase: %v, %v", erased, err)
	}
	if again, err := s.Erase(t.Context(), ref.TrajectoryID); err != nil || again {
		t.Errorf("second erase: %v, %v; want no error, nothing erased", again, err)
	}
	// Another process, with no key in memory, reads the same rows.
	other := s.WithKeys(s.Vault().ProgrammeKeys())
	got, err = other.Trajectory(t.Context(), ref.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Erased || got.Family != nil || got.Reason != "" || got.ReferrerReference != "" || got.Events[1].Detail != nil {
		t.Errorf("after erasure: %+v; want no personal data", got)
	}
	// What reports count stays.
	if got.Phase != trajectory.PhaseIntakeDone || len(got.Events) != 2 || !got.ReferredAt.Equal(at) {
		t.Errorf("after erasure: phase %s, %d events, referred %s; want them kept", got.Phase, len(got.Events), got.ReferredAt)
	}
	// A late event of an erased trajectory is counted, without its detail,
	// once; no new data key replaces the destroyed one, and the read model
	// stays as the erasure left it.
	late := nextEvent(visit, trajectory.EventVisitDone, func(sum *trajectory.Summary) { sum.Phase = trajectory.PhaseInSupport })
	late.Detail = map[string]string{"note": "late"}
	due := late.At.Add(24 * time.Hour)
	late.Summary.NextStep, late.Summary.NextDueAt = "home_visit-2", &due
	record(t, other, late, late)
	if _, err := other.Vault().Key(t.Context(), ref.TrajectoryID); err == nil {
		t.Error("a data key exists again after erasure")
	}
	if n, _ := other.CountEvents(t.Context(), ref.TrajectoryID, ""); n != 3 {
		t.Errorf("%d events, want 3", n)
	}
	if got, err := other.Trajectory(t.Context(), ref.TrajectoryID); err != nil || got.Phase != trajectory.PhaseIntakeDone || got.NextDueAt != nil {
		t.Errorf("after a late event: phase %s, next due %v (%v); want the read model as the erasure left it", got.Phase, got.NextDueAt, err)
	}
}

func TestRotationRewrapsDataKeysSoTheOldKeyCanGo(t *testing.T) {
	s := newStore(t)
	oldSpec, err := keys.Generate("2026-01", "p1")
	if err != nil {
		t.Fatal(err)
	}
	newSpec, _ := keys.Generate("2026-07", "p1")
	mustKeys := func(spec string) *keys.ProgrammeKeys {
		pk, err := keys.ParseProgrammeKeys(spec)
		if err != nil {
			t.Fatal(err)
		}
		return pk
	}
	old := s.WithKeys(mustKeys(oldSpec))
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ref := referredEvent("p1", "org", "R-1", at)
	record(t, old, ref)

	// The new key goes first: running trajectories keep working, new
	// data keys are wrapped by it.
	both := s.WithKeys(mustKeys(newSpec + "," + oldSpec))
	if got, err := both.Trajectory(t.Context(), ref.TrajectoryID); err != nil || got.Family == nil {
		t.Fatalf("with both keys: %+v, %v", got, err)
	}
	ref2 := referredEvent("p1", "org", "R-2", at)
	record(t, both, ref2)
	inUse, err := both.Vault().KeysInUse(t.Context())
	if err != nil || inUse["p1/2026-01"] != 1 || inUse["p1/2026-07"] != 1 {
		t.Fatalf("keys in use: %v, %v", inUse, err)
	}

	n, err := both.Vault().Rewrap(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("rewrap: %d, %v; want 1 rewrapped", n, err)
	}
	if inUse, _ := both.Vault().KeysInUse(t.Context()); inUse["p1/2026-01"] != 0 {
		t.Errorf("after rewrap the old key still wraps %d data keys", inUse["p1/2026-01"])
	}
	// The old key dropped: everything still reads.
	onlyNew := s.WithKeys(mustKeys(newSpec))
	for _, id := range []string{ref.TrajectoryID, ref2.TrajectoryID} {
		if got, err := onlyNew.Trajectory(t.Context(), id); err != nil || got.Family == nil {
			t.Errorf("%s with only the new key: %+v, %v", id, got, err)
		}
	}
	// And the old key alone no longer opens anything.
	if _, err := s.WithKeys(mustKeys(oldSpec)).Trajectory(t.Context(), ref.TrajectoryID); err == nil {
		t.Error("the dropped key still opens a rewrapped data key")
	}
}
