package pages

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// newRouter is a router of the pages, the API's kind (gorilla/mux): a
// plain 404, a 405 that names the methods the path has in Allow, and
// middleware that runs once a route matched.
func newRouter(middleware mux.MiddlewareFunc) *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.NotFoundHandler()
	r.MethodNotAllowedHandler = methodNotAllowed(r)
	r.Use(pathValues)
	if middleware != nil {
		r.Use(middleware)
	}
	return r
}

func get(r *mux.Router, path string, h http.HandlerFunc) {
	r.HandleFunc(path, h).Methods(http.MethodGet, http.MethodHead)
}

func post(r *mux.Router, path string, h http.HandlerFunc) {
	r.HandleFunc(path, h).Methods(http.MethodPost)
}

// pathValues sets the route's variables as the request's path values, so
// handlers read them the standard way (r.PathValue).
func pathValues(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range mux.Vars(r) {
			r.SetPathValue(k, v)
		}
		next.ServeHTTP(w, r)
	})
}

// methodNotAllowed answers 405 with an Allow header listing the methods the path has.
func methodNotAllowed(router *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			probe := r.Clone(r.Context())
			probe.Method = m
			var match mux.RouteMatch
			if router.Match(probe, &match) && match.MatchErr == nil {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	})
}

// routeTemplate is the template of the route the request matched
// ("/trajecten/{id}"), never its path, which holds ids; "" when none did.
func routeTemplate(r *http.Request) string {
	if cur := mux.CurrentRoute(r); cur != nil {
		if tpl, err := cur.GetPathTemplate(); err == nil {
			return tpl
		}
	}
	return ""
}
