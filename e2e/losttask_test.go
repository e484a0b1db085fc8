package e2e

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/logcheck"
	"github.com/elkgezin/elkgezin/payloadcodec"
)

// heldEventLock is the advisory lock the test holds while the worker's
// write of the referred event waits for it inside PostgreSQL.
const heldEventLock = 7_400_611

// TestLostWorkflowTaskLeavesTheLogItsHistory loses a trajectory's first
// workflow task with its worker: the task's write of the referred event
// reached PostgreSQL, then the worker was frozen and killed before it
// could complete the task, and a supervisor's assignment arrived
// meanwhile. The retried task writes the referral again (the same cause:
// nothing changes) and handles the assignment; its events reach the log
// only from the history. Afterwards the log is exactly the history, each
// event once in the history's order (logcheck), and no row was rewritten.
func TestLostWorkflowTaskLeavesTheLogItsHistory(t *testing.T) {
	programmes, _ := filepath.Abs("../deploy/programmes")
	// The processes name themselves to PostgreSQL, so the test holds the
	// worker's write and not the API's.
	s := startStackEnv(t, programmes, map[string][]string{
		"worker": {"PGAPPNAME=e2e-worker"}, "api": {"PGAPPNAME=e2e-api"},
	})
	ctx := context.Background()
	locker := s.db()
	defer locker.Close(ctx)
	if _, err := locker.Exec(ctx, `SELECT pg_advisory_lock($1)`, heldEventLock); err != nil {
		t.Fatal(err)
	}
	// The API cannot list this referral (so the workflow's write is the
	// one that lands); the worker's write waits inside PostgreSQL as it
	// commits, until the test lets it go: released, it commits, whatever
	// becomes of the worker.
	if _, err := locker.Exec(ctx, `
		CREATE FUNCTION test_hold_referral() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF current_setting('application_name') = 'e2e-api' THEN
				RAISE EXCEPTION 'the test keeps the API from listing this referral';
			END IF;
			PERFORM pg_advisory_xact_lock(`+strconv.Itoa(heldEventLock)+`);
			RETURN NULL;
		END $$;
		CREATE CONSTRAINT TRIGGER test_hold_referral AFTER INSERT ON trajectory_events DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW WHEN (NEW.kind = 'referred') EXECUTE FUNCTION test_hold_referral();`); err != nil {
		t.Fatal(err)
	}
	status, created := s.call("partner:test-partner", "POST", "/v1/referrals", map[string]any{
		"programme": "test-seconds",
		"referrer":  map[string]any{"organisation": "test-partner", "reference": "E2E-LOST-TASK"},
		"family":    map[string]any{"contact_name": "Sara Voorbeeld", "phone": "+32 470 11 22 33"},
		"reason":    "jonge moeder, alleen",
	}, nil)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("referral: %d %v, want 503 (started, not listed by the API)", status, created)
	}
	var id string
	waitUntil(t, 30*time.Second, "the first task's write of the referral to wait for the lock", func() bool {
		var waiting int
		// This database's wait for this lock: other tests share the server.
		err := locker.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
			WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database() AND l.objid = $1`, heldEventLock).Scan(&waiting)
		return err == nil && waiting == 1
	})
	// Frozen, the worker cannot read PostgreSQL's answer nor complete its
	// workflow task; the write commits once the lock is free.
	if err := s.worker.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Exec(ctx, `SELECT pg_advisory_unlock($1)`, heldEventLock); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the lost task's write to commit", func() bool {
		return locker.QueryRow(ctx, `SELECT trajectory_id FROM trajectory_events WHERE kind = 'referred'`).Scan(&id) == nil
	})
	if _, err := locker.Exec(ctx, `DROP TRIGGER test_hold_referral ON trajectory_events`); err != nil {
		t.Fatal(err)
	}

	// The assignment arrives while the task is out; the worker dies.
	assigned := make(chan int, 1)
	bearer := s.token("supervisor:test")
	go func() {
		status, _, _ := s.request(bearer, "POST", "/v1/trajectories/"+id+"/assignment", map[string]any{"coach": "test-coach"}, nil)
		assigned <- status
	}()
	time.Sleep(time.Second)
	s.killWorker()
	s.startWorker()
	select {
	case status := <-assigned:
		if status != http.StatusOK {
			t.Fatalf("assignment while the worker was lost: %d\n%s", status, s.Logs())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("assignment not answered within 90s\n%s", s.Logs())
	}
	s.waitFor("coach:test-coach", id, func(v map[string]any) bool {
		return countEvents(v, "assignment_notice_sent") == 1
	})
	s.assertLogIsHistory(id)
}

// assertLogIsHistory fails unless the trajectory's log is exactly the
// events of its workflow history (logcheck), and unless the log refuses to
// have its rows rewritten.
func (s *stack) assertLogIsHistory(id string) {
	s.t.Helper()
	ctx := context.Background()
	ring, err := payloadcodec.ParseKeyRing(testPayloadKeys)
	if err != nil {
		s.t.Fatal(err)
	}
	conn := s.db()
	defer conn.Close(ctx)
	checker := logcheck.Checker{Temporal: s.client, DB: conn, Causes: s.keyedStore(),
		Codec: payloadcodec.NewCodec(ring).WithDataKeys(s.keyedStore().Vault())}
	problems, err := checker.Problems(ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, p := range problems {
		s.t.Errorf("%s: %s", id, p)
	}
	if _, err := conn.Exec(ctx, `UPDATE trajectory_events SET at = at + interval '1 second' WHERE trajectory_id = $1`, id); err == nil {
		s.t.Errorf("the log of %s let a row be rewritten", id)
	}
}

func waitUntil(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
