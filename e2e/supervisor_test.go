package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
)

// supervisorQueries are the Temporal UI queries the README lists for
// supervisors, with the test programme, coach and partner in them; each is
// run here against trajectories in known states.
var supervisorQueries = map[string]func(a, b, c string) []string{
	`Programme = "test-seconds" AND Overdue = true`:                          func(a, b, c string) []string { return []string{b} },
	`Programme = "test-seconds" AND Coach = "test-coach" AND Overdue = true`: func(a, b, c string) []string { return []string{b} },
	`Programme = "test-seconds" AND Escalated = true`:                        func(a, b, c string) []string { return []string{b} },
	`Programme = "test-seconds" AND Phase = "referred"`:                      func(a, b, c string) []string { return []string{a} },
	`Programme = "test-seconds" AND Coach = "test-coach-2"`:                  func(a, b, c string) []string { return []string{c} },
	`ReferrerOrganisation = "test-partner" AND ExecutionStatus = "Running"`:  func(a, b, c string) []string { return []string{a, b, c} },
	`Programme = "test-seconds" AND NextStep STARTS_WITH "home_visit" AND NextDueAt < "2100-01-01T00:00:00Z"`: func(a, b, c string) []string {
		return []string{b, c}
	},
}

// TestSupervisorQueries: the search attributes the workflow upserts answer
// a supervisor's questions in the Temporal UI. Trajectory a waits for a
// coach; b, of test-coach, has a visit that became overdue and escalated;
// c, of test-coach-2, is on schedule.
func TestSupervisorQueries(t *testing.T) {
	s := startStack(t)
	refer := func(reference string) string {
		status, created := s.call("partner:test-partner", "POST", "/v1/referrals", map[string]any{
			"programme": "test-seconds",
			"referrer":  map[string]any{"organisation": "test-partner", "reference": reference},
			"family":    map[string]any{"contact_name": "Query Gezin", "phone": "+32 470 00 00 01"},
			"reason":    "test",
		}, nil)
		if status != http.StatusCreated {
			t.Fatalf("referral: %d %v", status, created)
		}
		return created["id"].(string)
	}
	a, b, c := refer("Q-A"), refer("Q-B"), refer("Q-C")
	supervisor := "supervisor:test"
	s.mustStep(supervisor, b, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep("coach:test-coach", b, "intake", map[string]any{"next_visit_due": time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)})
	s.mustStep(supervisor, c, "assignment", map[string]any{"coach": "test-coach-2"})
	s.mustStep("coach:test-coach-2", c, "intake", map[string]any{"next_visit_due": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	// b's visit is due in 2s and alerted 6s later.
	s.waitFor(supervisor, b, func(v map[string]any) bool { return v["escalated"] == true })

	for query, want := range supervisorQueries {
		t.Run(query, func(t *testing.T) {
			expected := want(a, b, c)
			slices.Sort(expected)
			var got []string
			// Visibility follows the workflow by a moment.
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
				resp, err := s.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
				if err != nil {
					t.Fatalf("query %s: %v", query, err)
				}
				got = got[:0]
				for _, e := range resp.GetExecutions() {
					got = append(got, e.GetExecution().GetWorkflowId())
				}
				slices.Sort(got)
				if slices.Equal(got, expected) {
					return
				}
			}
			t.Errorf("query %s\n got %v\nwant %v (a=%s b=%s c=%s)", query, got, expected, a, b, c)
		})
	}
}
