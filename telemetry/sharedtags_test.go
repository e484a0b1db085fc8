package telemetry

import (
	"context"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// TestSharedTagsOneHandlerPerTags: the same tags give the same handler
// (the SDK asks once per cached workflow), other tags another, and what
// each records carries its own tags.
func TestSharedTagsOneHandlerPerTags(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	h := shareTags(temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: meters.Meter("test")}))
	a := h.WithTags(map[string]string{"workflow_type": "Trajectory", "task_queue": "q"})
	if b := h.WithTags(map[string]string{"task_queue": "q", "workflow_type": "Trajectory"}); b != a {
		t.Error("the same tags gave two handlers")
	}
	other := h.WithTags(map[string]string{"workflow_type": "Other", "task_queue": "q"})
	if other == a {
		t.Error("other tags gave the same handler")
	}
	if nested := a.WithTags(map[string]string{"operation": "x"}); nested != a.WithTags(map[string]string{"operation": "x"}) {
		t.Error("a handler's own tags are not shared")
	}
	a.Counter("c").Inc(2)
	other.Counter("c").Inc(1)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, p := range sum.DataPoints {
				v, _ := p.Attributes.Value("workflow_type")
				got[v.AsString()] += p.Value
			}
		}
	}
	if got["Trajectory"] != 2 || got["Other"] != 1 {
		t.Errorf("counted %v, want Trajectory 2 and Other 1", got)
	}
}

func TestSharedTagsBounded(t *testing.T) {
	h := shareTags(temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: sdkmetric.NewMeterProvider().Meter("test")}))
	for i := range maxSharedTags + 10 {
		h.WithTags(map[string]string{"operation": strings.Repeat("x", i)})
	}
	if len(h.children) != maxSharedTags {
		t.Errorf("%d handlers kept, want %d", len(h.children), maxSharedTags)
	}
}
