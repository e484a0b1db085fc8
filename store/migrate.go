package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles holds the schema as numbered SQL files, so the binary
// carries its own schema and needs no migration tool beside it.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the advisory lock that serialises Migrate across
// processes; it is "elkgezin" in ASCII.
const migrationLockID int64 = 0x656c6b67657a696e

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies the migrations in store/migrations that the database has
// not seen yet, in order, each in its own transaction, and records them in
// schema_migrations. Every transaction first takes an advisory lock, so two
// processes that start at once apply each migration exactly once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	migrations, err := loadMigrations()
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if err := applyMigration(ctx, pool, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, pool *pgxpool.Pool, m migration) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		// Each statement below sees what the lock holder before us committed.
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var applied bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&applied); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if applied {
			return nil
		}
		// Without arguments pgx uses the simple protocol, which runs a file
		// of several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("record migration: %w", err)
		}
		return nil
	})
}

// loadMigrations reads the embedded files, sorted by version. A badly named
// file or a repeated version is a programming error, reported at start-up.
func loadMigrations() ([]migration, error) {
	paths, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var migrations []migration
	seen := map[int]string{}
	for _, p := range paths {
		name := path.Base(p)
		match := migrationName.FindStringSubmatch(name)
		if match == nil {
			return nil, fmt.Errorf("migration file %s: want a name like 0001_what_it_does.sql", name)
		}
		version, _ := strconv.Atoi(match[1])
		if other, ok := seen[version]; ok {
			return nil, fmt.Errorf("migration files %s and %s share version %d", other, name, version)
		}
		seen[version] = name
		sql, err := migrationFiles.ReadFile(p)
		if err != nil {
			return nil, err
		}
		migrations = append(migrations, migration{version: version, name: name, sql: string(sql)})
	}
	slices.SortFunc(migrations, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	return migrations, nil
}

// MigrationsDigest is a short hex digest of every migration's name and
// SQL: it changes whenever the schema Migrate builds changes, so a copy of
// a migrated database (a test template) can be named after it.
func MigrationsDigest() (string, error) {
	migrations, err := loadMigrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range migrations {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", m.name, len(m.sql), m.sql)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
