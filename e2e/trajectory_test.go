package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/elkgezin/elkgezin/apiclient"
	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestWholeTrajectoryOverHTTP drives one family's trajectory of the
// test-seconds programme from referral to closure, kills the worker while
// a visit is pending, and checks what reached PostgreSQL and the mailbox.
func TestWholeTrajectoryOverHTTP(t *testing.T) {
	s := startStack(t)
	coach := "coach:test-coach"
	supervisor := "supervisor:test-supervisor"
	partner := "partner:test-partner"

	referral := apiclient.Referral{
		Programme: "test-seconds",
		Referrer:  apiclient.Referrer{Organisation: "test-partner", Reference: "E2E-0001"},
		Family: apiclient.Family{ContactName: "Fatima Testgezin", Address: ptr("Stationsstraat 1, 1800 Vilvoorde"),
			Phone: ptr("+32 470 12 34 56")},
		Reason: "pregnant, no income, asks for help with housing",
	}

	// Referral, then the same referral again: one trajectory.
	api := s.partnerAPI(partner)
	created, err := api.CreateReferralWithResponse(t.Context(), nil, referral)
	if err != nil {
		t.Fatal(err)
	}
	if created.JSON201 == nil {
		t.Fatalf("referral: %d %s", created.StatusCode(), created.Body)
	}
	id := created.JSON201.Id
	if strings.Contains(id, "E2E") || strings.Contains(id, "Fatima") {
		t.Fatalf("trajectory id %q carries the reference or a name", id)
	}
	again, err := api.CreateReferralWithResponse(t.Context(), nil, referral)
	if err != nil {
		t.Fatal(err)
	}
	if again.JSON200 == nil || again.JSON200.Id != id {
		t.Fatalf("repeated referral: %d %s, want 200 with id %s", again.StatusCode(), again.Body, id)
	}

	// It is listed at once.
	status, list := s.call(supervisor, "GET", "/v1/trajectories?programme=test-seconds", nil, nil)
	if status != http.StatusOK || len(list["items"].([]any)) != 1 {
		t.Fatalf("list: %d %v", status, list)
	}

	s.assertFirstRunIsOneTask(id)

	// Before the assignment the coach does not even see the trajectory.
	if status, _ := s.call(coach, "POST", "/v1/trajectories/"+id+"/intake", map[string]any{}, nil); status != http.StatusNotFound {
		t.Fatalf("intake by a coach not (yet) assigned: %d, want 404", status)
	}
	s.stepAsRead(supervisor, id, "assignment", map[string]any{"coach": "test-coach"})
	// A step out of order is refused with the reason, and its code (which
	// crossed Temporal in the failure's encrypted details).
	status, refused := s.call(coach, "POST", "/v1/trajectories/"+id+"/visits", map[string]any{}, nil)
	if status != http.StatusConflict || !strings.Contains(refused["detail"].(string), "the intake is not recorded yet") ||
		refused["code"] != string(trajectory.CodeVisitBeforeIntake) {
		t.Fatalf("visit before the intake: %d %v", status, refused)
	}
	s.stepAsRead(coach, id, "intake", map[string]any{"note": "first visit at home, went well"})
	// Visit 1 in time (its reminder would come 14s after the intake); the
	// family and coach plan visit 2 in 15 seconds.
	visit2Due := time.Now().Add(15 * time.Second).UTC().Truncate(time.Second)
	s.stepAsRead(coach, id, "visits", map[string]any{"next_visit_due_at": visit2Due.Format(time.RFC3339)})

	// The worker crashes while visit 2's timers run, and comes back.
	s.killWorker()
	time.Sleep(3 * time.Second)
	s.startWorker()

	// Visit 2 is missed: reminder to the coach 6s before, alert to the
	// supervisor 6s after.
	reminder := s.smtp.WaitFor(t, func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Herinnering: huisbezoek 2") }, 30*time.Second)
	alert := s.smtp.WaitFor(t, func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Escalatie: huisbezoek 2") }, 30*time.Second)
	if reminder.To[0] != "coach@test.example" || alert.To[0] != "supervisor@test.example" {
		t.Errorf("reminder to %v, alert to %v", reminder.To, alert.To)
	}
	if !strings.Contains(reminder.Subject, id) || !strings.Contains(alert.Subject, id) {
		t.Errorf("subjects do not name the trajectory: %q, %q", reminder.Subject, alert.Subject)
	}
	if !alert.At.After(visit2Due.Add(5 * time.Second)) {
		t.Errorf("alert at %s, before due %s plus the grace of 6s", alert.At, visit2Due)
	}
	// The alert is recorded right after it is sent.
	view := s.waitFor(supervisor, id, func(v map[string]any) bool { return v["escalated"] == true })
	if next, _ := view["next_step"].(map[string]any); view["overdue"] != true || next["key"] != "home_visit-2" || next["number"] != float64(2) {
		t.Errorf("overdue trajectory: %v", view)
	}
	status, overdue := s.call(supervisor, "GET", "/v1/trajectories?overdue=true&coach=test-coach", nil, nil)
	if status != http.StatusOK || len(overdue["items"].([]any)) != 1 {
		t.Errorf("overdue list: %d %v", status, overdue)
	}

	s.stepAsRead(coach, id, "closure", map[string]any{"reason": "goals_reached"})
	status, closed := s.call(coach, "POST", "/v1/trajectories/"+id+"/visits", map[string]any{}, nil)
	if status != http.StatusConflict {
		t.Errorf("visit on a closed trajectory: %d %v, want 409", status, closed)
	}

	// No email twice, none that was not due, no family data in any of them.
	// Once the closed trajectory's workflow has completed, no activity can
	// send anything more: the inbox and the email ledger are final.
	s.waitCompleted(id)
	rows := s.ledger(id)
	if len(rows) != 3 {
		t.Errorf("email ledger of the trajectory: %+v, want the assignment notice, the reminder and the alert", rows)
	}
	for _, r := range rows {
		if r.status != "sent" {
			t.Errorf("ledger row %+v, want sent", r)
		}
	}
	msgs := s.smtp.Messages()
	if len(msgs) != 3 {
		var subjects []string
		for _, m := range msgs {
			subjects = append(subjects, m.Subject)
		}
		t.Errorf("%d emails, want exactly the assignment notice, the reminder and the alert: %q", len(msgs), subjects)
	}
	for _, m := range msgs {
		for _, secret := range []string{"Fatima", "Stationsstraat", "470 12 34 56", "E2E-0001"} {
			if strings.Contains(string(m.Raw), secret) {
				t.Errorf("email %q holds personal data %q", m.Subject, secret)
			}
		}
	}

	// Each step is in the event log exactly once.
	status, final := s.call(supervisor, "GET", "/v1/trajectories/"+id, nil, nil)
	if status != http.StatusOK || final["phase"] != "closed" {
		t.Fatalf("closed trajectory: %d %v", status, final)
	}
	count := map[string]int{}
	for _, e := range final["events"].([]any) {
		event := e.(map[string]any)
		count[event["kind"].(string)]++
		if event["actor"] == "" || event["actor"] == nil {
			t.Errorf("event %v has no actor", event)
		}
	}
	for _, kind := range []string{"referred", "coach_assigned", "assignment_notice_sent", "intake_done", "home_visit_done", "reminder_sent", "alert_sent", "closed"} {
		if count[kind] != 1 {
			t.Errorf("event %s logged %d times, want once (all: %v)", kind, count[kind], count)
		}
	}
	if len(final["events"].([]any)) != 8 {
		t.Errorf("event log %v, want 8 events", count)
	}
	s.assertEventLogInDatabase(id, 8)

	// A refused step left no trace in the workflow history: only the four
	// accepted Updates are there.
	accepted := 0
	iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED {
			accepted++
		}
	}
	if accepted != 4 {
		t.Errorf("%d accepted Updates in history, want 4 (assignment, intake, visit, closure)", accepted)
	}
	s.replayTrajectory(id, "whole-trajectory-with-missed-visit")
}

// assertFirstRunIsOneTask waits for the trajectory's first workflow task to
// arm the assignment limit, and checks that the referred event was written
// within that task (a local activity's marker), with no activity task, no
// second workflow task, no version marker and no search attribute upsert
// (the start carried them, with the code revision): what a referral costs
// Temporal.
func (s *stack) assertFirstRunIsOneTask(id string) {
	s.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var tasks, activities, localWrites, versions, upserts int
		iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			e, err := iter.Next()
			if err != nil {
				s.t.Fatal(err)
			}
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				tasks++
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				activities++
			case enumspb.EVENT_TYPE_MARKER_RECORDED:
				switch e.GetMarkerRecordedEventAttributes().GetMarkerName() {
				case "LocalActivity":
					localWrites++
				default:
					versions++
				}
			case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
				upserts++
			case enumspb.EVENT_TYPE_TIMER_STARTED:
				if tasks != 1 || activities != 0 || localWrites != 1 || versions != 0 || upserts != 0 {
					s.t.Fatalf("first run of %s: %d workflow tasks, %d activity tasks, %d local writes, %d other markers, %d upserts before the assignment limit's timer; want 1, 0, 1, 0 and 0",
						id, tasks, activities, localWrites, versions, upserts)
				}
				// `elkgezin versions` still finds the run's code revision.
				d, err := s.client.DescribeWorkflow(context.Background(), id, "")
				if err != nil {
					s.t.Fatal(err)
				}
				got := string(d.RawResponse.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["TemporalChangeVersion"].GetData())
				if want := fmt.Sprintf("code-revision-%d", trajectory.CodeRevision); !strings.Contains(got, want) {
					s.t.Errorf("TemporalChangeVersion of %s is %s, want %s", id, got, want)
				}
				return
			}
		}
	}
	s.t.Fatalf("trajectory %s armed no assignment limit within 20s", id)
}

// waitFor reads the trajectory until ok holds, for at most 45 seconds: an
// email activity whose worker was killed is retried once its heartbeat
// times out (5s), other activities after their StartToCloseTimeout (15s).
func (s *stack) waitFor(actor, id string, ok func(map[string]any) bool) map[string]any {
	s.t.Helper()
	var view map[string]any
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var status int
		status, view = s.call(actor, "GET", "/v1/trajectories/"+id, nil, nil)
		if status == http.StatusOK && ok(view) {
			return view
		}
	}
	s.t.Fatalf("trajectory %s never reached the expected state; last seen: %v", id, view)
	return nil
}

// mustStep posts a step and fails the test unless it is recorded.
func (s *stack) mustStep(actor, id, step string, body map[string]any) map[string]any {
	s.t.Helper()
	status, state := s.call(actor, "POST", "/v1/trajectories/"+id+"/"+step, body, nil)
	if status != http.StatusOK {
		s.t.Fatalf("%s: %d %v\nlogs of the worker and API:\n%s", step, status, state, s.Logs())
	}
	return state
}

// stepAsRead takes a step and reads the trajectory right after it: the
// step's answer and the read agree field by field, the one representation
// of a trajectory, with the workflow's own state on Temporal behind both.
func (s *stack) stepAsRead(actor, id, step string, body map[string]any) map[string]any {
	s.t.Helper()
	answer := s.mustStep(actor, id, step, body)
	status, read := s.call(actor, "GET", "/v1/trajectories/"+id, nil, nil)
	if status != http.StatusOK {
		s.t.Fatalf("read after %s: %d %v", step, status, read)
	}
	for k := range read {
		if _, ok := answer[k]; !ok {
			s.t.Errorf("%s: the step's answer lacks %s, which GET answers (%v)", step, k, read[k])
		}
	}
	// An event the workflow records on its own right after the step (the
	// notice of an assignment, once its email is sent) may land between
	// the answer and the read: then the read holds the answer's events
	// and more, and moved updated_at; the rest is the same.
	later := laterEvents(answer, read)
	if later < 0 {
		s.t.Errorf("%s: the step's answer holds events %v, GET right after it %v", step, answer["events"], read["events"])
	}
	for k, v := range answer {
		if later > 0 && (k == "events" || k == "updated_at") {
			continue
		}
		if !reflect.DeepEqual(v, read[k]) {
			s.t.Errorf("%s: %s is %v in the step's answer, %v in GET right after it", step, k, v, read[k])
		}
	}
	return answer
}

// laterEvents is how many events read holds after those of answer, or -1
// when answer's events are not the start of read's.
func laterEvents(answer, read map[string]any) int {
	a, _ := answer["events"].([]any)
	r, _ := read["events"].([]any)
	if len(r) < len(a) || !reflect.DeepEqual(a, r[:len(a)]) {
		return -1
	}
	return len(r) - len(a)
}

// call sends one API request as actor and decodes the JSON answer; it
// fails the test when there is no answer, so only the test goroutine may
// call it (other goroutines use request).
func (s *stack) call(actor, method, path string, body any, header map[string]string) (int, map[string]any) {
	s.t.Helper()
	var bearer string
	if actor != "" {
		bearer = s.token(actor)
	}
	status, out, err := s.request(bearer, method, path, body, header)
	if err != nil {
		s.t.Fatal(err)
	}
	return status, out
}

// request sends one API request with the bearer token (none if empty) and
// decodes the JSON answer. It touches no testing.T, so a goroutine may run
// it and hand the result to the test goroutine.
func (s *stack) request(bearer, method, path string, body any, header map[string]string) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.apiURL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	// A client makes one key per step it means, as the API asks.
	if method == http.MethodPost && strings.Contains(path, "/v1/trajectories/") {
		req.Header.Set("Idempotency-Key", rand.Text())
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := s.apiClient()
	c.Timeout = 30 * time.Second
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %d, body is not JSON: %w", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, out, nil
}

// db connects to the stack's database.
func (s *stack) db() *pgx.Conn {
	s.t.Helper()
	var url string
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			url = v
		}
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		s.t.Fatal(err)
	}
	return conn
}

// assertEventLogInDatabase reads the event log straight from PostgreSQL.
func (s *stack) assertEventLogInDatabase(id string, want int) {
	s.t.Helper()
	ctx := context.Background()
	conn := s.db()
	defer conn.Close(ctx)
	var n, distinct int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT kind) FROM trajectory_events WHERE trajectory_id = $1`, id).Scan(&n, &distinct); err != nil {
		s.t.Fatal(err)
	}
	if n != want || distinct != want {
		s.t.Errorf("trajectory_events holds %d rows of %d kinds, want %d once each", n, distinct, want)
	}
}

// waitCompleted waits, for at most 30 seconds, until the trajectory's
// workflow has completed.
func (s *stack) waitCompleted(id string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		s.t.Fatalf("trajectory %s did not complete: %v", id, err)
	}
}

// ledgerRow is one email of the email ledger (outbound_emails).
type ledgerRow struct {
	key, subject, status string
	attempts             int
}

// ledger reads the email ledger rows of one trajectory straight from
// PostgreSQL, oldest first.
func (s *stack) ledger(id string) []ledgerRow {
	s.t.Helper()
	ctx := context.Background()
	conn := s.db()
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT key, subject, status, attempts FROM outbound_emails
		WHERE starts_with(key, $1) ORDER BY first_attempt_at, key`, id+"/")
	if err != nil {
		s.t.Fatalf("read the email ledger: %v", err)
	}
	var out []ledgerRow
	for rows.Next() {
		var r ledgerRow
		if err := rows.Scan(&r.key, &r.subject, &r.status, &r.attempts); err != nil {
			s.t.Fatalf("read the email ledger: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		s.t.Fatalf("read the email ledger: %v", err)
	}
	return out
}

// ledgerEmail waits, for at most timeout, until the trajectory's ledger
// holds an email whose subject starts with subject and for which ok holds,
// and returns it.
func (s *stack) ledgerEmail(id, subject string, timeout time.Duration, ok func(ledgerRow) bool) ledgerRow {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		seen := s.ledger(id)
		for _, r := range seen {
			if strings.HasPrefix(r.subject, subject) && ok(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no email %q in the expected state in the ledger within %s; ledger: %+v", subject, timeout, seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
