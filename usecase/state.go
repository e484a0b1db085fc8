package usecase

import (
	"context"
	"fmt"

	"github.com/elkgezin/elkgezin/trajectory"
)

// State asks the trajectory's workflow for its state: what the event log
// does not list, such as the open milestones with their due instants, the
// co-workers, and each handover's status. ErrClosed or ErrNotRunning when
// there is no running workflow, ErrUnavailable when Temporal does not answer.
func (c Cases) State(ctx context.Context, id string) (trajectory.State, error) {
	if c.Temporal == nil {
		return trajectory.State{}, fmt.Errorf("%w: no workflow service", ErrUnavailable)
	}
	v, err := c.Temporal.QueryWorkflow(ctx, id, "", trajectory.QueryState)
	var st trajectory.State
	if err == nil {
		err = v.Get(&st)
	}
	switch {
	case err == nil:
		return st, nil
	case WorkflowGone(err):
		return st, ErrNotRunning
	case Unavailable(ctx, err):
		return st, fmt.Errorf("%w: query state: %w", ErrUnavailable, err)
	}
	return st, fmt.Errorf("query state: %w", err)
}
