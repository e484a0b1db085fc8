package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"elkgezin/internal/smtpsink"
	"elkgezin/internal/stack"
	"elkgezin/trajectory"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// system is a stack under load for one test.
type system struct {
	t    *testing.T
	st   *stack.Stack
	sink *smtpsink.Sink
	load *families
}

// coaches under load: each caller has its own.
const callers = 4

func startSystem(t *testing.T, databaseServer string) *system {
	return startReplicated(t, databaseServer, 1)
}

// startReplicated is startSystem with apiReplicas API processes, the
// callers' calls spread over them.
func startReplicated(t *testing.T, databaseServer string, apiReplicas int) *system {
	t.Helper()
	sink := smtpsink.Start(t)
	repo, _ := filepathAbs("..")
	st, err := stack.Start(context.Background(), stack.Options{Repo: repo, DatabaseURL: databaseServer,
		Programmes: writeProgramme(t, callers), SMTPAddr: sink.Addr(), Log: testLog(t), APIReplicas: apiReplicas,
		// Four callers need few connections; the PostgreSQL server is shared.
		PoolMaxConns: 8})
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	t.Cleanup(st.Close)
	s := &system{t: t, st: st, sink: sink}
	ctx := context.Background()
	f := &families{t: t, bases: st.APIURLs, served: make([]int, len(st.APIURLs)),
		http: &http.Client{Timeout: 30 * time.Second}, done: map[string]int{}, assigned: map[string]bool{}}
	if f.partner, err = st.Token(ctx, "partner", "fault-partner", ""); err != nil {
		t.Fatal(err)
	}
	if f.super, err = st.Token(ctx, "supervisor", "fault-supervisor", "faults"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= callers; i++ {
		tok, err := st.Token(ctx, "coach", fmt.Sprintf("fault-coach-%d", i), "faults")
		if err != nil {
			t.Fatal(err)
		}
		f.coaches = append(f.coaches, tok)
	}
	s.load = f
	return s
}

// underLoad runs the load, calls fault once it has run for a while, keeps
// the load going for after, then stops it and checks the books.
func (s *system) underLoad(before, after time.Duration, fault func()) {
	s.t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	wg := s.load.run(ctx, callers)
	time.Sleep(before)
	fault()
	time.Sleep(after)
	stop()
	wg.Wait()
	s.checkBooks()
}

// checkBooks waits (at most three minutes) until PostgreSQL's event log
// holds every step callers were told succeeded exactly once, and every
// assignment notice reached the mail server exactly once; then fails on
// what is still off.
func (s *system) checkBooks() {
	t := s.t
	t.Helper()
	done, assigned := s.load.snapshot()
	if len(s.load.refusals) > 0 {
		t.Errorf("%d calls refused, e.g. %s", len(s.load.refusals), s.load.refusals[0])
	}
	if s.load.noRetry > 0 {
		t.Errorf("%d of %d answers 503 without Retry-After", s.load.noRetry, s.load.unavail)
	}
	visits := 0
	for _, v := range done {
		visits += max(v, 0)
	}
	t.Logf("load: %d families referred, %d assigned, %d visits acknowledged; %d answers 503/504, %d calls could not connect; successes per API replica %v",
		len(done), len(assigned), visits, s.load.unavail, s.load.transport, s.load.served)
	if len(done) == 0 || visits == 0 {
		t.Fatal("the load did nothing")
	}
	deadline := time.Now().Add(3 * time.Minute)
	var problems []string
	for {
		problems = s.eventProblems(done, assigned)
		problems = append(problems, s.emailProblems(len(assigned))...)
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Errorf("%d problems after the fault, e.g.:\n  %s", len(problems), strings.Join(problems[:min(len(problems), 15)], "\n  "))
	}
}

func (s *system) db() *pgx.Conn {
	// The PostgreSQL server is shared with other tests: a moment without
	// a free connection is waited out, not a failure of the books.
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := pgx.Connect(ctx, s.st.DatabaseURL)
		cancel()
		if err == nil {
			return conn
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "too many clients") {
			s.t.Fatalf("connect to the stack's database: %v", err)
		}
		time.Sleep(2 * time.Second)
	}
}

// eventProblems compares the event log with what callers were told.
func (s *system) eventProblems(done map[string]int, assigned map[string]bool) []string {
	conn := s.db()
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT trajectory_id, kind, count(*), max(seq), count(DISTINCT seq) FROM trajectory_events GROUP BY trajectory_id, kind`)
	if err != nil {
		return []string{"query events: " + err.Error()}
	}
	got := map[string]map[string]int{}
	maxSeq := map[string]int64{}
	seqs := map[string]int64{}
	for rows.Next() {
		var id, kind string
		var n, distinct int
		var top int64
		if err := rows.Scan(&id, &kind, &n, &top, &distinct); err != nil {
			return []string{err.Error()}
		}
		if got[id] == nil {
			got[id] = map[string]int{}
		}
		got[id][kind] = n
		maxSeq[id] = max(maxSeq[id], top)
		seqs[id] += int64(distinct)
	}
	var problems []string
	for id := range got {
		if _, ok := done[id]; !ok {
			problems = append(problems, fmt.Sprintf("%s: in the event log, but no caller was told it was referred", id))
		}
		if seqs[id] != maxSeq[id] {
			problems = append(problems, fmt.Sprintf("%s: events numbered up to %d, %d of them there (a gap)", id, maxSeq[id], seqs[id]))
		}
	}
	for id, visits := range done {
		want := map[string]int{trajectory.EventReferred: 1}
		if assigned[id] {
			want[trajectory.EventCoachAssigned] = 1
			want[trajectory.EventAssignmentNoticeSent] = 1
		}
		if visits >= 0 {
			want[trajectory.EventIntakeDone] = 1
		}
		if visits > 0 {
			want[trajectory.EventVisitDone] = visits
		}
		for kind, n := range want {
			if got[id][kind] != n {
				problems = append(problems, fmt.Sprintf("%s: %d events %s, want %d", id, got[id][kind], kind, n))
			}
		}
	}
	return problems
}

// emailProblems checks the mail server against the ledger: one message
// per assignment, each Message-ID once, every ledger row sent.
func (s *system) emailProblems(assigned int) []string {
	var problems []string
	ids := map[string]int{}
	for _, m := range s.sink.Messages() {
		ids[m.MessageID]++
	}
	for id, n := range ids {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("email %s received %d times", id, n))
		}
	}
	if len(ids) != assigned {
		problems = append(problems, fmt.Sprintf("%d distinct emails at the mail server, want %d (one notice per assignment)", len(ids), assigned))
	}
	conn := s.db()
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT message_id, status FROM outbound_emails`)
	if err != nil {
		return append(problems, "query ledger: "+err.Error())
	}
	ledger := 0
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return append(problems, err.Error())
		}
		ledger++
		if status != "sent" {
			problems = append(problems, fmt.Sprintf("ledger: email %s is %s", id, status))
		} else if ids[id] != 1 {
			problems = append(problems, fmt.Sprintf("ledger: email %s sent, the mail server has it %d times", id, ids[id]))
		}
	}
	if ledger != len(ids) {
		problems = append(problems, fmt.Sprintf("ledger holds %d emails, the mail server %d", ledger, len(ids)))
	}
	return problems
}
