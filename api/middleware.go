package api

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/internal/httpstatus"
)

// requestInfo is what the log line of a request says beyond method and
// status; handlers deeper in the chain fill it in.
type requestInfo struct {
	mu           sync.Mutex
	route        string
	trajectoryID string
	actor        string
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

func (i *requestInfo) setActor(actor string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.actor = actor
}

// recordRoute is a mux middleware: it notes the matched route template
// and trajectory id for the log line.
func (s *server) recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoFrom(r.Context()); info != nil {
			info.mu.Lock()
			if route := mux.CurrentRoute(r); route != nil {
				info.route, _ = route.GetPathTemplate()
			}
			info.trajectoryID = mux.Vars(r)["id"]
			info.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one line per request: method, route template,
// trajectory id, actor, status and duration. Never bodies, never query
// values, never the raw path of an unknown route (it could hold anything).
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		rec := &httpstatus.Recorder{ResponseWriter: w}
		defer func() {
			info.mu.Lock()
			route, id, actor := info.route, info.trajectoryID, info.actor
			info.mu.Unlock()
			if route == "" {
				route = "(no route)"
			}
			status := rec.Status
			if status == 0 {
				status = http.StatusOK
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
			}
			if id != "" {
				attrs = append(attrs, slog.String("trajectory_id", id))
			}
			if actor != "" {
				attrs = append(attrs, slog.String("actor", actor))
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(r.Context(), level, "http request", attrs...)
		}()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
	})
}

// trackingWriter remembers whether anything was written.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (Flush).
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// recoverPanics turns a panic into a 500 and a logged stack, and keeps the
// process serving.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // the deliberate way to abort a response
			}
			msg := fmt.Sprint(p)
			if len(msg) > 500 {
				msg = msg[:500] + "..."
			}
			s.log.Error("panic serving request", "method", r.Method, "panic", msg, "stack", string(debug.Stack()))
			if !tw.wrote {
				writeError(tw, r, CodeInternalError,
					"the server failed on this request (it is logged); retry, and report it if it keeps failing")
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

// limitTime bounds a request by s.timeout. The handler's context ends a
// little earlier, so the handler itself can say what did not answer; if it
// still has not answered at s.timeout, the client gets a 503 anyway and
// whatever the handler writes later is dropped.
func (s *server) limitTime(next http.Handler) http.Handler {
	margin := min(s.timeout/10, time.Second)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout-margin)
		defer cancel()
		after := &afterHooks{}
		ctx = context.WithValue(ctx, afterKey{}, after)
		bw := &bufferedWriter{header: http.Header{}}
		done := make(chan any, 1)
		go func() {
			defer func() { done <- recover() }()
			next.ServeHTTP(bw, r.WithContext(ctx))
		}()
		timer := time.NewTimer(s.timeout)
		defer timer.Stop()
		select {
		case p := <-done:
			if p != nil {
				after.run()
				panic(p) // only http.ErrAbortHandler: recoverPanics handles the rest
			}
			bw.copyTo(w)
			// The answer leaves now; what the handler left for after it
			// (afterResponse) runs while the client reads it.
			_ = http.NewResponseController(w).Flush()
			after.run()
		case <-timer.C:
			bw.stop()
			cancel()
			writeError(w, r, CodeTimeout,
				fmt.Sprintf("the request did not complete within %s, so it may or may not have taken effect; retry (a step with the same Idempotency-Key)", s.timeout))
			go func() {
				<-done
				after.run()
			}()
		}
	})
}

// afterHooks are what a request leaves to do after its answer went out.
type afterHooks struct {
	mu  sync.Mutex
	fns []func()
}

type afterKey struct{}

// afterResponse leaves fn to run after the request's answer has been sent
// (limitTime), in the request's goroutine, so the client does not wait for
// it; false when the request has no such place (fn is not kept then).
func afterResponse(ctx context.Context, fn func()) bool {
	h, ok := ctx.Value(afterKey{}).(*afterHooks)
	if !ok {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fns = append(h.fns, fn)
	return true
}

func (h *afterHooks) run() {
	h.mu.Lock()
	fns := h.fns
	h.fns = nil
	h.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// bufferedWriter holds a response until the handler is done, so that a
// handler that overruns its time cannot write after the 503.
type bufferedWriter struct {
	header http.Header // the handler's until it returns

	mu      sync.Mutex
	status  int
	body    bytes.Buffer
	stopped bool
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return 0, http.ErrHandlerTimeout
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
}

// copyTo sends the held response; call it only after the handler returned.
func (b *bufferedWriter) copyTo(w http.ResponseWriter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dst := w.Header()
	for k, v := range b.header {
		dst[k] = v
	}
	status := b.status
	if status == 0 {
		status = http.StatusOK
	}
	// The whole body is known: with its length the client has the answer
	// as soon as it is flushed, before the handler's afterResponse work.
	if dst.Get("Content-Length") == "" && status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified {
		dst.Set("Content-Length", strconv.Itoa(b.body.Len()))
	}
	w.WriteHeader(status)
	_, _ = w.Write(b.body.Bytes())
}
