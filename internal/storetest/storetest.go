// Package storetest gives each test its own PostgreSQL database with the
// store's schema already in place: a clone of a template migrated once, by
// store.Migrate, instead of a migration per test.
package storetest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/store"
)

// NewDatabase returns the URL of a new database holding the store's
// current schema and no rows; it is dropped when the test ends. The
// template is named after store.MigrationsDigest, so a changed migration
// builds a new one.
func NewDatabase(t testing.TB) string {
	t.Helper()
	digest, err := store.MigrationsDigest()
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return pgtest.NewDatabaseFrom(t, pgtest.Template{
		Name: "elkgezin_" + digest,
		Setup: func(ctx context.Context, url string) error {
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				return err
			}
			defer pool.Close()
			return store.Migrate(ctx, pool)
		},
	})
}
