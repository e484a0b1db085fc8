package e2e

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
)

// supervisorQuestions are the questions of docs/supervisors.md's table of Temporal
// UI queries, with the trajectories (a, b, c below) each must return.
var supervisorQuestions = map[string]func(a, b, c string) []string{
	"overdue trajectories of the GO-team":   func(a, b, c string) []string { return []string{b} },
	"overdue trajectories of one coach":     func(a, b, c string) []string { return []string{b} },
	"escalated to me":                       func(a, b, c string) []string { return []string{b} },
	"waiting for a coach":                   func(a, b, c string) []string { return []string{a} },
	"one coach's families":                  func(a, b, c string) []string { return []string{b} },
	"referred by the police, still running": func(a, b, c string) []string { return []string{a, b, c} },
	"home visits due before a date":         func(a, b, c string) []string { return []string{b, c} },
	// None of a, b, c had an email fail; TestEveryPathReplays finds one that did.
	"an email could not be delivered": func(a, b, c string) []string { return nil },
}

// docQueries reads docs/supervisors.md's table of supervisor queries,
// question to query, with this test's programme, coach, partner and date
// in them.
func docQueries(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile("../docs/supervisors.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(doc), "\n## Queries\n")
	if start < 0 {
		t.Fatal("docs/supervisors.md has no section ## Queries")
	}
	section := string(doc)[start:]
	if end := strings.Index(section[1:], "\n## "); end > 0 {
		section = section[:end+1] // only this section's table
	}
	substitute := strings.NewReplacer(
		`"go-team-mechelen"`, `"test-seconds"`,
		`"go-coach-2"`, `"test-coach-2"`,
		`"politie-jeugd-en-gezin"`, `"test-partner"`,
		`"2027-01-01T00:00:00Z"`, `"`+time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339)+`"`,
	)
	queries := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 4 || !strings.HasPrefix(strings.TrimSpace(cells[2]), "`") {
			continue
		}
		queries[strings.TrimSpace(cells[1])] = substitute.Replace(strings.Trim(strings.TrimSpace(cells[2]), "`"))
	}
	return queries
}

// TestSupervisorQueries runs docs/supervisors.md's supervisor queries on the dev
// server: the search attributes the workflow upserts answer them.
// Trajectory a waits for a coach; b, of test-coach-2, has a visit that
// became overdue and escalated; c, of test-coach, is on schedule.
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
	s.mustStep(supervisor, b, "assignment", map[string]any{"coach": "test-coach-2"})
	// The token first: making one runs a process, which on a busy machine
	// takes longer than the 2s below.
	s.token("coach:test-coach-2")
	s.mustStep("coach:test-coach-2", b, "intake", map[string]any{"next_visit_due_at": time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)})
	s.mustStep(supervisor, c, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep("coach:test-coach", c, "intake", map[string]any{"next_visit_due_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	// b's visit is due in 2s and alerted 6s later.
	s.waitFor(supervisor, b, func(v map[string]any) bool { return v["escalated"] == true })

	queries := docQueries(t)
	if len(queries) != len(supervisorQuestions) {
		t.Fatalf("docs/supervisors.md lists %d supervisor queries %v, the test knows %d", len(queries), queries, len(supervisorQuestions))
	}
	for question, want := range supervisorQuestions {
		query, ok := queries[question]
		if !ok {
			t.Errorf("docs/supervisors.md has no query for %q", question)
			continue
		}
		t.Run(question, func(t *testing.T) {
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
