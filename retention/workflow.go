package retention

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names under which the worker and the schedule meet.
const (
	WorkflowName = "Retention"
	ScheduleID   = "elkgezin-retention"
	// Actor is who erases in the audit log.
	Actor = "system:retention"
)

// PagesPerRun is how many pages a run erases before it continues as new,
// so that a run after a long pause (or a programme's retention shortened)
// never grows a long history: about six events a page.
const PagesPerRun = 100

// pagesChange marks the runs that erase page by page; a run begun before
// erases in one activity (EraseExpired), as its history says.
const pagesChange = "retention-pages"

// Progress is what a run hands to the next when it continues as new:
// where the pages stand and what was done so far. The schedule starts a
// run with the zero Progress, from the first trajectory.
type Progress struct {
	// After is the id of the last trajectory handled.
	After  string `json:"after,omitempty"`
	Erased int    `json:"erased,omitempty"`
	Failed int    `json:"failed,omitempty"`
}

// Workflow erases every trajectory past its programme's retention, a page
// of at most Activities.PageSize per activity, in the order of their ids.
// It returns how many keys it destroyed. An erasure that failed is left
// for the next run, and fails this one at its end, so the schedule shows
// it; each erasure is idempotent and audited once, so a retried page or a
// rerun repeats nothing.
func Workflow(ctx workflow.Context, from Progress) (int, error) {
	if workflow.GetVersion(ctx, pagesChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return eraseInOneActivity(ctx)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		// The page heartbeats after each erasure (one termination and one
		// transaction); a worker that died is noticed within a minute and
		// the retry resumes after the last trajectory it reported.
		HeartbeatTimeout: time.Minute,
		RetryPolicy:      &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	p := from
	for pages := 1; ; pages++ {
		var page Page
		if err := workflow.ExecuteActivity(ctx, (*Activities).ErasePage, p.After).Get(ctx, &page); err != nil {
			return p.Erased, err
		}
		p.After, p.Erased, p.Failed = page.After, p.Erased+page.Erased, p.Failed+page.Failed
		if !page.More {
			break
		}
		if pages >= PagesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return p.Erased, workflow.NewContinueAsNewError(ctx, WorkflowName, p)
		}
	}
	if p.Failed > 0 {
		return p.Erased, fmt.Errorf("retention: %d trajectories could not be erased (the worker's log names them); the next run tries them again", p.Failed)
	}
	return p.Erased, nil
}

// eraseInOneActivity is the whole of a run begun before pages.
func eraseInOneActivity(ctx workflow.Context) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	var n int
	err := workflow.ExecuteActivity(ctx, (*Activities).EraseExpired).Get(ctx, &n)
	return n, err
}
