package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// validHandover returns a handover body as a JSON object, so cases can break it.
func validHandover() map[string]any {
	return map[string]any{
		"service": "kind-en-gezin-vilvoorde",
		"reason":  "Einde van de perinatale begeleiding; opvolging door het consultatiebureau.",
		"consent": map[string]any{
			"given":       true,
			"recorded_on": inDays(-1),
			"shares":      []any{"contact", "children"},
		},
	}
}

func TestHandoverValidation(t *testing.T) {
	cases := []struct {
		name   string
		change func(m map[string]any)
		fields []string
	}{
		{"no service", func(m map[string]any) { delete(m, "service") }, []string{"service"}},
		{"unknown service", func(m map[string]any) { m["service"] = "kind-en-gezin-mechelen" }, []string{"service"}},
		{"service of two lines", func(m map[string]any) { m["service"] = "ocmw\nvilvoorde" }, []string{"service"}},
		{"no reason", func(m map[string]any) { delete(m, "reason") }, []string{"reason"}},
		{"blank reason", func(m map[string]any) { m["reason"] = "  " }, []string{"reason"}},
		{"reason too long", func(m map[string]any) { m["reason"] = strings.Repeat("r", 4001) }, []string{"reason"}},
		{"consent recorded in the future", func(m map[string]any) { consent(m)["recorded_on"] = inDays(2) }, []string{"consent.recorded_on"}},
		{"consent recorded on a bad date", func(m map[string]any) { consent(m)["recorded_on"] = "vorige week" }, []string{"consent.recorded_on"}},
		{"consent recorded on a number", func(m map[string]any) { consent(m)["recorded_on"] = 1 }, []string{"consent.recorded_on"}},
		{"unknown share", func(m map[string]any) { consent(m)["shares"] = []any{"contact", "medical"} }, []string{"consent.shares[1]"}},
		{"share listed twice", func(m map[string]any) { consent(m)["shares"] = []any{"contact", "pregnancy", "contact"} }, []string{"consent.shares[2]"}},
		{"share in capitals", func(m map[string]any) { consent(m)["shares"] = []any{"Contact"} }, []string{"consent.shares[0]"}},
		{"everything wrong, without consent too", func(m map[string]any) {
			m["service"] = "nope"
			m["reason"] = ""
			consent(m)["given"] = false
			consent(m)["shares"] = []any{"all"}
		}, []string{"consent.shares[0]", "reason", "service"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.store.add(openID, trajectory.PhasePostnatal)
			body := validHandover()
			tc.change(body)
			res := f.do(http.MethodPost, stepPath("handovers"), body, authHeader, asCoach)
			checkFields(t, res, "invalid handover", tc.fields)
			if len(f.temporal.updates) != 0 {
				t.Error("an invalid handover reached the workflow")
			}
		})
	}

	f := newFixture(t)
	f.store.add(openID, trajectory.PhasePostnatal)
	res := f.do(http.MethodPost, stepPath("handovers"), set(validHandover(), "service", "kind-en-gezin-mechelen"), authHeader, asCoach)
	res.want(t, http.StatusBadRequest)
	if p := res.fields["service"]; !strings.Contains(p, "caw-halle-vilvoorde, clb-vilvoorde") || !strings.Contains(p, "(and 1 more)") {
		t.Errorf("the problem %q does not list valid ids", p)
	}
	for _, body := range []string{
		`{"service":"ocmw-vilvoorde","reason":"x","consent":{"given":"yes","recorded_on":"2025-01-01"}}`,
		`{"service":"ocmw-vilvoorde","reason":"x","consent":{"given":true,"recorded_on":"2025-01-01","shares":"contact"}}`,
		`{"service":"ocmw-vilvoorde","reason":"x","consent":{"given":true,"recorded_on":"2025-01-01","by":"family"}}`,
		`{"service":{"id":"ocmw-vilvoorde"},"reason":"x"}`,
	} {
		res := f.do(http.MethodPost, stepPath("handovers"), body, authHeader, asCoach)
		res.want(t, http.StatusBadRequest)
		if len(res.fields) != 1 {
			t.Errorf("%s: %s", body, res.body)
		}
	}
}

func consent(m map[string]any) map[string]any { return m["consent"].(map[string]any) }

func TestHandoverNeedsConsent(t *testing.T) {
	want := Problem{Code: CodeConsentMissing,
		Detail: "record the family's consent to this handover (consent.given and consent.recorded_on) before handing over"}
	cases := map[string]func(m map[string]any){
		"no consent":       func(m map[string]any) { delete(m, "consent") },
		"consent null":     func(m map[string]any) { m["consent"] = nil },
		"empty consent":    func(m map[string]any) { m["consent"] = map[string]any{} },
		"not given":        func(m map[string]any) { consent(m)["given"] = false },
		"given left out":   func(m map[string]any) { delete(consent(m), "given") },
		"no recorded_on":   func(m map[string]any) { delete(consent(m), "recorded_on") },
		"recorded_on null": func(m map[string]any) { consent(m)["recorded_on"] = nil },
		"not given, no shares": func(m map[string]any) {
			m["consent"] = map[string]any{"given": false, "recorded_on": inDays(0), "shares": []any{}}
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.store.add(openID, trajectory.PhasePostnatal)
			body := validHandover()
			change(body)
			raw, _ := json.Marshal(body) // a nil value must stay a JSON null
			res := f.do(http.MethodPost, stepPath("handovers"), raw, authHeader, asCoach)
			res.want(t, http.StatusUnprocessableEntity)
			if res.err.Code != want.Code || res.err.Detail != want.Detail || res.fields != nil {
				t.Errorf("answered %s", res.body)
			}
			if len(f.temporal.updates) != 0 {
				t.Error("a handover without consent reached the workflow")
			}
		})
	}
}

func TestHandOver(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhasePostnatal)
	sent := time.Date(2025, 9, 1, 10, 0, 0, 0, time.UTC)
	f.temporal.state = trajectory.State{TrajectoryID: openID, Phase: trajectory.PhasePostnatal, Handovers: []trajectory.Handover{{
		Number: 1, SentAt: sent, Shares: []string{"contact", "children"}, LinkExpiresAt: sent.Add(30 * 24 * time.Hour),
		Ack: &trajectory.Step{Kind: trajectory.StepHandoverAck, Number: 1, DueAt: sent.Add(7 * 24 * time.Hour)},
	}}}
	res := f.do(http.MethodPost, stepPath("handovers"), validHandover(),
		authHeader, asCoach, IdempotencyKeyHeader, "handover-1")
	res.want(t, http.StatusOK)
	var state Trajectory
	res.decode(t, &state)
	if len(state.Handovers) != 1 || state.Handovers[0].Number != 1 || !strings.Contains(string(res.body), `"handovers":[`) {
		t.Errorf("state %s", res.body)
	}

	u := f.temporal.updates[0]
	if u.WorkflowID != openID || u.UpdateName != trajectory.UpdateHandOver || u.UpdateID != keyedUpdateID(trajectory.UpdateHandOver, "coach:test-coach", "handover-1") {
		t.Errorf("update %+v", u)
	}
	req, ok := u.Args[0].(trajectory.HandOver)
	if !ok {
		t.Fatalf("args %+v", u.Args)
	}
	if req.Service != testServices()["kind-en-gezin-vilvoorde"] || !strings.HasPrefix(req.Reason, "Einde van de perinatale") || req.By != "coach:test-coach" {
		t.Errorf("request %+v", req)
	}
	if c := req.Consent; !c.Given || c.RecordedOn.String() != inDays(-1) || strings.Join(c.Shares, ",") != "contact,children" {
		t.Errorf("consent %+v", c)
	}

	// Consent without sharing anything (the service gets the coach's
	// contact and the reason only), recorded today.
	body := validHandover()
	body["consent"] = map[string]any{"given": true, "recorded_on": inDays(0)}
	f.do(http.MethodPost, stepPath("handovers"), body, authHeader, asCoach).want(t, http.StatusOK)
	if c := f.temporal.updates[1].Args[0].(trajectory.HandOver).Consent; c.Shares == nil || len(c.Shares) != 0 {
		t.Errorf("shares %#v, want an empty list", c.Shares)
	}

	// Every category once.
	consent(body)["shares"] = []any{"pregnancy", "children", "contact"}
	f.do(http.MethodPost, stepPath("handovers"), body, authHeader, asCoach).want(t, http.StatusOK)

	f.do(http.MethodPost, "/v1/trajectories/"+testID("x", "y", "z")+"/handovers", validHandover(), authHeader, asCoach).want(t, http.StatusNotFound)
}

// link makes a token for handover n of the open trajectory.
func link(n int, expiresIn time.Duration) string {
	return testSigner().Token(handoverlink.Claims{TrajectoryID: openID, Number: n, ExpiresAt: time.Now().Add(expiresIn)})
}

func TestHandoverLinkInvalidIsLikeUnknownPath(t *testing.T) {
	other, err := handoverlink.NewSigner(handoverlink.Key{ID: "t1", Secret: []byte("caN18/QvuZgDzOOJ4tEUY4vi60QpE787BxGC89Vayok=")})
	if err != nil {
		t.Fatal(err)
	}
	good := link(2, time.Hour)
	payload, sig, _ := strings.Cut(good, ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte(openID + ".3.9999999999"))
	tokens := map[string]string{
		"garbage":            "not-a-token",
		"another secret":     other.Token(handoverlink.Claims{TrajectoryID: openID, Number: 2, ExpiresAt: time.Now().Add(time.Hour)}),
		"another number":     forged + "." + sig,
		"signature only":     "." + sig,
		"payload only":       payload,
		"damaged signature":  payload + "." + strings.ToUpper(sig),
		"too long":           good + strings.Repeat("A", 600),
		"signature with dot": good + ".x",
	}
	f := newFixture(t)
	unknown := f.do(http.MethodGet, "/v1/no-such-thing", nil)
	unknown.want(t, http.StatusNotFound)
	for name, token := range tokens {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			path := "/v1/handovers/" + token
			if method == http.MethodPost {
				path += "/acknowledgement"
			}
			res := f.do(method, path, nil)
			res.want(t, http.StatusNotFound)
			if string(res.body) != string(unknown.body) {
				t.Errorf("%s %s: %s, want the answer of an unknown path %s", method, name, res.body, unknown.body)
			}
		}
	}
	if len(f.temporal.updates) != 0 {
		t.Error("an invalid link reached the workflow")
	}
}

func TestHandoverLinkExpired(t *testing.T) {
	f := newFixture(t)
	token := link(2, -time.Minute)
	for _, path := range []string{"/v1/handovers/" + token, "/v1/handovers/" + token + "/acknowledgement"} {
		method := http.MethodGet
		if strings.HasSuffix(path, "/acknowledgement") {
			method = http.MethodPost
		}
		res := f.do(method, path, nil)
		res.want(t, http.StatusGone)
		if res.err.Code != CodeLinkExpired || !strings.Contains(res.err.Detail, "verlopen") {
			t.Errorf("%s: %+v", method, res.err)
		}
		if res.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: no Referrer-Policy", method)
		}
	}
	if len(f.temporal.updates) != 0 {
		t.Error("an expired link reached the workflow")
	}
}

func TestHandoverLinkPage(t *testing.T) {
	f := newFixture(t)
	token := link(2, 72*time.Hour)
	res := f.do(http.MethodGet, "/v1/handovers/"+token, nil)
	res.want(t, http.StatusOK)
	page := string(res.body)
	for _, want := range []string{
		`<html lang="nl">`,
		"<title>Ontvangst van overdracht 2 bevestigen</title>",
		"<h1>Ontvangst van overdracht 2 bevestigen</h1>",
		`<form method="post" action="/v1/handovers/` + token + `/acknowledgement">`,
		`<button type="submit">Ontvangst bevestigen</button>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the page holds a script")
	}
	h := res.header
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", h)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	// The CSP allows exactly the page's own style.
	style := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindStringSubmatch(page)
	if style == nil {
		t.Fatal("no style")
	}
	sum := sha256.Sum256([]byte(style[1]))
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP %q does not allow the page's style", csp)
	}
	// Looking is not acknowledging: mail scanners follow links.
	f.do(http.MethodGet, "/v1/handovers/"+token, nil).want(t, http.StatusOK)
	if len(f.temporal.updates) != 0 {
		t.Errorf("GET sent %d Updates", len(f.temporal.updates))
	}
}

func TestHandoverAcknowledgement(t *testing.T) {
	f := newFixture(t)
	token := link(3, time.Hour)
	path := "/v1/handovers/" + token + "/acknowledgement"
	res := f.do(http.MethodPost, path, nil)
	res.want(t, http.StatusOK)
	if got := strings.TrimSpace(string(res.body)); got != `{"acknowledged":true,"number":3}` {
		t.Errorf("body %s", got)
	}
	if res.header.Get("Content-Type") != "application/json" || res.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers %v", res.header)
	}
	u := f.temporal.updates[0]
	req, ok := u.Args[0].(trajectory.AcknowledgeHandover)
	if u.WorkflowID != openID || u.UpdateName != trajectory.UpdateAcknowledgeHandover || !ok || req != (trajectory.AcknowledgeHandover{Number: 3, By: "service"}) {
		t.Errorf("update %+v", u)
	}
	if !strings.HasPrefix(u.UpdateID, trajectory.UpdateAcknowledgeHandover+"/3/") || strings.Contains(u.UpdateID, token) {
		t.Errorf("update id %q", u.UpdateID)
	}

	// The form of the page: a thank-you page. A second use of the link is
	// the same Update, so it gets the first one's answer.
	res = f.do(http.MethodPost, path, "", "Content-Type", "application/x-www-form-urlencoded")
	res.want(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" || !strings.Contains(string(res.body), "<h1>Bedankt</h1>") ||
		!strings.Contains(string(res.body), "overdracht 3 is bevestigd") {
		t.Errorf("%s: %s", ct, res.body)
	}
	if res.header.Get("Content-Security-Policy") == "" {
		t.Error("the thank-you page has no CSP")
	}
	if f.temporal.updates[1].UpdateID != u.UpdateID {
		t.Errorf("a second use of the link is Update %q, want the first's %q", f.temporal.updates[1].UpdateID, u.UpdateID)
	}
	// Another link of the handover (sent again) is another Update, which
	// the workflow refuses once the first was acknowledged.
	if ackKey(3, token) == ackKey(3, token+"x") || ackKey(3, token) == ackKey(4, token) {
		t.Error("two links of a handover share an acknowledgement's Update id")
	}
}

func TestHandoverAcknowledgementErrors(t *testing.T) {
	cases := []struct {
		name      string
		updateErr error
		getErr    error
		status    int
		want      Problem
		title     string // of the page a browser gets
	}{
		{"already acknowledged", nil, trajectory.Refused("handover 3 was already acknowledged on 2025-09-02T10:00:00Z",
			trajectory.Refusal{Code: trajectory.CodeHandoverAlreadyAcknowledged, Args: map[string]string{trajectory.ArgHandover: "3"}}), http.StatusConflict,
			Problem{Code: ProblemCode(trajectory.CodeHandoverAlreadyAcknowledged), Detail: "this handover was already acknowledged; the link works once"}, "Al bevestigd"},
		// A worker older than the codes says it in words only.
		{"already acknowledged, by an older worker", nil, stepRejected("handover 3 was already acknowledged on 2025-09-02"), http.StatusConflict,
			Problem{Code: ProblemCode(trajectory.CodeHandoverAlreadyAcknowledged), Detail: "this handover was already acknowledged; the link works once"}, "Al bevestigd"},
		{"already acknowledged, when sending", stepRejected("already acknowledged"), nil, http.StatusConflict,
			Problem{Code: ProblemCode(trajectory.CodeHandoverAlreadyAcknowledged), Detail: "this handover was already acknowledged; the link works once"}, "Al bevestigd"},
		{"another rejection", nil, trajectory.Refused("this trajectory has no handover 3",
			trajectory.Refusal{Code: trajectory.CodeHandoverUnknown, Args: map[string]string{trajectory.ArgHandover: "3"}}), http.StatusConflict,
			Problem{Code: ProblemCode(trajectory.CodeHandoverUnknown), Detail: "this trajectory has no handover 3"}, "Niet bevestigd"},
		{"another rejection, by an older worker", nil, stepRejected("there is no handover 3"), http.StatusConflict,
			Problem{Code: CodeStepRefused, Detail: "there is no handover 3"}, "Niet bevestigd"},
		{"workflow completed", serviceerror.NewNotFound("workflow execution already completed"), nil, http.StatusConflict,
			Problem{Code: CodeTrajectoryClosed, Detail: "the trajectory of this handover is closed; there is nothing left to acknowledge"}, "Begeleiding afgesloten"},
		{"workflow not found", nil, serviceerror.NewNotFound("workflow not found for ID: " + openID), http.StatusConflict,
			Problem{Code: CodeTrajectoryClosed, Detail: "the trajectory of this handover is closed; there is nothing left to acknowledge"}, "Begeleiding afgesloten"},
		{"temporal unavailable", serviceerror.NewUnavailable("connection refused"), nil, http.StatusServiceUnavailable,
			Problem{Code: CodeWorkflowUnavailable}, "Even geduld"},
		{"other error", serviceerror.NewInternal("oops"), nil, http.StatusInternalServerError, Problem{Code: CodeInternalError}, "Er ging iets mis"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.temporal.updateErr, f.temporal.getErr = tc.updateErr, tc.getErr
			token := link(3, time.Hour)
			// An API client gets the JSON error.
			res := f.do(http.MethodPost, "/v1/handovers/"+token+"/acknowledgement", nil)
			res.want(t, tc.status)
			if res.err.Code != tc.want.Code || (tc.want.Detail != "" && res.err.Detail != tc.want.Detail) {
				t.Errorf("answered %s, want %+v", res.body, tc.want)
			}
			// The service's browser, from the form or opening it again, a
			// page in Dutch with the same status, at phone width.
			for _, header := range [][]string{{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}} {
				res = askPage(f, http.MethodPost, "/v1/handovers/"+token+"/acknowledgement", header...)
				res.want(t, tc.status)
				page := string(res.body)
				if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" || !strings.Contains(page, `<html lang="nl">`) ||
					!strings.Contains(page, `name="viewport" content="width=device-width`) || !strings.Contains(page, "<h1>"+tc.title+"</h1>") {
					t.Errorf("%s: %s %s, want the page %q", header[0], ct, page, tc.title)
				}
				if res.header.Get("Content-Security-Policy") == "" {
					t.Error("the page has no CSP")
				}
			}
			if strings.Contains(f.logs.String(), token) {
				t.Errorf("the log holds the token: %s", f.logs.String())
			}
		})
	}
}

// failingAuth refuses everyone and counts how often it was asked.
type failingAuth struct{ calls *atomic.Int32 }

func (a failingAuth) Authenticate(r *http.Request) (usecase.Principal, error) {
	a.calls.Add(1)
	return usecase.Principal{}, &UnauthenticatedError{Detail: "no credentials"}
}

func TestOnlyHandoverLinksSkipAuthentication(t *testing.T) {
	calls := &atomic.Int32{}
	f := newFixture(t, func(c *Config) { c.Auth = failingAuth{calls} })
	f.store.add(openID, trajectory.PhasePostnatal)
	token := link(1, time.Hour)

	f.do(http.MethodGet, "/v1/handovers/"+token, nil).want(t, http.StatusOK)
	f.do(http.MethodPost, "/v1/handovers/"+token+"/acknowledgement", nil).want(t, http.StatusOK)
	f.do(http.MethodGet, "/v1/handovers/"+link(1, -time.Hour), nil).want(t, http.StatusGone)
	f.do(http.MethodDelete, "/v1/session", nil).want(t, http.StatusNoContent)
	f.do(http.MethodGet, "/healthz", nil).want(t, http.StatusOK)
	f.do(http.MethodGet, "/readyz", nil).want(t, http.StatusOK)
	if n := calls.Load(); n != 0 {
		t.Errorf("the routes outside authentication asked the authenticator %d times", n)
	}

	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/v1/referrals"},
		{http.MethodGet, "/v1/trajectories"},
		{http.MethodGet, "/v1/trajectories/" + openID},
		{http.MethodPost, stepPath("assignment")},
		{http.MethodPost, stepPath("intake")},
		{http.MethodPost, stepPath("visits")},
		{http.MethodPost, stepPath("closure")},
		{http.MethodPost, stepPath("birth")},
		{http.MethodPost, stepPath("follow-up-extension")},
		{http.MethodPost, stepPath("handovers")},
		{http.MethodPost, "/v1/session"},
	} {
		before := calls.Load()
		res := f.do(tc.method, tc.path, `{}`)
		res.want(t, http.StatusUnauthorized)
		if calls.Load() != before+1 {
			t.Errorf("%s %s did not ask the authenticator", tc.method, tc.path)
		}
	}
	if len(f.temporal.updates) != 1 {
		t.Errorf("%d Updates, want only the acknowledgement", len(f.temporal.updates))
	}
}

func TestHandoverLinkLogsNoToken(t *testing.T) {
	f := newFixture(t)
	valid, expired := link(2, time.Hour), link(2, -time.Hour)
	f.do(http.MethodGet, "/v1/handovers/"+valid, nil).want(t, http.StatusOK)
	f.do(http.MethodPost, "/v1/handovers/"+valid+"/acknowledgement", nil).want(t, http.StatusOK)
	f.do(http.MethodGet, "/v1/handovers/"+expired, nil).want(t, http.StatusGone)
	f.do(http.MethodPost, "/v1/handovers/"+expired+"/acknowledgement", nil).want(t, http.StatusGone)
	f.do(http.MethodGet, "/v1/handovers/forged."+strings.Split(valid, ".")[1], nil).want(t, http.StatusNotFound)
	f.do(http.MethodDelete, "/v1/handovers/"+valid, nil).want(t, http.StatusMethodNotAllowed)
	f.temporal.updateErr = serviceerror.NewInternal("update " + openID + " failed")
	f.do(http.MethodPost, "/v1/handovers/"+valid+"/acknowledgement", nil).want(t, http.StatusInternalServerError)

	logs := f.logs.String()
	for _, token := range []string{valid, expired} {
		payload, sig, _ := strings.Cut(token, ".")
		for _, part := range []string{payload, sig} {
			if strings.Contains(logs, part) {
				t.Errorf("the log holds part of a token %q: %s", part, logs)
			}
		}
	}
	var routes []string
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "http request" {
			routes = append(routes, toString(m["route"])+" "+toString(m["status"])+" "+toString(m["trajectory_id"]))
		}
	}
	want := []string{
		"/v1/handovers/{token} 200 " + openID,
		"/v1/handovers/{token}/acknowledgement 200 " + openID,
		"/v1/handovers/{token} 410 " + openID,
		"/v1/handovers/{token}/acknowledgement 410 " + openID,
		"/v1/handovers/{token} 404 ",
		"(no route) 405 ",
		"/v1/handovers/{token}/acknowledgement 500 " + openID,
	}
	if strings.Join(routes, "\n") != strings.Join(want, "\n") {
		t.Errorf("request lines\n%s\nwant\n%s", strings.Join(routes, "\n"), strings.Join(want, "\n"))
	}
}

// askPage sends a request as a browser would, whose error answers are pages.
func askPage(f *fixture, method, path string, headers ...string) response {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// TestHandoverLinkPagesForABrowser: a browser that opens an invalid or
// an expired link gets a page in Dutch at phone width, not JSON; every
// invalid link the same page.
func TestHandoverLinkPagesForABrowser(t *testing.T) {
	f := newFixture(t)
	accept := []string{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}
	var invalid string
	for _, token := range []string{"not-a-token", link(2, time.Hour) + "x"} {
		res := askPage(f, http.MethodGet, "/v1/handovers/"+token, accept...)
		res.want(t, http.StatusNotFound)
		if !strings.Contains(string(res.body), "<h1>Link niet gevonden</h1>") || res.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("an invalid link: %s", res.body)
		}
		if invalid != "" && string(res.body) != invalid {
			t.Error("two invalid links get different pages")
		}
		invalid = string(res.body)
	}
	res := askPage(f, http.MethodGet, "/v1/handovers/"+link(2, -time.Minute), accept...)
	res.want(t, http.StatusGone)
	if page := string(res.body); !strings.Contains(page, "<h1>Link verlopen</h1>") || !strings.Contains(page, `content="width=device-width`) ||
		strings.Contains(page, "expired") {
		t.Errorf("an expired link: %s", page)
	}
}
