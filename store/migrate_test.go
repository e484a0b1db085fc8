package store

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elkgezin/elkgezin/internal/pgtest"
)

// migrateAsBefore migrates the database at url to version as the runner
// before tern did: each migration in its transaction under the lock, with
// a row per version in schema_migrations. It returns the pool.
func migrateAsBefore(t *testing.T, url string, version int) *pgxpool.Pool {
	t.Helper()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	migrations, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		if m.version > version {
			break
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
					version    integer PRIMARY KEY,
					name       text        NOT NULL,
					applied_at timestamptz NOT NULL DEFAULT now()
				)`)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	return pool
}

func countOldVersions(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrateAdoptsTheVersionsOfTheRunnerBefore: a database the runner
// before tern migrated, fully or part of the way (before the versions no
// file has, and after them), is migrated on from where it stands, none of
// its migrations applied again (which would fail: tables exist), and its
// schema_migrations is left as it was.
func TestMigrateAdoptsTheVersionsOfTheRunnerBefore(t *testing.T) {
	t.Parallel()
	for _, at := range []int{0, 8, 12, lastMigration(t)} {
		t.Run(fmt.Sprintf("at %d", at), func(t *testing.T) {
			t.Parallel()
			pool := migrateAsBefore(t, pgtest.NewDatabase(t), at)
			before := 0
			if at > 0 {
				before = countOldVersions(t, pool)
			}
			for range 2 {
				if err := Migrate(t.Context(), pool); err != nil {
					t.Fatalf("migrating a database migrated to %d before tern: %v", at, err)
				}
			}
			if got, want := schemaVersion(t, pool), lastMigration(t); got != want {
				t.Errorf("schema version %d, want %d", got, want)
			}
			if at > 0 {
				if got := countOldVersions(t, pool); got != before {
					t.Errorf("schema_migrations has %d rows after, %d before", got, before)
				}
			}
		})
	}
}

// TestConcurrentMigrateAdoptsOnce: processes that start at once on a
// database the runner before tern migrated part of the way adopt it once
// and apply each later migration once.
func TestConcurrentMigrateAdoptsOnce(t *testing.T) {
	t.Parallel()
	pool := migrateAsBefore(t, pgtest.NewDatabase(t), 8)
	const processes = 4
	errs := make([]error, processes)
	var wg sync.WaitGroup
	for i := range processes {
		wg.Go(func() { errs[i] = Migrate(t.Context(), pool) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Migrate %d: %v", i, err)
		}
	}
	if got, want := schemaVersion(t, pool), lastMigration(t); got != want {
		t.Errorf("schema version %d, want %d", got, want)
	}
}

// TestMigrateRefusesVersionsNoReleaseApplied: a schema_migrations that is
// not the first migrations in order was made by no release; tern is not
// given a version guessed from it.
func TestMigrateRefusesVersionsNoReleaseApplied(t *testing.T) {
	t.Parallel()
	pool := migrateAsBefore(t, pgtest.NewDatabase(t), 3)
	if _, err := pool.Exec(t.Context(), `DELETE FROM schema_migrations WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(t.Context(), pool); err == nil {
		t.Fatal("Migrate adopted schema_migrations without version 2")
	}
	var adopted bool
	if err := pool.QueryRow(t.Context(), `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&adopted); err != nil {
		t.Fatal(err)
	}
	if adopted {
		t.Error("schema_version was made from a schema_migrations no release wrote")
	}
}

// TestMigrateLeavesADatabaseANewerReleaseMigrated: a release that knows
// fewer migrations than the database has seen starts on it and changes
// nothing, as one did before tern.
func TestMigrateLeavesADatabaseANewerReleaseMigrated(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	newer := lastMigration(t) + 3
	if _, err := s.Pool().Exec(t.Context(), `UPDATE schema_version SET version = $1`, newer); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(t.Context(), s.Pool()); err != nil {
		t.Fatalf("migrating a database a newer release migrated: %v", err)
	}
	if got := schemaVersion(t, s.Pool()); got != newer {
		t.Errorf("schema version %d, want %d as the newer release left it", got, newer)
	}
}

// TestWithUnusedKeepsTernsVersionTheFilesNumber: tern numbers migrations
// by their place; the versions no file has are filled so that the
// version tern records is the last file's number.
func TestWithUnusedKeepsTernsVersionTheFilesNumber(t *testing.T) {
	migrations, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	all := withUnused(migrations)
	for i, m := range all {
		if m.version != i+1 {
			t.Errorf("migration %d in order has version %d (%s)", i+1, m.version, m.name)
		}
	}
}
