package pages

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/ratelimit"
)

// TestServiceWorkerIsServedAtTheRoot: the worker's script comes from
// /sw.js, as JavaScript a browser accepts for the whole site, under the
// pages' CSP, with the files it keeps for use offline.
func TestServiceWorkerIsServedAtTheRoot(t *testing.T) {
	f := newPages(t, ratelimit.Config{})
	w := getPage(f, "/sw.js")
	hd := w.Result().Header
	if w.Code != http.StatusOK || !strings.HasPrefix(hd.Get("Content-Type"), "text/javascript") ||
		hd.Get("Service-Worker-Allowed") != "/" || !strings.Contains(w.Body.String(), "importScripts('/static/queue.js')") {
		t.Fatalf("GET /sw.js: %d %v\n%s", w.Code, hd, w.Body)
	}
	if !strings.Contains(hd.Get("Content-Security-Policy"), "default-src 'self'") || hd.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET /sw.js: CSP %q, Cache-Control %q", hd.Get("Content-Security-Policy"), hd.Get("Cache-Control"))
	}
	for _, p := range []string{"/static/queue.js", "/static/offline.js", "/static/offline.html", "/static/style.css"} {
		if w := getPage(f, p); w.Code != http.StatusOK {
			t.Errorf("GET %s: %d (the worker keeps it at install)", p, w.Code)
		}
	}
	if w := getPage(f, "/aanmelden"); !strings.Contains(w.Body.String(), `<script src="/static/offline.js" defer></script>`) ||
		!strings.Contains(w.Body.String(), "Als u zich afmeldt, wordt dat allemaal van dit toestel gewist.") {
		t.Errorf("the sign-in page does not load the offline script or does not say what the device keeps:\n%s", w.Body)
	}
}

// TestSignOutClearsTheDevice: signing out tells the browser to drop what
// it keeps for the site (the worker, its caches, the queue); a sign-out
// refused (another site's form) does not.
func TestSignOutClearsTheDevice(t *testing.T) {
	f := newPages(t, ratelimit.Config{})
	cookie := f.signIn("192.0.2.1", goodToken).Result().Cookies()[0]
	for _, tc := range []struct {
		csrf       string
		status     int
		clearsSite string
	}{{"wrong", http.StatusForbidden, ""}, {"csrf", http.StatusSeeOther, `"storage"`}} {
		r := httptest.NewRequest(http.MethodPost, "/afmelden", strings.NewReader(url.Values{"csrf": {tc.csrf}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, r)
		if w.Code != tc.status || w.Header().Get("Clear-Site-Data") != tc.clearsSite {
			t.Errorf("sign-out with CSRF %q: %d, Clear-Site-Data %q; want %d, %q", tc.csrf, w.Code, w.Header().Get("Clear-Site-Data"), tc.status, tc.clearsSite)
		}
	}
}

func getPage(f *pagesFixture, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}
