package main

import (
	"context"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// timedOutTasks counts the workflow tasks that timed out or failed in the
// workflows' latest runs: each one is an Update that waited for the
// workflow task timeout (10 s) before it was answered, and a step's p99
// means nothing while one side has them.
func timedOutTasks(ctx context.Context, c client.Client, ids []string) (int, error) {
	n := 0
	for _, id := range ids {
		it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return n, fmt.Errorf("history of %s: %w", id, err)
			}
			switch e.GetEventType() {
			case enums.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, enums.EVENT_TYPE_WORKFLOW_TASK_FAILED:
				n++
			}
		}
	}
	return n, nil
}
