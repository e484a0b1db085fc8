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

// How long /readyz answers from its last check: a burst of probes (every
// kubelet, a load balancer, anyone, since it needs no token and is not
// rate-limited) costs PostgreSQL and Temporal one check per interval. A
// failed check is kept for less, so a dependency that is back is seen soon.
const (
	readyCacheOK   = 5 * time.Second
	readyCacheDown = time.Second
)

// Health is the body of /healthz and of a ready /readyz.
type Health struct {
	Status string `json:"status"`
	// Checks says, per dependency ("temporal", "postgresql"), "ok" or what is wrong.
	Checks map[string]string `json:"checks,omitempty"`
}

// NotReady is the body of a 503 from /readyz.
type NotReady struct {
	Problem
	Checks map[string]string `json:"checks"`
}

// healthz says the process is up; it checks nothing else.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
}

// readiness is the last check of /readyz. Its lock is held through a
// check, so the probes that arrive meanwhile wait for its result.
type readiness struct {
	mu      sync.Mutex
	checked time.Time
	checks  map[string]string
	down    []string
}

// readyz says whether the API can serve: Temporal and PostgreSQL answer.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	checks, down := s.ready.get(r.Context(), s.checkReady)
	if len(down) > 0 {
		writeBody(w, http.StatusServiceUnavailable, ProblemContentType, NotReady{
			Problem: newProblem(r, CodeNotReady,
				strings.Join(down, " and ")+" did not answer; requests that need it fail until it is back (details in the server log)"),
			Checks: checks,
		})
		return
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok", Checks: checks})
}

// get answers from the last check while it is fresh, else checks again.
func (c *readiness) get(ctx context.Context, check func(context.Context) (map[string]string, []string)) (map[string]string, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := readyCacheOK
	if len(c.down) > 0 {
		fresh = readyCacheDown
	}
	if c.checks == nil || time.Since(c.checked) >= fresh {
		// The check is every waiting probe's, not only this request's.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
		defer cancel()
		c.checks, c.down = check(ctx)
		c.checked = time.Now()
	}
	checks := make(map[string]string, len(c.checks))
	for k, v := range c.checks {
		checks[k] = v
	}
	return checks, c.down
}

// checkReady asks Temporal and PostgreSQL at once.
func (s *server) checkReady(ctx context.Context) (map[string]string, []string) {
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
	return checks, down
}
