package e2e

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
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

// TestFailedSignInsAreLimited: behind a trusted proxy, each client has its
// own budget of failed sign-ins; past it the API process refuses them with
// 429 before checking the token, so the audit log holds one entry per
// allowed failure and no more.
func TestFailedSignInsAreLimited(t *testing.T) {
	s := startStackWith(t, mustAbs(t, "../deploy/programmes"), "RATE_LIMIT_SIGN_IN=3/1m", "TRUSTED_PROXIES=127.0.0.0/8")
	signIn := func(client, token string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, s.apiURL+"/aanmelden", strings.NewReader(url.Values{"token": {token}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", client)
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	guess := "tok_guessing." + strings.Repeat("A", 43)
	for i := range 3 {
		if resp := signIn("203.0.113.7", guess); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	for range 10 {
		if resp := signIn("203.0.113.7", guess); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("a fourth failed sign-in: %d, Retry-After %q; want 429 with it", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if resp := signIn("203.0.113.8", s.token("coach:test-coach")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another client behind the proxy: %d, want its own budget and a sign-in", resp.StatusCode)
	}
	db, err := pgx.Connect(t.Context(), s.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(t.Context())
	var n int
	if err := db.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = 'create_session' AND outcome = 'unauthenticated'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d audit entries of failed sign-ins, want 3", n)
	}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
