package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
)

// readyTimeout bounds each dependency check of /readyz.
const readyTimeout = 2 * time.Second

// Health is the body of /healthz and of a ready /readyz.
type Health struct {
	Status string `json:"status"`
	// Checks says, per dependency ("temporal", "postgresql"), "ok" or what is wrong.
	Checks map[string]string `json:"checks,omitempty"`
}

// NotReady is the body of a 503 from /readyz.
type NotReady struct {
	Error
	Checks map[string]string `json:"checks"`
}

// healthz says the process is up; it checks nothing else.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
}

// readyz says whether the API can serve: Temporal and PostgreSQL answer.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	var (
		wg                   sync.WaitGroup
		temporalErr, storeEr error
	)
	wg.Go(func() { _, temporalErr = s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}) })
	wg.Go(func() { storeEr = s.store.Ping(ctx) })
	wg.Wait()

	checks := map[string]string{"temporal": "ok", "postgresql": "ok"}
	var down []string
	if temporalErr != nil {
		s.log.Warn("readiness: Temporal does not answer", "error", temporalErr)
		checks["temporal"] = "Temporal did not answer a health check within " + readyTimeout.String()
		down = append(down, "Temporal")
	}
	if storeEr != nil {
		// The error may name the database host and user: it goes to the log only.
		s.log.Warn("readiness: PostgreSQL does not answer", "error", storeEr)
		checks["postgresql"] = "PostgreSQL did not answer a ping within " + readyTimeout.String()
		down = append(down, "PostgreSQL")
	}
	if len(down) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, NotReady{
			Error: Error{
				Error:  "not ready",
				Detail: strings.Join(down, " and ") + " did not answer; requests that need it fail until it is back (details in the server log)",
			},
			Checks: checks,
		})
		return
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok", Checks: checks})
}
