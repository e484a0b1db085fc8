package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// send is world.do with headers (name, value, ...).
func (w *world) send(t *testing.T, caller, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+w.tokens[caller])
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	w.handler.ServeHTTP(rec, req)
	return rec
}

func (w *world) updates() int {
	w.temporal.mu.Lock()
	defer w.temporal.mu.Unlock()
	return len(w.temporal.updates)
}

func (w *world) setState(st trajectory.State) {
	w.temporal.mu.Lock()
	defer w.temporal.mu.Unlock()
	w.temporal.state = st
}

func wantCode(t *testing.T, rec *httptest.ResponseRecorder, status int, code ProblemCode) {
	t.Helper()
	var e struct {
		Code ProblemCode `json:"code"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != status || e.Code != code {
		t.Errorf("answer %d %s; want %d with code %s", rec.Code, rec.Body, status, code)
	}
}

// A step retried with its Idempotency-Key is answered with the first
// answer (not the state now), marked Idempotent-Replayed, and not sent to
// the workflow again; the same key with another request is refused 422
// and acts not either.
func TestIdempotentStepReplayAndMismatch(t *testing.T) {
	w := newWorld(t)
	w.setState(trajectory.State{TrajectoryID: w.mine, ProgrammeID: "test-seconds", Phase: trajectory.PhaseInSupport, CoachID: "test-coach", EventSeq: 3})
	path := "/v1/trajectories/" + w.mine + "/visits"
	visit := `{"note":"Bezoek bij het gezin."}`
	first := w.send(t, "coach-a", http.MethodPost, path, visit, IdempotencyKeyHeader, "visit-1")
	if first.Code != http.StatusOK || first.Header().Get(IdempotentReplayedHeader) != "" || first.Header().Get("ETag") != `"v3"` {
		t.Fatalf("first visit: %d %v %s", first.Code, first.Header(), first.Body)
	}
	w.setState(trajectory.State{TrajectoryID: w.mine, ProgrammeID: "test-seconds", Phase: trajectory.PhaseInSupport, CoachID: "test-coach", EventSeq: 9})

	again := w.send(t, "coach-a", http.MethodPost, path, `{ "note": "Bezoek bij het gezin." }`, IdempotencyKeyHeader, "visit-1")
	if again.Code != first.Code || !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) ||
		again.Header().Get(IdempotentReplayedHeader) != "true" || again.Header().Get("ETag") != `"v3"` {
		t.Errorf("retry: %d %v %s; want the first answer again, replayed", again.Code, again.Header(), again.Body)
	}
	if n := w.updates(); n != 1 {
		t.Errorf("%d Updates sent for one visit and its retry", n)
	}

	other := w.send(t, "coach-a", http.MethodPost, path, `{"note":"Een tweede bezoek."}`, IdempotencyKeyHeader, "visit-1")
	wantCode(t, other, http.StatusUnprocessableEntity, CodeIdempotencyKeyReused)
	if n := w.updates(); n != 1 {
		t.Errorf("a reused key reached the workflow: %d Updates", n)
	}
	// The sealed answer holds the family's trajectory, not in clear.
	var sealed bool
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT body_sealed FROM idempotency_keys WHERE $1 = ANY (trajectories)`, w.mine).Scan(&sealed); err != nil || !sealed {
		t.Errorf("kept answer sealed: %v (%v)", sealed, err)
	}
}

// Another caller's key is another key: the same key and request of a
// second supervisor acts, as its own Update, and is not a replay.
func TestIdempotencyKeyOfAnotherCaller(t *testing.T) {
	w := newWorld(t)
	_, token, err := w.store.CreateToken(t.Context(), store.TokenSupervisor, "sup-2", []string{"test-seconds"}, "second supervisor")
	if err != nil {
		t.Fatal(err)
	}
	w.tokens["supervisor-2"] = token
	w.setState(trajectory.State{TrajectoryID: w.mine, Phase: trajectory.PhaseCoachAssigned, CoachID: "test-coach-2", EventSeq: 3})
	path := "/v1/trajectories/" + w.mine + "/assignment"
	for _, caller := range []string{"supervisor", "supervisor-2"} {
		rec := w.send(t, caller, http.MethodPost, path, `{"coach":"test-coach-2"}`, IdempotencyKeyHeader, "assign-1")
		if rec.Code != http.StatusOK || rec.Header().Get(IdempotentReplayedHeader) != "" {
			t.Errorf("%s: %d %v %s; want its own answer", caller, rec.Code, rec.Header(), rec.Body)
		}
	}
	w.temporal.mu.Lock()
	defer w.temporal.mu.Unlock()
	if u := w.temporal.updates; len(u) != 2 || u[0].UpdateID == u[1].UpdateID {
		t.Errorf("Updates %+v; want two, with their own ids", u)
	}
}

// A consultation retried with its key is recorded once: one row for the
// fund's figures, and the retry answers the first 201 with its Location.
func TestConsultationRetryRecordsOne(t *testing.T) {
	w := newWorld(t)
	body := `{"programme":"test-seconds","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`
	first := w.send(t, "partner", http.MethodPost, pathConsultations, body, IdempotencyKeyHeader, "co-1")
	again := w.send(t, "partner", http.MethodPost, pathConsultations, body, IdempotencyKeyHeader, "co-1")
	if first.Code != http.StatusCreated || again.Code != http.StatusCreated || again.Header().Get(IdempotentReplayedHeader) != "true" ||
		again.Header().Get("Location") != first.Header().Get("Location") || !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) {
		t.Errorf("consultation %d %s, retried %d %v %s", first.Code, first.Body, again.Code, again.Header(), again.Body)
	}
	var n int
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM consultations`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d consultations (%v); want 1", n, err)
	}
	// Its text is in the consultation only, not in the kept answer.
	var kept []byte
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT body FROM idempotency_keys`).Scan(&kept); err != nil || kept != nil {
		t.Errorf("kept body %q (%v); want none", kept, err)
	}
}

// A referral retried with its key answers the first 201; with the same
// key and another body 422; with a new key and the same reference but
// other content 409 referral_exists; with a new key and the same content
// 200, as without a key.
func TestIdempotentReferral(t *testing.T) {
	w := newWorld(t)
	referral := func(reason string) string {
		return `{"programme":"test-seconds","referrer":{"organisation":"test-partner","reference":"IDEM-7"},` +
			`"family":{"contact_name":"Gezin Idem","phone":"+32 470 00 00 07"},"reason":"` + reason + `"}`
	}
	first := w.send(t, "partner", http.MethodPost, pathReferrals, referral("Hulp gevraagd."), IdempotencyKeyHeader, "ref-1")
	again := w.send(t, "partner", http.MethodPost, pathReferrals, referral("Hulp gevraagd."), IdempotencyKeyHeader, "ref-1")
	if first.Code != http.StatusCreated || again.Code != http.StatusCreated || again.Header().Get(IdempotentReplayedHeader) != "true" ||
		!bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) || again.Header().Get("Location") != first.Header().Get("Location") {
		t.Fatalf("referral %d %s, retried %d %v %s", first.Code, first.Body, again.Code, again.Header(), again.Body)
	}
	wantCode(t, w.send(t, "partner", http.MethodPost, pathReferrals, referral("Iets anders."), IdempotencyKeyHeader, "ref-1"),
		http.StatusUnprocessableEntity, CodeIdempotencyKeyReused)
	wantCode(t, w.send(t, "partner", http.MethodPost, pathReferrals, referral("Iets anders."), IdempotencyKeyHeader, "ref-2"),
		http.StatusConflict, CodeReferralExists)
	if rec := w.send(t, "partner", http.MethodPost, pathReferrals, referral("Hulp gevraagd.")); rec.Code != http.StatusOK {
		t.Errorf("the same referral without a key: %d %s; want 200", rec.Code, rec.Body)
	}
	if n := len(w.temporal.starts); n != 1 {
		t.Errorf("%d workflows started", n)
	}
}

// Of two requests with one key at once, the second is told the first is
// in flight (409 idempotency_key_in_use, Retry-After) and does not act.
func TestIdempotencyKeyInFlight(t *testing.T) {
	w := newWorld(t)
	w.temporal.startDelay = time.Second
	body := `{"programme":"test-seconds","referrer":{"organisation":"test-partner","reference":"SLOW-1"},` +
		`"family":{"contact_name":"Gezin Traag","phone":"+32 470 00 00 08"},"reason":"Hulp gevraagd."}`
	var (
		wg    sync.WaitGroup
		first *httptest.ResponseRecorder
	)
	wg.Go(func() {
		first = w.send(t, "partner", http.MethodPost, pathReferrals, body, IdempotencyKeyHeader, "slow")
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := w.store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM idempotency_keys WHERE status IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first request never claimed its key")
		}
		time.Sleep(10 * time.Millisecond)
	}
	second := w.send(t, "partner", http.MethodPost, pathReferrals, body, IdempotencyKeyHeader, "slow")
	wantCode(t, second, http.StatusConflict, CodeIdempotencyKeyInUse)
	if second.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After on a key in flight")
	}
	wg.Wait()
	if first.Code != http.StatusCreated {
		t.Errorf("first: %d %s", first.Code, first.Body)
	}
	if rec := w.send(t, "partner", http.MethodPost, pathReferrals, body, IdempotencyKeyHeader, "slow"); rec.Header().Get(IdempotentReplayedHeader) != "true" {
		t.Errorf("after the first answered: %d %v", rec.Code, rec.Header())
	}
}

// A kept answer expires: past it, the key acts again.
func TestIdempotencyKeyExpiry(t *testing.T) {
	w := newWorld(t)
	w.setState(trajectory.State{TrajectoryID: w.mine, Phase: trajectory.PhaseInSupport, CoachID: "test-coach", EventSeq: 3})
	path := "/v1/trajectories/" + w.mine + "/visits"
	w.send(t, "coach-a", http.MethodPost, path, `{"note":"Bezoek."}`, IdempotencyKeyHeader, "old")
	if _, err := w.store.Pool().Exec(t.Context(), `UPDATE idempotency_keys SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	rec := w.send(t, "coach-a", http.MethodPost, path, `{"note":"Bezoek."}`, IdempotencyKeyHeader, "old")
	if rec.Code != http.StatusOK || rec.Header().Get(IdempotentReplayedHeader) != "" || w.updates() != 2 {
		t.Errorf("after expiry: %d %v, %d Updates; want it to act again", rec.Code, rec.Header(), w.updates())
	}
}

// GET answers the trajectory's version as ETag. A step with If-Match of
// one version carries it to the workflow, whose validator refuses it when
// the trajectory moved on (412 with the version now, and the key left
// free); a list of tags is compared before the step is sent; a weak tag
// never matches.
func TestIfMatchOnSteps(t *testing.T) {
	w := newWorld(t)
	get := w.send(t, "supervisor", http.MethodGet, "/v1/trajectories/"+w.mine, "")
	etag := get.Header().Get("ETag")
	if get.Code != http.StatusOK || etag != `"v2"` {
		t.Fatalf("GET: %d ETag %q; want \"v2\" (two events)", get.Code, etag)
	}
	path := "/v1/trajectories/" + w.mine + "/assignment"
	w.setState(trajectory.State{TrajectoryID: w.mine, Phase: trajectory.PhaseCoachAssigned, CoachID: "test-coach", EventSeq: 3})
	stale := w.send(t, "supervisor", http.MethodPost, path, `{"coach":"test-coach-2"}`, "If-Match", etag, IdempotencyKeyHeader, "reassign")
	wantCode(t, stale, http.StatusPreconditionFailed, CodePreconditionFailed)
	if stale.Header().Get("ETag") != `"v3"` {
		t.Errorf("stale write: ETag %q; want the version now", stale.Header().Get("ETag"))
	}
	if got := w.lastUpdateVersion(t); got != 2 {
		t.Errorf("the step carried version %d to the workflow; want 2, the If-Match", got)
	}
	// Read again: the same key with the version now acts (a 412 settles nothing).
	ok := w.send(t, "supervisor", http.MethodPost, path, `{"coach":"test-coach-2"}`, "If-Match", `"v3"`, IdempotencyKeyHeader, "reassign")
	if ok.Code != http.StatusOK || ok.Header().Get(IdempotentReplayedHeader) != "" || w.lastUpdateVersion(t) != 3 {
		t.Errorf("If-Match with the version now: %d %s", ok.Code, ok.Body)
	}
	updates := w.updates()
	list := w.send(t, "supervisor", http.MethodPost, path, `{"coach":"test-coach-2"}`, "If-Match", `"v1", "v3"`)
	if list.Code != http.StatusOK || w.updates() != updates+1 || w.lastUpdateVersion(t) != 0 {
		t.Errorf("a list holding the version now: %d %s", list.Code, list.Body)
	}
	for _, tag := range []string{`W/"v3"`, `"v1", "v2"`, `"x3"`} {
		updates := w.updates()
		rec := w.send(t, "supervisor", http.MethodPost, path, `{"coach":"test-coach"}`, "If-Match", tag)
		wantCode(t, rec, http.StatusPreconditionFailed, CodePreconditionFailed)
		if w.updates() != updates {
			t.Errorf("If-Match %s reached the workflow", tag)
		}
	}
	if star := w.send(t, "supervisor", http.MethodPost, path, `{"coach":"test-coach"}`, "If-Match", `*`); star.Code != http.StatusOK || w.lastUpdateVersion(t) != 0 {
		t.Errorf("If-Match *: %d %s; want the step taken, no version required", star.Code, star.Body)
	}
}

// lastUpdateVersion is the version the last Update sent required (0: none).
func (w *world) lastUpdateVersion(t *testing.T) int64 {
	t.Helper()
	w.temporal.mu.Lock()
	defer w.temporal.mu.Unlock()
	if len(w.temporal.updates) == 0 {
		t.Fatal("no Update sent")
	}
	v, ok := w.temporal.updates[len(w.temporal.updates)-1].Args[0].(trajectory.Versioned)
	if !ok {
		t.Fatalf("the Update's request %T carries no precondition", w.temporal.updates[len(w.temporal.updates)-1].Args[0])
	}
	return v.ExpectedVersion()
}

// A request refused before it acted leaves its key free: the corrected
// request with the same key acts. The workflow's refusal settles it: a
// retry is answered with the refusal, not sent again.
func TestIdempotencyKeyAfterRefusals(t *testing.T) {
	w := newWorld(t)
	w.setState(trajectory.State{TrajectoryID: w.mine, Phase: trajectory.PhaseInSupport, CoachID: "test-coach", EventSeq: 3})
	path := "/v1/trajectories/" + w.mine + "/visits"
	if rec := w.send(t, "coach-a", http.MethodPost, path, `{"note":"Bezoek.","done_at":"gisteren"}`, IdempotencyKeyHeader, "fix-me"); rec.Code != http.StatusBadRequest {
		t.Fatalf("invalid visit: %d %s", rec.Code, rec.Body)
	}
	if rec := w.send(t, "coach-a", http.MethodPost, path, `{"note":"Bezoek."}`, IdempotencyKeyHeader, "fix-me"); rec.Code != http.StatusOK || w.updates() != 1 {
		t.Errorf("the corrected visit with the same key: %d %s, %d Updates", rec.Code, rec.Body, w.updates())
	}

	w.temporal.mu.Lock()
	w.temporal.getErr = trajectory.Refused("no home visit is planned", trajectory.Refusal{Code: trajectory.CodeVisitNotPlanned})
	w.temporal.mu.Unlock()
	first := w.send(t, "coach-a", http.MethodPost, path, `{"note":"Nog een bezoek."}`, IdempotencyKeyHeader, "refused")
	again := w.send(t, "coach-a", http.MethodPost, path, `{"note":"Nog een bezoek."}`, IdempotencyKeyHeader, "refused")
	if first.Code != http.StatusConflict || again.Code != http.StatusConflict || again.Header().Get(IdempotentReplayedHeader) != "true" || w.updates() != 2 {
		t.Errorf("a refused visit retried: %d, then %d %v; %d Updates", first.Code, again.Code, again.Header(), w.updates())
	}
}

// A consultation's referral retried with its key after it succeeded
// answers its first 201 again, not a 409.
func TestConsultationReferralReplayed(t *testing.T) {
	w := newWorld(t)
	c, err := w.store.CreateConsultation(t.Context(), store.Consultation{ProgrammeID: "test-seconds", RecordedBy: "partner:test-partner",
		Organisation: "test-partner", Situation: "Een ouder vraagt raad.", Advice: "Langs het OCMW."})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"referrer":{"organisation":"test-partner","reference":"CO-REF-1"},"family":{"contact_name":"Gezin Raad","phone":"+32 470 00 00 09"},` +
		`"reason":"raad gevraagd","consent":{"given":true,"recorded_on":"` + inDays(0) + `"}}`
	path := "/v1/consultations/" + c.ID + "/referral"
	first := w.send(t, "partner", http.MethodPost, path, body, IdempotencyKeyHeader, "refer-1")
	again := w.send(t, "partner", http.MethodPost, path, body, IdempotencyKeyHeader, "refer-1")
	if first.Code != http.StatusCreated || again.Code != http.StatusCreated || again.Header().Get(IdempotentReplayedHeader) != "true" ||
		!bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) {
		t.Errorf("referral %d %s, retried %d %v %s", first.Code, first.Body, again.Code, again.Header(), again.Body)
	}
}
