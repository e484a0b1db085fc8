// Command elkgezin runs the parts of elkgezin as separate processes, so they
// scale separately: `elkgezin worker` hosts the workflows and activities,
// `elkgezin api` serves the HTTP API. Both are configured by environment
// variables, all read by package config (docs/configuration.md).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"
	_ "time/tzdata" // emails show Europe/Brussels times on hosts without a zone database

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"google.golang.org/grpc"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/telemetry"
	"github.com/elkgezin/elkgezin/worker"
)

func main() {
	if len(os.Args) < 2 || !slices.Contains(config.Commands, os.Args[1]) {
		fmt.Fprint(os.Stderr, config.Usage())
		os.Exit(2)
	}
	command := os.Args[1]
	cfg, err := config.FromEnv(command)
	logger := newLogger(cfg)
	if err != nil {
		logger.Error("elkgezin "+command+": "+err.Error(), "hint", "elkgezin without arguments lists the variables")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch command {
	case "setup":
		err = runSetup(ctx, cfg, logger)
	case "worker":
		servePprof(cfg.PprofAddr, logger)
		err = runWorker(ctx, cfg, logger)
	case "api":
		servePprof(cfg.PprofAddr, logger)
		err = runAPI(ctx, cfg, logger)
	case "token":
		err = runToken(ctx, cfg, os.Args[2:], os.Stdout)
	case "erase":
		err = runErase(ctx, cfg, os.Args[2:], os.Stdout, logger)
	case "rewrap":
		err = runRewrap(ctx, cfg, os.Stdout, logger)
	case "adopt-timings":
		err = runAdoptTimings(ctx, cfg, os.Args[2:], os.Stdout, logger)
	case "report":
		err = runReport(ctx, cfg, os.Args[2:], os.Stdout, logger)
	case "unconfirmed":
		err = runUnconfirmed(ctx, cfg, os.Args[2:], os.Stdout, logger)
	case "rollout":
		err = runRollout(ctx, cfg, os.Args[2:], logger)
	case "versions":
		err = runVersions(ctx, cfg, os.Args[2:], os.Stdout, logger)
	case "version":
		fmt.Println(buildID(cfg.BuildID))
	case "check":
		var programmes programme.Catalogue
		if programmes, err = programme.LoadDir(cfg.ProgrammesDir); err == nil {
			_, err = programme.LoadServices(cfg.ServicesFile)
		}
		if err == nil {
			_, err = loadWebhooks(cfg, programmes)
		}
	}
	if err != nil {
		logger.Error("elkgezin "+command+" failed", "error", err)
		os.Exit(1)
	}
}

// runSetup registers the search attributes; run once per namespace by an
// operator, before the first worker starts.
func runSetup(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	tc, err := dialWithoutCodec(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	added, err := worker.RegisterSearchAttributes(ctx, tc.OperatorService(), cfg.Temporal.Namespace)
	if err != nil {
		return err
	}
	if len(added) > 0 {
		logger.Info("search attributes registered; waiting until every Temporal service uses them", "namespace", cfg.Temporal.Namespace, "added", added)
		wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := worker.WaitSearchAttributesUsable(wait, tc.WorkflowService(), cfg.Temporal.Namespace, added); err != nil {
			return err
		}
	}
	logger.Info("search attributes ready", "namespace", cfg.Temporal.Namespace, "added", added)
	return nil
}

// sharedKeys are the secrets the worker and the API must hold alike: the
// worker signs handover links and the API checks them; both encrypt and
// decrypt Temporal payloads.
type sharedKeys struct {
	links       *handoverlink.Signer
	familyLinks *familylink.Signer
	payloads    *payloadcodec.KeyRing
	programmes  *keys.ProgrammeKeys
}

// loadSharedKeys takes the keys config parsed; every programme must have a
// key, which only the loaded programme files can tell.
func loadSharedKeys(cfg config.Config, programmeIDs []string) (sharedKeys, error) {
	if err := cfg.Parsed.Programmes.Cover(programmeIDs); err != nil {
		return sharedKeys{}, fmt.Errorf("PROGRAMME_KEYS: %w", err)
	}
	k := sharedKeys{links: cfg.Parsed.Links, payloads: cfg.Parsed.Payloads, programmes: cfg.Parsed.Programmes}
	if len(cfg.Parsed.LinkKeys) > 0 {
		var err error
		if k.familyLinks, err = familylink.NewSigner(cfg.Parsed.LinkKeys...); err != nil {
			return sharedKeys{}, fmt.Errorf("HANDOVER_LINK_SECRETS/HANDOVER_LINK_SECRET: %w", err)
		}
	}
	return k, nil
}

// openKeyedStore is openStore with the programme keys, which seal the
// personal fields under each trajectory's data key.
func openKeyedStore(ctx context.Context, cfg config.Config, logger *slog.Logger, opts ...store.Option) (*store.Store, error) {
	st, err := openStore(ctx, cfg, logger, opts...)
	if err != nil {
		return nil, err
	}
	return st.WithKeys(cfg.Parsed.Programmes), nil
}

// openStore connects to PostgreSQL and migrates, waiting up to a minute for
// a database that is still starting.
func openStore(ctx context.Context, cfg config.Config, logger *slog.Logger, opts ...store.Option) (*store.Store, error) {
	if warning := plaintextDatabase(cfg.DatabaseURL); warning != "" {
		logger.Warn(warning)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := store.Open(ctx, cfg.DatabaseURL, opts...)
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
func dialTemporal(ctx context.Context, cfg config.Config, opts client.Options, logger *slog.Logger) (client.Client, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		tc, err := client.DialContext(ctx, opts)
		if err == nil {
			return tc, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.Temporal.Describe(), err)
		}
		logger.Warn("Temporal not ready, retrying", "error", err)
		time.Sleep(2 * time.Second)
	}
}

// temporalOptions are the client options of the configured profile (TLS,
// API key) with the payload codec, so everything the worker and the API
// hand to Temporal is encrypted before it leaves, and the telemetry's
// metrics and tracing. A nil ring is for commands that hand Temporal no
// payloads; a nil tel for those that are not observed.
// dialWithoutCodec connects an operator's command that hands Temporal no
// personal data: no payload codec, no telemetry.
func dialWithoutCodec(ctx context.Context, cfg config.Config, logger *slog.Logger) (client.Client, error) {
	opts, err := temporalOptions(cfg, logger, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return dialTemporal(ctx, cfg, opts, logger)
}

func temporalOptions(cfg config.Config, logger *slog.Logger, ring *payloadcodec.KeyRing, dataKeys payloadcodec.DataKeys, tel *telemetry.Telemetry) (client.Options, error) {
	opts, err := cfg.Temporal.ClientOptions()
	if err != nil {
		return opts, err
	}
	opts.Logger = log.NewStructuredLogger(logger)
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
	if tel != nil {
		if err := tel.Instrument(&opts); err != nil {
			return opts, err
		}
	}
	return opts, nil
}

func newLogger(cfg config.Config) *slog.Logger {
	level, err := cfg.Level()
	if err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
