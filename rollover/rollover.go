// Package rollover moves running trajectories onto the code that runs now,
// so that the old branches of retired changes can be deleted (see
// workflows/versions.go and docs/design/versioning.md). Each run records the code
// revision that began it (the search attribute TemporalChangeVersion holds
// "code-revision-N"); a run of an older revision gets the roll-over Update
// and continues as new, under the revision its worker runs now.
package rollover

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"golang.org/x/time/rate"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Run is one running trajectory and the code revision that began its run
// (0: a revision from before revisions were recorded).
type Run struct {
	WorkflowID string
	RunID      string
	Revision   int
	StartedAt  time.Time
}

// Temporal is the part of client.Client the roll-over uses.
type Temporal interface {
	ListWorkflow(ctx context.Context, request *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// runningQuery finds every running trajectory; closed ones are never replayed.
var runningQuery = fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", trajectory.WorkflowName)

// Running lists the running trajectories of the namespace with their
// revisions.
func Running(ctx context.Context, tc Temporal, namespace string) ([]Run, error) {
	var runs []Run
	var token []byte
	for {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace, Query: runningQuery, PageSize: 1000, NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list running trajectories: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			runs = append(runs, Run{
				WorkflowID: e.GetExecution().GetWorkflowId(),
				RunID:      e.GetExecution().GetRunId(),
				Revision:   revisionOf(e.GetSearchAttributes().GetIndexedFields()[changeVersionAttribute]),
				StartedAt:  e.GetStartTime().AsTime(),
			})
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return runs, nil
		}
	}
}

// changeVersionAttribute is the SDK's search attribute of the change ids a
// run recorded with GetVersion.
const changeVersionAttribute = "TemporalChangeVersion"

// revisionPrefix is how the workflow's change id "code-revision" appears
// in TemporalChangeVersion, followed by the version.
const revisionPrefix = "code-revision-"

// revisionOf reads the code revision from a TemporalChangeVersion value;
// 0 when there is none.
func revisionOf(p *commonpb.Payload) int {
	if p == nil {
		return 0
	}
	var versions []string
	// The value is a keyword list, as JSON.
	if err := converter.NewJSONPayloadConverter().FromPayload(p, &versions); err != nil {
		return 0
	}
	revision := 0
	for _, v := range versions {
		if n, err := strconv.Atoi(strings.TrimPrefix(v, revisionPrefix)); err == nil && strings.HasPrefix(v, revisionPrefix) {
			revision = max(revision, n)
		}
	}
	return revision
}

// Below keeps the runs of a revision below revision.
func Below(runs []Run, revision int) []Run {
	var below []Run
	for _, r := range runs {
		if r.Revision < revision {
			below = append(below, r)
		}
	}
	return below
}

// Options pace a roll-over.
type Options struct {
	// PerSecond caps the Updates sent a second: each run's next task
	// replays its history, and a roll-over is no reason to load the
	// workers. Zero means 10.
	PerSecond float64
	// By names the operator in the Update (an id, never a person's name).
	By     string
	Logger *slog.Logger
}

// RollOver sends each run the roll-over Update and waits until the run
// took it (it continues as new once its Updates are done). The Update's
// id names the run, so a roll-over sent again is the same Update. It
// returns how many it rolled over, and the failures.
func RollOver(ctx context.Context, tc Temporal, runs []Run, o Options) (int, []error) {
	perSecond := o.PerSecond
	if perSecond <= 0 {
		perSecond = 10
	}
	limit := rate.NewLimiter(rate.Limit(perSecond), 1)
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	rolled := 0
	var failures []error
	for i, r := range runs {
		if err := limit.Wait(ctx); err != nil {
			return rolled, append(failures, err)
		}
		// The payload is plain: it holds the operator's id, nothing else.
		handle, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID:   r.WorkflowID,
			RunID:        r.RunID,
			UpdateName:   trajectory.UpdateRollOver,
			UpdateID:     trajectory.UpdateRollOver + "/" + r.RunID,
			Args:         []any{trajectory.RollOver{By: o.By}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = handle.Get(ctx, nil)
		}
		if err != nil {
			failures = append(failures, fmt.Errorf("roll over %s (run %s): %w", r.WorkflowID, r.RunID, err))
			log.Warn("roll-over failed", "trajectory_id", r.WorkflowID, "run_id", r.RunID, "error", err)
			continue
		}
		rolled++
		if (i+1)%100 == 0 || i+1 == len(runs) {
			log.Info("rolling over", "done", i+1, "of", len(runs))
		}
	}
	return rolled, failures
}
