package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"

	"github.com/gorilla/mux"
)

// servePprof serves the Go profiler on PPROF_ADDR when it is set (the bench
// profiles the worker and the API this way); never on the API's own port,
// so a profile is not one route away from the public.
func servePprof(addr string, logger *slog.Logger) {
	if addr == "" {
		return
	}
	r := mux.NewRouter()
	r.HandleFunc("/debug/pprof/profile", pprof.Profile)
	r.HandleFunc("/debug/pprof/trace", pprof.Trace)
	r.PathPrefix("/debug/pprof/").HandlerFunc(pprof.Index)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Warn("pprof: cannot listen", "addr", addr, "error", err)
		return
	}
	logger.Info("pprof listening", "addr", l.Addr().String())
	go func() {
		if err := http.Serve(l, r); err != nil && !errors.Is(err, net.ErrClosed) {
			logger.Warn("pprof stopped", "error", err)
		}
	}()
}
