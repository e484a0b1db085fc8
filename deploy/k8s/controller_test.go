package k8s

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/elkgezin/elkgezin/config"
)

// The worker runs under the Temporal Worker Controller
// (github.com/temporalio/temporal-worker-controller), whose resources are
// these: a WorkerDeployment and the Connection it names.
const (
	controllerAPI = "temporal.io/v1alpha1"
	kustomization = "kustomization.yaml"
)

// minScaledown is how long the old version's pods must outlive its
// drainage: the activities they started before the switch finish there
// (the longest, the retention's erasure, has 5 minutes) instead of being
// cut off and run again.
const minScaledown = 10 * time.Minute

// controllerSets are the variables the controller sets in the pods it
// makes: the version, derived from the image tag and the pod template, and
// the connection. Set beside it, they would be a second source that drifts.
var controllerSets = []string{
	"TEMPORAL_DEPLOYMENT_NAME", "TEMPORAL_WORKER_BUILD_ID", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
	"TEMPORAL_TLS", "TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH",
	"TEMPORAL_API_KEY", "DEPLOYMENT_NAME", "BUILD_ID",
}

// A rollout of the worker is the controller's: a version per pod template,
// made current once its pods are ready and poll, the old one's pods kept
// until it is drained. No plain Deployment rolls workers, which would stop
// the current version's last poller while nothing made the new one current.
func TestWorkerRollsOutUnderTheController(t *testing.T) {
	objects := loadManifests(t)
	var wd object
	for _, o := range objects {
		switch {
		case o["kind"] == "WorkerDeployment":
			if o["apiVersion"] != controllerAPI || wd != nil {
				t.Fatalf("WorkerDeployment %s: apiVersion %v, or a second one", o.str("metadata", "name"), o["apiVersion"])
			}
			wd = o
		case o["kind"] == "Deployment" && slices.Contains(commands(o), "worker"):
			t.Errorf("Deployment %s runs elkgezin worker: a rolling update would stop the current version's pollers; use the WorkerDeployment", o.str("metadata", "name"))
		}
	}
	if wd == nil || wd.str("metadata", "name") != "elkgezin-worker" || !slices.Equal(commands(wd), []string{"worker"}) {
		t.Fatal("no WorkerDeployment elkgezin-worker running elkgezin worker")
	}
	switch s := wd.str("spec", "rollout", "strategy"); s {
	case "AllAtOnce", "Progressive":
	default:
		t.Errorf("rollout strategy %q: with Manual (or none) nothing makes a new version current", s)
	}
	if d, err := time.ParseDuration(wd.str("spec", "sunset", "scaledownDelay")); err != nil || d < minScaledown {
		t.Errorf("sunset.scaledownDelay %q (%v): at least %s after the old version is drained", wd.str("spec", "sunset", "scaledownDelay"), err, minScaledown)
	}
	if _, err := time.ParseDuration(wd.str("spec", "sunset", "deleteDelay")); err != nil {
		t.Errorf("sunset.deleteDelay: %v", err)
	}
	if id := wd.str("spec", "workerOptions", "unsafeCustomBuildID"); id != "" {
		t.Errorf("unsafeCustomBuildID %q: a build id beside the image tag drifts from the code it names", id)
	}

	pod := object(wd.get("spec", "template", "spec").(map[string]any))
	c := object(pod.get("containers").([]any)[0].(map[string]any))
	env := map[string]string{}
	for _, e := range c.get("env").([]any) {
		v := object(e.(map[string]any))
		env[v.str("name")] = v.str("value")
	}
	if env["WORKER_VERSIONING"] != "true" {
		t.Error("worker: WORKER_VERSIONING is not true: its pods would not poll as the controller's version")
	}
	for _, name := range controllerSets {
		if _, ok := env[name]; ok {
			t.Errorf("worker sets %s: the controller sets the version and the connection in its pods", name)
		}
	}
	configMaps := configMapData(objects)
	for _, ref := range envFromConfigMaps([]any{map[string]any(c)}) {
		for _, name := range controllerSets {
			if _, ok := configMaps[ref][name]; ok {
				t.Errorf("worker: ConfigMap %s sets %s: the controller sets the version and the connection in its pods", ref, name)
			}
		}
	}
	// The controller mounts the Connection's certificate there, as a volume of its own.
	for _, v := range pod.get("volumes").([]any) {
		if object(v.(map[string]any)).str("name") == "temporal-tls" {
			t.Error("worker: a volume named temporal-tls, the name of the controller's own")
		}
	}
	checkConnection(t, objects, wd, configMaps, env)
}

// checkConnection: the worker's Connection reaches the Temporal the API
// does (ConfigMap elkgezin-temporal), with a credential from a Secret that
// holds what the pods read.
func checkConnection(t *testing.T, objects []object, wd object, configMaps map[string]map[string]any, env map[string]string) {
	t.Helper()
	ref := wd.str("spec", "workerOptions", "connectionRef", "name")
	var conn object
	for _, o := range objects {
		if o["kind"] == "Connection" && o["apiVersion"] == controllerAPI && o.str("metadata", "name") == ref {
			conn = o
		}
	}
	if conn == nil {
		t.Fatalf("no Connection %q", ref)
	}
	api := configMaps["elkgezin-temporal"]
	for _, c := range []struct{ name, worker string }{
		{"TEMPORAL_ADDRESS", conn.str("spec", "hostPort")},
		{"TEMPORAL_TLS_SERVER_NAME", conn.str("spec", "tls", "serverName")},
		{"TEMPORAL_NAMESPACE", wd.str("spec", "workerOptions", "temporalNamespace")},
	} {
		if c.worker == "" || c.worker != api[c.name] {
			t.Errorf("the worker's %s is %q, the API's %q: they must reach the same Temporal", c.name, c.worker, api[c.name])
		}
	}
	mtls, apiKey := conn.str("spec", "mutualTLSSecretRef", "name"), conn.str("spec", "apiKeySecretRef", "name")
	if (mtls == "") == (apiKey == "") {
		t.Fatalf("Connection %s: one of mutualTLSSecretRef and apiKeySecretRef", ref)
	}
	if mtls == "" {
		return
	}
	if ca := env["TEMPORAL_TLS_SERVER_CA_CERT_PATH"]; ca != "/etc/temporal/tls/ca.crt" {
		t.Errorf("worker: TEMPORAL_TLS_SERVER_CA_CERT_PATH %q, want the ca.crt of the secret the controller mounts at /etc/temporal/tls", ca)
	}
	for _, o := range objects {
		if o["kind"] == "Secret" && o.str("metadata", "name") == mtls {
			data, _ := o.get("stringData").(map[string]any)
			for _, key := range []string{"tls.crt", "tls.key", "ca.crt"} {
				if data[key] == nil {
					t.Errorf("Secret %s has no %s", mtls, key)
				}
			}
			return
		}
	}
	t.Errorf("Connection %s names Secret %s, which secrets.example.yaml does not show", ref, mtls)
}

// The image's tag is written once, in the kustomization: every container
// names the image without a tag, and the worker accepts the version the
// controller derives from it.
func TestImageTagInOnePlace(t *testing.T) {
	raw, err := os.ReadFile(kustomization)
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string
		Images    []struct {
			Name   string
			NewTag string `yaml:"newTag"`
		}
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.yaml")
	for _, f := range files {
		if f != kustomization && f != "secrets.example.yaml" && !slices.Contains(k.Resources, f) {
			t.Errorf("%s is not among the kustomization's resources", f)
		}
	}
	if len(k.Images) != 1 || k.Images[0].NewTag == "" {
		t.Fatalf("kustomization images %+v: want one, with its newTag", k.Images)
	}
	image, tag := k.Images[0].Name, k.Images[0].NewTag
	for _, o := range loadManifests(t) {
		if !isWorkload(o) {
			continue
		}
		for _, c := range o.get("spec", "template", "spec", "containers").([]any) {
			if got := object(c.(map[string]any)).str("image"); got != image {
				t.Errorf("%s: image %q; want %q, its tag set by the kustomization", o.str("metadata", "name"), got, image)
			}
		}
	}
	// The controller's build id: the tag, a dash, a hash of the pod template.
	lookup := func(name string) (string, bool) {
		v, ok := map[string]string{
			"WORKER_VERSIONING": "true", "TEMPORAL_CONFIG_FILE": "/nonexistent.toml",
			"TEMPORAL_DEPLOYMENT_NAME": "elkgezin/elkgezin-worker", "TEMPORAL_WORKER_BUILD_ID": tag + "-5d8f9c7b6",
		}[name]
		return v, ok
	}
	cfg, err := config.Load("version", lookup)
	if err != nil || cfg.BuildID != tag+"-5d8f9c7b6" {
		t.Errorf("the worker refuses the controller's version for tag %q: %v (build id %q)", tag, err, cfg.BuildID)
	}
}

// commands are the elkgezin commands o's containers run.
func commands(o object) []string {
	var out []string
	containers, _ := o.get("spec", "template", "spec", "containers").([]any)
	for _, c := range containers {
		args, _ := object(c.(map[string]any)).get("args").([]any)
		if len(args) > 0 {
			out = append(out, strings.TrimSpace(args[0].(string)))
		}
	}
	return out
}

func configMapData(objects []object) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, o := range objects {
		if o["kind"] == "ConfigMap" {
			out[o.str("metadata", "name")], _ = o.get("data").(map[string]any)
		}
	}
	return out
}
