package e2e

import (
	"net/http"
	"net/url"
	"testing"
)

// TestSignInReturnsOnlyToThisSite: after signing in, the browser goes back
// where it came from only when that is a path of this site; a return path
// a browser would read as another host (a tab, a backslash, two slashes,
// an encoded host, a scheme) sends it to the person's home page instead.
func TestSignInReturnsOnlyToThisSite(t *testing.T) {
	s := startStack(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ actor, back, want string }{
		{"coach:test-coach", "/trajecten/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", "/trajecten/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"coach:test-coach", "/\t/evil.example", "/gezinnen"},
		{"coach:test-coach", "/\\evil.example", "/gezinnen"},
		{"coach:test-coach", "//evil.example", "/gezinnen"},
		{"coach:test-coach", "/%2F/evil.example", "/gezinnen"},
		{"coach:test-coach", "https://evil.example/aanmelden", "/gezinnen"},
		{"coach:test-coach", "javascript:alert(1)", "/gezinnen"},
		{"supervisor:test", "//evil.example", "/team"},
	} {
		resp, err := noRedirect.PostForm(s.apiURL+"/aanmelden", url.Values{"token": {s.token(tc.actor)}, "terug": {tc.back}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
			t.Errorf("signed in as %s with terug=%q: %d to %q, want 303 to %q", tc.actor, tc.back, resp.StatusCode, got, tc.want)
		}
	}
}
