package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/internal/openapicheck"
	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// The callers of the authorization matrix, in the order of its columns.
var callers = []string{"none", "revoked", "partner", "partner-other", "coach-a", "coach-b", "supervisor", "supervisor-other", "admin"}

// world is an API on a real PostgreSQL: real tokens, a real audit log, and
// one trajectory of programme test-seconds whose coach is coach A.
type world struct {
	store     *store.Store
	temporal  *fakeTemporal
	handler   http.Handler
	tokens    map[string]string // caller -> token ("" for none)
	revokedID string
	mine      string // coach A's trajectory
	unknown   string // a trajectory that does not exist
}

const (
	matrixFamily    = "Yasmina Matrixgezin"
	matrixPhone     = "+32 470 99 88 77"
	matrixReason    = "Dakloos sinds maart, twee kleine kinderen."
	matrixReference = "CAW/2025-777"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	st = st.WithKeys(keys.MustGenerate("test", keys.TestProgrammes...))
	w := &world{store: st, temporal: &fakeTemporal{}, tokens: map[string]string{"none": ""}}

	mk := func(caller, kind, subject string, programmes ...string) string {
		id, token, err := st.CreateToken(ctx, kind, subject, programmes, "authorization matrix")
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[caller] = token
		return id
	}
	mk("partner", store.TokenPartner, "test-partner")
	mk("partner-other", store.TokenPartner, "politie-mechelen") // a referrer of go-team-mechelen only
	mk("coach-a", store.TokenCoach, "test-coach", "test-seconds")
	mk("coach-b", store.TokenCoach, "test-coach-2", "test-seconds")
	mk("supervisor", store.TokenSupervisor, "sup-vilvoorde", "test-seconds")
	mk("supervisor-other", store.TokenSupervisor, "sup-mechelen", "go-team-mechelen")
	mk("admin", store.TokenAdmin, "root")
	w.revokedID = mk("revoked", store.TokenCoach, "test-coach", "test-seconds") // coach A's old token
	if err := st.RevokeToken(ctx, w.revokedID); err != nil {
		t.Fatal(err)
	}

	// Coach A's family: referred, then assigned to coach A.
	p, _ := testCatalogue().Get("test-seconds")
	ref := trajectory.Referral{
		ProgrammeID: p.ID,
		Referrer:    trajectory.Referrer{Organisation: "test-partner", Reference: matrixReference},
		Family:      trajectory.Family{ContactName: matrixFamily, Phone: matrixPhone},
		Reason:      matrixReason,
	}
	w.mine = testID(p.ID, "test-partner", matrixReference)
	w.unknown = testID(p.ID, "test-partner", "NOBODY")
	referred := trajectory.ReferredEvent(w.mine, p.ID, p.Timings(), ref, time.Now().Add(-time.Hour).UTC())
	assigned := referred
	assigned.Seq, assigned.Cause, assigned.Kind, assigned.Actor, assigned.At, assigned.Referral = 2, "coach_assigned/update/a", trajectory.EventCoachAssigned, "supervisor:sup-vilvoorde", referred.At.Add(time.Minute), nil
	assigned.Summary.Phase, assigned.Summary.CoachID = trajectory.PhaseCoachAssigned, "test-coach"
	for _, e := range []trajectory.Event{referred, assigned} {
		if err := st.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	auth := TokenAuthenticator{Store: st}
	sessions := &session.Manager{Store: st, Insecure: true}
	w.handler = NewHandler(Config{
		Programmes:   testCatalogue(),
		Services:     testServices(),
		Links:        testSigner(),
		IDKey:        testIDKey,
		Temporal:     w.temporal,
		Store:        st,
		Auth:         auth,
		Audit:        st,
		Sessions:     sessions,
		Codec:        stubCodec(SupervisorAuthorizer(auth, sessions)),
		Logger:       slog.New(slog.DiscardHandler),
		FamilyLinks:  st,
		FamilySigner: testFamilySigner(),
		// Short, so the count of unauthenticated requests is written soon.
		DenialWindow: 100 * time.Millisecond,
		Timeout:      10 * time.Second,
	})
	return w
}

func (w *world) do(t *testing.T, caller, method, path, body string) (int, []byte) {
	t.Helper()
	token, ok := w.tokens[caller]
	if !ok {
		t.Fatalf("no caller %s", caller)
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if strings.HasPrefix(path, "/codec/") {
		req.Header.Set("Content-Type", "application/json")
	}
	keyRequiredSteps(req)
	rec := httptest.NewRecorder()
	w.handler.ServeHTTP(rec, req)
	// Every error answer is checked against the document; a success is
	// not, for the fake Temporal's state is no workflow's.
	if err := openapicheck.Response(req, rec.Code, rec.Header(), rec.Body.Bytes()); rec.Code >= 400 && openapicheck.Describes(path) && err != nil {
		t.Errorf("%s %s as %s answered %d, which openapi.yaml does not describe: %v\nbody: %.1000s", method, path, caller, rec.Code, err, rec.Body)
	}
	checkTimes(t, method+" "+path, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	return rec.Code, rec.Body.Bytes()
}

type matrixRow struct {
	route  string // the route's method and template, to check every route is tried
	method string
	path   string
	body   string
	want   [9]int // per caller, in the order of callers
}

const (
	unauth    = http.StatusUnauthorized
	forbidden = http.StatusForbidden
	hidden    = http.StatusNotFound
	// A programme the caller named that is not theirs (programme_not_yours).
	notYours = http.StatusForbidden
	ok       = http.StatusOK
	// A feature this test's server was started without (not_configured).
	unconfigured = http.StatusNotImplemented
)

func every(status int) [9]int {
	return [9]int{status, status, status, status, status, status, status, status, status}
}

func matrix(w *world) []matrixRow {
	referral, _ := json.Marshal(set(set(validReferral(), "referrer.reference", "MATRIX-NEW"), "referrer.organisation", "test-partner"))
	handover, _ := json.Marshal(validHandover())
	tr := func(id, step string) string {
		if step == "" {
			return "/v1/trajectories/" + id
		}
		return "/v1/trajectories/" + id + "/" + step
	}
	ownStep := [9]int{unauth, unauth, forbidden, forbidden, ok, hidden, forbidden, forbidden, forbidden}
	supervisorStep := [9]int{unauth, unauth, forbidden, forbidden, forbidden, forbidden, ok, hidden, forbidden}
	codec := [9]int{unauth, unauth, forbidden, forbidden, forbidden, forbidden, ok, ok, forbidden}
	link := link(1, time.Hour)
	inAWeek := time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)
	//                                                                                               none    revoked partner    other      coach A  coach B  supervisor other   admin
	return []matrixRow{
		{"POST " + pathReferrals, http.MethodPost, pathReferrals, string(referral), [9]int{unauth, unauth, http.StatusCreated, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden}},
		{"GET " + pathReferral, http.MethodGet, "/v1/referrals/" + w.mine, "", [9]int{unauth, unauth, ok, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden}},
		{"GET " + pathReferral, http.MethodGet, "/v1/referrals/" + w.unknown, "", [9]int{unauth, unauth, hidden, hidden, forbidden, forbidden, forbidden, forbidden, forbidden}},
		{"GET " + pathReferrals, http.MethodGet, pathReferrals + "?reference=" + matrixReference, "", [9]int{unauth, unauth, ok, ok, forbidden, forbidden, forbidden, forbidden, forbidden}},
		{"GET " + pathTrajectories, http.MethodGet, pathTrajectories, "", [9]int{unauth, unauth, forbidden, forbidden, ok, ok, ok, ok, forbidden}},
		{"GET " + pathTrajectories, http.MethodGet, pathTrajectories + "?programme=test-seconds", "", [9]int{unauth, unauth, forbidden, forbidden, ok, ok, ok, forbidden, forbidden}},
		{"GET " + pathTrajectories, http.MethodGet, pathTrajectories + "?coach=test-coach", "", [9]int{unauth, unauth, forbidden, forbidden, ok, forbidden, ok, ok, forbidden}},
		{"GET " + pathTrajectory, http.MethodGet, tr(w.mine, ""), "", [9]int{unauth, unauth, forbidden, forbidden, ok, hidden, ok, hidden, forbidden}},
		{"GET " + pathTrajectory, http.MethodGet, tr(w.unknown, ""), "", [9]int{unauth, unauth, forbidden, forbidden, hidden, hidden, hidden, hidden, forbidden}},
		{"POST " + pathAssignment, http.MethodPost, tr(w.mine, "assignment"), `{"coach":"test-coach"}`, supervisorStep},
		{"POST " + pathIntake, http.MethodPost, tr(w.mine, "intake"), `{}`, ownStep},
		{"POST " + pathVisits, http.MethodPost, tr(w.mine, "visits"), `{"note":"Bezoek."}`, ownStep},
		{"POST " + pathVisits, http.MethodPost, tr(w.unknown, "visits"), `{}`, [9]int{unauth, unauth, forbidden, forbidden, hidden, hidden, forbidden, forbidden, forbidden}},
		{"POST " + pathVisitMove, http.MethodPost, tr(w.mine, "visits/move"), `{"step":"home_visit-1","to":"` + inAWeek + `"}`, ownStep},
		{"POST " + pathVisitMissed, http.MethodPost, tr(w.mine, "visits/missed"), `{"step":"home_visit-1","reason":"not_home","next":"` + inAWeek + `"}`, ownStep},
		{"POST " + pathBirth, http.MethodPost, tr(w.mine, "birth"), `{"birth_date":"` + inDays(-1) + `"}`, ownStep},
		{"POST " + pathHandovers, http.MethodPost, tr(w.mine, "handovers"), string(handover), ownStep},
		{"POST " + pathResend, http.MethodPost, tr(w.mine, "handovers/1/resend"), `{"service":"ocmw-vilvoorde"}`, ownStep},
		{"POST " + pathTimings, http.MethodPost, tr(w.mine, "programme-timings"), `{"reason":"Nieuwe termijnen in het programmabestand."}`, supervisorStep},
		{"POST " + pathClosure, http.MethodPost, tr(w.mine, "closure"), `{"reason":"goals_reached"}`, [9]int{unauth, unauth, forbidden, forbidden, ok, hidden, ok, hidden, forbidden}},
		{"POST " + pathExtension, http.MethodPost, tr(w.mine, "follow-up-extension"), `{"until":"` + inMonths(3) + `","reason":"Nog nodig."}`, supervisorStep},
		{"GET " + pathExport, http.MethodGet, tr(w.mine, "export"), "", [9]int{unauth, unauth, forbidden, forbidden, ok, hidden, ok, hidden, forbidden}},
		// No Eraser in this world: allowed callers get 503, the others what they always get.
		{"POST " + pathErasure, http.MethodPost, tr(w.mine, "erasure"), "", [9]int{unauth, unauth, forbidden, forbidden, forbidden, forbidden, unconfigured, hidden, unconfigured}},
		{"POST " + pathSession, http.MethodPost, pathSession, "", [9]int{unauth, unauth, forbidden, forbidden, forbidden, forbidden, http.StatusNoContent, http.StatusNoContent, forbidden}},
		{"DELETE " + pathSession, http.MethodDelete, pathSession, "", every(http.StatusNoContent)},
		{"GET " + pathHandoverLink, http.MethodGet, "/v1/handovers/" + link, "", every(ok)},
		{"POST " + pathHandoverAck, http.MethodPost, "/v1/handovers/" + link + "/acknowledgement", "", every(ok)},
		// Without the Idempotency-Key it needs: 400 for the coach.
		{"POST " + pathFamilyLink, http.MethodPost, tr(w.mine, "family-link"), `{}`, [9]int{unauth, unauth, forbidden, forbidden, http.StatusBadRequest, hidden, forbidden, forbidden, forbidden}},
		{"DELETE " + pathFamilyLink, http.MethodDelete, tr(w.mine, "family-link"), "", [9]int{unauth, unauth, forbidden, forbidden, ok, hidden, ok, hidden, forbidden}},
		// The family's token is its credential: a forged one is not found, whoever sends it.
		{"GET " + pathFamilyPage, http.MethodGet, "/v1/family/f1.t1.forged", "", every(http.StatusNotFound)},
		{"POST " + pathFamilyAsk, http.MethodPost, "/v1/family/f1.t1.forged/date-request", "", every(http.StatusNotFound)},
		// The SMS gateway's token is its credential: a malformed one is refused, whoever sends it.
		{"GET " + pathSMSReport, http.MethodGet, "/v1/sms-reports/forged?status=1", "", every(http.StatusBadRequest)},
		{"GET " + pathHealthz, http.MethodGet, pathHealthz, "", every(ok)},
		{"GET " + pathReadyz, http.MethodGet, pathReadyz, "", every(ok)},
		{"POST " + pathMilestone, http.MethodPost, tr(w.mine, "milestones/opleiding_gestart"), `{}`, ownStep},
		{"PUT " + pathPlan, http.MethodPut, tr(w.mine, "plan"), `{"agreed_on":"` + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) +
			`","goals":[{"domain":"housing","text":"Een woning met twee slaapkamers.","actions":[{"what":"Inschrijven","owner":{"role":"family"}}]}]}`, ownStep},
		{"POST " + pathGoalStatus, http.MethodPost, tr(w.mine, "plan/goals/g1/status"), `{"status":"reached"}`, ownStep},
		{"POST " + pathActionDone, http.MethodPost, tr(w.mine, "plan/goals/g1/actions/a1/done"), `{}`, ownStep},
		{"POST " + pathReviewGoals, http.MethodPost, tr(w.mine, "plan/review"), `{}`, ownStep},
		{"POST " + pathCoWorkers, http.MethodPost, tr(w.mine, "co-workers"), `{"co_worker":"test-brugfiguur","role":"brugfiguur"}`, supervisorStep},
		{"POST " + pathConsultations, http.MethodPost, pathConsultations, `{"programme":"test-seconds","organisation":"test-partner","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`,
			[9]int{unauth, unauth, http.StatusCreated, forbidden, http.StatusCreated, http.StatusCreated, http.StatusCreated, notYours, forbidden}},
		{"GET " + pathConsultation, http.MethodGet, "/v1/consultations/co-unknown", "",
			[9]int{unauth, unauth, hidden, hidden, hidden, hidden, hidden, hidden, forbidden}},
		{"GET " + pathActivity, http.MethodGet, "/v1/programmes/test-seconds/activities/ac-unknown", "",
			[9]int{unauth, unauth, forbidden, forbidden, hidden, hidden, hidden, notYours, forbidden}},
		{"POST " + pathConsultationRefer, http.MethodPost, "/v1/consultations/co-unknown/referral", string(referral),
			[9]int{unauth, unauth, hidden, hidden, hidden, hidden, hidden, hidden, forbidden}},
		{"POST " + pathConsultationOrg, http.MethodPost, "/v1/consultations/co-unknown/organisation", `{"organisation":"test-partner"}`,
			[9]int{unauth, unauth, forbidden, forbidden, hidden, hidden, hidden, hidden, forbidden}},
		// Without the Idempotency-Key it needs: 400 for those who may call it.
		{"POST " + pathCollectiveActivity, http.MethodPost, "/v1/programmes/test-seconds/activities", `{}`,
			[9]int{unauth, unauth, forbidden, forbidden, http.StatusBadRequest, http.StatusBadRequest, http.StatusBadRequest, notYours, forbidden}},
		{"GET " + pathProgrammeReport, http.MethodGet, "/v1/reports/programmes/test-seconds?from=2025-01-01&to=2025-12-31", "",
			[9]int{unauth, unauth, forbidden, forbidden, forbidden, forbidden, ok, notYours, forbidden}},
		{"POST " + codecPath, http.MethodPost, codecPath + "decode", `{"payloads":[]}`, codec},
		{"POST " + codecPath, http.MethodPost, codecPath + "encode", `{"payloads":[]}`, codec},
	}
}

// TestAuthorizationMatrix tries every route with every kind of caller (and
// none, and a revoked token) and checks each answer's status.
func TestAuthorizationMatrix(t *testing.T) {
	w := newWorld(t)
	rows := matrix(w)
	for _, row := range rows {
		for i, caller := range callers {
			status, body := w.do(t, caller, row.method, row.path, row.body)
			if status != row.want[i] {
				t.Errorf("%s %s as %s: %d, want %d: %s", row.method, row.path, caller, status, row.want[i], body)
			}
		}
	}

	// Every route the handler serves is in the matrix.
	tried := map[string]bool{}
	for _, row := range rows {
		tried[row.route] = true
	}
	var untried []string
	s := newServer(Config{Programmes: testCatalogue(), Services: testServices(), Links: testSigner(), IDKey: testIDKey, Temporal: &fakeTemporal{},
		Store: newFakeStore(), Auth: TokenAuthenticator{Store: newFakeTokens()}, Audit: &fakeAuditor{}, Codec: http.NotFoundHandler(),
		Sessions: newFakeSessions(newFakeTokens()).manager()})
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			methods = []string{http.MethodPost} // the codec: any method; POST is what carries data
		}
		for _, m := range methods {
			if !tried[m+" "+tmpl] {
				untried = append(untried, m+" "+tmpl)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(untried)
	if len(untried) > 0 {
		t.Errorf("routes missing from the matrix: %v", untried)
	}
	// Every authenticated route has its rule, and every rule its route.
	for key := range routeRules {
		if !tried[key] {
			t.Errorf("rule %s has no route in the matrix", key)
		}
	}
}

// TestCoachCannotSeeOrTouchAnotherCoachsFamily: coach B works in the same
// programme as coach A, and still cannot tell that coach A's family exists.
func TestCoachCannotSeeOrTouchAnotherCoachsFamily(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()

	// Coach A sees the family; coach B gets what an unknown id gets, byte for byte.
	status, body := w.do(t, "coach-a", http.MethodGet, "/v1/trajectories/"+w.mine, "")
	if status != http.StatusOK || !strings.Contains(string(body), matrixFamily) {
		t.Fatalf("coach A: %d %s", status, body)
	}
	_, unknownBody := w.do(t, "coach-a", http.MethodGet, "/v1/trajectories/"+w.unknown, "")
	for _, try := range []struct{ caller, method, path, body string }{
		{"coach-b", http.MethodGet, "/v1/trajectories/" + w.mine, ""},
		{"supervisor-other", http.MethodGet, "/v1/trajectories/" + w.mine, ""},
		{"coach-b", http.MethodGet, "/v1/trajectories/" + w.unknown, ""},
		{"coach-b", http.MethodPost, "/v1/trajectories/" + w.mine + "/visits", `{"note":"x"}`},
		{"coach-a", http.MethodPost, "/v1/trajectories/" + w.unknown + "/visits", `{"note":"x"}`},
		{"coach-b", http.MethodPost, "/v1/trajectories/" + w.mine + "/closure", `{"reason":"moved_away"}`},
		{"coach-b", http.MethodPost, "/v1/trajectories/" + w.mine + "/handovers", `{}`},
		{"coach-b", http.MethodPost, "/v1/trajectories/" + w.mine + "/intake", `not even JSON`},
		{"supervisor-other", http.MethodPost, "/v1/trajectories/" + w.mine + "/assignment", `{"coach":"coach-an"}`},
	} {
		status, got := w.do(t, try.caller, try.method, try.path, try.body)
		if status != http.StatusNotFound || string(got) != string(unknownBody) {
			t.Errorf("%s %s as %s: %d %s; want the 404 of an unknown trajectory %s", try.method, try.path, try.caller, status, got, unknownBody)
		}
	}
	if strings.Contains(string(unknownBody), w.unknown) || strings.Contains(string(unknownBody), w.mine) {
		t.Errorf("the 404 repeats an id: %s", unknownBody)
	}

	// Coach B's list does not hold it, and asking for coach A's is refused.
	_, list := w.do(t, "coach-b", http.MethodGet, "/v1/trajectories", "")
	if strings.Contains(string(list), w.mine) {
		t.Errorf("coach B's list holds coach A's family: %s", list)
	}
	if status, _ := w.do(t, "coach-b", http.MethodGet, "/v1/trajectories?coach=test-coach", ""); status != http.StatusForbidden {
		t.Errorf("coach B listing coach A's: %d", status)
	}
	_, list = w.do(t, "coach-a", http.MethodGet, "/v1/trajectories", "")
	if !strings.Contains(string(list), w.mine) {
		t.Errorf("coach A's list lacks their family: %s", list)
	}

	// Nothing coach B tried reached the workflow.
	for _, u := range w.temporal.updates {
		t.Errorf("update %s reached the workflow", u.UpdateName)
	}

	// The audit log has every read and every refusal, with who and when,
	// and no personal data.
	entries, err := w.store.AuditEntries(ctx, w.mine, 0)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.At.IsZero() {
			t.Errorf("entry %+v has no time", e)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s", e.Actor, e.Action, e.Outcome))
	}
	want := []string{
		// The set-up's events, each with its action's entry (store.RecordEvent).
		"partner:test-partner event:referred ok",
		"supervisor:sup-vilvoorde event:coach_assigned ok",
		"coach:test-coach read_trajectory ok",
		"coach:test-coach-2 read_trajectory denied",
		"supervisor:sup-mechelen read_trajectory denied",
		"coach:test-coach-2 record_visit denied",
		"coach:test-coach-2 close_trajectory denied",
		"coach:test-coach-2 hand_over denied",
		"coach:test-coach-2 record_intake denied",
		"supervisor:sup-mechelen assign_coach denied",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log of the trajectory\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// Without a token, and with coach A's revoked one: refused and recorded.
	if status, _ := w.do(t, "none", http.MethodGet, "/v1/trajectories/"+w.mine, ""); status != http.StatusUnauthorized {
		t.Errorf("no token: %d", status)
	}
	if status, _ := w.do(t, "revoked", http.MethodGet, "/v1/trajectories/"+w.mine, ""); status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", status)
	}
	// Counted, one entry for the address, naming the revoked token.
	e := waitDenials(t, func() []store.AuditEntry {
		all, err := w.store.AuditEntries(ctx, "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		return all
	})
	if e.Detail["count"] != "2" || e.Detail["token_id_0"] != w.revokedID || e.Detail["address"] == "" {
		t.Errorf("count of unauthenticated requests %+v", e)
	}

	all, err := w.store.AuditEntries(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(all)
	for _, personal := range []string{matrixFamily, "Yasmina", matrixPhone, "Dakloos", matrixReference} {
		if strings.Contains(string(raw), personal) {
			t.Errorf("the audit log holds %q: %s", personal, raw)
		}
	}
	for _, token := range w.tokens {
		if _, secret, _ := strings.Cut(token, "."); secret != "" && strings.Contains(string(raw), secret) {
			t.Errorf("the audit log holds a token's secret")
		}
	}
}
