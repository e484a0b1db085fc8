package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/telemetry"
	"github.com/elkgezin/elkgezin/webhook"
	"github.com/elkgezin/elkgezin/worker"
)

// startTelemetry sets up metrics and tracing for service and flushes the
// traces when the returned function runs.
func startTelemetry(ctx context.Context, cfg config.Config, service string, logger *slog.Logger) (*telemetry.Telemetry, func(), error) {
	tel, err := telemetry.Setup(ctx, telemetry.Options{Service: service, Version: buildID(cfg.BuildID), OTLPEndpoint: cfg.OTLPEndpoint})
	if err != nil {
		return nil, nil, err
	}
	return tel, func() {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(flush); err != nil {
			logger.Warn("flushing telemetry failed", "error", err)
		}
	}, nil
}

// process is what the worker and the API both start from: the programme
// files, the keys every process shares, telemetry, and the keyed store.
type process struct {
	programmes programme.Catalogue
	keys       sharedKeys
	tel        *telemetry.Telemetry
	st         *store.Store
	close      func()
}

// startProcess loads and opens a process's parts, in the order in which
// each needs the one before; close flushes the traces and closes the store.
func startProcess(ctx context.Context, cfg config.Config, service string, logger *slog.Logger) (process, error) {
	programmes, err := programme.LoadDir(cfg.ProgrammesDir)
	if err != nil {
		return process{}, fmt.Errorf("load programmes: %w", err)
	}
	keys, err := loadSharedKeys(cfg, programmes.IDs())
	if err != nil {
		return process{}, err
	}
	tel, flush, err := startTelemetry(ctx, cfg, service, logger)
	if err != nil {
		return process{}, err
	}
	st, err := openKeyedStore(ctx, cfg, logger, store.WithTracer(telemetry.QueryTracer{Tracer: tel.Tracer}))
	if err != nil {
		flush()
		return process{}, err
	}
	return process{programmes: programmes, keys: keys, tel: tel, st: st, close: func() { st.Close(); flush() }}, nil
}

func runWorker(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	p, err := startProcess(ctx, cfg, "elkgezin-worker", logger)
	if err != nil {
		return err
	}
	defer p.close()
	programmes, keys, tel, st := p.programmes, p.keys, p.tel, p.st
	opts, err := temporalOptions(cfg, logger, keys.payloads, st.Vault(), tel)
	if err != nil {
		return err
	}
	tc, err := dialTemporal(ctx, cfg, opts, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	tel.RegisterBusiness(st)
	if err := tel.Serve(ctx, cfg.MetricsAddr, logger, workerHealth(st, tc)); err != nil {
		return err
	}
	wcfg := worker.Config{
		RetentionEvery:  cfg.Parsed.RetentionEvery,
		Temporal:        tc,
		Namespace:       cfg.Temporal.Namespace,
		Store:           st,
		Mail:            mailConfig(cfg),
		Programmes:      programmes,
		PublicBaseURL:   cfg.PublicBaseURL,
		Links:           keys.links,
		Logger:          logger,
		EmailsPerSecond: cfg.EmailSendRate,
		EmailSessions:   cfg.EmailSessions,
		// The SDK's sticky cache, shared by the process's two workers.
		WorkflowCacheSize: cfg.WorkflowCacheSize,
		DataKeyMaxStale:   cfg.Parsed.DataKeyMaxStale,
	}
	if wcfg.Webhooks, err = loadWebhooks(cfg, programmes); err != nil {
		return err
	}
	if tel.Tracing() {
		wcfg.Tracer = tel.Tracer
	}
	if wcfg.SMS, err = smsActivities(cfg, st); err != nil {
		return err
	}
	if cfg.Versioning {
		wcfg.Deployment = &sdkworker.WorkerDeploymentVersion{DeploymentName: cfg.DeploymentName, BuildID: buildID(cfg.BuildID)}
	}
	return worker.Run(ctx, wcfg)
}

// workerHealth are the worker's /healthz (the process answers) and /readyz
// (PostgreSQL and Temporal answer) for an orchestrator's probes.
func workerHealth(st *store.Store, tc client.Client) map[string]http.Handler {
	return map[string]http.Handler{
		"/healthz": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintln(w, `{"status":"ok"}`)
		}),
		"/readyz": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			w.Header().Set("Content-Type", "application/json")
			if err := st.Ping(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, `{"status":"not ready","detail":"PostgreSQL does not answer"}`)
				return
			}
			if _, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, `{"status":"not ready","detail":"Temporal does not answer"}`)
				return
			}
			fmt.Fprintln(w, `{"status":"ready"}`)
		}),
	}
}

// mailConfig is the SMTP server of the worker's emails and of the API's
// (a family's link).
func mailConfig(cfg config.Config) mailer.Config {
	return mailer.Config{
		Addr:     cfg.SMTPAddr,
		From:     cfg.MailFrom,
		Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword,
		Timeout:  config.SMTPTimeout,
		// Plain text only to a server on this machine (mailer.ErrNoTLS).
		ImplicitTLS: cfg.SMTPTLS == "implicit",
	}
}

func runAPI(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	services, err := programme.LoadServices(cfg.ServicesFile)
	if err != nil {
		return fmt.Errorf("load services directory: %w", err)
	}
	p, err := startProcess(ctx, cfg, "elkgezin-api", logger)
	if err != nil {
		return err
	}
	defer p.close()
	programmes, keys, tel := p.programmes, p.keys, p.tel
	st := p.st.WithTokenCache(cfg.Parsed.TokenCacheTTL, 0)
	opts, err := temporalOptions(cfg, logger, keys.payloads, st.Vault(), tel)
	if err != nil {
		return err
	}
	// Lazy: the API starts while Temporal is still coming up and answers
	// 503 until it is there, instead of refusing to start.
	tc, err := client.NewLazyClient(opts)
	if err != nil {
		return fmt.Errorf("configure Temporal client: %w", err)
	}
	defer tc.Close()
	if err := tel.Serve(ctx, cfg.MetricsAddr, logger, nil); err != nil {
		return err
	}
	web := newWeb(cfg, webParts{programmes: programmes, services: services, keys: keys, store: st, temporal: tc, logger: logger})
	srv := &http.Server{
		Addr:              cfg.APIAddr,
		Handler:           telemetry.NewHTTP(tel).Handler(web),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
	}
	limitIdle(srv)
	return serveHTTP(ctx, srv, logger, programmes.IDs())
}

// serveHTTP listens first and logs the address bound: with API_ADDR port 0
// the system picks a free port, which the log line then names. It shuts
// the server down gracefully when ctx ends.
func serveHTTP(ctx context.Context, srv *http.Server, logger *slog.Logger, programmes []string) error {
	l, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen on API_ADDR %s: %w", srv.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	logger.Info("api listening", "addr", l.Addr().String(), "programmes", programmes)
	select {
	case err := <-errc:
		return fmt.Errorf("serve HTTP on %s: %w", srv.Addr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down HTTP server: %w", err)
	}
	return nil
}

// loadWebhooks loads the partners' webhook endpoints (the worker, and
// elkgezin check), each of which must name a referrer of some programme.
func loadWebhooks(cfg config.Config, programmes programme.Catalogue) (webhook.Endpoints, error) {
	eps, err := webhook.Load(cfg.PartnerWebhooksFile, cfg.PartnerWebhookSecrets)
	if err != nil {
		return nil, err
	}
	return eps, eps.CheckPartners(programmes)
}
