package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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
