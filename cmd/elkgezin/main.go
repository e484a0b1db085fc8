// Command elkgezin runs the parts of elkgezin as separate processes, so they
// scale separately: `elkgezin worker` hosts the workflows and activities,
// `elkgezin api` serves the HTTP API. Both are configured by environment
// variables (see README.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // emails show Europe/Brussels times on hosts without a zone database

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"elkgezin/api"
	"elkgezin/handoverlink"
	"elkgezin/mailer"
	"elkgezin/payloadcodec"
	"elkgezin/programme"
	"elkgezin/store"
	"elkgezin/worker"
)

const usage = `usage: elkgezin <command>

commands:
  worker    run the Temporal worker (trajectory workflow, activities)
  api       serve the HTTP API
  check     validate the programme files and the services directory, and exit
  token     manage API tokens: token create|revoke|list (elkgezin token -h)

environment (defaults in brackets):
  TEMPORAL_ADDRESS   [127.0.0.1:7233]
  TEMPORAL_NAMESPACE [default]
  DATABASE_URL       [postgres://postgres@127.0.0.1:5432/elkgezin?sslmode=disable]
  PROGRAMMES_DIR     [deploy/programmes]
  SERVICES_FILE      [deploy/services.yaml]  directory of regular services for handovers
  PAYLOAD_KEYS       (required) "id:base64key,..." AES-256 keys that encrypt every
                     payload Temporal stores; the first encrypts, all decrypt
  CODEC_CORS_ORIGIN  [http://127.0.0.1:8233] the Temporal UI's origin, allowed to
                     call the API's codec endpoint (/codec) for supervisors
  HANDOVER_LINK_SECRET  (required) at least 32 bytes shared by worker and api; signs
                     the acknowledgement links in handover emails
  SMTP_ADDR          [127.0.0.1:1025]
  SMTP_USERNAME, SMTP_PASSWORD (optional)
  MAIL_FROM          [elkgezin@localhost]
  PUBLIC_BASE_URL    [http://127.0.0.1:8080]
  API_ADDR           [127.0.0.1:8080]
  LOG_LEVEL          [info]
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	logger := newLogger()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch os.Args[1] {
	case "worker":
		err = runWorker(ctx, logger)
	case "api":
		err = runAPI(ctx, logger)
	case "token":
		err = runToken(ctx, os.Args[2:], os.Stdout)
	case "adopt-timings":
		err = runAdoptTimings(ctx, os.Args[2:], os.Stdout, logger)
	case "check":
		if _, err = programme.LoadDir(env("PROGRAMMES_DIR", "deploy/programmes")); err == nil {
			_, err = programme.LoadServices(env("SERVICES_FILE", "deploy/services.yaml"))
		}
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		logger.Error("elkgezin "+os.Args[1]+" failed", "error", err)
		os.Exit(1)
	}
}

func runWorker(ctx context.Context, logger *slog.Logger) error {
	keys, err := loadSharedKeys()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	tc, err := dialTemporal(ctx, temporalOptions(logger, keys.payloads), logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	return worker.Run(ctx, worker.Config{
		Temporal:  tc,
		Namespace: env("TEMPORAL_NAMESPACE", "default"),
		Store:     st,
		Mail: mailer.Config{
			Addr:     env("SMTP_ADDR", "127.0.0.1:1025"),
			From:     env("MAIL_FROM", "elkgezin@localhost"),
			Username: os.Getenv("SMTP_USERNAME"),
			Password: os.Getenv("SMTP_PASSWORD"),
			Timeout:  15 * time.Second,
		},
		PublicBaseURL: env("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
		Links:         keys.links,
		Logger:        logger,
	})
}

func runAPI(ctx context.Context, logger *slog.Logger) error {
	programmes, err := programme.LoadDir(env("PROGRAMMES_DIR", "deploy/programmes"))
	if err != nil {
		return fmt.Errorf("load programmes: %w", err)
	}
	services, err := programme.LoadServices(env("SERVICES_FILE", "deploy/services.yaml"))
	if err != nil {
		return fmt.Errorf("load services directory: %w", err)
	}
	keys, err := loadSharedKeys()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	// Lazy: the API starts while Temporal is still coming up and answers
	// 503 until it is there, instead of refusing to start.
	tc, err := client.NewLazyClient(temporalOptions(logger, keys.payloads))
	if err != nil {
		return fmt.Errorf("configure Temporal client: %w", err)
	}
	defer tc.Close()
	auth := api.TokenAuthenticator{Store: st}

	srv := &http.Server{
		Addr: env("API_ADDR", "127.0.0.1:8080"),
		Handler: api.NewHandler(api.Config{
			Programmes: programmes,
			Services:   services,
			Links:      keys.links,
			Temporal:   tc,
			Store:      st,
			Auth:       auth,
			Audit:      st,
			// The Temporal UI decodes payloads here, for supervisors only.
			Codec:  payloadcodec.NewHandler(payloadcodec.NewCodec(keys.payloads), env("CODEC_CORS_ORIGIN", "http://127.0.0.1:8233"), api.SupervisorAuthorizer(auth)),
			Logger: logger,
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("api listening", "addr", srv.Addr, "programmes", programmes.IDs())
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

// sharedKeys are the secrets the worker and the API must hold alike: the
// worker signs handover links and the API checks them; both encrypt and
// decrypt Temporal payloads.
type sharedKeys struct {
	links    *handoverlink.Signer
	payloads *payloadcodec.KeyRing
}

func loadSharedKeys() (sharedKeys, error) {
	links, err := handoverlink.NewSigner([]byte(os.Getenv("HANDOVER_LINK_SECRET")))
	if err != nil {
		return sharedKeys{}, fmt.Errorf("HANDOVER_LINK_SECRET: %w", err)
	}
	ring, err := payloadcodec.ParseKeyRing(os.Getenv("PAYLOAD_KEYS"))
	if err != nil {
		return sharedKeys{}, fmt.Errorf("PAYLOAD_KEYS: %w", err)
	}
	return sharedKeys{links: links, payloads: ring}, nil
}

// openStore connects to PostgreSQL and migrates, waiting up to a minute for
// a database that is still starting.
func openStore(ctx context.Context, logger *slog.Logger) (*store.Store, error) {
	url := env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/elkgezin?sslmode=disable")
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := store.Open(ctx, url)
		if err == nil {
			return st, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("open PostgreSQL (DATABASE_URL): %w", err)
		}
		logger.Warn("PostgreSQL not ready, retrying", "error", err)
		time.Sleep(2 * time.Second)
	}
}

// dialTemporal connects to Temporal, waiting up to a minute for a server
// that is still starting (the dev stack starts everything at once).
func dialTemporal(ctx context.Context, opts client.Options, logger *slog.Logger) (client.Client, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		tc, err := client.DialContext(ctx, opts)
		if err == nil {
			return tc, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to Temporal at %s: %w", env("TEMPORAL_ADDRESS", "127.0.0.1:7233"), err)
		}
		logger.Warn("Temporal not ready, retrying", "error", err)
		time.Sleep(2 * time.Second)
	}
}

// temporalOptions connects with the payload codec, so everything the
// worker and the API hand to Temporal is encrypted before it leaves.
func temporalOptions(logger *slog.Logger, ring *payloadcodec.KeyRing) client.Options {
	dc, fc := payloadcodec.ClientOptions(ring)
	return client.Options{
		HostPort:         env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		Namespace:        env("TEMPORAL_NAMESPACE", "default"),
		Logger:           log.NewStructuredLogger(logger),
		DataConverter:    dc,
		FailureConverter: fc,
	}
}

func newLogger() *slog.Logger {
	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
