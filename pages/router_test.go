package pages

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/usecase"
)

// TestRoutesAnswerAsBefore: the pages' router answers an unknown path 404,
// a known path with the wrong method 405 naming the methods it has, HEAD
// on a GET route, and names each request by its route's template, never
// by its path, for the middleware the command gives it (telemetry).
func TestRoutesAnswerAsBefore(t *testing.T) {
	f := newPages(t, ratelimit.Config{})
	var named []string
	f.handler = New(Config{
		Cases:    usecase.Cases{Store: noStore{}, Audit: f.audit},
		Sessions: f.manager,
		Tokens:   f.tokens,
		RouteMiddleware: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tpl, _ := mux.CurrentRoute(r).GetPathTemplate()
				named = append(named, r.Method+" "+tpl)
				next.ServeHTTP(w, r)
			})
		},
	})
	do := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}
	if w := do(http.MethodGet, "/geen-pagina"); w.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", w.Code)
	}
	if w := do(http.MethodGet, "/gezinnen/"); w.Code != http.StatusNotFound {
		t.Errorf("path with a trailing slash: %d, want 404", w.Code)
	}
	if w := do(http.MethodDelete, "/aanmelden"); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("DELETE /aanmelden: %d, Allow %q; want 405 with GET, HEAD, POST", w.Code, w.Header().Get("Allow"))
	}
	if w := do(http.MethodGet, "/trajecten/x/bezoek"); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET of a step: %d, Allow %q; want 405 with POST", w.Code, w.Header().Get("Allow"))
	}
	if w := do(http.MethodHead, "/aanmelden"); w.Code != http.StatusOK {
		t.Errorf("HEAD /aanmelden: %d, want 200", w.Code)
	}
	if w := do(http.MethodGet, "/static/style.css"); w.Code != http.StatusOK {
		t.Errorf("GET /static/style.css: %d, want 200", w.Code)
	}
	id := "tr-4f2a9c"
	if w := do(http.MethodGet, "/trajecten/"+id); w.Code != http.StatusSeeOther {
		t.Errorf("a trajectory without a session: %d, want the sign-in page (303)", w.Code)
	}
	got := strings.Join(named, "; ")
	if want := "HEAD /aanmelden; GET /static/; GET /trajecten/{id}"; got != want {
		t.Errorf("routes named %q, want %q", got, want)
	}
	if strings.Contains(got, id) {
		t.Errorf("a route name holds the trajectory's id: %q", got)
	}
}
