package e2e

import (
	"context"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// heldEventLock is the advisory lock the test holds while the worker's
// event write waits for it inside PostgreSQL.
const heldEventLock = 7_400_611

// TestEventOfALostWorkflowTaskIsSuperseded kills the worker after a local
// activity of a workflow task has written its event but before the task
// completed, so Temporal never learns of that write. The task's retry sees
// an Update that arrived meanwhile and handles it first: the event number
// the lost write took now belongs to the Update's event. Both events must
// end up in the log once each, with no gap: the lost task's row is
// superseded by the event the trajectory committed, not kept in its place.
func TestEventOfALostWorkflowTaskIsSuperseded(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	locker := s.db()
	defer locker.Close(ctx)
	// The worker's write of the assignment notice's event waits inside
	// PostgreSQL, after its row is inserted, until the test lets it go.
	if _, err := locker.Exec(ctx, `SELECT pg_advisory_lock($1)`, heldEventLock); err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Exec(ctx, `
		CREATE FUNCTION test_hold_event() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_advisory_xact_lock(`+strconv.Itoa(heldEventLock)+`); RETURN NULL; END $$;
		CREATE TRIGGER test_hold_notice_event AFTER INSERT ON trajectory_events
			FOR EACH ROW WHEN (NEW.kind = 'assignment_notice_sent') EXECUTE FUNCTION test_hold_event();`); err != nil {
		t.Fatal(err)
	}

	id := s.referPlain("E2E-LOST-TASK", "Sara Voorbeeld")
	s.mustStep("supervisor:test", id, "assignment", map[string]any{"coach": "test-coach"})
	waitUntil(t, 30*time.Second, "the notice's event write to wait for the lock", func() bool {
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
	var lostSeq int64
	waitUntil(t, 30*time.Second, "the lost task's event to commit", func() bool {
		err := locker.QueryRow(ctx, `SELECT seq FROM trajectory_events WHERE trajectory_id = $1 AND kind = 'assignment_notice_sent'`, id).Scan(&lostSeq)
		return err == nil
	})
	if _, err := locker.Exec(ctx, `DROP TRIGGER test_hold_notice_event ON trajectory_events`); err != nil {
		t.Fatal(err)
	}

	// The coach's intake arrives while the task is out; the worker dies.
	intake := make(chan int, 1)
	bearer := s.token("coach:test-coach")
	go func() {
		status, _, _ := s.request(bearer, "POST", "/v1/trajectories/"+id+"/intake",
			map[string]any{"next_visit_due": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, nil)
		intake <- status
	}()
	time.Sleep(time.Second)
	s.killWorker()
	s.startWorker()
	select {
	case status := <-intake:
		if status != http.StatusOK {
			t.Fatalf("intake while the worker was lost: %d\n%s", status, s.Logs())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("intake not answered within 90s\n%s", s.Logs())
	}

	view := s.waitFor("coach:test-coach", id, func(v map[string]any) bool {
		return countEvents(v, "assignment_notice_sent") == 1 && countEvents(v, "intake_done") == 1
	})
	var n, top int64
	if err := locker.QueryRow(ctx, `SELECT count(*), max(seq) FROM trajectory_events WHERE trajectory_id = $1`, id).Scan(&n, &top); err != nil {
		t.Fatal(err)
	}
	if n != top {
		t.Errorf("events numbered up to %d, %d of them in the log: %v", top, n, view["events"])
	}
	for _, kind := range []string{"referred", "coach_assigned", "assignment_notice_sent", "intake_done"} {
		if got := countEvents(view, kind); got != 1 {
			t.Errorf("%d events %s, want 1: %v", got, kind, view["events"])
		}
	}
	t.Logf("the lost task wrote assignment_notice_sent as event %d; the log now: %v", lostSeq, view["events"])
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
