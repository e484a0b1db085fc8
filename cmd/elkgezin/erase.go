package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/retention"
	"github.com/elkgezin/elkgezin/store"
)

// adminActor is who erases from the command line, in the audit log: the
// operator's login when the shell says it.
func adminActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "admin:" + u
	}
	return "admin:cli"
}

const eraseUsage = "usage: elkgezin erase --trajectory tr-... --reason TEXT"

// runErase erases one trajectory: it ends its workflow and destroys its
// data key, and audits the erasure with its reason.
func runErase(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	id := fs.String("trajectory", "", "the trajectory to erase (tr-...)")
	reason := fs.String("reason", "", "why, for the audit log, in a few words without personal data (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(*id, "tr-") || fs.NArg() > 0 {
		return errors.New(eraseUsage)
	}
	*reason = strings.TrimSpace(*reason)
	if err := retention.CheckReason(*reason); err != nil {
		return fmt.Errorf("erase: --reason %w (%s)", err, eraseUsage)
	}
	st, err := openKeyedStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	opts, err := temporalOptions(cfg, logger, cfg.Parsed.Payloads, st.Vault(), nil)
	if err != nil {
		return err
	}
	tc, err := dialTemporal(ctx, cfg, opts, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	eraser := retention.Eraser{Temporal: tc, Namespace: cfg.Temporal.Namespace, Store: st}
	erased, err := eraser.Erase(ctx, *id)
	if err != nil {
		return err
	}
	if err := eraser.Audit(ctx, adminActor(), *id, *reason, erased); err != nil {
		return fmt.Errorf("erase %s: the key is destroyed, but the audit entry could not be written: %w", *id, err)
	}
	if erased {
		fmt.Fprintf(stdout, "%s erased: its data key is destroyed\n", *id)
	} else {
		fmt.Fprintf(stdout, "%s was erased before\n", *id)
	}
	return nil
}

// runRewrap wraps every data key under its programme's newest key and
// says which programme keys still wrap any (none, for a key to drop).
func runRewrap(ctx context.Context, cfg config.Config, stdout io.Writer, logger *slog.Logger) error {
	st, err := openKeyedStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Vault().Rewrap(ctx)
	if err != nil {
		return fmt.Errorf("rewrap (after %d data keys): %w", n, err)
	}
	inUse, err := st.Vault().KeysInUse(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d data keys rewrapped\n", n)
	for _, id := range cfg.Parsed.Programmes.IDs() {
		fmt.Fprintf(stdout, "%-48s wraps %d data keys\n", id, inUse[id])
	}
	if err := st.Audit(ctx, store.AuditEntry{Actor: adminActor(), Action: "rewrap_data_keys", Outcome: store.OutcomeOK,
		Detail: map[string]string{"rewrapped": fmt.Sprint(n), "at": time.Now().UTC().Format(time.RFC3339)}}); err != nil {
		return fmt.Errorf("rewrap: audit: %w", err)
	}
	return nil
}
