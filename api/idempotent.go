package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/store"
)

// Requests sent with an Idempotency-Key are answered once: the answer is
// kept (store.IdempotencyTTL, a day) under the key, scoped to the caller,
// the route and the trajectory, with a fingerprint of the request. A retry
// with the same key and the same request gets the first answer again, with
// Idempotent-Replayed: true, and does not act again; the same key with
// another request is refused (422 idempotency_key_reused); a retry while
// the first request is still in flight is refused (409
// idempotency_key_in_use, with Retry-After). Another caller's key, or the
// key on another route or trajectory, is another key. Only answers that
// settle the request are kept (2xx, and the workflow's refusal of a step,
// refusalSettles): a request refused before it acted (400, 403, 404) or
// that could not be completed (5xx) leaves its key free, so a corrected
// request or a retry acts.

// IdempotentReplayedHeader marks an answer given again for a retry.
const IdempotentReplayedHeader = "Idempotent-Replayed"

// idempotencyStore is the part of *store.Store that keeps the answers; the
// API's Store is asserted to it, so a store without it keeps none.
type idempotencyStore interface {
	ClaimIdempotencyKey(ctx context.Context, sc store.IdempotencyScope, fingerprint [32]byte) (store.IdempotencyClaim, error)
	CompleteIdempotencyKey(ctx context.Context, sc store.IdempotencyScope, a store.IdempotentAnswer, trajectories []string, sealUnder string) error
	ReleaseIdempotencyKey(ctx context.Context, sc store.IdempotencyScope) error
}

var _ idempotencyStore = (*store.Store)(nil)

// idemOptions say how an answer is kept.
type idemOptions struct {
	// resource is what the request acts on, a trajectory or a
	// consultation ("" for none): part of the key's scope.
	resource string
	// sealed: the resource is a trajectory whose personal data the answer
	// holds: it is sealed under the trajectory's data key.
	sealed bool
	// rebuild, when set, keeps no body: a replay reads the resource at the
	// answer's Location again (a body in clear that should not be kept).
	rebuild func(ctx context.Context, location string) (any, error)
}

// idemWriter records the answer of a request that claimed its key, to
// keep it when the handler is done (finish).
type idemWriter struct {
	http.ResponseWriter
	s      *server
	ctx    context.Context
	scope  store.IdempotencyScope
	opts   idemOptions
	status int
	body   bytes.Buffer
	// about are the trajectories the answer is about, beside the resource.
	about []string
	// settled: a refusal that settles the request (refusalSettles).
	settled bool
}

func (iw *idemWriter) WriteHeader(code int) {
	if iw.status == 0 {
		iw.status = code
	}
	iw.ResponseWriter.WriteHeader(code)
}

func (iw *idemWriter) Write(p []byte) (int, error) {
	if iw.status == 0 {
		iw.status = http.StatusOK
	}
	iw.body.Write(p)
	return iw.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (iw *idemWriter) Unwrap() http.ResponseWriter { return iw.ResponseWriter }

// answerAbout says that the answer is about the trajectories ids (a
// referral's, an activity's families), so that erasing one deletes it.
func answerAbout(w http.ResponseWriter, ids ...string) {
	if iw, ok := w.(*idemWriter); ok {
		iw.about = append(iw.about, ids...)
	}
}

// idempotent begins a request with an Idempotency-Key (key "" is none):
// it answers a replay, a mismatch or a key in flight itself and returns
// false; otherwise it returns the writer the handler answers with and
// finish, to call when the handler is done. req is the decoded request:
// with the method and path, its JSON is the request's fingerprint.
func (s *server) idempotent(w http.ResponseWriter, r *http.Request, key string, req any, opts idemOptions) (http.ResponseWriter, func(), bool) {
	st, ok := s.store.(idempotencyStore)
	if key == "" || !ok {
		return w, func() {}, true
	}
	route := r.Method + " " + r.URL.Path
	if cur := mux.CurrentRoute(r); cur != nil {
		if tpl, err := cur.GetPathTemplate(); err == nil {
			route = r.Method + " " + tpl
		}
	}
	sc := store.IdempotencyScope{Caller: principal(r).Actor(), Route: route, Resource: opts.resource, Key: key}
	body, err := json.Marshal(req)
	if err != nil {
		s.log.Error("idempotency: encode request", "route", route, "error", err)
		writeError(w, r, CodeInternalError, "the request could not be prepared (logged); report the problem")
		return w, nil, false
	}
	fp := sha256.Sum256(append([]byte(r.Method+"\x00"+r.URL.Path+"\x00"), body...))
	claim, err := st.ClaimIdempotencyKey(r.Context(), sc, fp)
	switch {
	case err != nil:
		s.writeStoreError(w, r, "idempotency key", err)
		return w, nil, false
	case claim.Mismatch:
		writeError(w, r, CodeIdempotencyKeyReused, "this "+IdempotencyKeyHeader+" was used with another request on this route; send a new key for a new request, "+
			"and the same key only with the very same request")
		return w, nil, false
	case claim.InFlight:
		w.Header().Set("Retry-After", "1")
		writeError(w, r, CodeIdempotencyKeyInUse, "a request with this "+IdempotencyKeyHeader+" is still being answered; retry it in a moment")
		return w, nil, false
	case !claim.Claimed:
		s.replay(w, r, claim.Answer, opts)
		return w, nil, false
	}
	iw := &idemWriter{ResponseWriter: w, s: s, ctx: r.Context(), scope: sc, opts: opts}
	return iw, iw.finish, true
}

// refusalSettles says that the refusal being answered settles the request:
// the workflow refused the step, or the referral is refused for good, so
// a retry is answered with it too. Other refusals (a body to correct, a
// programme file missing) leave the key free.
func refusalSettles(w http.ResponseWriter) {
	if iw, ok := w.(*idemWriter); ok {
		iw.settled = true
	}
}

// kept says whether an answer settles its request, to be given again.
func (iw *idemWriter) kept() bool {
	return iw.status >= 200 && iw.status < 300 || iw.settled && iw.status >= 400 && iw.status < 500
}

// finish keeps the answer, or frees the key of a request it does not
// settle. It runs before the answer leaves (limitTime holds it until the
// handler returns), so a retry never finds its key still in flight after
// the answer. It does not change the answer: a key not kept for want of
// the database acts again on a retry, as without the store.
func (iw *idemWriter) finish() {
	// The request's own context may be over; the answer is kept all the same.
	ctx := context.WithoutCancel(iw.ctx)
	if !iw.kept() {
		if err := iw.s.store.(idempotencyStore).ReleaseIdempotencyKey(ctx, iw.scope); err != nil {
			iw.s.log.Warn("idempotency: release key", "route", iw.scope.Route, "error", err)
		}
		return
	}
	h := iw.Header()
	a := store.IdempotentAnswer{Status: iw.status, Location: h.Get("Location"), ContentType: h.Get("Content-Type"),
		ETag: h.Get("ETag"), Body: iw.body.Bytes()}
	if iw.opts.rebuild != nil && iw.status < 300 {
		a.Body = nil
	}
	about, sealUnder := iw.about, ""
	if iw.opts.sealed {
		about, sealUnder = append([]string{iw.opts.resource}, about...), iw.opts.resource
	}
	if err := iw.s.store.(idempotencyStore).CompleteIdempotencyKey(ctx, iw.scope, a, about, sealUnder); err != nil {
		iw.s.log.Warn("idempotency: keep answer", "route", iw.scope.Route, "error", err)
	}
}

// replay answers a retry with the first answer.
func (s *server) replay(w http.ResponseWriter, r *http.Request, a store.IdempotentAnswer, opts idemOptions) {
	if a.Body == nil && opts.rebuild != nil && a.Location != "" {
		v, err := opts.rebuild(r.Context(), a.Location)
		if err != nil {
			s.writeStoreError(w, r, "idempotency: read the answer again", err)
			return
		}
		w.Header().Set(IdempotentReplayedHeader, "true")
		w.Header().Set("Location", a.Location)
		writeJSON(w, a.Status, v)
		return
	}
	h := w.Header()
	h.Set(IdempotentReplayedHeader, "true")
	if a.Location != "" {
		h.Set("Location", a.Location)
	}
	if a.ContentType == "" {
		a.ContentType = "application/json"
	}
	h.Set("Content-Type", a.ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(a.Body)))
	if a.ETag != "" {
		h.Set("ETag", a.ETag)
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// scopedUpdateKey is the Update id's key for a client's Idempotency-Key:
// scoped to the caller, so that another caller's same key is another
// Update, and a digest, so that whatever a client writes in its key stays
// out of the workflow's history.
func scopedUpdateKey(actor, key string) string {
	sum := sha256.Sum256([]byte(actor + "\x00" + key))
	return fmt.Sprintf("key-%x", sum[:20])
}
