package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/internal/openapicheck"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// fakeStore is an in-memory Store.
type fakeStore struct {
	mu         sync.Mutex
	rows       map[string]store.Trajectory
	events     []trajectory.Event
	filters    []store.Filter
	page       store.Page
	pingErr    error
	pings      atomic.Int64
	recordErr  error
	readErr    error
	listErr    error
	readDelay  time.Duration // Trajectory sleeps this long, deaf to its context
	afterReads int           // reads before closeAfter takes effect
	closeAfter bool          // reads after afterReads see the trajectory closed
	reads      int
}

func newFakeStore() *fakeStore { return &fakeStore{rows: map[string]store.Trajectory{}} }

func (f *fakeStore) Ping(ctx context.Context) error {
	f.pings.Add(1)
	return f.pingErr
}

func (f *fakeStore) ListReferral(ctx context.Context, e trajectory.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recordErr != nil {
		return f.recordErr
	}
	if _, ok := f.rows[e.TrajectoryID]; ok {
		return nil
	}
	f.events = append(f.events, e)
	f.rows[e.TrajectoryID] = store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: e.TrajectoryID,
		ProgrammeID: e.Summary.ProgrammeID, ReferrerOrg: e.Summary.ReferrerOrg, Phase: e.Summary.Phase, ReferredAt: e.At, UpdatedAt: e.At}}
	return nil
}

// RecordEvents keeps a step's events beside the referrals'; a cause seen
// before changes nothing, as in the real store.
func (f *fakeStore) RecordEvents(ctx context.Context, events []trajectory.Event) ([]error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recordErr != nil {
		return nil, f.recordErr
	}
	for _, e := range events {
		if !slices.ContainsFunc(f.events, func(x trajectory.Event) bool { return x.TrajectoryID == e.TrajectoryID && x.Cause == e.Cause }) {
			f.events = append(f.events, e)
		}
	}
	return nil, nil
}

// ReferredTrajectory answers from the rows, as the real store does.
func (f *fakeStore) ReferredTrajectory(ctx context.Context, id string) (store.Referred, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readErr != nil {
		return store.Referred{}, f.readErr
	}
	row, ok := f.rows[id]
	if !ok {
		return store.Referred{}, fmt.Errorf("trajectory %s: %w", id, store.ErrNotFound)
	}
	return store.Referred{ProgrammeID: row.ProgrammeID, ReferrerOrg: row.ReferrerOrg, Phase: row.Phase}, nil
}

func (f *fakeStore) Trajectory(ctx context.Context, id string) (store.Trajectory, error) {
	if f.readDelay > 0 {
		time.Sleep(f.readDelay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.readErr != nil {
		return store.Trajectory{}, f.readErr
	}
	row, ok := f.rows[id]
	if !ok {
		return store.Trajectory{}, fmt.Errorf("trajectory %s: %w", id, store.ErrNotFound)
	}
	if f.closeAfter && f.reads > f.afterReads {
		row.Phase = trajectory.PhaseClosed
	}
	return row, nil
}

// TrajectoryAccess is the narrow read before Trajectory; it counts as no
// read of the row (reads), so a test can tell a denied request never loaded it.
func (f *fakeStore) TrajectoryAccess(ctx context.Context, id string) (store.TrajectorySummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readErr != nil {
		return store.TrajectorySummary{}, f.readErr
	}
	row, ok := f.rows[id]
	if !ok {
		return store.TrajectorySummary{}, fmt.Errorf("trajectory %s: %w", id, store.ErrNotFound)
	}
	return store.TrajectorySummary{ID: id, ProgrammeID: row.ProgrammeID, CoachID: row.CoachID, CoWorkers: row.CoWorkers}, nil
}

func (f *fakeStore) ListTrajectories(ctx context.Context, flt store.Filter) (store.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	if f.listErr != nil {
		return store.Page{}, f.listErr
	}
	return f.page, nil
}

// add puts a trajectory of programme test-seconds, with coach test-coach,
// in the given phase.
func (f *fakeStore) add(id string, phase trajectory.Phase) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows[id] = store.Trajectory{TrajectorySummary: store.TrajectorySummary{
		ID: id, ProgrammeID: "test-seconds", ReferrerOrg: "test-partner", Phase: phase, CoachID: "test-coach",
		ReferredAt: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
	}}
}

// The tokens the fixture's fakeTokens knows, as Authorization values.
const (
	authHeader   = "Authorization"
	asPartner    = "Bearer partner-token"    // partner:test-partner
	asCoach      = "Bearer coach-token"      // coach:test-coach, of test-seconds
	asCoach2     = "Bearer coach-2-token"    // coach:test-coach-2, of test-seconds
	asSupervisor = "Bearer supervisor-token" // supervisor:sup-vilvoorde, of test-seconds
	asAdmin      = "Bearer admin-token"      // admin:root
)

// fakeTokens is an in-memory TokenStore.
type fakeTokens struct {
	mu     sync.Mutex
	tokens map[string]store.TokenInfo
	err    error // answered to every token, e.g. a database that is down
	calls  int
}

func newFakeTokens() *fakeTokens {
	return &fakeTokens{tokens: map[string]store.TokenInfo{
		"partner-token":    {ID: "tok_partner1", Kind: store.TokenPartner, Subject: "test-partner"},
		"coach-token":      {ID: "tok_coachaaa", Kind: store.TokenCoach, Subject: "test-coach", Programmes: []string{"test-seconds"}},
		"coach-2-token":    {ID: "tok_coachbbb", Kind: store.TokenCoach, Subject: "test-coach-2", Programmes: []string{"test-seconds"}},
		"supervisor-token": {ID: "tok_supervis", Kind: store.TokenSupervisor, Subject: "sup-vilvoorde", Programmes: []string{"test-seconds"}},
		"admin-token":      {ID: "tok_adminaaa", Kind: store.TokenAdmin, Subject: "root"},
	}}
}

func (f *fakeTokens) AuthenticateToken(ctx context.Context, token string) (store.TokenInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return store.TokenInfo{}, f.err
	}
	info, ok := f.tokens[token]
	if !ok {
		return store.TokenInfo{}, fmt.Errorf("%w: unknown", store.ErrTokenInvalid)
	}
	return info, nil
}

// fakeAuditor keeps the audit log in memory.
type fakeAuditor struct {
	mu      sync.Mutex
	entries []store.AuditEntry
	err     error
	hold    chan struct{} // when set, each write waits until it is closed
}

func (f *fakeAuditor) Audit(ctx context.Context, e store.AuditEntry) error {
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.entries = append(f.entries, e)
	return nil
}

func (f *fakeAuditor) all() []store.AuditEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.AuditEntry(nil), f.entries...)
}

// last is the newest entry; it fails the test when there is none.
func (f *fakeAuditor) last(t *testing.T) store.AuditEntry {
	t.Helper()
	all := f.all()
	if len(all) == 0 {
		t.Fatal("no audit entry")
	}
	return all[len(all)-1]
}

// fakeTemporal answers the calls the API makes; any other call panics.
type fakeTemporal struct {
	client.Client

	mu         sync.Mutex
	starts     []client.StartWorkflowOptions
	startArgs  []any
	startErr   error
	updates    []client.UpdateWorkflowOptions
	updateErr  error // from UpdateWorkflow
	getErr     error // from the handle's Get
	state      trajectory.State
	recorded   []trajectory.Event // the events each Update answers it recorded
	healthErr  error
	healths    atomic.Int64
	startDelay time.Duration
	// refuseSearchAttributes refuses a start with search attributes, as a
	// frontend that does not know them yet does.
	refuseSearchAttributes bool
}

func (f *fakeTemporal) ExecuteWorkflow(ctx context.Context, opts client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	if f.startDelay > 0 {
		select {
		case <-time.After(f.startDelay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if wf != trajectory.WorkflowName {
		return nil, fmt.Errorf("unexpected workflow %v", wf)
	}
	f.starts = append(f.starts, opts)
	f.startArgs = append(f.startArgs, args...)
	if f.refuseSearchAttributes && opts.TypedSearchAttributes.Size() > 0 {
		return nil, serviceerror.NewInvalidArgument("Namespace e2e has no mapping defined for search attribute Programme")
	}
	return nil, f.startErr
}

func (f *fakeTemporal) UpdateWorkflow(ctx context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, opts)
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	err := f.getErr
	// As the workflow's validator does: a step decided on another version
	// of the trajectory is refused (trajectory.Precondition).
	if v, ok := opts.Args[0].(trajectory.Versioned); ok && v.ExpectedVersion() != 0 && v.ExpectedVersion() != f.state.EventSeq {
		err = trajectory.Refused("the trajectory changed", trajectory.Refusal{Code: trajectory.CodeVersionChanged,
			Args: map[string]string{trajectory.ArgVersion: strconv.FormatInt(f.state.EventSeq, 10)}})
	}
	return fakeHandle{opts: opts, state: f.state, recorded: f.recorded, err: err}, nil
}

func (f *fakeTemporal) CheckHealth(ctx context.Context, req *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	f.healths.Add(1)
	if f.healthErr != nil {
		return nil, f.healthErr
	}
	return &client.CheckHealthResponse{}, nil
}

// QueryWorkflow answers the state query with f.state.
func (f *fakeTemporal) QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if queryType != trajectory.QueryState {
		return nil, fmt.Errorf("unexpected query %s", queryType)
	}
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	return fakeValue{f.state}, nil
}

type fakeValue struct{ state trajectory.State }

func (v fakeValue) HasValue() bool { return true }
func (v fakeValue) Get(valuePtr any) error {
	*(valuePtr.(*trajectory.State)) = v.state
	return nil
}

type fakeHandle struct {
	opts     client.UpdateWorkflowOptions
	state    trajectory.State
	recorded []trajectory.Event
	err      error
}

func (h fakeHandle) WorkflowID() string { return h.opts.WorkflowID }
func (h fakeHandle) RunID() string      { return "run" }
func (h fakeHandle) UpdateID() string   { return h.opts.UpdateID }
func (h fakeHandle) Get(ctx context.Context, valuePtr any) error {
	if h.err != nil || valuePtr == nil {
		return h.err
	}
	switch v := valuePtr.(type) {
	case *trajectory.StepResult:
		v.State, v.Recorded = h.state, h.recorded
	default:
		*(valuePtr.(*trajectory.State)) = h.state
	}
	return nil
}

func testCatalogue() programme.Catalogue {
	d := func(s string) programme.Duration {
		v, err := time.ParseDuration(s)
		if err != nil {
			panic(err)
		}
		return programme.Duration(v)
	}
	return programme.Catalogue{
		"test-seconds": {
			ID: "test-seconds", Name: "Testprogramma",
			Referrers:       []programme.Organisation{{ID: "test-partner", Name: "Testpartner"}},
			AssignmentLimit: d("20s"), IntakeDeadline: d("40s"), HomeVisitCadence: d("20s"),
			ReminderLead: d("6s"), AlertGrace: d("6s"),
			SupervisorEmail: "supervisor@test.example",
			Coaches: []programme.Coach{
				{ID: "test-coach", Name: "Testcoach", Email: "coach@test.example"},
				{ID: "test-coach-2", Name: "Testcoach 2", Email: "coach2@test.example"},
			},
			CoWorkers: []programme.CoWorker{{ID: "test-brugfiguur", Name: "Brugfiguur", Email: "brug@test.example", Role: "brugfiguur"}},
		},
		"go-team-mechelen": {
			ID: "go-team-mechelen", Name: "GO-team",
			Referrers: []programme.Organisation{
				{ID: "politie-mechelen", Name: "Politie"}, {ID: "kind-en-gezin", Name: "Kind en Gezin"}, {ID: "clb-mechelen", Name: "CLB"},
			},
			AssignmentLimit: d("24h"), IntakeDeadline: d("72h"), HomeVisitCadence: d("168h"),
			ReminderLead: d("24h"), AlertGrace: d("24h"),
			SupervisorEmail: "supervisor@mechelen.example",
			Coaches:         []programme.Coach{{ID: "coach-an", Name: "An", Email: "an@mechelen.example"}},
		},
	}
}

func testServices() programme.Services {
	return programme.Services{
		"kind-en-gezin-vilvoorde": {ID: "kind-en-gezin-vilvoorde", Name: "Kind en Gezin Vilvoorde", Kind: "kind-en-gezin", Email: "vilvoorde@kindengezin.example"},
		"ocmw-vilvoorde":          {ID: "ocmw-vilvoorde", Name: "OCMW Vilvoorde", Kind: "ocmw", Email: "sociale-dienst@vilvoorde.example"},
		"caw-halle-vilvoorde":     {ID: "caw-halle-vilvoorde", Name: "CAW Halle-Vilvoorde", Kind: "caw", Email: "onthaal@caw.example"},
		"clb-vilvoorde":           {ID: "clb-vilvoorde", Name: "CLB Vilvoorde", Kind: "clb", Email: "clb@vilvoorde.example"},
		"kinderopvang-zonnetje":   {ID: "kinderopvang-zonnetje", Name: "Kinderopvang 't Zonnetje", Kind: "childcare", Email: "zonnetje@opvang.example"},
		"sociaal-wonen-vilvoorde": {ID: "sociaal-wonen-vilvoorde", Name: "Sociaal Wonen Vilvoorde", Kind: "housing", Email: "info@wonen.example"},
	}
}

// testSigner signs handover links with a fixed test secret.
// testIDKey keys the trajectory ids of the API tests.
var testIDKey = func() trajectory.IDKey {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i*37 + 11)
	}
	k, err := trajectory.NewIDKey(b)
	if err != nil {
		panic(err)
	}
	return k
}()

// testID is the id the API gives the referral (programme, organisation, reference).
func testID(programmeID, org, reference string) string {
	return trajectory.ID(testIDKey, programmeID, org, reference)
}

func testSigner() *handoverlink.Signer {
	s, err := handoverlink.NewSigner(handoverlink.Key{ID: "t1", Secret: []byte("cqe1f9GZDwLfsCVpAa2eTGDCd9gRC7/kfNqvMH2ILOQ=")})
	if err != nil {
		panic(err)
	}
	return s
}

// syncBuffer is a log sink that tests may read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type fixture struct {
	t        *testing.T
	store    *fakeStore
	temporal *fakeTemporal
	tokens   *fakeTokens
	audit    *fakeAuditor
	logs     *syncBuffer
	sessions *session.Manager
	handler  http.Handler
}

type option func(*Config)

func newFixture(t *testing.T, opts ...option) *fixture {
	t.Helper()
	// The workflow's state after a step, unless a test sets its own: one
	// the API's document describes.
	state := trajectory.State{TrajectoryID: openID, ProgrammeID: "test-seconds", ReferrerOrg: "test-partner",
		Phase: trajectory.PhaseInSupport, CoachID: "test-coach", StepsDone: []trajectory.DoneStep{}}
	f := &fixture{t: t, store: newFakeStore(), temporal: &fakeTemporal{state: state}, tokens: newFakeTokens(), audit: &fakeAuditor{}, logs: &syncBuffer{}}
	f.sessions = newFakeSessions(f.tokens).manager()
	cfg := Config{
		Programmes: testCatalogue(),
		Services:   testServices(),
		Links:      testSigner(),
		IDKey:      testIDKey,
		Temporal:   f.temporal,
		Store:      f.store,
		Auth:       TokenAuthenticator{Store: f.tokens},
		Sessions:   f.sessions,
		Audit:      f.audit,
		Logger:     slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Timeout:    5 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	f.handler = NewHandler(cfg)
	return f
}

type response struct {
	status int
	header http.Header
	body   []byte
	err    Problem
	// fields maps each bad field (as the checks name it: family.phone,
	// consent.shares[1]) or query parameter to what is wrong with it.
	fields map[string]string
	// fieldCodes is the code of each of fields.
	fieldCodes map[string]FieldCode
}

// do sends a request; body is marshalled unless it is a string or []byte.
func (f *fixture) do(method, path string, body any, headers ...string) response {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	keyRequiredSteps(req)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if err := openapicheck.Response(req, rec.Code, rec.Header(), res.body); openapicheck.Describes(path) && err != nil {
		f.t.Errorf("%s %s answered %d, which openapi.yaml does not describe: %v\nbody: %.2000s", method, path, rec.Code, err, res.body)
	}
	checkTimes(f.t, method+" "+path, rec.Header().Get("Content-Type"), res.body)
	if rec.Code >= 400 {
		if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
			f.t.Errorf("%s %s: %d with Content-Type %q, want %s", method, path, rec.Code, ct, ProblemContentType)
		}
		if err := json.Unmarshal(res.body, &res.err); err != nil {
			f.t.Errorf("%s %s: %d error body is not JSON: %v: %s", method, path, rec.Code, err, res.body)
		}
		if res.err.Code == "" || res.err.Detail == "" || res.err.Status != rec.Code || res.err.Type != ProblemTypeBase+string(res.err.Code) {
			f.t.Errorf("%s %s: %d problem lacks code, detail, status or type: %s", method, path, rec.Code, res.body)
		}
		res.fields, res.fieldCodes = problemFields(res.err)
	}
	return res
}

// problemFields maps each field problem by the field's name as the checks
// say it (family.phone, consent.shares[1]) or the query parameter.
func problemFields(p Problem) (map[string]string, map[string]FieldCode) {
	if len(p.Errors) == 0 {
		return nil, nil
	}
	fields, codes := map[string]string{}, map[string]FieldCode{}
	for _, e := range p.Errors {
		name := e.Parameter
		if e.Pointer != "" {
			name = pointerField(e.Pointer)
		}
		fields[name], codes[name] = e.Detail, e.Code
	}
	return fields, codes
}

// pointerField turns a JSON pointer back into a dotted field name.
func pointerField(pointer string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(part); err == nil && b.Len() > 0 {
			b.WriteString("[" + part + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(part)
	}
	return b.String()
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) want(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

// checkFields asserts a 400 invalid_request whose errors and detail name
// exactly these fields. kind is what the test calls the mistake; a mistake
// of the JSON itself (an unknown or repeated key, an invisible character)
// has its own field code, checked for each field.
func checkFields(t *testing.T, res response, kind string, fields []string) {
	t.Helper()
	res.want(t, http.StatusBadRequest)
	if res.err.Code != CodeInvalidRequest {
		t.Errorf("code %q, want %q (%s)", res.err.Code, CodeInvalidRequest, res.body)
	}
	wantCode, own := map[string]FieldCode{"unknown field": FieldUnknown, "duplicate field": FieldDuplicate,
		"invalid text": FieldInvisibleChars, "invalid body": FieldWrongType}[kind]
	var got []string
	for k := range res.fields {
		got = append(got, k)
		if own && res.fieldCodes[k] != wantCode {
			t.Errorf("field %s has code %q, want %q (%s)", k, res.fieldCodes[k], wantCode, res.body)
		}
	}
	sort.Strings(got)
	want := slices.Clone(fields)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v (%s)", got, want, res.body)
	}
	for _, field := range fields {
		if !strings.Contains(res.err.Detail, field+": ") {
			t.Errorf("detail %q does not name %s", res.err.Detail, field)
		}
	}
}

// withoutKey is a test header: the request goes without the
// Idempotency-Key that keyRequiredSteps would give it.
const withoutKey = "X-Test-Without-Key"

var testKeys atomic.Int64

// keyRequiredSteps gives a step that requires an Idempotency-Key a fresh
// one when the test names none, so tests about other things need not.
func keyRequiredSteps(req *http.Request) {
	if req.Header.Get(withoutKey) != "" {
		req.Header.Del(withoutKey)
		return
	}
	p := req.URL.Path
	if req.Method == http.MethodPost && req.Header.Get(IdempotencyKeyHeader) == "" &&
		(strings.HasSuffix(p, "/visits") || strings.HasSuffix(p, "/handovers") || strings.HasSuffix(p, "/resend")) {
		req.Header.Set(IdempotencyKeyHeader, fmt.Sprintf("test-key-%d", testKeys.Add(1)))
	}
}
