package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// activityFakeStore is the fake store with collective activities, kept as
// PostgreSQL keeps them: the first one stored under an id stays.
type activityFakeStore struct {
	*fakeStore
	mu         sync.Mutex
	activities map[string]store.CollectiveActivity
}

func (f *activityFakeStore) RecordCollectiveActivity(_ context.Context, a store.CollectiveActivity) (store.CollectiveActivity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.activities[a.ID]; ok {
		return old, nil
	}
	a.Trajectories = slices.Clone(a.Trajectories)
	a.RecordedAt = time.Now().UTC() // as the database's default does
	f.activities[a.ID] = a
	return a, nil
}

// TestAttendanceAcrossProgrammesAndCoaches: one activity names families
// of the caller, of another coach of the programme, of another programme,
// and one that does not exist. Access is checked with the narrow read
// before anything of a family is read, each family that is not the
// caller's is answered exactly as the one that does not exist, and the
// activity stores only the caller's.
func TestAttendanceAcrossProgrammesAndCoaches(t *testing.T) {
	var acts *activityFakeStore
	f := newFixture(t, func(c *Config) {
		acts = &activityFakeStore{fakeStore: c.Store.(*fakeStore), activities: map[string]store.CollectiveActivity{}}
		c.Store = acts
	})
	mine, otherCoach := testID("test-seconds", "test-partner", "mijn"), testID("test-seconds", "test-partner", "collega")
	mechelen, unknown := testID("go-team-mechelen", "test-partner", "mechelen"), testID("test-seconds", "test-partner", "niemand")
	f.store.add(mine, trajectory.PhaseInSupport)
	f.store.add(otherCoach, trajectory.PhaseInSupport)
	f.store.add(mechelen, trajectory.PhaseInSupport)
	f.store.mu.Lock()
	row := f.store.rows[otherCoach]
	row.CoachID = "test-coach-2"
	f.store.rows[otherCoach] = row
	row = f.store.rows[mechelen]
	row.ProgrammeID, row.CoachID = "go-team-mechelen", "test-coach"
	f.store.rows[mechelen] = row
	f.store.mu.Unlock()

	post := func(auth, key string, ids ...string) (CollectiveActivityResponse, response) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"held_on": "2025-03-01", "kind": "ouderavond", "trajectories": ids})
		res := f.do(http.MethodPost, "/v1/programmes/test-seconds/activities", body, authHeader, auth, "Idempotency-Key", key)
		var out CollectiveActivityResponse
		if res.status == http.StatusCreated {
			if err := json.Unmarshal(res.body, &out); err != nil {
				t.Fatal(err)
			}
		}
		return out, res
	}
	for _, tc := range []struct {
		name, auth string
		recorded   []string // the families recorded and stored; every other one is not_found
	}{
		{"a coach", asCoach, []string{mine}},
		{"a supervisor of the programme", asSupervisor, []string{mine, otherCoach}},
	} {
		f.store.reads = 0
		before := len(f.temporal.updates)
		out, res := post(tc.auth, "act-"+tc.auth[len("Bearer "):], mine, otherCoach, mechelen, unknown, mine)
		res.want(t, http.StatusCreated)
		if loc := res.header.Get("Location"); loc != "/v1/programmes/test-seconds/activities/"+out.Activity.ID {
			t.Errorf("%s: Location %q", tc.name, loc)
		}
		if f.store.reads != 0 {
			t.Errorf("%s: %d reads of a whole trajectory; want access checked with the narrow read only", tc.name, f.store.reads)
		}
		if !slices.Equal(out.Activity.Trajectories, tc.recorded) || !slices.Equal(acts.activities[out.Activity.ID].Trajectories, tc.recorded) {
			t.Errorf("%s: activity stores %v (answered %v), want %v", tc.name, acts.activities[out.Activity.ID].Trajectories, out.Activity.Trajectories, tc.recorded)
		}
		var updated []string
		for _, u := range f.temporal.updates[before:] {
			updated = append(updated, u.WorkflowID)
		}
		if !slices.Equal(updated, tc.recorded) {
			t.Errorf("%s: attendance sent to %v, want %v", tc.name, updated, tc.recorded)
		}
		var unknownAnswer []byte
		for _, a := range out.Attendance {
			if a.Trajectory == unknown {
				a.Trajectory = ""
				unknownAnswer, _ = json.Marshal(a)
			}
		}
		if len(out.Attendance) != 4 || unknownAnswer == nil {
			t.Fatalf("%s: attendance %+v; want one answer per family", tc.name, out.Attendance)
		}
		for _, a := range out.Attendance {
			id := a.Trajectory
			a.Trajectory = ""
			got, _ := json.Marshal(a)
			switch {
			case slices.Contains(tc.recorded, id) && a.Outcome != "recorded":
				t.Errorf("%s: %s %s, want recorded", tc.name, id, got)
			case !slices.Contains(tc.recorded, id) && string(got) != string(unknownAnswer):
				t.Errorf("%s: %s answered %s; want exactly what an unknown one gets, %s", tc.name, id, got, unknownAnswer)
			}
		}
	}

	// PostgreSQL does not answer the access check: nothing is stored or sent.
	f.store.readErr = errors.New("connection refused")
	before := len(f.temporal.updates)
	if _, res := post(asCoach, "act-down", mine); res.status != http.StatusServiceUnavailable || len(f.temporal.updates) != before {
		t.Errorf("with the database down: %d and %d Updates; want 503 and none", res.status, len(f.temporal.updates)-before)
	}
	if len(acts.activities) != 2 {
		t.Errorf("%d activities stored, want the two above", len(acts.activities))
	}
}
