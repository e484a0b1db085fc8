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
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
	_ "time/tzdata" // emails show Europe/Brussels times on hosts without a zone database

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"google.golang.org/grpc"

	"elkgezin/handoverlink"
	"elkgezin/keys"
	"elkgezin/mailer"
	"elkgezin/payloadcodec"
	"elkgezin/programme"
	"elkgezin/store"
	"elkgezin/trajectory"
	"elkgezin/worker"
)

// smtpTimeout bounds one SMTP transaction; the worker's stop timeout is
// derived from it (worker.StopTimeout), so a deploy lets an email finish.
const smtpTimeout = 15 * time.Second

const usage = `usage: elkgezin <command>

commands:
  setup     register the search attributes in the Temporal namespace, once per
            namespace, with operator rights (the worker only checks them)
  worker    run the Temporal worker (trajectory workflow, activities)
  api       serve the HTTP API
  check     validate the programme files and the services directory, and exit
  token     manage API tokens: token create|revoke|list (elkgezin token -h)
  report    the fund's anonymised export of every programme:
            report --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|json]
  erase     erase a trajectory by destroying its data key: erase --trajectory ID
  rewrap    wrap every data key anew under its programme's newest key

environment (defaults in brackets):
  TEMPORAL_ADDRESS   [127.0.0.1:7233]
  TEMPORAL_NAMESPACE [default]
  DATABASE_URL       [postgres://postgres@127.0.0.1:5432/elkgezin?sslmode=disable]
  PROGRAMMES_DIR     [deploy/programmes]
  SERVICES_FILE      [deploy/services.yaml]  directory of regular services for handovers
  PAYLOAD_KEYS       (required) "id:base64key,..." AES-256 keys that encrypt the
                     payloads of no trajectory, and decrypt older ones; the first encrypts
  PROGRAMME_KEYS     (required) "programme:name:base64key,..." AES-256 keys that wrap
                     each trajectory's data key; per programme the first wraps, all unwrap
  RETENTION_INTERVAL [1h] how often the worker's schedule erases trajectories past
                     their programme's retention_after_closure; "off": no schedule
  CODEC_CORS_ORIGIN  [http://127.0.0.1:8233] the Temporal UI's origin, allowed to
                     call the API's codec endpoint (/codec) for supervisors
  TRAJECTORY_ID_SECRET  (required, api) base64 of 32 random bytes or more; keys
                     trajectory ids so they reveal nothing of the referrer's reference
  HANDOVER_LINK_SECRETS "id:base64key,..." (this or HANDOVER_LINK_SECRET required) keys
                     of 32 random bytes or more, shared by worker and api, that seal the
                     acknowledgement links of handover emails; the first seals, all open
  HANDOVER_LINK_SECRET  a single such key, base64 (links it signed before keep working)
  SMTP_ADDR          [127.0.0.1:1025]
  SMTP_TLS           [starttls] or implicit (SMTPS, port 465); plain text only to loopback
  SMTP_USERNAME, SMTP_PASSWORD (optional)
  MAIL_FROM          [elkgezin@localhost]
  EMAIL_SEND_RATE    [50]  emails per second at most, over all workers (the
                     email task queue's rate limit): protects the mail server
  PUBLIC_BASE_URL    [http://127.0.0.1:8080]  the pages' address, in email links; must be
                     https:// unless DEV_INSECURE_COOKIES=1
  DEV_INSECURE_COOKIES  development over plain HTTP only: session cookie without
                     Secure, no HSTS, http:// PUBLIC_BASE_URL allowed
  TEMPORAL_UI_URL    [http://127.0.0.1:8233]  for supervisors' links to a workflow
  RATE_LIMIT_ADDRESS [600/1m] requests per client address (429 beyond); off
  RATE_LIMIT_TOKEN   [300/1m] requests per token; off
  TOKEN_CACHE_TTL    [5s] how long the api believes a token it verified without asking
                     PostgreSQL (a revocation by elkgezin token revoke bites within it); off
  API_ADDR           [127.0.0.1:8080]  port 0: a free port, named in the log
  LOG_LEVEL          [info]
  PPROF_ADDR         (optional) host:port for the Go profiler of worker or api
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
	case "setup":
		err = runSetup(ctx, logger)
	case "worker":
		servePprof(logger)
		err = runWorker(ctx, logger)
	case "api":
		servePprof(logger)
		err = runAPI(ctx, logger)
	case "token":
		err = runToken(ctx, os.Args[2:], os.Stdout)
	case "erase":
		err = runErase(ctx, os.Args[2:], os.Stdout, logger)
	case "rewrap":
		err = runRewrap(ctx, os.Stdout, logger)
	case "adopt-timings":
		err = runAdoptTimings(ctx, os.Args[2:], os.Stdout, logger)
	case "report":
		err = runReport(ctx, os.Args[2:], os.Stdout, logger)
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

// runSetup registers the search attributes; run once per namespace by an
// operator, before the first worker starts.
func runSetup(ctx context.Context, logger *slog.Logger) error {
	namespace := env("TEMPORAL_NAMESPACE", "default")
	// No payload codec: setup hands Temporal no payloads.
	tc, err := dialTemporal(ctx, temporalOptions(logger, nil, nil), logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	added, err := worker.RegisterSearchAttributes(ctx, tc.OperatorService(), namespace)
	if err != nil {
		return err
	}
	logger.Info("search attributes registered", "namespace", namespace, "added", added)
	return nil
}

func runWorker(ctx context.Context, logger *slog.Logger) error {
	programmes, err := programme.LoadDir(env("PROGRAMMES_DIR", "deploy/programmes"))
	if err != nil {
		return fmt.Errorf("load programmes: %w", err)
	}
	keys, err := loadSharedKeys(programmes.IDs())
	if err != nil {
		return err
	}
	every, err := retentionInterval()
	if err != nil {
		return err
	}
	smtpTLS := env("SMTP_TLS", "starttls")
	if smtpTLS != "starttls" && smtpTLS != "implicit" {
		return fmt.Errorf("SMTP_TLS is %q: use starttls or implicit", smtpTLS)
	}
	st, err := openKeyedStore(ctx, logger, keys)
	if err != nil {
		return err
	}
	defer st.Close()
	rate, err := strconv.ParseFloat(env("EMAIL_SEND_RATE", strconv.Itoa(worker.DefaultEmailsPerSecond)), 64)
	if err != nil || rate <= 0 {
		return fmt.Errorf("EMAIL_SEND_RATE must be a positive number of emails per second, got %q", os.Getenv("EMAIL_SEND_RATE"))
	}
	tc, err := dialTemporal(ctx, temporalOptions(logger, keys.payloads, st.Vault()), logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	return worker.Run(ctx, worker.Config{
		RetentionEvery: every,
		Temporal:       tc,
		Namespace:      env("TEMPORAL_NAMESPACE", "default"),
		Store:          st,
		Mail: mailer.Config{
			Addr:     env("SMTP_ADDR", "127.0.0.1:1025"),
			From:     env("MAIL_FROM", "elkgezin@localhost"),
			Username: os.Getenv("SMTP_USERNAME"),
			Password: os.Getenv("SMTP_PASSWORD"),
			Timeout:  smtpTimeout,
			// Plain text only to a server on this machine (mailer.ErrNoTLS).
			ImplicitTLS: smtpTLS == "implicit",
		},
		Programmes:      programmes,
		PublicBaseURL:   env("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
		Links:           keys.links,
		Logger:          logger,
		EmailsPerSecond: rate,
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
	keys, err := loadSharedKeys(programmes.IDs())
	if err != nil {
		return err
	}
	idKey, err := trajectory.ParseIDKey(os.Getenv("TRAJECTORY_ID_SECRET"))
	if err != nil {
		return fmt.Errorf("TRAJECTORY_ID_SECRET: %w", err)
	}
	limits, err := rateLimit()
	if err != nil {
		return err
	}
	tokenTTL, err := tokenCacheTTL()
	if err != nil {
		return err
	}
	st, err := openKeyedStore(ctx, logger, keys)
	if err != nil {
		return err
	}
	defer st.Close()
	st = st.WithTokenCache(tokenTTL, 0)
	// Lazy: the API starts while Temporal is still coming up and answers
	// 503 until it is there, instead of refusing to start.
	tc, err := client.NewLazyClient(temporalOptions(logger, keys.payloads, st.Vault()))
	if err != nil {
		return fmt.Errorf("configure Temporal client: %w", err)
	}
	defer tc.Close()
	web, err := newWeb(webParts{programmes: programmes, services: services, keys: keys, idKey: idKey, limits: limits, store: st, temporal: tc, logger: logger})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              env("API_ADDR", "127.0.0.1:8080"),
		Handler:           web,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
	}
	limitIdle(srv)
	// Listen first and log the address bound: with API_ADDR port 0 the
	// system picks a free port, which the log line then names.
	l, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen on API_ADDR %s: %w", srv.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	logger.Info("api listening", "addr", l.Addr().String(), "programmes", programmes.IDs())
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
	links      *handoverlink.Signer
	payloads   *payloadcodec.KeyRing
	programmes *keys.ProgrammeKeys
}

// loadSharedKeys reads the secrets; every programme must have a key.
func loadSharedKeys(programmeIDs []string) (sharedKeys, error) {
	linkKeys, err := handoverlink.ParseKeys(os.Getenv("HANDOVER_LINK_SECRETS"), os.Getenv("HANDOVER_LINK_SECRET"))
	if err != nil {
		return sharedKeys{}, err
	}
	links, err := handoverlink.NewSigner(linkKeys...)
	if err != nil {
		return sharedKeys{}, err
	}
	ring, err := payloadcodec.ParseKeyRing(os.Getenv("PAYLOAD_KEYS"))
	if err != nil {
		return sharedKeys{}, fmt.Errorf("PAYLOAD_KEYS: %w", err)
	}
	pk, err := keys.ParseProgrammeKeys(os.Getenv("PROGRAMME_KEYS"))
	if err == nil {
		err = pk.Cover(programmeIDs)
	}
	if err != nil {
		return sharedKeys{}, fmt.Errorf("PROGRAMME_KEYS: %w", err)
	}
	return sharedKeys{links: links, payloads: ring, programmes: pk}, nil
}

// openKeyedStore is openStore with the programme keys, which seal the
// personal fields under each trajectory's data key.
func openKeyedStore(ctx context.Context, logger *slog.Logger, k sharedKeys) (*store.Store, error) {
	st, err := openStore(ctx, logger)
	if err != nil {
		return nil, err
	}
	return st.WithKeys(k.programmes), nil
}

// openStore connects to PostgreSQL and migrates, waiting up to a minute for
// a database that is still starting.
func openStore(ctx context.Context, logger *slog.Logger) (*store.Store, error) {
	url := env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/elkgezin?sslmode=disable")
	if warning := plaintextDatabase(url); warning != "" {
		logger.Warn(warning)
	}
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
// worker and the API hand to Temporal is encrypted before it leaves; a nil
// ring is for commands that hand Temporal no payloads.
func temporalOptions(logger *slog.Logger, ring *payloadcodec.KeyRing, dataKeys payloadcodec.DataKeys) client.Options {
	opts := client.Options{
		HostPort:  env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		Namespace: env("TEMPORAL_NAMESPACE", "default"),
		Logger:    log.NewStructuredLogger(logger),
	}
	if ring != nil {
		opts.DataConverter, opts.FailureConverter = payloadcodec.ClientOptionsWithDataKeys(ring, dataKeys)
		// Summaries (no personal data) go to Temporal in clear, so the UI
		// shows them to a supervisor who cannot decode.
		codec := payloadcodec.NewCodec(ring)
		if dataKeys != nil {
			codec = codec.WithDataKeys(dataKeys)
		}
		opts.ConnectionOptions.DialOptions = append(opts.ConnectionOptions.DialOptions,
			grpc.WithChainUnaryInterceptor(payloadcodec.PlainUserMetadata(codec)))
	}
	return opts
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
