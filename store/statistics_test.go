package store

import (
	"encoding/json"
	"slices"
	"testing"
)

// growTrajectories inserts n trajectories, all but every twentieth of
// programme p1 (the rest p2), referred a second apart, as a bulk of
// referrals grows the read model.
func growTrajectories(t *testing.T, s *Store, n int) {
	t.Helper()
	conn, err := s.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	_, err = conn.Exec(t.Context(), `
		INSERT INTO trajectories (id, programme_id, referrer_org, phase, referred_at, updated_at, version)
		SELECT 'grown-' || i, CASE WHEN i % 20 = 0 THEN 'p2' ELSE 'p1' END, 'cpas', 'referred',
		       timestamptz '2026-01-01 00:00:00Z' + i * interval '1 second', now(), 1
		FROM generate_series(1, $1::int) AS i`, n)
	if err != nil {
		t.Fatal(err)
	}
	// A backend publishes its counts of changed rows up to seconds later;
	// these are wanted at once: the flush after this statement publishes them.
	if _, err := conn.Exec(t.Context(), `SELECT pg_stat_force_next_flush()`); err != nil {
		t.Fatal(err)
	}
}

// planNodes returns the node types of the plan of the list's query for f,
// outermost first.
func planNodes(t *testing.T, s *Store, f Filter) []string {
	t.Helper()
	query, args, _, err := listQuery(f)
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := s.pool.QueryRow(t.Context(), `EXPLAIN (FORMAT JSON) `+query, args...).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	type node struct {
		Type  string `json:"Node Type"`
		Plans []node `json:"Plans"`
	}
	var plans []struct{ Plan node }
	if err := json.Unmarshal(raw, &plans); err != nil {
		t.Fatal(err)
	}
	var types []string
	var walk func(node)
	walk = func(n node) {
		types = append(types, n.Type)
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	return types
}

// A supervisor's first page over a grown read model is read in order through
// an index once the worker has refreshed the statistics; before, the planner
// sorts every row of the supervisor's programmes for it.
func TestRefreshStatisticsLetsTheListReadItsIndexInOrder(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	// Keep autovacuum out where the server runs it: this test is about
	// servers where it does not.
	if _, err := s.pool.Exec(t.Context(), `ALTER TABLE trajectories SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	growTrajectories(t, s, 20000)
	supervisor := Filter{ProgrammeIDs: []string{"p1", "p2"}}

	if nodes := planNodes(t, s, supervisor); !slices.Contains(nodes, "Sort") {
		t.Fatalf("before any analyze the plan is %v; the test expects the sort of every row it guards against", nodes)
	}

	analyzed, err := s.RefreshStatistics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(analyzed, "trajectories") {
		t.Fatalf("analyzed %v, want trajectories among them", analyzed)
	}
	nodes := planNodes(t, s, supervisor)
	if slices.Contains(nodes, "Sort") || !slices.Contains(nodes, "Index Scan") {
		t.Fatalf("after the refresh the plan is %v, want an index read in order with no sort", nodes)
	}

	// Nothing changed since: nothing to analyze.
	again, err := s.RefreshStatistics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("second refresh analyzed %v, want nothing", again)
	}
}

// Two workers refresh at once: one analyzes, the other leaves it to it.
func TestRefreshStatisticsLeavesTheWorkToTheProcessAlreadyDoingIt(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	if _, err := s.pool.Exec(t.Context(), `ALTER TABLE trajectories SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	growTrajectories(t, s, 500)
	other, err := s.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	if _, err := other.Exec(t.Context(), `SELECT pg_advisory_lock($1)`, statisticsLockID); err != nil {
		t.Fatal(err)
	}
	analyzed, err := s.RefreshStatistics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(analyzed) != 0 {
		t.Fatalf("analyzed %v while another process held the lock", analyzed)
	}
	if _, err := other.Exec(t.Context(), `SELECT pg_advisory_unlock($1)`, statisticsLockID); err != nil {
		t.Fatal(err)
	}
	analyzed, err = s.RefreshStatistics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(analyzed, "trajectories") {
		t.Fatalf("analyzed %v once the lock was free, want trajectories", analyzed)
	}
}
