package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"elkgezin/api"
	"elkgezin/store"
)

// plaintextDatabase says why a DATABASE_URL lets family data cross the
// network unencrypted, or "" when it does not: sslmode=disable, allow or
// prefer (which an attacker on the path downgrades) to a host that is not
// this machine. A socket or a loopback address never leaves the machine.
func plaintextDatabase(url string) string {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return "" // openStore reports the bad URL
	}
	plain := cfg.TLSConfig == nil
	for _, fb := range cfg.Fallbacks {
		plain = plain || fb.TLSConfig == nil
	}
	host := cfg.Host
	if !plain || strings.HasPrefix(host, "/") || host == "localhost" {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("DATABASE_URL lets the connection to PostgreSQL at %s go unencrypted; "+
		"set sslmode=verify-full (or require) when the database is on another machine", host)
}

// limitIdle bounds what an idle client holds of the API server: idle
// keep-alive connections and big headers cost memory anyone could claim.
func limitIdle(srv *http.Server) {
	srv.IdleTimeout = 2 * time.Minute
	srv.MaxHeaderBytes = 32 << 10
}

// rateLimit reads RATE_LIMIT_ADDRESS and RATE_LIMIT_TOKEN ("600/1m", "off").
func rateLimit() (api.RateLimit, error) {
	var rl api.RateLimit
	for _, v := range []struct {
		name string
		dst  *api.Rate
	}{{"RATE_LIMIT_ADDRESS", &rl.PerAddress}, {"RATE_LIMIT_TOKEN", &rl.PerToken}} {
		if s := os.Getenv(v.name); s != "" {
			r, err := api.ParseRate(s)
			if err != nil {
				return rl, fmt.Errorf("%s: %w", v.name, err)
			}
			*v.dst = r
		}
	}
	return rl, nil
}

// tokenCacheTTL reads TOKEN_CACHE_TTL: how long the API believes a token it
// verified without asking PostgreSQL again (store.WithTokenCache); "0" or
// "off" asks every time.
func tokenCacheTTL() (time.Duration, error) {
	s := os.Getenv("TOKEN_CACHE_TTL")
	switch s {
	case "":
		return store.DefaultTokenCacheTTL, nil
	case "0", "off":
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > time.Minute {
		return 0, fmt.Errorf("TOKEN_CACHE_TTL must be a duration from 0 to 1m (revocation takes that long to bite), or off; got %q", s)
	}
	return d, nil
}
