// Package retention erases trajectories: Erase deletes a trajectory's
// workflow executions from Temporal (histories and visibility) and
// destroys its data key (package keys), so what is sealed under it in
// PostgreSQL can no longer be read, and clears what stays in clear
// (store.Store.Erase), while phases, codes, months and counts stay for
// reports. The
// Retention workflow, started by a Temporal Schedule, erases every
// trajectory closed longer than its programme's retention_after_closure,
// a page of them per activity.
// It is its own workflow, beside the Trajectory workflow, which it never
// touches but to end it.
package retention

import (
	"context"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/store"
)

// ActionErase is the audit log's action of an erasure.
const ActionErase = "erase_trajectory"

// Eraser erases trajectories.
type Eraser struct {
	Temporal client.Client
	// Namespace is the Temporal client's namespace, where the
	// trajectories' executions are deleted; "" is Temporal's default.
	Namespace string
	Store     *store.Store // opened WithKeys
}

// ErrNotErasable: the trajectory has no data key, since elkgezin never
// recorded it; nothing can be shredded.
var ErrNotErasable = errors.New("the trajectory has no data key to destroy")

// Erase ends the trajectory's workflow if it still runs (it could not
// read its own history any more) and deletes its executions from
// Temporal, then destroys its data key and clears PostgreSQL
// (store.Store.Erase). It reports whether this call destroyed the key
// (false: erased before). Callers audit. Each part may be repeated: an
// erasure that failed half-way is completed by the next.
func (e Eraser) Erase(ctx context.Context, trajectoryID string) (bool, error) {
	if err := e.end(ctx, trajectoryID); err != nil {
		return false, err
	}
	erased, err := e.Store.Erase(ctx, trajectoryID)
	if err != nil {
		return false, fmt.Errorf("erase %s: %w", trajectoryID, err)
	}
	return erased, nil
}

// EraseAudited is Erase with its audit entry by actor written in the same
// transaction as the key's destruction, by the call that destroys it only
// (store.EraseAudited): retried or run twice at once, an erasure is
// audited once, and never lacks its entry.
func (e Eraser) EraseAudited(ctx context.Context, actor, trajectoryID, why string) (bool, error) {
	if err := e.end(ctx, trajectoryID); err != nil {
		return false, err
	}
	erased, err := e.Store.EraseAudited(ctx, trajectoryID, auditEntry(actor, trajectoryID, why, true))
	if err != nil {
		return false, fmt.Errorf("erase %s: %w", trajectoryID, err)
	}
	return erased, nil
}

// end checks that the trajectory has a key to destroy (or had one), ends
// its workflow if it runs and deletes its executions. A trajectory
// referred before data keys that no worker has sealed yet is sealed
// first, and so gets its key.
func (e Eraser) end(ctx context.Context, trajectoryID string) error {
	vault := e.Store.Vault()
	if vault == nil {
		return store.ErrNoKeys
	}
	if _, err := e.Store.SealTrajectory(ctx, trajectoryID); err != nil {
		return fmt.Errorf("erase %s: seal what is in clear first: %w", trajectoryID, err)
	}
	if _, err := vault.Programme(ctx, trajectoryID); err != nil {
		if errors.Is(err, keys.ErrNoKey) {
			return fmt.Errorf("erase %s: %w", trajectoryID, ErrNotErasable)
		}
		return fmt.Errorf("erase %s: %w", trajectoryID, err)
	}
	// No payload goes with the termination: the reason is a fixed text.
	err := e.Temporal.TerminateWorkflow(ctx, trajectoryID, "", "personal data erased")
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("erase %s: end its workflow: %w", trajectoryID, err)
	}
	if err := e.deleteRuns(ctx, trajectoryID); err != nil {
		return fmt.Errorf("erase %s: delete its workflow executions: %w", trajectoryID, err)
	}
	return nil
}

// deleteRuns deletes every run of the trajectory's workflow from
// Temporal: its history (payloads, Update ids, timer summaries) and its
// visibility record (the search attributes NextStep, NextDueAt, ...).
// Temporal deletes asynchronously; a run it has deleted already, or
// never held, is no error.
func (e Eraser) deleteRuns(ctx context.Context, trajectoryID string) error {
	runs, err := e.runs(ctx, trajectoryID)
	if err != nil {
		return err
	}
	for _, run := range runs {
		_, err := e.Temporal.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
			Namespace:         e.namespace(),
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: trajectoryID, RunId: run},
		})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("run %s: %w", run, err)
		}
	}
	return nil
}

// runs lists the runs of the trajectory's workflow: those visibility
// lists under its id, and the chain from the latest run's first one (a
// run continued as new names the next), which visibility may not list
// yet.
func (e Eraser) runs(ctx context.Context, trajectoryID string) ([]string, error) {
	var runs []string
	seen := map[string]bool{}
	add := func(run string) {
		if run != "" && !seen[run] {
			seen[run] = true
			runs = append(runs, run)
		}
	}
	req := &workflowservice.ListWorkflowExecutionsRequest{Namespace: e.namespace(), Query: fmt.Sprintf("WorkflowId = %q", trajectoryID)}
	for {
		resp, err := e.Temporal.ListWorkflow(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list its runs: %w", err)
		}
		for _, x := range resp.GetExecutions() {
			add(x.GetExecution().GetRunId())
		}
		if req.NextPageToken = resp.GetNextPageToken(); len(req.NextPageToken) == 0 {
			break
		}
	}
	desc, err := e.Temporal.DescribeWorkflow(ctx, trajectoryID, "")
	if isNotFound(err) {
		return runs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe it: %w", err)
	}
	info := desc.RawResponse.GetWorkflowExecutionInfo()
	add(info.GetExecution().GetRunId())
	walked := map[string]bool{}
	for run := info.GetFirstRunId(); run != "" && !walked[run]; {
		walked[run] = true
		add(run)
		next := ""
		last := e.Temporal.GetWorkflowHistory(ctx, trajectoryID, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
		for last.HasNext() {
			ev, err := last.Next()
			if isNotFound(err) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("read run %s: %w", run, err)
			}
			next = ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
		}
		run = next
	}
	return runs, nil
}

func (e Eraser) namespace() string {
	if e.Namespace == "" {
		return client.DefaultNamespace
	}
	return e.Namespace
}

func isNotFound(err error) bool {
	var notFound *serviceerror.NotFound
	return errors.As(err, &notFound)
}

// Audit writes the audit entry of an erasure by actor.
func (e Eraser) Audit(ctx context.Context, actor, trajectoryID, why string, erased bool) error {
	return e.Store.Audit(ctx, auditEntry(actor, trajectoryID, why, erased))
}

func auditEntry(actor, trajectoryID, why string, erased bool) store.AuditEntry {
	return store.AuditEntry{
		Actor: actor, Action: ActionErase, TrajectoryID: trajectoryID, Outcome: store.OutcomeOK,
		Detail: map[string]string{"reason": why, "key_destroyed": fmt.Sprint(erased)},
	}
}
