package openapicheck

import (
	"net/http"
	"strings"
	"testing"
)

const notFound = `{"type":"/problems/trajectory_not_found","title":"Trajectory not found","status":404,` +
	`"detail":"no such trajectory","instance":"/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa","code":"trajectory_not_found"}`

// TestResponse: the check reports an answer the document does not
// describe (a field missing, a value not listed, a status not documented,
// a path it does not have), and passes one it does.
func TestResponse(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
		body         string
		ok           bool
	}{
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, notFound, true},
		// The former shape of an error, and a problem of another media type.
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, `{"error":"trajectory not found","detail":"no such trajectory"}`, false},
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, "json:" + notFound, false},
		// A code the document does not list, a status or type that is not the answer's.
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, strings.ReplaceAll(notFound, "trajectory_not_found", "no_such_thing"), false},
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, strings.Replace(notFound, "404", "400", 1), false},
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, strings.Replace(notFound, "/problems/trajectory_not_found", "about:blank", 1), false},
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 418, `{"type":"/problems/teapot","title":"Teapot","status":418,"detail":"no","code":"teapot"}`, false},
		{"GET", "/v1/trajectories", 200, `{"items":[{"id":"tr-a","programme":"p","referrer_organisation":"o","phase":"dreaming",` +
			`"overdue":false,"escalated":false,"email_failed":false,"referred_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}]}`, false},
		{"GET", "/v1/nothing-here", 404, `{"type":"/problems/not_found","title":"No such path","status":404,"detail":"no such path","code":"not_found"}`, true},
		{"GET", "/v1/nothing-here", 404, `{"error":"not found","detail":"no such path"}`, false},
		{"GET", "/v1/trajectories", 200, `{"items":[],"next":null}`, true},
		// A field the document does not list is refused, as is one it requires left out.
		{"GET", "/v1/trajectories", 200, `{"items":[],"next":null,"next_cursor":"abc"}`, false},
		{"GET", "/v1/trajectories", 200, `{"items":[]}`, false},
		{"GET", "/v1/nothing-here", 200, `{}`, false},
		{"GET", "/healthz", 200, `{"status":"ok"}`, true},
		{"GET", "/healthz", 200, `{"status":"fine"}`, false},
	} {
		req, _ := http.NewRequest(c.method, "http://127.0.0.1:1"+c.path, nil)
		ct, body := "application/json", c.body
		if c.status >= 400 {
			ct = "application/problem+json"
		}
		if rest, ok := strings.CutPrefix(body, "json:"); ok {
			ct, body = "application/json", rest
		}
		err := Response(req, c.status, http.Header{"Content-Type": {ct}}, []byte(body))
		if (err == nil) != c.ok {
			t.Errorf("%s %s %d %s: %v, want ok %v", c.method, c.path, c.status, c.body, err, c.ok)
		}
	}
}

// TestTimes: the check catches the zero time and a time outside UTC, and
// leaves dates and text that merely mentions a time alone.
func TestTimes(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"at":"2025-03-01T10:00:00Z","n":1}`:              true,
		`{"at":"2025-03-01T10:00:00.123Z"}`:                true,
		`{"at":"2025-03-01T10:00:00+01:00"}`:               false,
		`{"at":"0001-01-01T00:00:00Z"}`:                    false,
		`{"detail":"such as 2025-03-01T10:00:00+01:00"}`:   true,
		`{"due":"2025-03-01","at":"2025-03-01T10:00:00Z"}`: true,
	} {
		if err := Times("application/json", []byte(body)); (err == nil) != ok {
			t.Errorf("%s: %v, want ok %v", body, err, ok)
		}
	}
	if err := Times("text/html", []byte(`0001-01-01`)); err != nil {
		t.Errorf("a page is not checked: %v", err)
	}
}
