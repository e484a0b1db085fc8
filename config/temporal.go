package config

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// Defaults of the Temporal connection: the dev server of deploy/dev.
const (
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
)

// TemporalVariables are the variables envconfig reads, for the usage text.
var TemporalVariables = []struct{ Name, Default, Help string }{
	{"TEMPORAL_ADDRESS", DefaultTemporalAddress, "the frontend (host:port); Temporal Cloud: <namespace>.<account>.tmprl.cloud:7233 or the regional endpoint"},
	{"TEMPORAL_NAMESPACE", DefaultTemporalNamespace, "the namespace trajectories run in"},
	{"TEMPORAL_API_KEY", "", "API key (Temporal Cloud); turns TLS on"},
	{"TEMPORAL_TLS", "", "true/false: TLS on or off (on by default with a key or certificate)"},
	{"TEMPORAL_TLS_CLIENT_CERT_PATH", "", "client certificate for mTLS (PEM; or TEMPORAL_TLS_CLIENT_CERT_DATA)"},
	{"TEMPORAL_TLS_CLIENT_KEY_PATH", "", "its private key (PEM; or TEMPORAL_TLS_CLIENT_KEY_DATA)"},
	{"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "", "CA that signed the server's certificate (PEM; or ..._DATA); default: the system's"},
	{"TEMPORAL_TLS_SERVER_NAME", "", "server name to verify (SNI) when it differs from the address's host"},
	{"TEMPORAL_CONFIG_FILE", "", "TOML file of profiles (default: the user's config dir, temporalio/temporal.toml)"},
	{"TEMPORAL_PROFILE", "", "profile to use from it (default: default)"},
}

// TemporalProfile is the connection to Temporal: address, namespace,
// credentials and TLS, as envconfig loaded them.
type TemporalProfile struct {
	envconfig.ClientConfigProfile
}

// loadTemporal reads the TOML profile (when there is one) and the
// TEMPORAL_* variables on top, then fills in the dev server's defaults.
func loadTemporal(lookup Lookup) (TemporalProfile, error) {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{
		EnvLookup: envLookup(lookup),
	})
	if err != nil {
		return TemporalProfile{}, fmt.Errorf("temporal connection (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE, TEMPORAL_*): %w", err)
	}
	if prof.Address == "" {
		prof.Address = DefaultTemporalAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = DefaultTemporalNamespace
	}
	p := TemporalProfile{prof}
	if _, err := p.ClientOptions(); err != nil {
		return p, err
	}
	return p, nil
}

// ClientOptions are the SDK client options of the profile: address,
// namespace, API key and TLS (with the certificates read and checked),
// with gRPC requests sent uncompressed (NoGrpcCompression). The caller
// adds its logger, converters, interceptors and metrics.
func (p TemporalProfile) ClientOptions() (client.Options, error) {
	opts, err := p.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal connection (TEMPORAL_TLS_*, TEMPORAL_API_KEY): %w", err)
	}
	opts.ConnectionOptions.GrpcCompression = NoGrpcCompression()
	return opts, nil
}

// NoGrpcCompression is how elkgezin's clients talk to Temporal: without
// the SDK's default gzip. What they send is mostly payloads sealed by the
// codec, which do not compress, and gzip costs CPU at both ends of every
// call (and the server answers a compressed request compressed): about a
// tenth of the API's CPU for a referral, measured with go run ./bench
// -profile.
func NoGrpcCompression() client.GrpcCompression { return &client.GrpcCompressionNone{} }

// Describe says how the client connects, without secrets, for the log.
func (p TemporalProfile) Describe() string {
	var auth []string
	if p.APIKey != "" {
		auth = append(auth, "api key")
	}
	if p.TLS != nil && !p.TLS.Disabled {
		if p.TLS.ClientCertPath != "" || len(p.TLS.ClientCertData) > 0 {
			auth = append(auth, "mTLS")
		} else {
			auth = append(auth, "TLS")
		}
	}
	if len(auth) == 0 {
		auth = append(auth, "plaintext")
	}
	return p.Address + " (" + strings.Join(auth, ", ") + ")"
}

// envLookup adapts a Lookup to envconfig's EnvLookup. Environ serves only
// TEMPORAL_GRPC_META_*, which elkgezin does not document; it lists the
// process's environment.
type envLookup Lookup

func (l envLookup) LookupEnv(name string) (string, bool) { return l(name) }

func (l envLookup) Environ() []string {
	var out []string
	for _, kv := range envconfig.EnvLookupOS.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if v, ok := l(name); ok {
			out = append(out, name+"="+v)
		}
	}
	return out
}
