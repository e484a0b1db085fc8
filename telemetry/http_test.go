package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A request is named by its route template in metrics and spans, never by
// its path (ids, handover tokens); one no route matched is "unmatched".
func TestHTTPNamesRoutesByTemplate(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tel, err := Setup(context.Background(), Options{Service: "test", SpanProcessor: spans})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	h := NewHTTP(tel)
	r := mux.NewRouter()
	r.Use(RouteMiddleware)
	r.HandleFunc("/v1/handovers/{token}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusConflict) })
	srv := h.Handler(r)

	for _, path := range []string{"/v1/handovers/secret-token-1", "/v1/handovers/secret-token-2", "/nowhere/Jansens"} {
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	if n := testutil.ToFloat64(h.requests.WithLabelValues("GET", "/v1/handovers/{token}", "409")); n != 2 {
		t.Errorf("%v requests counted under the template, want 2", n)
	}
	if n := testutil.ToFloat64(h.requests.WithLabelValues("GET", unmatched, "404")); n != 1 {
		t.Errorf("%v unmatched requests, want 1", n)
	}
	ended := spans.Ended()
	if len(ended) != 3 || ended[0].Name() != "GET /v1/handovers/{token}" || ended[2].Name() != "HTTP GET" {
		t.Fatalf("spans: %v", ended)
	}
	for _, s := range ended {
		for _, a := range s.Attributes() {
			if v := a.Value.String(); strings.Contains(v, "secret-token") || strings.Contains(v, "Jansens") {
				t.Errorf("span %s holds the path in %s=%s", s.Name(), a.Key, v)
			}
		}
	}
}
