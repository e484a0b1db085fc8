package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

const adoptTimingsUsage = `usage: elkgezin adopt-timings --programme <id> --reason <text>

Moves every running trajectory of the programme to the timings its file in
PROGRAMMES_DIR has now (each trajectory keeps the timings it was referred
with until then). The running trajectories come from the read model in
DATABASE_URL; each gets the Update adopt-programme-timings through Temporal
(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, PAYLOAD_KEYS). Running it again with
the same file changes nothing. It prints how many trajectories adopted the
timings, and exits non-zero when one could not be reached.
`

// adoptActor is who adopts the timings, in the trajectories' history.
const adoptActor = "admin:adopt-timings"

// adoptPageSize is how many trajectories are read from the read model at a time.
var adoptPageSize = store.MaxListLimit

// runningLister lists trajectories from the read model; *store.Store is one.
type runningLister interface {
	ListTrajectories(ctx context.Context, f store.Filter) (store.Page, error)
}

// workflowUpdater sends Updates; client.Client is one.
type workflowUpdater interface {
	UpdateWorkflow(ctx context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// runAdoptTimings runs `elkgezin adopt-timings`; args are the arguments after it.
func runAdoptTimings(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("adopt-timings", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), adoptTimingsUsage) }
	programmeID := fs.String("programme", "", "the programme whose running trajectories adopt its current timings")
	reason := fs.String("reason", "", "why, as the trajectories' history will say")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return fmt.Errorf("adopt-timings: %w", err)
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("adopt-timings: unexpected argument %q; give --programme and --reason", fs.Arg(0))
	case *programmeID == "":
		return errors.New("adopt-timings: --programme is required: the id of the programme whose file changed")
	case strings.TrimSpace(*reason) == "":
		return errors.New("adopt-timings: --reason is required: say why the trajectories move to the new timings")
	}
	dir := cfg.ProgrammesDir
	catalogue, err := programme.LoadDir(dir)
	if err != nil {
		return fmt.Errorf("adopt-timings: %w", err)
	}
	p, ok := catalogue.Get(*programmeID)
	if !ok {
		return fmt.Errorf("adopt-timings: programme %q is not in %s; the programmes are %s",
			*programmeID, dir, strings.Join(catalogue.IDs(), ", "))
	}
	st, err := openKeyedStore(ctx, cfg, logger)
	if err != nil {
		return fmt.Errorf("adopt-timings: %w", err)
	}
	defer st.Close()
	// Each Update is encrypted under its trajectory's data key.
	opts, err := temporalOptions(cfg, logger, cfg.Parsed.Payloads, st.Vault(), nil)
	if err != nil {
		return fmt.Errorf("adopt-timings: %w", err)
	}
	tc, err := dialTemporal(ctx, cfg, opts, logger)
	if err != nil {
		return fmt.Errorf("adopt-timings: %w", err)
	}
	defer tc.Close()
	return adoptTimings(ctx, st, tc, p, *reason, stdout)
}

// timingsUpdateID is the Update id of adopting timings t: the same for the
// same timings, so a second run sends each trajectory the Update it
// already applied, which Temporal and the workflow answer without applying
// it again. The reason is left out: rerunning with other words changes nothing.
func timingsUpdateID(t trajectory.Timings) (string, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encode timings: %w", err)
	}
	sum := sha256.Sum256(raw)
	return trajectory.UpdateAdoptTimings + "/timings-" + hex.EncodeToString(sum[:16]), nil
}

// adoptTimings sends every running trajectory of p the Update that moves
// it to p's timings, and prints the counts. A trajectory whose workflow
// refuses the Update or has ended meanwhile is counted, not an error; one
// that cannot be reached is, after the others were tried.
func adoptTimings(ctx context.Context, lister runningLister, updater workflowUpdater, p programme.Programme, reason string, stdout io.Writer) error {
	timings := p.Timings()
	updateID, err := timingsUpdateID(timings)
	if err != nil {
		return fmt.Errorf("adopt-timings: %w", err)
	}
	req := trajectory.AdoptTimings{Timings: timings, Reason: reason, By: adoptActor}
	var adopted, refused, ended, running int
	var failures []error
	f := store.Filter{ProgrammeID: p.ID, Limit: adoptPageSize}
	for {
		page, err := lister.ListTrajectories(ctx, f)
		if err != nil {
			return fmt.Errorf("adopt-timings: list the trajectories of %s: %w", p.ID, err)
		}
		for _, t := range page.Items {
			if t.Phase == trajectory.PhaseClosed {
				continue
			}
			running++
			err := adoptOne(ctx, updater, t.ID, updateID, req)
			var appErr *temporal.ApplicationError
			var notFound *serviceerror.NotFound
			switch {
			case err == nil:
				adopted++
			case errors.As(err, &appErr) && appErr.Type() == trajectory.ErrStepRejected:
				refused++
				fmt.Fprintf(stdout, "%s: refused: %s\n", t.ID, appErr.Message())
			case errors.As(err, &notFound):
				ended++
			default:
				failures = append(failures, fmt.Errorf("trajectory %s: %w", t.ID, err))
			}
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	fmt.Fprintf(stdout, "programme %s: %d of %d running trajectories adopted the current timings (%d refused, %d ended meanwhile, %d failed)\n",
		p.ID, adopted, running, refused, ended, len(failures))
	if len(failures) > 0 {
		return fmt.Errorf("adopt-timings: %d trajectories could not be reached; run the command again: %w", len(failures), errors.Join(failures...))
	}
	return nil
}

func adoptOne(ctx context.Context, updater workflowUpdater, id, updateID string, req trajectory.AdoptTimings) error {
	handle, err := updater.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateName:   trajectory.UpdateAdoptTimings,
		UpdateID:     updateID,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return handle.Get(ctx, nil)
}
