// Package pgtest gives each test its own empty PostgreSQL database, so
// tests run against the real server, in parallel, without seeing each
// other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server tests use when TEST_DATABASE_URL is not set:
// a local PostgreSQL with trust authentication.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// NewDatabase creates a new, uniquely named database on the server at
// TEST_DATABASE_URL (or DefaultURL), returns its URL and drops it when the
// test ends. A server that cannot be reached fails the test: a skipped
// test would pass unnoticed.
func NewDatabase(t testing.TB) string {
	t.Helper()
	serverURL := os.Getenv("TEST_DATABASE_URL")
	if serverURL == "" {
		serverURL = DefaultURL
	}
	name := databaseName(t)

	admin := connect(t, serverURL)
	defer admin.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// template0 takes no connections, so tests creating databases at once
	// never find the template busy.
	quoted := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+quoted+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
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
