// Package pgtest gives each test its own empty PostgreSQL database, so
// tests run against the real server, in parallel, without seeing each
// other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server tests use when TEST_DATABASE_URL is not set:
// a local PostgreSQL with trust authentication.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// NewDatabase creates a new, uniquely named, empty database on the server
// at TEST_DATABASE_URL (or DefaultURL), returns its URL and drops it when
// the test ends. A server that cannot be reached fails the test: a skipped
// test would pass unnoticed.
func NewDatabase(t testing.TB) string {
	t.Helper()
	// template0 takes no connections, so tests creating databases at once
	// never find the template busy.
	return create(t, "template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
}

// Template is a database prepared once and cloned for each test, so a test
// that needs a migrated schema does not pay for the migration.
type Template struct {
	// Name names the template on the server; it should change whenever
	// Setup would build a different database (a digest of the schema), so
	// test runs from different versions of the code share the server
	// without sharing a template. At most 40 letters, digits or '_'.
	Name string
	// Setup brings the empty database at url to the template's state. It
	// runs once per Name on the server, under an advisory lock, and must
	// close its connections before it returns.
	Setup func(ctx context.Context, url string) error
}

var (
	templatesMu sync.Mutex
	templates   = map[string]bool{} // names this process has seen ready
)

// NewDatabaseFrom is NewDatabase with the database cloned from tpl instead
// of empty; the template is built on first use and kept on the server.
func NewDatabaseFrom(t testing.TB, tpl Template) string {
	t.Helper()
	if !validTemplateName.MatchString(tpl.Name) {
		t.Fatalf("pgtest: template name %q: want 1 to 40 of [a-z0-9_]", tpl.Name)
	}
	name := "pgtpl_" + tpl.Name
	ensureTemplate(t, name, tpl.Setup)
	return create(t, pgx.Identifier{name}.Sanitize())
}

var validTemplateName = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// ensureTemplate builds the template database name once per server: other
// test processes (go test runs packages in parallel) wait on the same
// advisory lock and find it built. A template is ready when it takes no
// more connections; one half-built by a killed run is dropped and rebuilt.
func ensureTemplate(t testing.TB, name string, setup func(context.Context, string) error) {
	t.Helper()
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if templates[name] {
		return
	}
	serverURL := serverURL()
	admin := connect(t, serverURL)
	defer admin.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, name); err != nil {
		t.Fatalf("pgtest: lock template %s: %v", name, err)
	}
	defer admin.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, name)

	var exists, ready bool
	err := admin.QueryRow(ctx, `SELECT true, NOT datallowconn FROM pg_database WHERE datname = $1`, name).Scan(&exists, &ready)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("pgtest: look up template %s: %v", name, err)
	}
	if !ready {
		quoted := pgx.Identifier{name}.Sanitize()
		if exists {
			if _, err := admin.Exec(ctx, "DROP DATABASE "+quoted+" WITH (FORCE)"); err != nil {
				t.Fatalf("pgtest: drop half-built template %s: %v", name, err)
			}
		}
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+quoted+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
			t.Fatalf("pgtest: create template %s: %v", name, err)
		}
		if err := setup(ctx, withDatabase(serverURL, name)); err != nil {
			t.Fatalf("pgtest: set up template %s: %v", name, err)
		}
		// No connections from now on: a clone needs a template nobody
		// is connected to, and this marks the template ready.
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+quoted+" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"); err != nil {
			t.Fatalf("pgtest: seal template %s: %v", name, err)
		}
		if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
			t.Fatalf("pgtest: close connections to template %s: %v", name, err)
		}
	}
	templates[name] = true
}

func serverURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// create creates a database for the test from template (SQL after
// TEMPLATE), returns its URL and drops it when the test ends.
func create(t testing.TB, template string) string {
	t.Helper()
	serverURL := serverURL()
	name := databaseName(t)

	admin := connect(t, serverURL)
	defer admin.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quoted := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+quoted+" TEMPLATE "+template); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		admin := connect(t, serverURL)
		defer admin.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(serverURL, name)
}

func connect(t testing.TB, serverURL string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		// The parse error may quote the URL, password included.
		t.Fatalf("pgtest: TEST_DATABASE_URL is malformed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: cannot reach PostgreSQL as %s at %s:%d: %v\n"+
			"These tests need a real PostgreSQL, 13 or later. On Debian/Ubuntu:\n"+
			"  sudo apt-get install -y postgresql && sudo pg_ctlcluster $(ls /etc/postgresql) main start\n"+
			"and let this user connect over TCP (trust, or a password in the URL), or set\n"+
			"TEST_DATABASE_URL to a server where this user may create databases.",
			cfg.User, cfg.Host, cfg.Port, err)
	}
	return conn
}

// databaseName is the test's name, cut to fit, with a random suffix, so a
// database left behind by a killed run tells where it came from.
func databaseName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() == 30 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatalf("pgtest: random name: %v", err)
	}
	return "test_" + b.String() + "_" + hex.EncodeToString(suffix)
}

// withDatabase returns serverURL pointing at database name; it takes both
// URLs and keyword/value connection strings.
func withDatabase(serverURL, name string) string {
	if u, err := url.Parse(serverURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return serverURL + " dbname=" + name
}
