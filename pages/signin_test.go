package pages

import (
	"testing"

	"github.com/elkgezin/elkgezin/ratelimit"
)

// TestSafeBackKeepsToThisSite: a return path after sign-in is a path of
// this site, as a browser reads it, or nothing (the home page).
func TestSafeBackKeepsToThisSite(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/trajecten/tr-abc", "/trajecten/tr-abc"},
		{"/gezinnen?filter=open", "/gezinnen?filter=open"},
		{"/trajecten/tr-abc#bezoek", "/trajecten/tr-abc"},
		{"", ""},
		{"gezinnen", ""},
		{"//evil.example", ""},
		{"///evil.example", ""},
		{"/\t/evil.example", ""},
		{"/\n/evil.example", ""},
		{"/ /evil.example", ""},
		{"/\\evil.example", ""},
		{"\\\\evil.example", ""},
		{"/%09/evil.example", "/%09/evil.example"}, // still encoded: a path, as the browser sends it back
		{"https://evil.example/", ""},
		{"javascript:alert(1)", ""},
		{"//user@evil.example", ""},
		{"/\u00a0/evil.example", ""},
		{"/\u2028/evil.example", ""},
		{"http:/evil.example", ""},
	} {
		if got := safeBack(tc.in); got != tc.want {
			t.Errorf("safeBack(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSignInRotatesTheSession: signing in with a session cookie already in
// the browser gives a new session and ends the one it brought.
func TestSignInRotatesTheSession(t *testing.T) {
	f := newPages(t, ratelimit.Config{})
	first := f.signIn("192.0.2.1", goodToken).Result().Cookies()[0]
	second := f.signIn("192.0.2.1", goodToken, first).Result().Cookies()[0]
	if second.Value == first.Value || len(f.sessions.revoked) != 1 || f.sessions.revoked[0] != first.Value {
		t.Errorf("sign-in with %s: new cookie %s, ended %v; want a new session and the first ended", first.Value, second.Value, f.sessions.revoked)
	}
}
