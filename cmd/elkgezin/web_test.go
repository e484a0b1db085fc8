package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
)

// TestAPIAndPagesShareOneLimiter: the API process serves the JSON API and
// the pages under one limiter, so a client's requests to either draw on one
// budget per address and per session, and each answers 429 its own way.
func TestAPIAndPagesShareOneLimiter(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test-seconds.yaml"), []byte(tokenTestProgramme), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DATABASE_URL":         storetest.NewDatabase(t),
		"PROGRAMMES_DIR":       dir,
		"PAYLOAD_KEYS":         "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"PROGRAMME_KEYS":       "test-seconds:k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"HANDOVER_LINK_SECRET": "TQq/OgIfYYXpeQGam/o85znsx7yBVDz+vjesYsjGnDU=",
		"TRAJECTORY_ID_SECRET": "nQlQsXRF6mWdnsDMs64Z7ser77llwM7L7Ozvwyj2Pa0=",
		"DEV_INSECURE_COOKIES": "1",
		"TEMPORAL_CONFIG_FILE": "/nonexistent.toml",
		"RATE_LIMIT_ADDRESS":   "4/1m",
		"RATE_LIMIT_SESSION":   "2/1m",
	}
	cfg, err := config.Load("api", func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	programmes, err := programme.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	keys, err := loadSharedKeys(cfg, programmes.IDs())
	if err != nil {
		t.Fatal(err)
	}
	web := newWeb(cfg, webParts{
		programmes: programmes, services: programme.Services{}, store: st, temporal: tc, keys: keys,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	get := func(addr, path string, cookie string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = addr + ":40000"
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: "elkgezin_session", Value: cookie})
		}
		w := httptest.NewRecorder()
		web.ServeHTTP(w, r)
		return w
	}
	want := func(w *httptest.ResponseRecorder, status int, contentType, what string) {
		t.Helper()
		if w.Code != status || !strings.HasPrefix(w.Header().Get("Content-Type"), contentType) {
			t.Fatalf("%s: %d %s, want %d %s", what, w.Code, w.Header().Get("Content-Type"), status, contentType)
		}
		if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: 429 without Retry-After", what)
		}
	}

	// One address: two pages and two API calls use its four requests.
	want(get("192.0.2.1", "/aanmelden", ""), http.StatusOK, "text/html", "the sign-in page")
	want(get("192.0.2.1", "/v1/trajectories", ""), http.StatusUnauthorized, "application/problem+json", "an API call")
	want(get("192.0.2.1", "/aanmelden", ""), http.StatusOK, "text/html", "the sign-in page again")
	want(get("192.0.2.1", "/v1/trajectories", ""), http.StatusUnauthorized, "application/problem+json", "another API call")
	want(get("192.0.2.1", "/v1/trajectories", ""), http.StatusTooManyRequests, "application/problem+json", "a fifth request, to the API")
	want(get("192.0.2.1", "/aanmelden", ""), http.StatusTooManyRequests, "text/html", "a sixth request, to the pages")
	want(get("192.0.2.1", "/healthz", ""), http.StatusOK, "application/json", "the health check")

	// One session, from two addresses: a page and a codec call use its two.
	want(get("198.51.100.1", "/gezinnen", "some-session"), http.StatusSeeOther, "", "a page in a session")
	if w := get("198.51.100.2", "/codec/decode", "some-session"); w.Code == http.StatusTooManyRequests {
		t.Fatal("a codec call in the session: 429 too early")
	}
	want(get("198.51.100.3", "/gezinnen", "some-session"), http.StatusTooManyRequests, "text/html", "a third request in the session")
}
