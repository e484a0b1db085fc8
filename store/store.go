// Package store is elkgezin's PostgreSQL persistence: the append-only event
// log of each trajectory, the read model the API lists and shows, and the
// ledger that keeps email sending idempotent. The workflow itself lives in
// Temporal; this is where people and reports read it.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elkgezin/elkgezin/keys"
)

// ErrNotFound is returned when the trajectory or email asked for does not
// exist; test for it with errors.Is.
var ErrNotFound = errors.New("not found")

// DefaultMaxConns is the size of the connection pool when the database URL
// does not say (pool_max_conns=N): enough for the API's concurrent requests
// or the worker's concurrent activities (the bench measured the default of
// 4 as a queue; see BENCHMARKS.md), well under PostgreSQL's 100.
const DefaultMaxConns = 20

// Store reads and writes elkgezin's tables through a connection pool. It is
// safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	vault *keys.Vault // nil until WithKeys: no personal data can be written
	// tokens remembers verified tokens for a few seconds; nil: none
	// (WithTokenCache).
	tokens *tokenCache
}

// Open connects to the database, checks that it answers and brings its
// schema up to date, so a process that got a Store can use it at once.
// Errors never repeat the URL: it may hold a password.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's parse errors quote the URL, password included when it
		// cannot tell where the password is: say what is wrong, not what it is.
		return nil, errors.New("open database: the database URL is malformed")
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		// pgx's default, max(4, CPUs), queues the API's requests behind
		// each other on a small machine: a request holds a connection for
		// its token, its audit entry and its read-model write in turn.
		cfg.MaxConns = DefaultMaxConns
	}
	for _, o := range opts {
		o(cfg)
	}
	timesInUTC(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database: connect to %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database: migrate: %w", err)
	}
	return &Store{pool: pool}, nil
}

// timesInUTC makes every connection scan timestamptz in UTC: pgx scans
// them in the process's local zone otherwise, and what the store returns
// goes out in answers, which carry UTC alone.
func timesInUTC(cfg *pgxpool.Config) {
	prev := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		if prev != nil {
			return prev(ctx, conn)
		}
		return nil
	}
}

// Option adjusts the pool's configuration before Open connects.
type Option func(*pgxpool.Config)

// WithTracer traces every query (telemetry.QueryTracer).
func WithTracer(t pgx.QueryTracer) Option {
	return func(c *pgxpool.Config) { c.ConnConfig.Tracer = t }
}

// Close closes every connection; call it once the Store is no longer used.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Pool gives the underlying pool to code that needs a query the Store does
// not offer, such as tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }
