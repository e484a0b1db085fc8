//go:build upgradetest

package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// changeUpgradeProbe marks the histories the patched build changed. It
// guards the closure, a point a trajectory started before the upgrade
// reaches only after it: a GetVersion that a replay of the older part had
// already passed would stay at DefaultVersion for the whole run, as
// GetVersion promises.
const changeUpgradeProbe = "upgrade-probe"

func init() {
	upgradeProbe = func(ctx workflow.Context, e trajectory.Event) {
		if e.Kind == trajectory.EventClosed {
			workflow.GetVersion(ctx, changeUpgradeProbe, workflow.DefaultVersion, 1)
		}
	}
}
