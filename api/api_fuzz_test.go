package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/trajectory"
)

// The fuzz targets send what a caller may send to each route through the
// whole HTTP handler, so a refactor of the handlers keeps them valid. With
// every dependency answering, no input may give a 5xx (recoverPanics turns a
// panic into a 500, so that is caught too).

// fuzzID has the shape of a trajectory id, so requests get past the id
// check to the decoders; the fixture's store holds it.
const fuzzID = "tr-fuzzfuzzfuzzfuzzfuzzfuzzfu"

// fuzzHandler is the API of the tests' fixture (fakes that always answer),
// with one trajectory, fuzzID, of test-coach in phase. It is built through
// newFixture, so the targets follow the handler's configuration as it grows.
func fuzzHandler(t *testing.T, phase trajectory.Phase) http.Handler {
	fx := newFixture(t)
	fx.store.add(fuzzID, phase)
	return fx.handler
}

// fuzzSend sends one request and fails on a 5xx.
func fuzzSend(t *testing.T, h http.Handler, method, target, auth string, body []byte, headers ...string) {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set(authHeader, auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %q: %d %s", method, target, body, rec.Code, rec.Body.String())
	}
}

// fuzzStep fuzzes the body, trajectory id and Idempotency-Key of a step.
func fuzzStep(f *testing.F, step, auth string, phase trajectory.Phase, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s), fuzzID, "key-1")
	}
	f.Add([]byte(`{`), "tr-other", "")
	f.Add([]byte(`null`), "../x", "\x00")
	f.Fuzz(func(t *testing.T, body []byte, id, key string) {
		h := fuzzHandler(t, phase)
		// A header value with a control character is refused by net/http
		// before any handler; only keys a client can send are tried.
		if !validHeaderValue(key) || id == "" {
			return
		}
		target := "/v1/trajectories/" + url.PathEscape(id) + "/" + step
		fuzzSend(t, h, http.MethodPost, target, auth, body, IdempotencyKeyHeader, key)
	})
}

func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func FuzzReferral(f *testing.F) {
	for _, s := range []string{
		`{"programme":"test-seconds","referrer":{"organisation":"test-partner","reference":"R-1"},"family":{"contact_name":"Gezin","phone":"+32 470 00 00 00"},"reason":"r"}`,
		`{"programme":"test-seconds","referrer":{"organisation":"test-partner","reference":"R-2"},"family":{"contact_name":"G"},"reason":"r","expected_due_date":"2026-09-01","children":[{"name":"K","birth_date":"2025-01-02"}]}`,
		`{"programme":"go-team-mechelen","unknown":1}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h := fuzzHandler(t, trajectory.PhaseReferred)
		fuzzSend(t, h, http.MethodPost, pathReferrals, asPartner, body)
	})
}

func FuzzAssignment(f *testing.F) {
	fuzzStep(f, "assignment", asSupervisor, trajectory.PhaseReferred, `{"coach":"test-coach"}`, `{"coach":""}`, `{"coach":"test-coach-2","x":1}`)
}

func FuzzIntake(f *testing.F) {
	fuzzStep(f, "intake", asCoach, trajectory.PhaseCoachAssigned, `{}`, `{"note":"x"}`)
}

func FuzzVisit(f *testing.F) {
	fuzzStep(f, "visits", asCoach, trajectory.PhaseInSupport,
		`{"done_at":"2026-03-01T10:00:00Z","next_visit_due_at":"2026-03-15T10:00:00Z","note":"n"}`, `{}`, `{"done_at":"yesterday"}`)
}

func FuzzClosure(f *testing.F) {
	fuzzStep(f, "closure", asCoach, trajectory.PhaseInSupport, `{"reason":"goals_reached","outcome":"ok"}`, `{"reason":""}`)
}

func FuzzBirth(f *testing.F) {
	fuzzStep(f, "birth", asCoach, trajectory.PhasePrenatal, `{"birth_date":"2026-03-01","name":"Baby"}`, `{"birth_date":"2026-02-30"}`)
}

func FuzzFollowUpExtension(f *testing.F) {
	fuzzStep(f, "follow-up-extension", asSupervisor, trajectory.PhasePostnatal, `{"until":"2027-01-01","reason":"r"}`, `{"until":"0000-01-01"}`)
}

func FuzzHandover(f *testing.F) {
	fuzzStep(f, "handovers", asCoach, trajectory.PhaseInSupport,
		`{"service":"ocmw-vilvoorde","reason":"r","consent":{"given":true,"recorded_on":"2026-03-01","shares":["contact"]}}`,
		`{"service":"nope","consent":{"given":false}}`)
}

func FuzzResendHandover(f *testing.F) {
	fuzzStep(f, "handovers/1/resend", asCoach, trajectory.PhaseInSupport, `{"service":"ocmw-vilvoorde"}`, `{}`)
}

func FuzzProgrammeTimings(f *testing.F) {
	fuzzStep(f, "programme-timings", asSupervisor, trajectory.PhaseInSupport, `{"reason":"new file"}`, `{"reason":1}`)
}

// FuzzListQuery: any query string on the list answers 200 or a 400.
func FuzzListQuery(f *testing.F) {
	for _, q := range []string{"programme=test-seconds&coach=test-coach&phase=referred&overdue=true&limit=10", "limit=-1", "cursor=%%%", "overdue=maybe&limit=99999999999999999999"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		h := fuzzHandler(t, trajectory.PhaseInSupport)
		// Only what can stand in a request line: no spaces, controls or fragment.
		if strings.ContainsFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) {
			return
		}
		u := &url.URL{Path: pathTrajectories, RawQuery: query}
		if _, err := url.ParseRequestURI(u.String()); err != nil {
			return
		}
		fuzzSend(t, h, http.MethodGet, u.String(), asSupervisor, nil)
		fuzzSend(t, h, http.MethodGet, u.String(), asCoach, nil)
	})
}

// FuzzHandoverLink: any token in a handover link, read or acknowledged,
// answers 4xx or 200, never 5xx.
func FuzzHandoverLink(f *testing.F) {
	good := testSigner().Token(handoverlink.Claims{TrajectoryID: fuzzID, Number: 1, ExpiresAt: time.Now().Add(time.Hour)})
	f.Add(good, []byte(`{}`))
	f.Add(good+"x", []byte(`{"note":"thanks"}`))
	f.Add("a.b", []byte(`{`))
	f.Fuzz(func(t *testing.T, token string, body []byte) {
		h := fuzzHandler(t, trajectory.PhaseInSupport)
		if token == "" {
			return
		}
		target := "/v1/handovers/" + url.PathEscape(token)
		fuzzSend(t, h, http.MethodGet, target, "", nil)
		fuzzSend(t, h, http.MethodPost, target+"/acknowledgement", "", body)
	})
}
