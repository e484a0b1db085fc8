package pages

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/ratelimit"
)

func check429(t *testing.T, w *httptest.ResponseRecorder, what string) {
	t.Helper()
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("%s: %d, want 429", what, w.Code)
	}
	if s, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("%s: Retry-After %q, want whole seconds", what, w.Header().Get("Retry-After"))
	}
	if body := w.Body.String(); !strings.Contains(body, "Wacht ") || !strings.Contains(body, `lang="nl"`) {
		t.Errorf("%s: not a page in Dutch that says how long to wait: %s", what, body)
	}
}

// TestFailedSignInsAreLimited: an address may fail to sign in a few times;
// then it is refused before the token is checked, so a guessing loop
// writes no more audit entries than the limit allows. A sign-in that
// succeeds does not count.
func TestFailedSignInsAreLimited(t *testing.T) {
	f := newPages(t, ratelimit.Config{SignIns: ratelimit.Rate{Requests: 3, Per: time.Minute}})
	for range 5 {
		if w := f.signIn("192.0.2.1", goodToken); w.Code != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", w.Code)
		}
	}
	before := f.audit.count()
	for i := range 3 {
		if w := f.signIn("192.0.2.1", "tok_guessing."+strconv.Itoa(i)); w.Code != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d: %d, want 401", i+1, w.Code)
		}
	}
	if n := f.audit.count() - before; n != 3 {
		t.Fatalf("%d audit entries for three failed sign-ins", n)
	}
	calls := f.tokens.calls
	for range 20 {
		check429(t, f.signIn("192.0.2.1", "tok_guessing.more"), "a fourth failed sign-in")
	}
	check429(t, f.signIn("192.0.2.1", goodToken), "the right token, from an address that failed too often")
	if f.tokens.calls != calls || f.audit.count()-before != 3 {
		t.Errorf("refused sign-ins were checked (%d) or audited (%d entries)", f.tokens.calls-calls, f.audit.count()-before)
	}
	if w := f.signIn("192.0.2.2", goodToken); w.Code != http.StatusSeeOther {
		t.Errorf("another address: %d, want its own budget", w.Code)
	}
}

// TestPagesAreLimited: the pages, the sign-in page included, answer 429
// in Dutch past the limit of an address or of a session.
func TestPagesAreLimited(t *testing.T) {
	f := newPages(t, ratelimit.Config{
		PerAddress: ratelimit.Rate{Requests: 3, Per: time.Minute},
		PerSession: ratelimit.Rate{Requests: 2, Per: time.Minute},
	})
	get := func(addr, path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = addr + ":40000"
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, r)
		return w
	}
	for range 3 {
		if w := get("192.0.2.1", "/aanmelden"); w.Code != http.StatusOK {
			t.Fatalf("sign-in page: %d", w.Code)
		}
	}
	check429(t, get("192.0.2.1", "/aanmelden"), "a fourth page from one address")
	w := f.signIn("192.0.2.9", goodToken)
	cookie := w.Result().Cookies()[0]
	for i := range 2 {
		if w := get("198.51.100."+strconv.Itoa(i+1), "/gezinnen", cookie); w.Code == http.StatusTooManyRequests {
			t.Fatalf("session request %d: 429 too early", i+1)
		}
	}
	check429(t, get("198.51.100.9", "/gezinnen", cookie), "a third page in one session")
}
