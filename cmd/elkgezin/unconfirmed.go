package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/elkgezin/elkgezin/config"
)

// runUnconfirmed lists the emails no mail server confirmed: unconfirmed
// ones (the trajectory's supervisor was told), and ones still committing
// longer than --stuck-for (a worker died, and no retry has come yet). The
// operator looks each Message-ID up in the mail server's log, the one
// place that knows whether it arrived. No address and no subject: only the
// key (trajectory id, step, kind, recipient role) and the Message-ID.
func runUnconfirmed(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("unconfirmed", flag.ContinueOnError)
	stuckFor := fs.Duration("stuck-for", 10*time.Minute, "list a committing email once it has been committing this long")
	limit := fs.Int("limit", 100, "list at most this many, oldest change first")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *stuckFor < 0 || *limit < 1 {
		return fmt.Errorf("unconfirmed: --stuck-for must not be negative, and --limit at least 1")
	}
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	emails, err := st.EmailsInDoubt(ctx, time.Now().Add(-*stuckFor), *limit)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STATUS\tATTEMPTS\tCOMMITTING SINCE\tMESSAGE-ID\tKEY")
	for _, e := range emails {
		since := "-"
		if e.CommittingAt != nil {
			since = e.CommittingAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", e.Status, e.Attempts, since, e.MessageID, e.Key)
	}
	return w.Flush()
}
