package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/ratelimit"
)

func lookupFrom(m map[string]string) Lookup {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load("check", lookupFrom(map[string]string{"TEMPORAL_CONFIG_FILE": "/nonexistent.toml"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://postgres@127.0.0.1:5432/elkgezin?sslmode=disable" || c.ProgrammesDir != "deploy/programmes" ||
		c.APIAddr != "127.0.0.1:8080" || c.LogLevel != "info" || c.MetricsAddr != "" || c.Versioning || c.DeploymentName != "elkgezin" {
		t.Errorf("defaults: %+v", c)
	}
	if c.Temporal.Address != DefaultTemporalAddress || c.Temporal.Namespace != DefaultTemporalNamespace || c.Temporal.TLS != nil {
		t.Errorf("temporal defaults: %+v", c.Temporal)
	}
	opts, err := c.Temporal.ClientOptions()
	if err != nil || opts.HostPort != DefaultTemporalAddress || opts.ConnectionOptions.TLS != nil {
		t.Errorf("client options: %+v, %v", opts, err)
	}
	// Sealed payloads do not compress: no gzip (the SDK's default).
	if _, none := opts.ConnectionOptions.GrpcCompression.(*client.GrpcCompressionNone); !none {
		t.Errorf("gRPC compression %T, want none", opts.ConnectionOptions.GrpcCompression)
	}
}

// Secrets of the right shape, so a test fails only for what it names.
var validSecrets = map[string]string{
	"PAYLOAD_KEYS":         "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	"PROGRAMME_KEYS":       "go-team-mechelen:k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	"HANDOVER_LINK_SECRET": "TQq/OgIfYYXpeQGam/o85znsx7yBVDz+vjesYsjGnDU=",
	"TRAJECTORY_ID_SECRET": "nQlQsXRF6mWdnsDMs64Z7ser77llwM7L7Ozvwyj2Pa0=",
	"DEV_INSECURE_COOKIES": "1",
	"TEMPORAL_CONFIG_FILE": "/nonexistent.toml",
}

func withSecrets(extra map[string]string) map[string]string {
	env := map[string]string{}
	for k, v := range validSecrets {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestLoadParses(t *testing.T) {
	c, err := Load("api", lookupFrom(withSecrets(map[string]string{
		"RATE_LIMIT_TOKEN": "off", "RETENTION_INTERVAL": "15m", "EMAIL_SEND_RATE": "2.5", "SMTP_TLS": "implicit",
		"TOKEN_CACHE_TTL": "2s", "DATA_KEY_MAX_STALE": "30m", "RATE_LIMIT_SIGN_IN": "5/10m", "TRUSTED_PROXIES": "10.244.0.0/16,10.96.0.1",
	})))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Parsed
	if p.Payloads == nil || p.Programmes == nil || p.Links == nil || p.RetentionEvery != 15*time.Minute ||
		p.RateLimit.PerToken.Requests != -1 || p.RateLimit.PerAddress.Requests != 600 || c.EmailSendRate != 2.5 || c.SMTPTLS != "implicit" ||
		p.TokenCacheTTL != 2*time.Second || p.DataKeyMaxStale != 30*time.Minute ||
		p.RateLimit.SignIns != (ratelimit.Rate{Requests: 5, Per: 10 * time.Minute}) || len(p.RateLimit.TrustedProxies) != 2 {
		t.Errorf("parsed: %+v, %+v", p, c)
	}
	if c, err := Load("worker", lookupFrom(withSecrets(nil))); err != nil || c.Parsed.DataKeyMaxStale != time.Hour {
		t.Errorf("DATA_KEY_MAX_STALE by default: %v, %v; want 1h", c.Parsed.DataKeyMaxStale, err)
	}
	if c, err := Load("worker", lookupFrom(withSecrets(map[string]string{"DATA_KEY_MAX_STALE": "off"}))); err != nil || c.Parsed.DataKeyMaxStale != 0 {
		t.Errorf("DATA_KEY_MAX_STALE=off: %v, %v", c.Parsed.DataKeyMaxStale, err)
	}
	if c, err := Load("api", lookupFrom(withSecrets(map[string]string{"TOKEN_CACHE_TTL": "off"}))); err != nil || c.Parsed.TokenCacheTTL != 0 {
		t.Errorf("TOKEN_CACHE_TTL=off: %v, %v", c.Parsed.TokenCacheTTL, err)
	}
	if _, err := Load("worker", lookupFrom(withSecrets(map[string]string{"RETENTION_INTERVAL": "off", "TRAJECTORY_ID_SECRET": ""}))); err != nil {
		t.Errorf("the worker needs no TRAJECTORY_ID_SECRET, and RETENTION_INTERVAL=off is allowed: %v", err)
	}
	// HANDOVER_LINK_SECRETS stands in for HANDOVER_LINK_SECRET.
	if _, err := Load("worker", lookupFrom(withSecrets(map[string]string{
		"HANDOVER_LINK_SECRET": "", "HANDOVER_LINK_SECRETS": "l1:TQq/OgIfYYXpeQGam/o85znsx7yBVDz+vjesYsjGnDU=",
	}))); err != nil {
		t.Errorf("HANDOVER_LINK_SECRETS alone: %v", err)
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tc := range []struct {
		name, command string
		env           map[string]string // over validSecrets
		want          string            // in the error
	}{
		{"worker without keys", "worker", map[string]string{"PAYLOAD_KEYS": ""}, "PAYLOAD_KEYS is required for elkgezin worker"},
		{"erase without programme keys", "erase", map[string]string{"PROGRAMME_KEYS": ""}, "PROGRAMME_KEYS is required for elkgezin erase"},
		{"api without link secret", "api", map[string]string{"HANDOVER_LINK_SECRET": ""}, "HANDOVER_LINK_SECRETS (or HANDOVER_LINK_SECRET) is required for elkgezin api"},
		{"api without id secret", "api", map[string]string{"TRAJECTORY_ID_SECRET": ""}, "TRAJECTORY_ID_SECRET is required for elkgezin api"},
		{"malformed payload key", "check", map[string]string{"PAYLOAD_KEYS": "k:x"}, "PAYLOAD_KEYS"},
		{"short id secret", "api", map[string]string{"TRAJECTORY_ID_SECRET": "c2hvcnQ="}, "TRAJECTORY_ID_SECRET"},
		{"bad rate", "api", map[string]string{"RATE_LIMIT_ADDRESS": "lots"}, "RATE_LIMIT_ADDRESS"},
		{"bad session rate", "api", map[string]string{"RATE_LIMIT_SESSION": "0/1m"}, "RATE_LIMIT_SESSION"},
		{"bad sign-in rate", "api", map[string]string{"RATE_LIMIT_SIGN_IN": "10"}, "RATE_LIMIT_SIGN_IN"},
		{"trusted proxy not a CIDR", "api", map[string]string{"TRUSTED_PROXIES": "ingress-nginx"}, "TRUSTED_PROXIES"},
		{"every address a trusted proxy", "api", map[string]string{"TRUSTED_PROXIES": "0.0.0.0/0"}, "TRUSTED_PROXIES"},
		{"bad retention", "worker", map[string]string{"RETENTION_INTERVAL": "10ms"}, "RETENTION_INTERVAL"},
		{"token cache longer than a minute", "api", map[string]string{"TOKEN_CACHE_TTL": "2m"}, "TOKEN_CACHE_TTL"},
		{"token cache not a duration", "api", map[string]string{"TOKEN_CACHE_TTL": "soon"}, "TOKEN_CACHE_TTL"},
		{"data keys stale for under a minute", "worker", map[string]string{"DATA_KEY_MAX_STALE": "30s"}, "DATA_KEY_MAX_STALE"},
		{"data keys stale for days", "worker", map[string]string{"DATA_KEY_MAX_STALE": "48h"}, "DATA_KEY_MAX_STALE"},
		{"data key staleness not a duration", "worker", map[string]string{"DATA_KEY_MAX_STALE": "a while"}, "DATA_KEY_MAX_STALE"},
		{"bad send rate", "worker", map[string]string{"EMAIL_SEND_RATE": "0"}, "EMAIL_SEND_RATE"},
		{"send rate not a number", "worker", map[string]string{"EMAIL_SEND_RATE": "fast"}, "EMAIL_SEND_RATE"},
		{"send rate NaN", "worker", map[string]string{"EMAIL_SEND_RATE": "NaN"}, "EMAIL_SEND_RATE"},
		{"no sessions", "worker", map[string]string{"EMAIL_SESSIONS": "0"}, "EMAIL_SESSIONS"},
		{"sessions not a number", "worker", map[string]string{"EMAIL_SESSIONS": "many"}, "EMAIL_SESSIONS"},
		{"bad smtp tls", "worker", map[string]string{"SMTP_TLS": "none"}, "SMTP_TLS"},
		{"api over plain http", "api", map[string]string{"DEV_INSECURE_COOKIES": ""}, "PUBLIC_BASE_URL"},
		{"worker over plain http", "worker", map[string]string{"DEV_INSECURE_COOKIES": ""}, "PUBLIC_BASE_URL"},
		{"worker with an http link base", "worker", map[string]string{"DEV_INSECURE_COOKIES": "", "PUBLIC_BASE_URL": "http://elkgezin.example.org"}, "PUBLIC_BASE_URL"},
		{"worker with a base that is no URL", "worker", map[string]string{"PUBLIC_BASE_URL": "elkgezin.example.org"}, "PUBLIC_BASE_URL"},
		{"pprof without port", "api", map[string]string{"PPROF_ADDR": "localhost"}, "PPROF_ADDR"},
		{"bad log level", "check", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"metrics address without port", "worker", map[string]string{"METRICS_ADDR": "localhost"}, "METRICS_ADDR"},
		{"versioning not a bool", "worker", map[string]string{"WORKER_VERSIONING": "yes please"}, "WORKER_VERSIONING"},
		{"deployment name with a dot", "worker", map[string]string{"DEPLOYMENT_NAME": "elkgezin.prod"}, "DEPLOYMENT_NAME"},
		{"deployment name with a colon", "worker", map[string]string{"TEMPORAL_DEPLOYMENT_NAME": "ns:elkgezin"}, "DEPLOYMENT_NAME"},
		{"build id with a space", "worker", map[string]string{"BUILD_ID": "v1 2"}, "BUILD_ID"},
		{"build id beside the controller's", "worker", map[string]string{"WORKER_VERSIONING": "true", "BUILD_ID": "2026-11-1", "TEMPORAL_WORKER_BUILD_ID": "2026.11.1-5d8f"}, "TEMPORAL_WORKER_BUILD_ID"},
		{"deployment name beside the controller's", "worker", map[string]string{"WORKER_VERSIONING": "true", "DEPLOYMENT_NAME": "elkgezin", "TEMPORAL_DEPLOYMENT_NAME": "elkgezin/elkgezin-worker"}, "TEMPORAL_DEPLOYMENT_NAME"},
		{"controller's pod unversioned", "worker", map[string]string{"TEMPORAL_DEPLOYMENT_NAME": "elkgezin/elkgezin-worker", "TEMPORAL_WORKER_BUILD_ID": "2026.11.1-5d8f"}, "WORKER_VERSIONING"},
		{"client cert without its key", "worker", map[string]string{"TEMPORAL_TLS_CLIENT_CERT_DATA": "-----BEGIN CERTIFICATE-----"}, "TLS"},
		{"profile not in the file", "worker", map[string]string{"TEMPORAL_PROFILE": "cloud"}, "profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := withSecrets(tc.env)
			for k, v := range env {
				if v == "" {
					delete(env, k)
				}
			}
			_, err := Load(tc.command, lookupFrom(env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
	// An https:// PUBLIC_BASE_URL needs no development switch.
	env := withSecrets(map[string]string{"PUBLIC_BASE_URL": "https://elkgezin.example"})
	delete(env, "DEV_INSECURE_COOKIES")
	for _, command := range []string{"api", "worker"} {
		if _, err := Load(command, lookupFrom(env)); err != nil {
			t.Errorf("%s with an https PUBLIC_BASE_URL: %v", command, err)
		}
	}
	// Commands that send no link and open no session leave it alone.
	delete(env, "PUBLIC_BASE_URL")
	if _, err := Load("report", lookupFrom(env)); err != nil {
		t.Errorf("report with the default http:// PUBLIC_BASE_URL: %v", err)
	}
}

func TestTemporalCloudAPIKey(t *testing.T) {
	c, err := Load("check", lookupFrom(map[string]string{
		"TEMPORAL_ADDRESS": "eu-west-1.aws.api.temporal.io:7233", "TEMPORAL_NAMESPACE": "elkgezin.a1b2c",
		"TEMPORAL_API_KEY": "secret-key", "TEMPORAL_CONFIG_FILE": "/nonexistent.toml",
	}))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.Temporal.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Credentials == nil || opts.ConnectionOptions.TLS == nil || opts.Namespace != "elkgezin.a1b2c" {
		t.Errorf("an API key must bring credentials and TLS: %+v", opts)
	}
	if d := c.Temporal.Describe(); strings.Contains(d, "secret-key") || !strings.Contains(d, "api key") {
		t.Errorf("Describe: %q", d)
	}
}

func TestTemporalProfileFile(t *testing.T) {
	file := t.TempDir() + "/temporal.toml"
	writeFile(t, file, "[profile.cluster]\naddress = \"temporal.example:7233\"\nnamespace = \"elkgezin\"\n")
	c, err := Load("check", lookupFrom(map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "cluster"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.Address != "temporal.example:7233" || c.Temporal.Namespace != "elkgezin" {
		t.Errorf("profile: %+v", c.Temporal)
	}
	// A variable overrides the file, as in every Temporal SDK.
	c, _ = Load("check", lookupFrom(map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "cluster", "TEMPORAL_NAMESPACE": "other"}))
	if c.Temporal.Namespace != "other" {
		t.Errorf("TEMPORAL_NAMESPACE did not override the profile: %+v", c.Temporal)
	}
}

// The usage text names every variable and its default from the struct,
// so it cannot fall behind.
func TestUsageFromStruct(t *testing.T) {
	u := Usage()
	for _, f := range reflect.VisibleFields(reflect.TypeOf(Config{})) {
		name := f.Tag.Get("env")
		if name == "" || name == "-" {
			continue
		}
		if !strings.Contains(u, name) || !strings.Contains(u, f.Tag.Get("help")) {
			t.Errorf("usage lacks %s", name)
		}
		if def := f.Tag.Get("default"); def != "" && !strings.Contains(u, "["+def+"]") {
			t.Errorf("usage lacks the default of %s", name)
		}
	}
	for _, v := range TemporalVariables {
		if !strings.Contains(u, v.Name) {
			t.Errorf("usage lacks %s", v.Name)
		}
	}
}

// In a pod of the Temporal Worker Controller the version is the one it
// set: its deployment name and the build id it derived from the image
// tag, dots and all.
func TestVersionFromController(t *testing.T) {
	c, err := Load("worker", lookupFrom(withSecrets(map[string]string{
		"WORKER_VERSIONING": "true", "TEMPORAL_DEPLOYMENT_NAME": "elkgezin/elkgezin-worker", "TEMPORAL_WORKER_BUILD_ID": "2026.11.1-5d8f9c7b6",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if c.DeploymentName != "elkgezin/elkgezin-worker" || c.BuildID != "2026.11.1-5d8f9c7b6" {
		t.Errorf("version %s.%s, want the controller's", c.DeploymentName, c.BuildID)
	}
	// Outside one, DEPLOYMENT_NAME and BUILD_ID as before.
	c, err = Load("worker", lookupFrom(withSecrets(map[string]string{"WORKER_VERSIONING": "true", "BUILD_ID": "abc123"})))
	if err != nil {
		t.Fatal(err)
	}
	if c.DeploymentName != "elkgezin" || c.BuildID != "abc123" {
		t.Errorf("version %s.%s, want elkgezin.abc123", c.DeploymentName, c.BuildID)
	}
}
