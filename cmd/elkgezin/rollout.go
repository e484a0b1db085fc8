package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/rollout"
	"github.com/elkgezin/elkgezin/worker"
)

// runRollout makes this build (BUILD_ID, else the version built into the
// binary) the current version of the worker deployment, in the order of
// package rollout: --start starts its workers, and --retire stops the old
// version's once it is drained. deploy/cluster runs both.
func runRollout(ctx context.Context, cfg config.Config, args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	start := fs.String("start", "", "shell command that starts workers of this version, while the old version's keep polling (empty: they run already)")
	retire := fs.String("retire", "", "shell command that stops the old version's workers, run once it is drained (empty: none, and no wait)")
	pollTimeout := fs.Duration("poll-timeout", 2*time.Minute, "how long the new version's workers may take to poll every task queue")
	drainTimeout := fs.Duration("drain-timeout", 10*time.Minute, "how long the old version may take to drain; then its workers are kept and the rollout fails")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 || *pollTimeout <= 0 || *drainTimeout <= 0 {
		return fmt.Errorf("rollout: no arguments beyond the flags, and timeouts above zero")
	}
	tc, err := dialWithoutCodec(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	to := buildID(cfg.BuildID)
	logger.Info("rollout begins", "deployment", cfg.DeploymentName, "to", to, "namespace", cfg.Temporal.Namespace)
	return rollout.Run(ctx, tc.WorkerDeploymentClient().GetHandle(cfg.DeploymentName), rollout.Workers{
		Start:  shellStep(*start),
		Retire: shellStep(*retire),
	}, to, rollout.Options{
		Queues:       worker.Queues,
		PollTimeout:  *pollTimeout,
		DrainTimeout: *drainTimeout,
		Every:        time.Second,
		Logger:       logger,
	})
}

// shellStep runs command with sh -c, its output on stderr, and the plan in
// ROLLOUT_FROM, ROLLOUT_TO and ROLLOUT_OLD (comma-separated); nil for no
// command.
func shellStep(command string) func(context.Context, rollout.Plan) error {
	if command == "" {
		return nil
	}
	return func(ctx context.Context, p rollout.Plan) error {
		cmd := exec.CommandContext(ctx, "sh", "-c", command)
		cmd.Env = append(os.Environ(), "ROLLOUT_FROM="+p.From, "ROLLOUT_TO="+p.To, "ROLLOUT_OLD="+strings.Join(p.Old, ","))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%q: %w", command, err)
		}
		return nil
	}
}
