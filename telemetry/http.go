package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/elkgezin/elkgezin/internal/httpstatus"
)

// unmatched is the route label of a request no route matched (a 404 or
// 405): its path may hold anything, so it is never a label.
const unmatched = "unmatched"

// HTTP measures and traces the requests of one HTTP handler. Wrap the whole
// handler with Handler and give the router RouteMiddleware, which runs
// after the route matched and names it by its template
// (/v1/trajectories/{id}), never by its path: paths hold ids and handover
// tokens.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	tracer   trace.Tracer
}

// NewHTTP registers the HTTP metrics in t's registry.
func NewHTTP(t *Telemetry) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "elkgezin_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "elkgezin_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route template.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		tracer: t.Tracer,
	}
	t.Registry.MustRegister(h.requests, h.duration)
	return h
}

type routeKey struct{}

// route is filled in by RouteMiddleware for Handler, which made it.
type route struct {
	mu       sync.Mutex
	template string
	span     trace.Span
}

// Handler measures next and starts the request's server span, continuing
// a trace the caller sent in traceparent.
func (h *HTTP) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := h.tracer.Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		defer span.End()
		rt := &route{template: unmatched, span: span}
		rec := &httpstatus.Recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(ctx, routeKey{}, rt)))
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		rt.mu.Lock()
		template := rt.template
		rt.mu.Unlock()
		code := strconv.Itoa(rec.Status)
		h.requests.WithLabelValues(r.Method, template, code).Inc()
		h.duration.WithLabelValues(r.Method, template).Observe(time.Since(start).Seconds())
		span.SetAttributes(attribute.Int("http.response.status_code", rec.Status))
		if rec.Status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.Status))
		}
	})
}

// RouteMiddleware is a mux middleware that names the request by the
// matched route's template, in the metrics and the span.
func RouteMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := r.Context().Value(routeKey{}).(*route); ok {
			if cur := mux.CurrentRoute(r); cur != nil {
				if tpl, err := cur.GetPathTemplate(); err == nil {
					rt.mu.Lock()
					rt.template = tpl
					rt.mu.Unlock()
					rt.span.SetName(r.Method + " " + tpl)
					rt.span.SetAttributes(attribute.String("http.route", tpl))
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
