package pages

import (
	"io/fs"
	"net/http"
)

// The pages work without a connection as far as a coach needs at a home
// visit: a service worker (static/sw.js) keeps the trajectory pages the
// coach opened and the static files, and queues a step's form sent
// offline in the browser (static/queue.js) until it can be sent, under the
// idempotency key the form carries. Without script the pages work as
// before. Signing out wipes all of it (clearSiteData).

// workerPath is where the service worker is served: at the root, so that
// its scope is every page.
const workerPath = "/sw.js"

// clearSiteData makes the browser drop what it keeps for the site (the
// service worker, its caches and the queue in IndexedDB) once signed out.
// Not "cache": the HTTP cache holds no page (Cache-Control: no-store).
const clearSiteData = `"storage"`

// serviceWorker answers GET /sw.js with the worker's script and passes
// every other request on.
func serviceWorker(next http.Handler) http.Handler {
	script, err := fs.ReadFile(staticFiles, "static/sw.js")
	if err != nil {
		panic("pages: no static/sw.js: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != workerPath || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			next.ServeHTTP(w, r)
			return
		}
		hd := w.Header()
		hd.Set("Content-Type", "text/javascript; charset=utf-8")
		hd.Set("Service-Worker-Allowed", "/")
		// A new version reaches the browsers at their next page load.
		hd.Set("Cache-Control", "no-cache")
		if r.Method == http.MethodGet {
			_, _ = w.Write(script)
		}
	})
}
