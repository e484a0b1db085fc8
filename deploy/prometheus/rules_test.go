// Package prometheus holds elkgezin's Prometheus alert rules (and, in
// deploy/grafana, its dashboard); the test checks both offline.
package prometheus

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// exported are the metric families the worker and the API serve
// (e2e/telemetry_test.go scrapes a running worker and API for them; the
// SDK's failure counters appear at the first failure).
var exported = []string{
	"up", "elkgezin_trajectories_open", "elkgezin_trajectories_overdue", "elkgezin_trajectories_escalated",
	"elkgezin_trajectories_email_failed", "elkgezin_emails", "elkgezin_business_metrics_up",
	"elkgezin_http_requests_total", "elkgezin_http_request_duration_seconds_bucket",
	"temporal_workflow_task_execution_failed_total", "temporal_workflow_task_schedule_to_start_latency_seconds_bucket",
	"temporal_activity_schedule_to_start_latency_seconds_bucket", "temporal_activity_execution_latency_seconds_bucket",
	"temporal_worker_task_slots_available", "temporal_request_total",
}

var metricName = regexp.MustCompile(`\b(up|elkgezin_[a-z_]+|temporal_[a-z_]+)\b`)

// checkExpr fails when expr names a metric that is not exported.
func checkExpr(t *testing.T, where, expr string) {
	t.Helper()
	for _, m := range metricName.FindAllString(expr, -1) {
		known := false
		for _, e := range exported {
			known = known || m == e
		}
		if !known {
			t.Errorf("%s: %s is not a metric elkgezin exports", where, m)
		}
	}
}

func TestAlertRules(t *testing.T) {
	data, err := os.ReadFile("alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr, For string
				Labels           map[string]string
				Annotations      map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	alerts := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("rule %q in %s needs alert, expr, labels.severity, annotations.summary and description", r.Alert, g.Name)
			}
			checkExpr(t, r.Alert, r.Expr)
		}
	}
	// What the operators asked to be woken or warned for.
	for _, want := range []string{
		"ElkgezinWorkerDown", "ElkgezinWorkflowTaskFailures", "ElkgezinWorkflowTaskScheduleToStartSlow",
		"ElkgezinEmailUnconfirmed", "ElkgezinEmailFailed", "ElkgezinOverdueRising",
	} {
		if !alerts[want] {
			t.Errorf("no alert %s", want)
		}
	}
}

func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile("../grafana/elkgezin.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title, UID string
		Panels     []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if d.UID == "" || len(d.Panels) < 6 {
		t.Fatalf("dashboard %q has uid %q and %d panels", d.Title, d.UID, len(d.Panels))
	}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			checkExpr(t, "panel "+p.Title, q.Expr)
		}
	}
}
