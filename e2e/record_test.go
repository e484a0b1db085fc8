package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
)

// TestClosedTrajectoryOutlivesItsRun: a trajectory is closed and Temporal
// no longer holds its run (its namespace's retention passed; deleted here).
// The same referral sent again is answered 200 with the phase elkgezin
// recorded, closed; no workflow runs under its id, and the log is byte for
// byte what it was. A family referred again names the closed trajectory,
// and the new coach reads its history.
func TestClosedTrajectoryOutlivesItsRun(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	referral := map[string]any{
		"programme": "test-seconds",
		"referrer":  map[string]any{"organisation": "test-partner", "reference": "E2E-CLOSED-1"},
		"family":    map[string]any{"contact_name": "Sara Voorbeeld", "phone": "+32 470 11 22 33"},
		"reason":    "jonge moeder, alleen",
	}
	status, created := s.call("partner:test-partner", "POST", "/v1/referrals", referral, nil)
	if status != http.StatusCreated {
		t.Fatalf("referral: %d %v", status, created)
	}
	id := created["id"].(string)
	s.mustStep("supervisor:test", id, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep("coach:test-coach", id, "intake", map[string]any{"note": "eerste bezoek"})
	s.mustStep("coach:test-coach", id, "closure", map[string]any{"reason": "goals_reached"})
	run := s.client.GetWorkflow(ctx, id, "").GetRunID()
	if err := s.client.GetWorkflow(ctx, id, run).Get(ctx, nil); err != nil {
		t.Fatalf("the closed trajectory's workflow: %v", err)
	}
	s.assertLogIsHistory(id)
	before := s.rawLog(id)

	if _, err := s.client.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace: s.namespace, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: run},
	}); err != nil {
		t.Fatal(err)
	}
	var last error
	waitUntil(t, 2*time.Minute, "Temporal to forget the run", func() bool {
		_, last = s.client.DescribeWorkflow(ctx, id, "")
		var nf *serviceerror.NotFound
		return errors.As(last, &nf)
	})
	t.Logf("after the delete: %v", last)

	status, again := s.call("partner:test-partner", "POST", "/v1/referrals", referral, nil)
	if status != http.StatusOK || again["id"] != id || again["phase"] != "closed" {
		t.Fatalf("the same referral again: %d %v, want 200 closed", status, again)
	}
	if _, err := s.client.DescribeWorkflow(ctx, id, ""); err == nil {
		t.Error("a workflow runs under the closed trajectory's id")
	}
	if after := s.rawLog(id); after != before {
		t.Errorf("the log changed:\nbefore %s\nafter  %s", before, after)
	}

	// Referred again, with a new reference: a new trajectory names the
	// closed one, and its coach reads it.
	referral["referrer"] = map[string]any{"organisation": "test-partner", "reference": "E2E-CLOSED-2"}
	referral["previous_trajectory_id"] = id
	status, next := s.call("partner:test-partner", "POST", "/v1/referrals", referral, nil)
	if status != http.StatusCreated || next["id"] == id {
		t.Fatalf("referred again: %d %v", status, next)
	}
	s.mustStep("supervisor:test", next["id"].(string), "assignment", map[string]any{"coach": "test-coach-2"})
	view := s.waitFor("coach:test-coach-2", next["id"].(string), func(v map[string]any) bool { return v["previous_trajectory_id"] == id })
	if view == nil {
		t.Fatal("the new trajectory does not name the closed one")
	}
	if status, old := s.call("coach:test-coach-2", "GET", "/v1/trajectories/"+id, nil, nil); status != http.StatusOK || countEvents(old, "closed") != 1 {
		t.Errorf("the new coach reading the closed trajectory: %d %v", status, old)
	}
	if status, _ := s.call("coach:test-coach-2", "POST", "/v1/trajectories/"+id+"/visits", map[string]any{}, nil); status == http.StatusOK {
		t.Error("the new coach took a step in the closed trajectory")
	}
}

// rawLog is every column of the trajectory's log, as PostgreSQL holds it.
func (s *stack) rawLog(id string) string {
	s.t.Helper()
	conn := s.db()
	defer conn.Close(context.Background())
	var log string
	if err := conn.QueryRow(context.Background(), `SELECT coalesce(string_agg(
			concat_ws('|', pos, seq, cause, kind, actor, at, detail, encode(sealed_detail, 'hex'), recorded_at), E'\n' ORDER BY pos), '')
		FROM trajectory_events WHERE trajectory_id = $1`, id).Scan(&log); err != nil {
		s.t.Fatal(err)
	}
	if log == "" {
		s.t.Fatalf("no log for %s", id)
	}
	return fmt.Sprint(log)
}
