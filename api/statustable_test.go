package api

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/internal/openapicheck"
	"github.com/elkgezin/elkgezin/trajectory"
)

// answer is one answer of the status table's requests.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request as caller in the world and checks the answer
// against the document.
func (w *world) call(t *testing.T, caller, method, path, body string, headers ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token := w.tokens[caller]; token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	keyRequiredSteps(req)
	rec := httptest.NewRecorder()
	w.handler.ServeHTTP(rec, req)
	if err := openapicheck.Response(req, rec.Code, rec.Header(), rec.Body.Bytes()); openapicheck.Describes(path) && err != nil {
		t.Errorf("%s %s answered %d, which openapi.yaml does not describe: %v\nbody: %.1000s", method, path, rec.Code, err, rec.Body)
	}
	return answer{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func (f *fixture) call(method, path string, body any, headers ...string) answer {
	res := f.do(method, path, body, headers...)
	return answer{res.status, res.header, res.body}
}

// TestStatusTable hits each situation of the table in docs/api.md and
// checks its status and code: one code per situation, the same status on
// every route.
func TestStatusTable(t *testing.T) {
	w := newWorld(t)
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseCoachAssigned)
	closed := newFixture(t)
	closed.store.add(openID, trajectory.PhaseCoachAssigned)
	closed.store.closeAfter = true
	closed.temporal.getErr = serviceerror.NewNotFound("workflow execution already completed")
	closed.temporal.updateErr = serviceerror.NewNotFound("workflow execution already completed")
	refusing := newFixture(t)
	refusing.store.add(openID, trajectory.PhaseCoachAssigned)
	refusing.temporal.getErr = trajectory.Refused("no coach is assigned yet", trajectory.Refusal{Code: trajectory.CodeIntakeNeedsCoach})
	down := newFixture(t)
	down.store.add(openID, trajectory.PhaseCoachAssigned)
	down.temporal.updateErr = serviceerror.NewUnavailable("connection refused")
	failing := newFixture(t)
	failing.store.add(openID, trajectory.PhaseCoachAssigned)
	failing.temporal.getErr = temporal.NewApplicationError("boom", "Panic")

	tooLarge, _ := json.Marshal(map[string]string{"reason": strings.Repeat("x", 70<<10)})
	mineVisit := "/v1/trajectories/" + w.mine + "/visits"
	for _, c := range []struct {
		situation string
		status    int
		code      ProblemCode
		ask       func() answer
	}{
		{"unknown path", 404, CodeNotFound, func() answer { return w.call(t, "coach-a", "GET", "/v1/nothing-here", "") }},
		{"method the path does not take", 405, CodeMethodNotAllowed, func() answer { return w.call(t, "coach-a", "DELETE", "/v1/trajectories", "") }},
		{"no credentials", 401, CodeUnauthenticated, func() answer { return w.call(t, "none", "GET", "/v1/trajectories", "") }},
		{"revoked token", 401, CodeUnauthenticated, func() answer { return w.call(t, "revoked", "GET", "/v1/trajectories", "") }},
		{"a kind that may not", 403, CodeForbidden, func() answer { return w.call(t, "partner", "GET", "/v1/trajectories/"+w.mine, "") }},
		{"list: programme named, not yours", 403, CodeProgrammeNotYours, func() answer {
			return w.call(t, "coach-a", "GET", "/v1/trajectories?programme=go-team-mechelen", "")
		}},
		{"report: programme named, not yours", 403, CodeProgrammeNotYours, func() answer {
			return w.call(t, "supervisor-other", "GET", "/v1/reports/programmes/test-seconds?from=2025-01-01&to=2025-03-31", "")
		}},
		{"activity: programme named, not yours", 403, CodeProgrammeNotYours, func() answer {
			return w.call(t, "supervisor-other", "POST", "/v1/programmes/test-seconds/activities",
				`{"held_on":"2025-03-01","kind":"ouderavond","trajectories":["`+w.mine+`"]}`, "Idempotency-Key", "act-1")
		}},
		{"consultation: programme named, not yours", 403, CodeProgrammeNotYours, func() answer {
			return w.call(t, "supervisor-other", "POST", "/v1/consultations",
				`{"programme":"test-seconds","organisation":"test-partner","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`)
		}},
		{"referral: programme not accepting the partner", 403, CodeReferrerNotAllowed, func() answer {
			return f.call("POST", "/v1/referrals", set(validReferral(), "programme", "go-team-mechelen"), authHeader, asPartner)
		}},
		{"referral: no such programme", 404, CodeProgrammeNotFound, func() answer {
			return f.call("POST", "/v1/referrals", set(validReferral(), "programme", "no-such-programme"), authHeader, asPartner)
		}},
		{"read: trajectory you may not see", 404, CodeTrajectoryNotFound, func() answer { return w.call(t, "coach-b", "GET", "/v1/trajectories/"+w.mine, "") }},
		{"step: trajectory you may not see", 404, CodeTrajectoryNotFound, func() answer { return w.call(t, "coach-b", "POST", mineVisit, `{}`) }},
		{"consultation you may not see", 404, CodeConsultationNotFound, func() answer { return w.call(t, "partner", "GET", "/v1/consultations/co-unknown", "") }},
		{"activity not in the programme", 404, CodeActivityNotFound, func() answer {
			return w.call(t, "supervisor", "GET", "/v1/programmes/test-seconds/activities/ac-unknown", "")
		}},
		{"malformed JSON", 400, CodeMalformedJSON, func() answer { return w.call(t, "coach-a", "POST", mineVisit, `{"note":`) }},
		{"empty body", 400, CodeBodyEmpty, func() answer { return f.call("POST", "/v1/referrals", "", authHeader, asPartner) }},
		{"invalid fields", 400, CodeInvalidRequest, func() answer {
			return f.call("POST", "/v1/referrals", set(validReferral(), "family.contact_name", ""), authHeader, asPartner)
		}},
		{"invalid query", 400, CodeInvalidRequest, func() answer {
			return w.call(t, "supervisor", "GET", "/v1/reports/programmes/test-seconds?from=2025-01-01&to=2025-01-01", "")
		}},
		{"Idempotency-Key required", 400, CodeIdempotencyKeyRequired, func() answer {
			return f.call("POST", stepPath("visits"), `{}`, authHeader, asCoach, withoutKey, "1")
		}},
		{"body too large", 413, CodeBodyTooLarge, func() answer { return f.call("POST", stepPath("closure"), tooLarge, authHeader, asCoach) }},
		{"step refused by the trajectory", 409, ProblemCode(trajectory.CodeIntakeNeedsCoach), func() answer {
			return refusing.call("POST", stepPath("intake"), `{}`, authHeader, asCoach)
		}},
		{"step on a closed trajectory", 409, CodeTrajectoryClosed, func() answer {
			return closed.call("POST", stepPath("intake"), `{}`, authHeader, asCoach)
		}},
		{"acknowledgement on a closed trajectory", 409, CodeTrajectoryClosed, func() answer {
			return closed.call("POST", "/v1/handovers/"+link(3, time.Hour)+"/acknowledgement", nil)
		}},
		{"expired handover link", 410, CodeLinkExpired, func() answer {
			return f.call("POST", "/v1/handovers/"+link(3, -time.Hour)+"/acknowledgement", nil)
		}},
		{"handover without consent", 422, CodeConsentMissing, func() answer {
			body := validHandover()
			delete(body, "consent")
			return f.call("POST", stepPath("handovers"), body, authHeader, asCoach)
		}},
		{"feature not configured", 501, CodeNotConfigured, func() answer { return w.call(t, "supervisor", "POST", "/v1/trajectories/"+w.mine+"/erasure", "") }},
		{"Temporal down", 503, CodeWorkflowUnavailable, func() answer { return down.call("POST", stepPath("intake"), `{}`, authHeader, asCoach) }},
		{"unknown failure", 500, CodeInternalError, func() answer { return failing.call("POST", stepPath("intake"), `{}`, authHeader, asCoach) }},
	} {
		a := c.ask()
		var p Problem
		if err := json.Unmarshal(a.body, &p); err != nil || a.status != c.status || p.Code != c.code || p.Status != c.status {
			t.Errorf("%s: %d %s, want %d %s", c.situation, a.status, a.body, c.status, c.code)
			continue
		}
		if a.header.Get("Content-Type") != ProblemContentType || p.Type != ProblemTypeBase+string(c.code) || p.Title == "" {
			t.Errorf("%s: %s %s is not a problem of %s", c.situation, a.header.Get("Content-Type"), a.body, c.code)
		}
		if a.status == http.StatusServiceUnavailable && a.header.Get("Retry-After") == "" {
			t.Errorf("%s: a 503 without Retry-After", c.situation)
		}
		if kindOf(c.code).status != c.status {
			t.Errorf("%s: the code's own status is %d, not %d", c.situation, kindOf(c.code).status, c.status)
		}
	}
}

// TestCreationsAnswer201WithLocation: every creation answers 201 with a
// Location that answers 200 to its creator with the same resource.
func TestCreationsAnswer201WithLocation(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		name, caller, path, body string
		headers                  []string
	}{
		{"consultation", "partner", "/v1/consultations", `{"programme":"test-seconds","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`, nil},
		{"activity", "coach-a", "/v1/programmes/test-seconds/activities",
			`{"held_on":"2025-03-01","kind":"ouderavond","trajectories":["` + w.mine + `"]}`, []string{"Idempotency-Key", "act-location"}},
	} {
		created := w.call(t, c.caller, "POST", c.path, c.body, c.headers...)
		loc := created.header.Get("Location")
		if created.status != http.StatusCreated || !strings.HasPrefix(loc, c.path+"/") {
			t.Errorf("%s: %d with Location %q: %s", c.name, created.status, loc, created.body)
			continue
		}
		read := w.call(t, c.caller, "GET", loc, "")
		var made, got map[string]any
		_ = json.Unmarshal(created.body, &made)
		_ = json.Unmarshal(read.body, &got)
		if act, ok := made["activity"].(map[string]any); ok {
			made = act
		}
		if read.status != http.StatusOK || got["id"] == nil || got["id"] != made["id"] {
			t.Errorf("%s: Location %s answered %d %s; created %s", c.name, loc, read.status, read.body, created.body)
		}
	}
	// Another partner gets the 404 of a consultation that does not exist.
	created := w.call(t, "partner", "POST", "/v1/consultations", `{"programme":"test-seconds","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`)
	theirs := w.call(t, "partner-other", "GET", created.header.Get("Location"), "")
	unknown := w.call(t, "partner-other", "GET", "/v1/consultations/co-unknown", "")
	if theirs.status != http.StatusNotFound || string(theirs.body) != string(unknown.body) {
		t.Errorf("another partner's consultation: %d %s; an unknown one %d %s", theirs.status, theirs.body, unknown.status, unknown.body)
	}
}

// TestDocsStatusTableListsEveryCode: the table of docs/api.md names every
// ProblemCode once, with the code's own status.
func TestDocsStatusTableListsEveryCode(t *testing.T) {
	file, err := os.Open("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	row := regexp.MustCompile("^\\|[^|]+\\|\\s*(\\d{3})\\s*\\|\\s*`([a-z_]+)`\\s*\\|")
	documented := map[ProblemCode]int{}
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			status, _ := strconv.Atoi(m[1])
			code := ProblemCode(m[2])
			if prev, seen := documented[code]; seen && prev != status {
				t.Errorf("docs/api.md gives %s both %d and %d", code, prev, status)
			}
			documented[code] = status
		}
	}
	for _, k := range problemKinds {
		if got, ok := documented[k.code]; !ok || got != k.status {
			t.Errorf("docs/api.md's status table gives %s status %d, want %d", k.code, got, k.status)
		}
	}
	for code := range documented {
		if _, ok := problemByCode[code]; !ok && !slices.Contains(trajectory.RefusalCodes, trajectory.RefusalCode(code)) {
			t.Errorf("docs/api.md lists %s, which is no code of the API", code)
		}
	}
}

// TestRefusalCarriesItsArgs: a step the trajectory refuses answers the
// refusal's code and its particulars, so a client can say it in its own
// words.
func TestRefusalCarriesItsArgs(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseIntakeDone)
	f.temporal.getErr = trajectory.Refused("the intake is recorded already (2025-03-01)",
		trajectory.Refusal{Code: trajectory.CodeIntakeAlreadyRecorded, Args: map[string]string{trajectory.ArgDoneAt: "2025-03-01T10:00:00Z"}})
	res := f.do(http.MethodPost, stepPath("intake"), `{}`, authHeader, asCoach)
	res.want(t, http.StatusConflict)
	if res.err.Code != ProblemCode(trajectory.CodeIntakeAlreadyRecorded) || res.err.Args[trajectory.ArgDoneAt] != "2025-03-01T10:00:00Z" {
		t.Errorf("answered %s", res.body)
	}
}

// TestFieldCodes: each bad field is named by its JSON pointer with a code
// for what is wrong with it.
func TestFieldCodes(t *testing.T) {
	f := newFixture(t)
	body := set(validReferral(), "family.contact_name", "")
	body["reason"] = strings.Repeat("x", 10001)
	res := f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
	res.want(t, http.StatusBadRequest)
	if res.fieldCodes["family.contact_name"] != FieldRequired || res.fieldCodes["reason"] != FieldTooLong {
		t.Errorf("field codes %v: %s", res.fieldCodes, res.body)
	}
	for _, e := range res.err.Errors {
		if !strings.HasPrefix(e.Pointer, "/") || e.Parameter != "" {
			t.Errorf("field problem %+v is not a JSON pointer into the body", e)
		}
	}
	res = f.do(http.MethodPost, "/v1/referrals", `{"programme":"test-seconds","reason":7}`, authHeader, asPartner)
	if res.fieldCodes["reason"] != FieldWrongType {
		t.Errorf("a number for a text: %s", res.body)
	}
	q := f.do(http.MethodGet, "/v1/trajectories?phase=dreaming", nil, authHeader, asCoach)
	if len(q.err.Errors) != 1 || q.err.Errors[0].Parameter != "phase" || q.err.Errors[0].Pointer != "" {
		t.Errorf("a bad query parameter: %s", q.body)
	}
}
