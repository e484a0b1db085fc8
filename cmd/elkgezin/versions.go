package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/rollover"
	"github.com/elkgezin/elkgezin/workflows"
)

// runVersions tells which code revisions the running trajectories began
// on, rolls those of older revisions over onto the code that runs now, and
// checks that none is left (docs/design/versioning.md):
//
//	elkgezin versions [list]
//	elkgezin versions roll-over [--below N] [--per-second 10]
//	elkgezin versions check [--below N]
func runVersions(ctx context.Context, cfg config.Config, args []string, out io.Writer, logger *slog.Logger) error {
	verb := "list"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		verb, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("versions "+verb, flag.ContinueOnError)
	below := fs.Int("below", int(workflows.Revision), "the revision the runs must have reached (this build's)")
	perSecond := fs.Float64("per-second", 10, "roll-over Updates a second at most")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 || *below < 1 || *perSecond <= 0 {
		return errors.New("versions: list, roll-over or check, --below 1 or more, --per-second above zero, and no other arguments")
	}
	// No payload codec: listing hands Temporal no payloads, and the
	// roll-over's only payload is the operator's id.
	tc, err := dialWithoutCodec(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	runs, err := rollover.Running(ctx, tc, cfg.Temporal.Namespace)
	if err != nil {
		return err
	}
	old := rollover.Below(runs, *below)
	switch verb {
	case "list":
		byRevision := map[int]int{}
		for _, r := range runs {
			byRevision[r.Revision]++
		}
		fmt.Fprintf(out, "running trajectories: %d (this build is revision %d)\n", len(runs), workflows.Revision)
		for _, rev := range slices.Sorted(maps.Keys(byRevision)) {
			fmt.Fprintf(out, "  revision %d: %d\n", rev, byRevision[rev])
		}
		return nil
	case "check":
		if len(old) > 0 {
			return fmt.Errorf("%d running trajectories began on a revision below %d (e.g. %s): roll them over first (elkgezin versions roll-over)", len(old), *below, old[0].WorkflowID)
		}
		fmt.Fprintf(out, "no running trajectory began on a revision below %d: the old branches of the changes it retired can be deleted\n", *below)
		return nil
	case "roll-over":
		rolled, failures := rollover.RollOver(ctx, tc, old, rollover.Options{PerSecond: *perSecond, By: "operator", Logger: logger})
		fmt.Fprintf(out, "rolled over %d of %d running trajectories below revision %d\n", rolled, len(old), *below)
		if len(failures) > 0 {
			return fmt.Errorf("%d roll-overs failed (run it again: a roll-over sent again is the same Update): %w", len(failures), errors.Join(failures...))
		}
		return nil
	}
	return fmt.Errorf("versions: unknown %q: list, roll-over or check", verb)
}
