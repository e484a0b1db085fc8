// Package retention erases trajectories by crypto-shredding: Erase
// destroys a trajectory's data key (package keys), so its Temporal
// history, its events' details and its read model's personal data can no
// longer be read, while phases, dates and counts stay for reports. The
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

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"elkgezin/keys"
	"elkgezin/store"
)

// ActionErase is the audit log's action of an erasure.
const ActionErase = "erase_trajectory"

// Eraser erases trajectories.
type Eraser struct {
	Temporal client.Client
	Store    *store.Store // opened WithKeys
}

// ErrNotErasable: the trajectory has no data key (unknown, or referred
// before envelope encryption); nothing can be shredded.
var ErrNotErasable = errors.New("the trajectory has no data key to destroy")

// Erase ends the trajectory's workflow if it still runs (it could not
// read its own history any more), then destroys its data key. It reports
// whether this call destroyed it (false: erased before). Callers audit.
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

// end checks that the trajectory has a key to destroy and ends its
// workflow if it runs.
func (e Eraser) end(ctx context.Context, trajectoryID string) error {
	vault := e.Store.Vault()
	if vault == nil {
		return store.ErrNoKeys
	}
	if _, err := vault.Programme(ctx, trajectoryID); err != nil {
		if errors.Is(err, keys.ErrNoKey) {
			return fmt.Errorf("erase %s: %w", trajectoryID, ErrNotErasable)
		}
		return fmt.Errorf("erase %s: %w", trajectoryID, err)
	}
	// No payload goes with the termination: the reason is a fixed text.
	err := e.Temporal.TerminateWorkflow(ctx, trajectoryID, "", "personal data erased")
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("erase %s: end its workflow: %w", trajectoryID, err)
	}
	return nil
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
