package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// servePprof serves the Go profiler on PPROF_ADDR when it is set (the bench
// profiles the worker and the API this way); never on the API's own port,
// so a profile is not one route away from the public.
func servePprof(addr string, logger *slog.Logger) {
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Warn("pprof: cannot listen", "addr", addr, "error", err)
		return
	}
	logger.Info("pprof listening", "addr", l.Addr().String())
	go func() {
		if err := http.Serve(l, mux); err != nil && !errors.Is(err, net.ErrClosed) {
			logger.Warn("pprof stopped", "error", err)
		}
	}()
}
