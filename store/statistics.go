package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// statisticsLockID is the advisory lock that lets one process at a time
// refresh statistics; it is "elkstats" in ASCII.
const statisticsLockID int64 = 0x656c6b7374617473

// RefreshStatistics analyzes each of elkgezin's tables that changed enough
// since its last analyze, by autovacuum's own rule and the server's own
// autovacuum_analyze_threshold and autovacuum_analyze_scale_factor, and
// returns the tables it analyzed.
//
// The list's plans rest on statistics: a trajectories table that was never
// analyzed gets every row of a programme sorted for one page of 50 (15 ms at
// 20,000 rows, growing with the table), where an analyzed one is read in
// order through its index (0.1 ms; BENCHMARKS.md). Autovacuum does this where
// it is on; where it is off (some servers, this project's CI machine) nothing
// else would. Where autovacuum got there first, there is nothing to do.
//
// When another process is refreshing, it returns at once with nothing done.
func (s *Store) RefreshStatistics(ctx context.Context) ([]string, error) {
	var analyzed []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, statisticsLockID).Scan(&locked); err != nil {
			return fmt.Errorf("take statistics lock: %w", err)
		}
		if !locked {
			return nil
		}
		// reltuples is -1 for a table never analyzed: it counts as empty,
		// as autovacuum counts it.
		rows, err := tx.Query(ctx, `
			SELECT s.schemaname, s.relname
			FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
			WHERE s.schemaname = current_schema()
			  AND s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
			      + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
			ORDER BY s.relname`)
		if err != nil {
			return fmt.Errorf("find tables with stale statistics: %w", err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Schema, Name string }])
		if err != nil {
			return fmt.Errorf("find tables with stale statistics: %w", err)
		}
		for _, t := range tables {
			if _, err := tx.Exec(ctx, `ANALYZE `+pgx.Identifier{t.Schema, t.Name}.Sanitize()); err != nil {
				return fmt.Errorf("analyze %s: %w", t.Name, err)
			}
			analyzed = append(analyzed, t.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("refresh statistics: %w", err)
	}
	return analyzed, nil
}
