package openapicheck

import (
	"net/http"
	"testing"
)

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
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, `{"error":"trajectory not found","detail":"no such trajectory"}`, true},
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, `{"error":"trajectory not found"}`, false},
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 418, `{"error":"teapot","detail":"no"}`, false},
		{"GET", "/v1/trajectories", 200, `{"items":[{"id":"tr-a","programme":"p","referrer_organisation":"o","phase":"dreaming",` +
			`"overdue":false,"escalated":false,"email_failed":false,"referred_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}]}`, false},
		{"GET", "/v1/trajectories", 200, `{"items":[],"next":null}`, true},
		// A field the document does not list is refused, as is one it requires left out.
		{"GET", "/v1/trajectories", 200, `{"items":[],"next":null,"next_cursor":"abc"}`, false},
		{"GET", "/v1/trajectories", 200, `{"items":[]}`, false},
		{"GET", "/v1/nothing-here", 404, `{"error":"not found","detail":"no such path"}`, true},
		{"GET", "/v1/nothing-here", 200, `{}`, false},
		{"GET", "/healthz", 200, `{"status":"ok"}`, true},
		{"GET", "/healthz", 200, `{"status":"fine"}`, false},
	} {
		req, _ := http.NewRequest(c.method, "http://127.0.0.1:1"+c.path, nil)
		err := Response(req, c.status, http.Header{"Content-Type": {"application/json"}}, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s %s %d %s: %v, want ok %v", c.method, c.path, c.status, c.body, err, c.ok)
		}
	}
}
