package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// upgradeProbe is nil in every real build. The upgradetest build
// (upgradeprobe_upgradetest.go) sets it to a change guarded by
// workflow.GetVersion, so the cluster's upgrade test can roll a patched
// workflow out over running trajectories and see it take effect.
var upgradeProbe func(workflow.Context, trajectory.Event)
