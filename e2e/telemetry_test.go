package e2e

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// TestTelemetryMetricsAndTraces runs a trajectory full of personal data with the
// worker and the API exporting traces by OTLP to a receiver this test runs
// and serving /metrics, then: one trace goes from the API's intake request
// through the Temporal Update to the activity and its PostgreSQL queries;
// an email's SMTP transaction is a span of its activity; the worker serves
// the SDK's metrics and the business gauges, the API its HTTP histograms by
// route template; and no metric, span name or attribute holds personal data.
func TestTelemetryMetricsAndTraces(t *testing.T) {
	receiver := startOTLPReceiver(t)
	workerMetrics, apiMetrics := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	otel := []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + receiver.addr, "OTEL_BSP_SCHEDULE_DELAY=200"}
	programmes, _ := filepath.Abs("../deploy/programmes")
	s := startStackEnv(t, programmes, map[string][]string{
		"worker": append([]string{"METRICS_ADDR=" + workerMetrics}, otel...),
		"api":    append([]string{"METRICS_ADDR=" + apiMetrics}, otel...),
	})

	coach := "coach:test-coach"
	id := s.referFullOfPersonalData("TEL-1", coach)

	// One trace: the intake request, its Update, the handler, and the
	// query that writes the event the Update answered.
	want := []string{"POST /v1/trajectories/{id}/intake", "UpdateWorkflow:record-intake", "HandleUpdate:record-intake", "postgresql WITH"}
	var trace []*tracepb.Span
	deadline := time.Now().Add(30 * time.Second)
	for {
		trace = receiver.traceOf("POST /v1/trajectories/{id}/intake")
		if missing := missingSpans(trace, want); len(missing) == 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the intake's trace lacks %v; it has %v", missing, spanNames(trace))
		}
		time.Sleep(200 * time.Millisecond)
	}
	services := receiver.services(trace)
	if !services["elkgezin-api"] || !services["elkgezin-worker"] {
		t.Errorf("the trace does not cross from the API to the worker: services %v", services)
	}
	// The workflow writes the event too, by an activity of the run.
	for time.Now().Before(deadline) && !receiver.has("postgresql ", "RunActivity:RecordEvents") {
		time.Sleep(200 * time.Millisecond)
	}
	if !receiver.has("postgresql ", "RunActivity:RecordEvents") {
		t.Errorf("no query under the workflow's RecordEvents activity; spans: %v", spanNames(receiver.all()))
	}
	for time.Now().Before(deadline) && !receiver.has("smtp send", "RunActivity:SendHandover") {
		time.Sleep(200 * time.Millisecond)
	}
	if !receiver.has("smtp send", "RunActivity:SendHandover") {
		t.Errorf("no SMTP span under the handover's activity; spans: %v", spanNames(receiver.all()))
	}
	for _, span := range receiver.all() {
		for _, text := range spanTexts(span) {
			for _, p := range personalData {
				if strings.Contains(text, p) {
					t.Errorf("span %q holds personal data %q in %q", span.Name, p, text)
				}
			}
		}
	}

	worker := scrape(t, workerMetrics)
	for _, m := range []string{
		"temporal_workflow_task_schedule_to_start_latency_seconds_bucket", "temporal_activity_execution_latency_seconds_bucket",
		"temporal_worker_task_slots_available", "temporal_request_total{",
		`elkgezin_trajectories_open{phase="intake_done",programme="test-seconds"}`,
		`elkgezin_emails{status="unconfirmed"} 0`, `elkgezin_emails{status="sent"}`, "elkgezin_trajectories_overdue{", "elkgezin_business_metrics_up 1",
	} {
		if !strings.Contains(worker, m) {
			t.Errorf("worker /metrics lacks %s", m)
		}
	}
	// A page is named by its mux pattern too, a trajectory's page by its
	// template, never by its id.
	for _, path := range []string{"/aanmelden", "/trajecten/" + id} {
		resp, err := http.Get(s.apiURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	api := scrape(t, apiMetrics)
	for _, m := range []string{
		`elkgezin_http_requests_total{code="200",method="GET",route="/aanmelden"}`,
		`elkgezin_http_request_duration_seconds_bucket{method="GET",route="/trajecten/{id}"`,
		`elkgezin_http_request_duration_seconds_bucket{method="POST",route="/v1/trajectories/{id}/intake"`,
		`elkgezin_http_requests_total{code="200",method="POST",route="/v1/trajectories/{id}/intake"} 1`,
		`elkgezin_http_requests_total{code="201",method="POST",route="/v1/referrals"} 1`,
		"temporal_request_total{", "temporal_request_latency_seconds_bucket",
	} {
		if !strings.Contains(api, m) {
			t.Errorf("api /metrics lacks %s", m)
		}
	}
	for name, body := range map[string]string{"worker": worker, "api": api} {
		for _, p := range append(personalData, id) {
			if strings.Contains(body, p) {
				t.Errorf("%s /metrics holds %q", name, p)
			}
		}
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %d", addr, resp.StatusCode)
	}
	return string(body)
}

// otlpReceiver is an OTLP/gRPC trace collector that keeps what it gets.
type otlpReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	addr  string
	mu    sync.Mutex
	spans []*tracepb.Span
	svc   map[*tracepb.Span]string
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &otlpReceiver{addr: l.Addr().String(), svc: map[*tracepb.Span]string{}}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, r)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return r
}

func (r *otlpReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		var service string
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				r.spans = append(r.spans, sp)
				r.svc[sp] = service
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func (r *otlpReceiver) all() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

// traceOf is every span of the trace that holds a span named root.
func (r *otlpReceiver) traceOf(root string) []*tracepb.Span {
	spans := r.all()
	var traceID string
	for _, sp := range spans {
		if sp.Name == root {
			traceID = hex.EncodeToString(sp.TraceId)
		}
	}
	var out []*tracepb.Span
	for _, sp := range spans {
		if traceID != "" && hex.EncodeToString(sp.TraceId) == traceID {
			out = append(out, sp)
		}
	}
	return out
}

func (r *otlpReceiver) services(spans []*tracepb.Span) map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for _, sp := range spans {
		out[r.svc[sp]] = true
	}
	return out
}

// has says whether a span whose name starts with child has a parent named parent.
func (r *otlpReceiver) has(child, parent string) bool {
	spans := r.all()
	byID := map[string]*tracepb.Span{}
	for _, sp := range spans {
		byID[hex.EncodeToString(sp.SpanId)] = sp
	}
	for _, sp := range spans {
		if p := byID[hex.EncodeToString(sp.ParentSpanId)]; strings.HasPrefix(sp.Name, child) && p != nil && p.Name == parent {
			return true
		}
	}
	return false
}

func missingSpans(spans []*tracepb.Span, prefixes []string) []string {
	var missing []string
	for _, p := range prefixes {
		found := false
		for _, sp := range spans {
			found = found || strings.HasPrefix(sp.Name, p)
		}
		if !found {
			missing = append(missing, p)
		}
	}
	return missing
}

func spanNames(spans []*tracepb.Span) []string {
	var names []string
	for _, sp := range spans {
		names = append(names, sp.Name)
	}
	return names
}

// spanTexts is the name and every attribute and event value of a span.
func spanTexts(sp *tracepb.Span) []string {
	texts := []string{sp.Name, sp.GetStatus().GetMessage()}
	for _, a := range sp.Attributes {
		texts = append(texts, a.GetValue().String())
	}
	for _, e := range sp.Events {
		texts = append(texts, e.Name)
		for _, a := range e.Attributes {
			texts = append(texts, a.GetValue().String())
		}
	}
	return texts
}
