package main

import (
	"os"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/worker"
)

// testConfig is the configuration command would load from the test's
// environment (t.Setenv).
func testConfig(t *testing.T, command string) config.Config {
	t.Helper()
	cfg, err := config.Load(command, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The defaults config prints are the ones the packages apply to a zero
// value, so the printout does not promise what the code does not do.
func TestConfigDefaultsMatchPackages(t *testing.T) {
	cfg, err := config.Load("check", func(name string) (string, bool) {
		if name == "TEMPORAL_CONFIG_FILE" {
			return "/nonexistent.toml", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WorkflowCacheSize != worker.DefaultWorkflowCacheSize {
		t.Errorf("WORKFLOW_CACHE_SIZE default %v, worker's %v", cfg.WorkflowCacheSize, worker.DefaultWorkflowCacheSize)
	}
	if cfg.EmailSendRate != worker.DefaultEmailsPerSecond {
		t.Errorf("EMAIL_SEND_RATE default %v, worker's %v", cfg.EmailSendRate, worker.DefaultEmailsPerSecond)
	}
	if cfg.EmailSessions != worker.DefaultEmailSessions {
		t.Errorf("EMAIL_SESSIONS default %v, worker's %v", cfg.EmailSessions, worker.DefaultEmailSessions)
	}
	if l := cfg.Parsed.RateLimit; l.PerAddress != ratelimit.DefaultAddressRate || l.PerToken != ratelimit.DefaultTokenRate ||
		l.PerSession != ratelimit.DefaultSessionRate || l.SignIns != ratelimit.DefaultSignInRate || l.TrustedProxies != nil {
		t.Errorf("rate limit defaults %+v, ratelimit's %+v, %+v, %+v and %+v", l,
			ratelimit.DefaultAddressRate, ratelimit.DefaultTokenRate, ratelimit.DefaultSessionRate, ratelimit.DefaultSignInRate)
	}
	if cfg.Parsed.TokenCacheTTL != store.DefaultTokenCacheTTL {
		t.Errorf("TOKEN_CACHE_TTL default %v, store's %v", cfg.Parsed.TokenCacheTTL, store.DefaultTokenCacheTTL)
	}
	// Every command the usage lists is one main dispatches.
	for _, c := range config.Commands {
		if !strings.Contains(config.Usage(), "\n  "+c+" ") {
			t.Errorf("usage lists no command %s", c)
		}
	}
}
