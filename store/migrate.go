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
	"github.com/jackc/tern/v2/migrate"
)

// migrationFiles holds the schema as numbered SQL files, so the binary
// carries its own schema and needs no migration tool beside it.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the advisory lock that serialises Migrate across
// processes, held on one connection for the whole run; it is "elkgezin"
// in ASCII. The runner before tern took it for each migration, so the two
// never interleave either.
const migrationLockID int64 = 0x656c6b67657a696e

// versionTable is tern's record of the schema: one row, the version of the
// last migration applied.
const versionTable = "schema_version"

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// outsideTransaction is tern's marker of a migration run without a
// transaction; every migration here runs in one.
var outsideTransaction = regexp.MustCompile(`(?m)^---- tern: disable-tx ----$`)

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies the migrations in store/migrations that the database has
// not seen yet, in order, each in its own transaction with the version it
// sets (tern). An advisory lock held for the whole run makes two processes
// that start at once apply each migration exactly once. A database a newer
// release migrated further is left as it is: migrations only add, so an
// older release runs on it.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrateUpTo(ctx, pool, -1)
}

// migrateUpTo migrates up to version, or to the last migration when version
// is negative: a test writes what a release wrote at an older schema.
func migrateUpTo(ctx context.Context, pool *pgxpool.Pool, version int) (err error) {
	migrations, err := loadMigrations()
	if err != nil {
		return err
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := c.Conn()
	defer func() {
		// A session lock or a transaction left on the connection after an
		// error must not go back to the pool with it.
		if err == nil {
			_, err = conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockID)
		}
		if err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
		}
		c.Release()
	}()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	if err := adoptSchemaMigrations(ctx, conn, migrations); err != nil {
		return fmt.Errorf("adopt schema_migrations: %w", err)
	}
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Appended as they are, not through tern's loader, which would read
	// the SQL as a text template.
	all := withUnused(migrations)
	for _, mg := range all {
		m.AppendMigration(mg.name, mg.sql, "")
	}
	if version < 0 || version > len(all) {
		version = len(all)
	}
	current, err := m.GetCurrentVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if int(current) >= version {
		return nil
	}
	if err := m.MigrateTo(ctx, int32(version)); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// withUnused fills the versions no file has (9 to 11, see
// migrations/README.md) with a migration that changes nothing: tern
// numbers migrations by their place, so its version stays the number of
// the last file applied.
func withUnused(migrations []migration) []migration {
	var out []migration
	for _, m := range migrations {
		for v := len(out) + 1; v < m.version; v++ {
			out = append(out, migration{version: v, name: fmt.Sprintf("%04d_unused.sql", v), sql: "SELECT 1"})
		}
		out = append(out, m)
	}
	return out
}

// adoptSchemaMigrations gives a database that the runner before tern
// migrated (its schema_migrations holds a row per version applied) tern's
// version table, once, under the migration lock, at the last version it applied; tern then goes on
// from there instead of applying every migration again. A fresh database
// and one adopted before are left to tern.
func adoptSchemaMigrations(ctx context.Context, conn *pgx.Conn, migrations []migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var adopted, old bool
		err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL, to_regclass('schema_migrations') IS NOT NULL`, versionTable).Scan(&adopted, &old)
		if err != nil || adopted || !old {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			return err
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		last, err := lastApplied(migrations, applied)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `CREATE TABLE `+versionTable+` (version int4 NOT NULL);
			INSERT INTO `+versionTable+` (version) VALUES (`+strconv.Itoa(last)+`)`)
		return err
	})
}

// lastApplied is the last version applied when applied (sorted) is every
// migration up to it, as the runner before tern applied them; anything
// else is a database no release made, which tern must not guess about.
func lastApplied(migrations []migration, applied []int) (int, error) {
	for i, v := range applied {
		if i >= len(migrations) || migrations[i].version != v {
			return 0, fmt.Errorf("schema_migrations holds versions %v, not the first %d migrations in order", applied, len(applied))
		}
	}
	if len(applied) == 0 {
		return 0, nil
	}
	return applied[len(applied)-1], nil
}

// loadMigrations reads the embedded files, sorted by version. A badly named
// file, a repeated version or a migration outside a transaction is a
// programming error, reported at start-up.
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
		if outsideTransaction.Match(sql) {
			return nil, fmt.Errorf("migration file %s: every migration runs in a transaction; remove tern's disable-tx marker", name)
		}
		migrations = append(migrations, migration{version: version, name: name, sql: string(sql)})
	}
	slices.SortFunc(migrations, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	return migrations, nil
}

// MigrationsDigest is a short hex digest of every migration's name and
// SQL, and of the table that records the schema's version: it changes
// whenever the database Migrate builds changes, so a copy of a migrated
// database (a test template) can be named after it.
func MigrationsDigest() (string, error) {
	migrations, err := loadMigrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "tern\x00%s\x00", versionTable)
	for _, m := range migrations {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", m.name, len(m.sql), m.sql)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
