package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
)

// DefaultPageSize is how many trajectories one ErasePage erases at most.
const DefaultPageSize = 100

// Activities hold what the retention workflow's activities need.
type Activities struct {
	Eraser     Eraser
	Programmes programme.Catalogue
	Logger     *slog.Logger
	// PageSize is how many trajectories a page erases at most; 0 means
	// DefaultPageSize.
	PageSize int
}

// Page is what ErasePage did, and its heartbeat's details: a retried
// attempt goes on after the last trajectory the one before reported.
type Page struct {
	// After is the id of the last trajectory handled (erased, erased
	// before, or failed); the next page starts after it.
	After string `json:"after,omitempty"`
	// Seen is how many trajectories the page handled, Erased how many keys
	// it destroyed, Failed how many erasures failed.
	Seen   int `json:"seen,omitempty"`
	Erased int `json:"erased,omitempty"`
	Failed int `json:"failed,omitempty"`
	// More says that the page was full: the next may hold more.
	More bool `json:"more,omitempty"`
}

// ErasePage erases, in the order of their ids, at most PageSize closed
// trajectories after the id after whose programme's
// retention_after_closure has passed since their closure, and audits each
// erasure. It heartbeats its Page after each one. A programme without
// retention keeps its data.
func (a *Activities) ErasePage(ctx context.Context, after string) (Page, error) {
	page := Page{After: after}
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &page); err != nil {
			return Page{}, fmt.Errorf("retention: the page's heartbeat: %w", err)
		}
	}
	return a.erase(ctx, page, func(p Page) { activity.RecordHeartbeat(ctx, p) })
}

// EraseExpired erases every expired trajectory in one call: the activity
// of a run begun before pages, which this worker may still be given.
func (a *Activities) EraseExpired(ctx context.Context) (int, error) {
	var total Page
	for {
		page, err := a.erase(ctx, Page{After: total.After}, func(Page) {})
		total.After, total.Erased, total.Failed = page.After, total.Erased+page.Erased, total.Failed+page.Failed
		if err != nil {
			return total.Erased, err
		}
		if !page.More {
			break
		}
	}
	if total.Failed > 0 {
		return total.Erased, fmt.Errorf("retention: %d trajectories could not be erased (the worker's log names them)", total.Failed)
	}
	return total.Erased, nil
}

// erase goes on with page until it holds PageSize trajectories or none is
// left, and reports it after each trajectory. An erasure that fails is
// counted and passed, so that one trajectory cannot hold back the rest;
// the page fails only when its context ends.
func (a *Activities) erase(ctx context.Context, page Page, report func(Page)) (Page, error) {
	size := a.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	expired, err := a.Eraser.Store.ExpiredNotErased(ctx, a.cutoffs(time.Now()), page.After, size-page.Seen)
	if err != nil {
		return page, err
	}
	for _, c := range expired {
		erased, err := a.Eraser.EraseAudited(ctx, Actor, c.ID, "retention_after_closure")
		switch {
		case err != nil && ctx.Err() != nil:
			return page, err
		case err != nil:
			page.Failed++
			a.log().Warn("retention: trajectory not erased; the next run tries again", "trajectory_id", c.ID, "error", err)
		case erased:
			page.Erased++
			a.log().Info("retention: trajectory erased", "trajectory_id", c.ID, "programme", c.ProgrammeID)
		}
		page.After, page.Seen = c.ID, page.Seen+1
		report(page)
	}
	page.More = page.Seen >= size
	return page, nil
}

// cutoffs says, per programme with a retention, which closures it has
// passed at now.
func (a *Activities) cutoffs(now time.Time) []store.RetentionCutoff {
	var out []store.RetentionCutoff
	for _, id := range a.Programmes.IDs() {
		if p, _ := a.Programmes.Get(id); p.RetentionAfterClosure > 0 {
			out = append(out, store.RetentionCutoff{ProgrammeID: id, ClosedBy: now.Add(-p.RetentionAfterClosure.Std())})
		}
	}
	return out
}

func (a *Activities) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}
