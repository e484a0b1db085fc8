package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
)

// newStore opens a Store on a fresh database that is dropped after the test.
func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s.WithKeys(keys.MustGenerate("test", keys.TestProgrammes...))
}

// testIDKey keys the trajectory ids of these tests.
var testIDKey = func() trajectory.IDKey {
	k, err := trajectory.ParseIDKey("nQlQsXRF6mWdnsDMs64Z7ser77llwM7L7Ozvwyj2Pa0=")
	if err != nil {
		panic(err)
	}
	return k
}()

// referredEvent is the first event of a trajectory, as the API writes it.
func referredEvent(programmeID, org, reference string, at time.Time) trajectory.Event {
	p := programme.Programme{ID: programmeID, AssignmentLimit: programme.Duration(48 * time.Hour)}
	r := trajectory.Referral{
		ProgrammeID: programmeID,
		Referrer:    trajectory.Referrer{Organisation: org, Reference: reference},
		Family:      trajectory.Family{ContactName: "Family " + reference, Phone: "+32 470 00 00 00", Language: "nl"},
		Reason:      "reason for " + reference,
	}
	return trajectory.ReferredEvent(trajectory.ID(testIDKey, programmeID, org, reference), p.ID, p.Timings(), r, at)
}

// nextEvent is the event after prev, an hour later, caused by an Update of
// its own, with the summary changed by change.
func nextEvent(prev trajectory.Event, kind string, change func(*trajectory.Summary)) trajectory.Event {
	e := trajectory.Event{
		TrajectoryID: prev.TrajectoryID,
		Seq:          prev.Seq + 1,
		Cause:        fmt.Sprintf("%s/update/%d", kind, prev.Seq+1),
		Kind:         kind,
		Actor:        "coach:an",
		At:           prev.At.Add(time.Hour),
		Summary:      prev.Summary,
	}
	if change != nil {
		change(&e.Summary)
	}
	return e
}

func record(t *testing.T, s *Store, events ...trajectory.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.RecordEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// schemaVersion is the version tern recorded: the last migration applied.
func schemaVersion(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT version FROM schema_version`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lastMigration is the version of the last migration file.
func lastMigration(t *testing.T) int {
	t.Helper()
	migrations, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(migrations) == 0 {
		t.Fatal("no migrations embedded")
	}
	return migrations[len(migrations)-1].version
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	t.Parallel()
	s := newStore(t) // Open migrated once
	for range 2 {
		if err := Migrate(t.Context(), s.Pool()); err != nil {
			t.Fatalf("migrating an up-to-date database: %v", err)
		}
	}
	if got, want := schemaVersion(t, s.Pool()), lastMigration(t); got != want {
		t.Errorf("schema version %d, want %d", got, want)
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	const processes = 4
	stores := make([]*Store, processes)
	errs := make([]error, processes)
	var wg sync.WaitGroup
	for i := range processes {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(stores[i].Close)
	}
	if got, want := schemaVersion(t, stores[0].Pool()), lastMigration(t); got != want {
		t.Errorf("schema version %d, want %d", got, want)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	for name, url := range map[string]string{
		"malformed":   "postgres://elk:s3cr3t-pw@127.0.0.1:notaport/db",
		"unreachable": "postgres://elk:s3cr3t-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"keyword":     "host=127.0.0.1 port=1 user=elk password=s3cr3t-pw connect_timeout=2 sslmode=disable",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(t.Context(), url)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "s3cr3t-pw") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
