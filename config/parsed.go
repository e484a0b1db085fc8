package config

import (
	"fmt"
	"time"

	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Parsed are the settings that Load parses beyond a string: the keys, so
// that a malformed one is named with every other problem at start-up, and
// not only when the first request needs it.
type Parsed struct {
	// Payloads encrypts what goes to Temporal (PAYLOAD_KEYS).
	Payloads *payloadcodec.KeyRing
	// Programmes wraps each trajectory's data key (PROGRAMME_KEYS). Load
	// cannot check that every programme has a key: the programme files are
	// loaded by the command (see keys.ProgrammeKeys.Cover).
	Programmes *keys.ProgrammeKeys
	// Links seals and opens the handover links (HANDOVER_LINK_SECRETS,
	// HANDOVER_LINK_SECRET).
	Links *handoverlink.Signer
	// LinkKeys are the keys Links was made from: the family's links
	// derive keys of their own purpose from them (familylink.NewSigner).
	LinkKeys []handoverlink.Key
	// TrajectoryID keys the trajectory ids (TRAJECTORY_ID_SECRET).
	TrajectoryID trajectory.IDKey
	// RateLimit is RATE_LIMIT_ADDRESS, RATE_LIMIT_TOKEN, RATE_LIMIT_SESSION,
	// RATE_LIMIT_SIGN_IN and TRUSTED_PROXIES; the session cookie's name is
	// the session.Manager's.
	RateLimit ratelimit.Config
	// RetentionEvery is RETENTION_INTERVAL; 0 when it is off.
	RetentionEvery time.Duration
	// TokenCacheTTL is TOKEN_CACHE_TTL (store.WithTokenCache); 0 when it is off.
	TokenCacheTTL time.Duration
	// DataKeyMaxStale is DATA_KEY_MAX_STALE (keys.Vault.KeepServed); 0 when it is off.
	DataKeyMaxStale time.Duration
}

// parse fills c.Parsed from the variables that are set. A missing
// required one was reported by Load already.
func (c *Config) parse() []error {
	var errs []error
	var err error
	if c.PayloadKeys != "" {
		if c.Parsed.Payloads, err = payloadcodec.ParseKeyRing(c.PayloadKeys); err != nil {
			errs = append(errs, fmt.Errorf("PAYLOAD_KEYS: %w", err))
		}
	}
	if c.ProgrammeKeys != "" {
		if c.Parsed.Programmes, err = keys.ParseProgrammeKeys(c.ProgrammeKeys); err != nil {
			errs = append(errs, fmt.Errorf("PROGRAMME_KEYS: %w", err))
		}
	}
	if c.HandoverLinkSecrets != "" || c.HandoverLinkSecret != "" {
		linkKeys, err := handoverlink.ParseKeys(c.HandoverLinkSecrets, c.HandoverLinkSecret)
		if err == nil {
			c.Parsed.Links, err = handoverlink.NewSigner(linkKeys...)
		}
		c.Parsed.LinkKeys = linkKeys
		if err != nil {
			errs = append(errs, fmt.Errorf("HANDOVER_LINK_SECRETS/HANDOVER_LINK_SECRET: %w", err))
		}
	}
	if c.TrajectoryIDSecret != "" {
		if c.Parsed.TrajectoryID, err = trajectory.ParseIDKey(c.TrajectoryIDSecret); err != nil {
			errs = append(errs, fmt.Errorf("TRAJECTORY_ID_SECRET: %w", err))
		}
	}
	errs = append(errs, c.parseLimits()...)
	if c.TokenCacheTTL != "off" {
		d, err := time.ParseDuration(c.TokenCacheTTL)
		if err != nil || d < 0 || d > time.Minute {
			errs = append(errs, fmt.Errorf("TOKEN_CACHE_TTL %q: want a duration from 0 to 1m (a revocation takes that long to bite), or off", c.TokenCacheTTL))
		}
		c.Parsed.TokenCacheTTL = d
	}
	if c.DataKeyMaxStale != "off" {
		d, err := time.ParseDuration(c.DataKeyMaxStale)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			errs = append(errs, fmt.Errorf("DATA_KEY_MAX_STALE %q: want a duration from 1m to 24h, or off", c.DataKeyMaxStale))
		}
		c.Parsed.DataKeyMaxStale = d
	}
	if c.RetentionInterval != "off" {
		d, err := time.ParseDuration(c.RetentionInterval)
		if err != nil || d < time.Second {
			errs = append(errs, fmt.Errorf("RETENTION_INTERVAL %q: want a duration of a second or more (e.g. 1h), or off", c.RetentionInterval))
		}
		c.Parsed.RetentionEvery = d
	}
	return errs
}

// parseLimits fills c.Parsed.RateLimit.
func (c *Config) parseLimits() []error {
	var errs []error
	l := &c.Parsed.RateLimit
	for _, r := range []struct {
		name, value string
		rate        *ratelimit.Rate
	}{
		{"RATE_LIMIT_ADDRESS", c.RateLimitAddress, &l.PerAddress},
		{"RATE_LIMIT_TOKEN", c.RateLimitToken, &l.PerToken},
		{"RATE_LIMIT_SESSION", c.RateLimitSession, &l.PerSession},
		{"RATE_LIMIT_SIGN_IN", c.RateLimitSignIn, &l.SignIns},
	} {
		var err error
		if *r.rate, err = ratelimit.ParseRate(r.value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.name, err))
		}
	}
	var err error
	if l.TrustedProxies, err = ratelimit.ParseProxies(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
	}
	return errs
}
