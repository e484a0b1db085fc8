package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outcomes of an audit entry that are not an HTTP status.
const (
	OutcomeOK              = "ok"              // done, or read and handed out
	OutcomeDenied          = "denied"          // the caller may not do this (answered 403, or 404 for a trajectory they may not see)
	OutcomeNotFound        = "not_found"       // there is no such trajectory
	OutcomeUnauthenticated = "unauthenticated" // no valid credentials (401)
)

// DefaultAuditEntries is how many entries AuditEntries returns when asked for 0 or fewer.
const DefaultAuditEntries = 100

// AuditEntry is one line of the append-only audit log: who did what, to
// which trajectory, when, and how it ended.
type AuditEntry struct {
	ID int64 `json:"id"` // set by the store
	// At is set by the database when the entry is written.
	At time.Time `json:"at"`
	// Actor is kind:subject (e.g. "coach:test-coach"), "service" for a
	// handover acknowledgement through its link, "anonymous" when unknown.
	Actor string `json:"actor"`
	// Action names what was done or tried, e.g. "read_trajectory", "record_visit".
	Action string `json:"action"`
	// TrajectoryID is the trajectory concerned, "" for none.
	TrajectoryID string `json:"trajectory_id,omitempty"`
	// Outcome is OutcomeOK, OutcomeDenied, OutcomeNotFound,
	// OutcomeUnauthenticated, or the HTTP status of another answer ("409").
	Outcome string `json:"outcome"`
	// Detail holds ids, field names and counts (token_id, status, filters):
	// never the value of personal data.
	Detail map[string]string `json:"detail,omitempty"`
}

// Audit appends e to the audit log. ID and At are set by the store.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if e.Actor == "" || e.Action == "" || e.Outcome == "" {
		return errors.New("audit: an entry needs an actor, an action and an outcome")
	}
	detail := e.Detail
	if detail == nil {
		detail = map[string]string{}
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO audit_log (actor, action, trajectory_id, outcome, detail)
		VALUES ($1, $2, nullif($3, ''), $4, $5)`,
		e.Actor, e.Action, e.TrajectoryID, e.Outcome, detail)
	if err != nil {
		return fmt.Errorf("audit %s by %s: %w", e.Action, e.Actor, err)
	}
	return nil
}

// AuditEntries returns the newest entries of the audit log, newest first:
// those about trajectoryID, or every entry when trajectoryID is "". At
// most limit entries (DefaultAuditEntries when limit is 0 or less).
func (s *Store) AuditEntries(ctx context.Context, trajectoryID string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = DefaultAuditEntries
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, at, actor, action, coalesce(trajectory_id, ''), outcome, detail
		FROM audit_log
		WHERE $1 = '' OR trajectory_id = $1
		ORDER BY id DESC
		LIMIT $2`, trajectoryID, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.TrajectoryID, &e.Outcome, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return entries, nil
}
