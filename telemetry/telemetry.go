// Package telemetry gives the worker and the API their metrics and traces:
// a Prometheus registry served at /metrics with the Temporal SDK's metrics
// (through the SDK's OpenTelemetry metrics handler), HTTP request metrics
// and business gauges; and OpenTelemetry traces from the API request
// through Temporal (the SDK's tracing interceptor) to the activity and its
// SMTP and PostgreSQL calls, exported by OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set and off otherwise. Labels and span
// attributes hold route templates, statuses, programme ids, phases and
// Temporal's hashed ids, never personal data.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"

	"github.com/gorilla/mux"
)

// Options configure Setup.
type Options struct {
	// Service names the process in traces: "elkgezin-worker", "elkgezin-api".
	Service string
	// Version is the build id, a resource attribute of every span.
	Version string
	// OTLPEndpoint turns tracing on (OTEL_EXPORTER_OTLP_ENDPOINT); the
	// exporter reads the other OTEL_EXPORTER_OTLP_* variables itself.
	OTLPEndpoint string
	// SpanProcessor, when set, receives the spans instead of OTLP: a test's
	// in-memory exporter.
	SpanProcessor sdktrace.SpanProcessor
}

// Telemetry is one process's metrics registry and tracer.
type Telemetry struct {
	Registry *prometheus.Registry
	Tracer   trace.Tracer
	meters   *sdkmetric.MeterProvider
	traces   *sdktrace.TracerProvider // nil when tracing is off
	temporal client.MetricsHandler
}

// Setup builds the registry (with Go and process collectors) and, when
// asked for, the tracer, which it also makes the global one.
func Setup(ctx context.Context, opts Options) (*Telemetry, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	t := &Telemetry{
		Registry: reg,
		meters:   meters,
		temporal: shareTags(temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
			Meter: meters.Meter("temporal-sdk"),
			// Prometheus counters (_total), which rate() and the alert rules need.
			UseMonotonicCounters: true,
		})),
		Tracer: noop.NewTracerProvider().Tracer(""),
	}
	processor := opts.SpanProcessor
	if processor == nil && opts.OTLPEndpoint != "" {
		// The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _INSECURE,
		// _HEADERS, ...) itself, as every OpenTelemetry SDK does.
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTLP trace exporter (OTEL_EXPORTER_OTLP_ENDPOINT): %w", err)
		}
		processor = sdktrace.NewBatchSpanProcessor(exp)
	}
	if processor != nil {
		res := resource.NewSchemaless(
			attribute.String("service.name", opts.Service),
			attribute.String("service.version", opts.Version))
		t.traces = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(processor), sdktrace.WithResource(res))
		otel.SetTracerProvider(t.traces)
		t.Tracer = t.traces.Tracer("elkgezin")
	}
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return t, nil
}

// Tracing says whether spans are recorded and exported.
func (t *Telemetry) Tracing() bool { return t.traces != nil }

// Instrument adds the SDK's metrics handler and, with tracing on, its
// tracing interceptor to Temporal client options; a worker built on the
// client inherits both.
func (t *Telemetry) Instrument(opts *client.Options) error {
	opts.MetricsHandler = t.temporal
	if !t.Tracing() {
		return nil
	}
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            t.Tracer,
		TextMapPropagator: propagation.TraceContext{},
		// Baggage could carry whatever a caller put in it; we send none.
		DisableBaggage: true,
	})
	if err != nil {
		return fmt.Errorf("temporal tracing interceptor: %w", err)
	}
	opts.Interceptors = append(opts.Interceptors, tracing)
	return nil
}

// Shutdown flushes the spans still buffered.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.traces != nil {
		errs = append(errs, t.traces.Shutdown(ctx))
	}
	errs = append(errs, t.meters.Shutdown(ctx))
	return errors.Join(errs...)
}

// Serve serves GET /metrics, and the extra handlers (health checks) by
// path, GET only, on addr until ctx ends; an empty addr serves nothing.
func (t *Telemetry) Serve(ctx context.Context, addr string, logger *slog.Logger, extra map[string]http.Handler) error {
	if addr == "" {
		return nil
	}
	r := mux.NewRouter()
	r.Handle("/metrics", promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{})).Methods(http.MethodGet, http.MethodHead)
	for path, h := range extra {
		r.Handle(path, h).Methods(http.MethodGet, http.MethodHead)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on METRICS_ADDR %s: %w", addr, err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener stopped", "error", err)
		}
	}()
	context.AfterFunc(ctx, func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	})
	logger.Info("metrics listening", "addr", l.Addr().String())
	return nil
}
