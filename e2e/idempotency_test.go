package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// answer is a raw API answer: status, headers and body.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) field(name string) any {
	var m map[string]any
	_ = json.Unmarshal(a.body, &m)
	return m[name]
}

// send sends one request as actor with exactly the headers given (no key
// is added), and keeps the answer as it came.
func (s *stack) send(actor, method, path, body string, header ...string) answer {
	s.t.Helper()
	req, err := http.NewRequest(method, s.apiURL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token(actor))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := s.apiClient()
	c.Timeout = 30 * time.Second
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestIdempotencyOverHTTP, against the workflow on a real Temporal: a step
// retried with its key answers the first answer, replayed, and the log
// holds it once; the key with another request is refused 422; another
// supervisor's same key is another step, which the workflow takes; a
// consultation retried with its key is one consultation; GET's ETag is the
// workflow's version, a step with it as If-Match is taken and one with a
// stale version is refused 412; every answer says its rate limits.
func TestIdempotencyOverHTTP(t *testing.T) {
	s := startStack(t)
	const sup, sup2, coach = "supervisor:test", "supervisor:test-2", "coach:test-coach"
	id := s.referPlain("IDEM-E2E-1", "Gezin Idempotent")
	path := "/v1/trajectories/" + id

	conn := s.db()
	defer conn.Close(context.Background())
	coachNow := func() string {
		var c string
		if err := conn.QueryRow(t.Context(), `SELECT coalesce(coach_id, '') FROM trajectories WHERE id = $1`, id).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if assign := s.send(sup, "POST", path+"/assignment", `{"coach":"test-coach"}`, "Idempotency-Key", "shared"); assign.status != http.StatusOK || coachNow() != "test-coach" {
		t.Fatalf("assignment: %d %s\n%s", assign.status, assign.body, s.Logs())
	}
	// The same key of another supervisor, with another coach: its own
	// step, which the workflow takes too (not the first's Update again).
	other := s.send(sup2, "POST", path+"/assignment", `{"coach":"test-coach-2"}`, "Idempotency-Key", "shared")
	if other.status != http.StatusOK || other.header.Get("Idempotent-Replayed") != "" || coachNow() != "test-coach-2" {
		t.Fatalf("another supervisor's key: %d %v %s; want the reassignment taken", other.status, other.header, other.body)
	}
	s.mustStep(sup, id, "assignment", map[string]any{"coach": "test-coach"})

	intake := `{"note":"Kennismaking.","next_visit_due_at":"` + time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339) + `"}`
	first := s.send(coach, "POST", path+"/intake", intake, "Idempotency-Key", "intake-1")
	again := s.send(coach, "POST", path+"/intake", intake, "Idempotency-Key", "intake-1")
	if first.status != http.StatusOK || again.status != http.StatusOK || again.header.Get("Idempotent-Replayed") != "true" ||
		!bytes.Equal(first.body, again.body) || again.header.Get("ETag") != first.header.Get("ETag") {
		t.Fatalf("intake %d %s, retried %d %v %s", first.status, first.body, again.status, again.header, again.body)
	}
	if reused := s.send(coach, "POST", path+"/intake", `{"note":"Iets anders."}`, "Idempotency-Key", "intake-1"); reused.status != http.StatusUnprocessableEntity ||
		reused.field("code") != "idempotency_key_reused" {
		t.Errorf("the key with another intake: %d %s", reused.status, reused.body)
	}

	// GET's version is the workflow's: If-Match with it is taken, a stale
	// one refused.
	got := s.send(sup, "GET", path, "")
	etag := stableETag(s, sup, path)
	if got.status != http.StatusOK || !strings.HasPrefix(etag, `"v`) || got.header.Get("RateLimit-Policy") == "" || got.header.Get("RateLimit") == "" {
		t.Fatalf("GET: %d ETag %q, RateLimit %q / %q", got.status, etag, got.header.Get("RateLimit-Policy"), got.header.Get("RateLimit"))
	}
	visit := `{"note":"Eerste huisbezoek."}`
	if ok := s.send(coach, "POST", path+"/visits", visit, "Idempotency-Key", "visit-1", "If-Match", etag); ok.status != http.StatusOK {
		t.Fatalf("a visit with the version now: %d %s", ok.status, ok.body)
	}
	stale := s.send(coach, "POST", path+"/visits", visit, "Idempotency-Key", "visit-2", "If-Match", etag)
	if stale.status != http.StatusPreconditionFailed || stale.field("code") != "precondition_failed" || stale.header.Get("ETag") == etag {
		t.Errorf("a visit with a stale version: %d %v %s", stale.status, stale.header, stale.body)
	}

	// Two visits sent at once on the version both were decided on (two
	// tabs, or a phone's queue beside the desk): the workflow takes one
	// and refuses the other, whichever lands second. Without If-Match both
	// would be taken, as two visits.
	etag = stableETag(s, sup, path)
	var wg sync.WaitGroup
	answers := make([]answer, 2)
	for i, note := range []string{"Bezoek aan huis.", "Bezoek op kantoor."} {
		wg.Go(func() {
			answers[i] = s.send(coach, "POST", path+"/visits", `{"note":"`+note+`"}`,
				"Idempotency-Key", fmt.Sprintf("race-%d", i), "If-Match", etag)
		})
	}
	wg.Wait()
	statuses := []int{answers[0].status, answers[1].status}
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
		t.Errorf("two visits on one version: %d %s / %d %s; want one taken, one 412",
			answers[0].status, answers[0].body, answers[1].status, answers[1].body)
	}
	var raced int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM trajectory_events WHERE trajectory_id = $1 AND kind = 'home_visit_done' AND seq > $2`,
		id, strings.Trim(etag, `"v`)).Scan(&raced); err != nil || raced != 1 {
		t.Errorf("%d visits after %s in the log (%v); want one", raced, etag, err)
	}

	var intakes, visits int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE kind = 'intake_done'), count(*) FILTER (WHERE kind = 'home_visit_done')
		FROM trajectory_events WHERE trajectory_id = $1`, id).Scan(&intakes, &visits); err != nil || intakes != 1 || visits != 2 {
		t.Errorf("the log holds %d intakes and %d visits (%v); want one intake and two visits", intakes, visits, err)
	}

	consultation := `{"programme":"test-seconds","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`
	c1 := s.send("partner:test-partner", "POST", "/v1/consultations", consultation, "Idempotency-Key", "co-1")
	c2 := s.send("partner:test-partner", "POST", "/v1/consultations", consultation, "Idempotency-Key", "co-1")
	if c1.status != http.StatusCreated || c2.status != http.StatusCreated || c2.header.Get("Idempotent-Replayed") != "true" || c1.field("id") != c2.field("id") {
		t.Errorf("consultation %d %s, retried %d %s", c1.status, c1.body, c2.status, c2.body)
	}
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM consultations`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d consultations (%v); want one", n, err)
	}
}

// stableETag is the trajectory's version once it holds still: an
// assignment's email is recorded as an event of its own a moment later.
func stableETag(s *stack, who, path string) string {
	s.t.Helper()
	var got answer
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Second) {
		before := s.send(who, "GET", path, "")
		time.Sleep(time.Second)
		got = s.send(who, "GET", path, "")
		if got.header.Get("ETag") == before.header.Get("ETag") || time.Now().After(deadline) {
			return got.header.Get("ETag")
		}
	}
}
