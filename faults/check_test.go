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

	"github.com/elkgezin/elkgezin/internal/logcheck"
	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/internal/stack"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
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
	var inDoubt int
	for {
		problems = s.eventProblems(done, assigned)
		emails, doubt := s.emailProblems(len(assigned))
		problems, inDoubt = append(problems, emails...), doubt
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if inDoubt > 0 {
		t.Logf("%d assignment notices in doubt (the fault hit them around their final \".\"), each reported to the supervisor", inDoubt)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Errorf("%d problems after the fault, e.g.:\n  %s", len(problems), strings.Join(problems[:min(len(problems), 15)], "\n  "))
	}
	if history := s.historyProblems(done); len(history) > 0 {
		t.Errorf("%d trajectories whose log is not their history, e.g.:\n  %s", len(history), strings.Join(history[:min(len(history), 15)], "\n  "))
	}
	if err := s.updateRefused(); err != nil {
		t.Error(err)
	}
}

// historyProblems compares, for every trajectory referred, its event log
// with its workflow's history (logcheck): the same events, each once, in
// the history's order, with its times.
func (s *system) historyProblems(done map[string]int) []string {
	ctx := context.Background()
	st, err := store.Open(ctx, s.st.DatabaseURL)
	if err != nil {
		return []string{"open the store: " + err.Error()}
	}
	defer st.Close()
	pk, err := keys.ParseProgrammeKeys(s.st.ProgrammeKeys)
	if err != nil {
		return []string{err.Error()}
	}
	ring, err := payloadcodec.ParseKeyRing(stack.PayloadKeys)
	if err != nil {
		return []string{err.Error()}
	}
	keyed := st.WithKeys(pk)
	checker := logcheck.Checker{Temporal: s.st.Temporal, DB: st.Pool(), Causes: keyed,
		Codec: payloadcodec.NewCodec(ring).WithDataKeys(keyed.Vault())}
	var problems []string
	for id := range done {
		p, err := checker.Problems(ctx, id)
		if err != nil {
			p = []string{err.Error()}
		}
		for _, one := range p {
			problems = append(problems, id+": "+one)
		}
	}
	sort.Strings(problems)
	return problems
}

// updateRefused checks that the log refuses to have a row rewritten.
func (s *system) updateRefused() error {
	conn := s.db()
	defer conn.Close(context.Background())
	_, err := conn.Exec(context.Background(), `UPDATE trajectory_events SET at = at + interval '1 second'
		WHERE pos = (SELECT min(pos) FROM trajectory_events)`)
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		return fmt.Errorf("an UPDATE of the event log: %v, want the append-only refusal", err)
	}
	return nil
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

// emailProblems checks the mail server against the ledger: one notice per
// assignment, each Message-ID at most once, every ledger row sent and at
// the server once. The one exception is what no protocol can settle: a
// notice whose worker was killed in the instant around its final "." (the
// ledger had recorded committing; see activities.deliver). The ledger
// holds it unconfirmed, the server has it at most once, and the
// supervisor's in-doubt alert about it must have been sent, once. inDoubt
// counts those notices.
func (s *system) emailProblems(assigned int) (problems []string, inDoubt int) {
	ids := map[string]int{}
	for _, m := range s.sink.Messages() {
		ids[m.MessageID]++
	}
	for id, n := range ids {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("email %s received %d times", id, n))
		}
	}
	conn := s.db()
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT key, message_id, status FROM outbound_emails`)
	if err != nil {
		return append(problems, "query ledger: "+err.Error()), 0
	}
	status := map[string]string{} // by key
	messageID := map[string]string{}
	for rows.Next() {
		var key, id, st string
		if err := rows.Scan(&key, &id, &st); err != nil {
			return append(problems, err.Error()), 0
		}
		status[key], messageID[key] = st, id
	}
	if err := rows.Err(); err != nil {
		return append(problems, "read ledger: "+err.Error()), 0
	}
	notices, alerts, atServer := 0, 0, 0
	for key, st := range status {
		id := messageID[key]
		atServer += ids[id]
		notice, isNotice := inDoubtAlertKey(key)
		switch {
		case isNotice:
			notices++
		case strings.Contains(key, "/"+string(trajectory.EmailFailedNotice)+"/"):
			alerts++
		}
		switch {
		case st == "sent" && ids[id] != 1:
			problems = append(problems, fmt.Sprintf("ledger: email %s sent, the mail server has it %d times", id, ids[id]))
		case st == "sent":
		case st == "unconfirmed" && isNotice:
			inDoubt++
			if status[notice] != "sent" {
				problems = append(problems, fmt.Sprintf("ledger: email %s is in doubt, and its alert to the supervisor is %q, want sent", id, status[notice]))
			}
		default:
			problems = append(problems, fmt.Sprintf("ledger: email %s is %s", id, st))
		}
	}
	if notices != assigned {
		problems = append(problems, fmt.Sprintf("ledger holds %d assignment notices, want %d (one per assignment)", notices, assigned))
	}
	if alerts != inDoubt {
		problems = append(problems, fmt.Sprintf("ledger holds %d alerts to the supervisor, want %d (one per notice in doubt)", alerts, inDoubt))
	}
	if atServer != len(ids) {
		problems = append(problems, fmt.Sprintf("the mail server has %d emails, %d of them in the ledger", len(ids), atServer))
	}
	return problems, inDoubt
}

// inDoubtAlertKey is, for the key of an assignment notice, the key of the
// alert that tells the supervisor the notice is in doubt.
func inDoubtAlertKey(key string) (alert string, isNotice bool) {
	step, _, isNotice := strings.Cut(key, "/"+string(trajectory.AssignmentNotice)+"/")
	if !isNotice {
		return "", false
	}
	supervisor := trajectory.Recipient{Role: trajectory.RoleSupervisor}
	return step + "/" + string(trajectory.EmailFailedNotice) + "/" + supervisor.ID() + "/" + string(trajectory.AssignmentNotice), true
}

// The alert's key is derived the way the workflow names it (see
// workflows' notification), or the check above would miss every alert.
func TestInDoubtAlertKey(t *testing.T) {
	step := trajectory.Step{Kind: trajectory.StepIntake, DueAt: time.Date(2026, 12, 29, 0, 46, 36, 0, time.UTC)}
	coach := trajectory.Recipient{Role: trajectory.RoleCoach, CoachID: "fault-coach-3"}
	supervisor := trajectory.Recipient{Role: trajectory.RoleSupervisor}
	notice := trajectory.EmailKey("tr-x", step, trajectory.AssignmentNotice, coach)
	want := trajectory.EmailKey("tr-x", step, trajectory.EmailFailedNotice, supervisor) + "/" + string(trajectory.AssignmentNotice)
	if got, ok := inDoubtAlertKey(notice); !ok || got != want {
		t.Errorf("inDoubtAlertKey(%q) = %q, %v; want %q", notice, got, ok, want)
	}
	if _, ok := inDoubtAlertKey(want); ok {
		t.Errorf("the alert %q was taken for an assignment notice", want)
	}
}
