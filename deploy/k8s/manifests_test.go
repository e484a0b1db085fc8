// Package k8s holds the Kubernetes manifests of elkgezin; its test checks
// them offline, as deploy/test runs it.
package k8s

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/worker"
)

// object is one manifest, decoded loosely.
type object map[string]any

func (o object) get(path ...string) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (o object) str(path ...string) string { s, _ := o.get(path...).(string); return s }

func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var out []object
	for _, f := range files {
		if f == kustomization {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var o map[string]any
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o == nil {
				continue
			}
			if o["apiVersion"] == nil || o["kind"] == nil || object(o).str("metadata", "name") == "" {
				t.Errorf("%s: a document without apiVersion, kind or metadata.name", f)
			}
			out = append(out, o)
		}
	}
	return out
}

// knownVariables are the variables elkgezin reads: package config's and
// the Temporal SDK's; an OTEL_* variable is read by OpenTelemetry.
func knownVariables() map[string]bool {
	known := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(config.Config{})) {
		known[f.Tag.Get("env")] = true
	}
	for _, v := range config.TemporalVariables {
		known[v.Name] = true
	}
	return known
}

// secretVariables are those package config marks secret, and the
// credentials of the Temporal connection.
func secretVariables() map[string]bool {
	secret := map[string]bool{"TEMPORAL_API_KEY": true}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(config.Config{})) {
		if f.Tag.Get("secret") == "true" {
			secret[f.Tag.Get("env")] = true
		}
	}
	return secret
}

func TestDeployments(t *testing.T) {
	objects := loadManifests(t)
	stop := worker.StopTimeout(mailer.Config{Timeout: config.SMTPTimeout})
	configMaps := map[string]map[string]any{}
	for _, o := range objects {
		if o["kind"] == "ConfigMap" {
			configMaps[o.str("metadata", "name")], _ = o.get("data").(map[string]any)
		}
	}
	known, secret := knownVariables(), secretVariables()
	deployments := map[string]object{}
	for _, o := range objects {
		if !isWorkload(o) {
			continue
		}
		name := o.str("metadata", "name")
		deployments[name] = o
		if r, _ := o.get("spec", "replicas").(int); r < 2 {
			t.Errorf("%s: %d replicas; at least two, so a rollout or a lost node keeps one", name, r)
		}
		grace, _ := o.get("spec", "template", "spec", "terminationGracePeriodSeconds").(int)
		if name == "elkgezin-worker" && time.Duration(grace)*time.Second <= stop {
			t.Errorf("%s: terminationGracePeriodSeconds %d is not above the worker's stop timeout %s", name, grace, stop)
		}
		containers, _ := o.get("spec", "template", "spec", "containers").([]any)
		if len(containers) == 0 {
			t.Fatalf("%s: no containers", name)
		}
		for _, c := range containers {
			checkContainer(t, name, object(c.(map[string]any)), known, secret)
		}
		for _, ref := range envFromConfigMaps(containers) {
			data, ok := configMaps[ref]
			if !ok {
				t.Errorf("%s: envFrom names ConfigMap %s, which no manifest defines", name, ref)
			}
			for k := range data {
				if !known[k] && !strings.HasPrefix(k, "OTEL_") {
					t.Errorf("ConfigMap %s: %s is not a variable elkgezin reads", ref, k)
				}
				if secret[k] {
					t.Errorf("ConfigMap %s holds %s, a secret: it belongs in a Secret", ref, k)
				}
			}
		}
	}
	for want, command := range map[string]string{"elkgezin-worker": "worker", "elkgezin-api": "api"} {
		d, ok := deployments[want]
		if !ok {
			t.Errorf("no Deployment %s", want)
			continue
		}
		checkRequired(t, want, command, d, configMaps)
		if !hasPDB(objects, d.get("spec", "template", "metadata", "labels")) {
			t.Errorf("%s: no PodDisruptionBudget selects its pods", want)
		}
	}
}

// isWorkload says whether o runs pods of elkgezin: a Deployment, or the
// Temporal Worker Controller's WorkerDeployment, which makes Deployments
// of its pod template.
func isWorkload(o object) bool {
	return o["kind"] == "Deployment" || (o["kind"] == "WorkerDeployment" && o["apiVersion"] == controllerAPI)
}

func checkContainer(t *testing.T, name string, c object, known, secret map[string]bool) {
	t.Helper()
	if c.str("readinessProbe", "httpGet", "path") != "/readyz" || c.str("livenessProbe", "httpGet", "path") != "/healthz" {
		t.Errorf("%s: readiness must probe /readyz and liveness /healthz", name)
	}
	for _, kind := range []string{"requests", "limits"} {
		r, _ := c.get("resources", kind).(map[string]any)
		if r["cpu"] == nil || r["memory"] == nil {
			t.Errorf("%s: resources.%s needs cpu and memory", name, kind)
		}
	}
	env, _ := c.get("env").([]any)
	for _, e := range env {
		v := object(e.(map[string]any))
		n := v.str("name")
		if !known[n] && !strings.HasPrefix(n, "OTEL_") && !goRuntimeVariables[n] {
			t.Errorf("%s: %s is not a variable elkgezin reads", name, n)
		}
		if secret[n] && (v.get("value") != nil || v.str("valueFrom", "secretKeyRef", "name") == "") {
			t.Errorf("%s: %s is a secret; take it from a Secret (valueFrom.secretKeyRef)", name, n)
		}
	}
}

func envFromConfigMaps(containers []any) []string {
	var out []string
	for _, c := range containers {
		from, _ := object(c.(map[string]any)).get("envFrom").([]any)
		for _, f := range from {
			if n := object(f.(map[string]any)).str("configMapRef", "name"); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// hasPDB says whether a PodDisruptionBudget selects pods with podLabels.
func hasPDB(objects []object, podLabels any) bool {
	pod, _ := podLabels.(map[string]any)
	for _, o := range objects {
		selector, _ := o.get("spec", "selector", "matchLabels").(map[string]any)
		if o["kind"] != "PodDisruptionBudget" || len(selector) == 0 {
			continue
		}
		selects := true
		for k, v := range selector {
			selects = selects && pod[k] == v
		}
		if selects {
			return o.get("spec", "minAvailable") != nil || o.get("spec", "maxUnavailable") != nil
		}
	}
	return false
}

// checkRequired fails for every variable config requires of command that
// the Deployment neither sets nor takes from a ConfigMap: the pod would
// not start.
func checkRequired(t *testing.T, name, command string, d object, configMaps map[string]map[string]any) {
	t.Helper()
	containers, _ := d.get("spec", "template", "spec", "containers").([]any)
	set := map[string]bool{}
	for _, c := range containers {
		env, _ := object(c.(map[string]any)).get("env").([]any)
		for _, e := range env {
			set[object(e.(map[string]any)).str("name")] = true
		}
	}
	for _, ref := range envFromConfigMaps(containers) {
		for k := range configMaps[ref] {
			set[k] = true
		}
	}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(config.Config{})) {
		if !slices.Contains(strings.Split(f.Tag.Get("required"), ","), command) {
			continue
		}
		if n := f.Tag.Get("env"); !set[n] && !set[f.Tag.Get("alt")] {
			t.Errorf("%s: elkgezin %s requires %s, which it does not set", name, command, n)
		}
	}
}

// goRuntimeVariables are read by the Go runtime of every elkgezin process.
var goRuntimeVariables = map[string]bool{"GOMEMLIMIT": true, "GOGC": true, "GOMAXPROCS": true}

// The worker's full workflow cache fits under its GOMEMLIMIT, and that
// under the container's memory limit, with room for what is not Go heap:
// a cache the container cannot hold gets the worker killed once it fills.
func TestWorkerMemoryHoldsItsCache(t *testing.T) {
	var w object
	for _, o := range loadManifests(t) {
		if isWorkload(o) && o.str("metadata", "name") == "elkgezin-worker" {
			w = o
		}
	}
	containers, _ := w.get("spec", "template", "spec", "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("worker: %d containers, want 1", len(containers))
	}
	c := object(containers[0].(map[string]any))
	env := map[string]string{}
	for _, e := range c.get("env").([]any) {
		v := object(e.(map[string]any))
		env[v.str("name")] = v.str("value")
	}
	// Set beside GOMEMLIMIT, so the two are read and changed together.
	v, ok := env["WORKFLOW_CACHE_SIZE"]
	if !ok {
		t.Fatalf("worker: WORKFLOW_CACHE_SIZE not set beside GOMEMLIMIT")
	}
	cache, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("WORKFLOW_CACHE_SIZE %q: %v", v, err)
	}
	goLimit, err := parseBytes(env["GOMEMLIMIT"], map[string]int64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30})
	if err != nil {
		t.Fatalf("worker: GOMEMLIMIT %q: %v; set it so the heap is collected before the container's limit", env["GOMEMLIMIT"], err)
	}
	memory, _ := c.get("resources", "limits", "memory").(string)
	containerLimit, err := parseBytes(memory, map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30})
	if err != nil {
		t.Fatalf("worker: resources.limits.memory %q: %v", memory, err)
	}
	if need := worker.MemoryBudget(cache); goLimit < need {
		t.Errorf("worker: GOMEMLIMIT %d MiB is below what a full cache of %d needs (%d MiB)", goLimit>>20, cache, need>>20)
	}
	// Stacks, the runtime and the binary live outside the heap's limit.
	if goLimit > containerLimit*9/10 {
		t.Errorf("worker: GOMEMLIMIT %d MiB leaves less than a tenth of the container's %d MiB for what is not heap", goLimit>>20, containerLimit>>20)
	}
	if request, _ := c.get("resources", "requests", "memory").(string); request != memory {
		t.Errorf("worker: memory request %q below the limit %q: the node may not have the memory the full cache takes", request, memory)
	}
}

// parseBytes reads a whole number with one of units' suffixes.
func parseBytes(s string, units map[string]int64) (int64, error) {
	for unit, size := range units {
		if n, ok := strings.CutSuffix(s, unit); ok {
			if v, err := strconv.ParseInt(n, 10, 64); err == nil && v > 0 {
				return v * size, nil
			}
		}
	}
	return 0, fmt.Errorf("not a size in %v", slices.Sorted(maps.Keys(units)))
}

// The API believes X-Forwarded-For from the ingress only: TRUSTED_PROXIES
// is set, parses, and names private networks no wider than a /8, so a
// client on the internet can never name its own address.
func TestAPITrustsOnlyTheIngress(t *testing.T) {
	var value string
	for _, o := range loadManifests(t) {
		if o["kind"] != "Deployment" || o.str("metadata", "name") != "elkgezin-api" {
			continue
		}
		containers, _ := o.get("spec", "template", "spec", "containers").([]any)
		for _, c := range containers {
			env, _ := object(c.(map[string]any)).get("env").([]any)
			for _, e := range env {
				if v := object(e.(map[string]any)); v.str("name") == "TRUSTED_PROXIES" {
					value = v.str("value")
				}
			}
		}
	}
	proxies, err := ratelimit.ParseProxies(value)
	if err != nil || len(proxies) == 0 {
		t.Fatalf("elkgezin-api: TRUSTED_PROXIES %q (%v): name the ingress controller's pod network, or every client shares its address", value, err)
	}
	for _, p := range proxies {
		if !p.Addr().IsPrivate() || (p.Addr().Is4() && p.Bits() < 8) || (p.Addr().Is6() && p.Bits() < 48) {
			t.Errorf("elkgezin-api: TRUSTED_PROXIES names %s: trust a private network of the cluster only", p)
		}
	}
}
