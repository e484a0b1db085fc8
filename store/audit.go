package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
	if err := e.check(); err != nil {
		return err
	}
	err := s.withAuditPartition(ctx, func() error { return insertAudit(ctx, s.pool, e) })
	if err != nil {
		return fmt.Errorf("audit %s by %s: %w", e.Action, e.Actor, err)
	}
	return nil
}

func (e AuditEntry) check() error {
	if e.Actor == "" || e.Action == "" || e.Outcome == "" {
		return errors.New("audit: an entry needs an actor, an action and an outcome")
	}
	return nil
}

func insertAudit(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, e AuditEntry) error {
	detail := e.Detail
	if detail == nil {
		detail = map[string]string{}
	}
	_, err := db.Exec(ctx, `
		INSERT INTO audit_log (actor, action, trajectory_id, outcome, detail)
		VALUES ($1, $2, nullif($3, ''), $4, $5)`,
		e.Actor, e.Action, e.TrajectoryID, e.Outcome, detail)
	return err
}

// withAuditPartition runs write, which appends to audit_log; when the
// month has no partition yet, it makes it (and the next ones) and runs
// write once more.
func (s *Store) withAuditPartition(ctx context.Context, write func() error) error {
	err := write()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" /* check_violation: no partition for the row */ {
		if _, perr := s.pool.Exec(ctx, `SELECT audit_log_partitions(now(), $1)`, auditMonthsAhead); perr != nil {
			return fmt.Errorf("make the month's audit_log partition: %w", perr)
		}
		err = write()
	}
	return err
}

// auditMonthsAhead is how many monthly partitions of audit_log are made
// ahead of the current month.
const auditMonthsAhead = 3

// DropAuditBefore drops the partitions of audit_log that hold only entries
// from before cutoff: whole months, the way retention removes audit
// entries from an append-only log. It returns the partitions dropped.
func (s *Store) DropAuditBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_log'::regclass`)
	if err != nil {
		return nil, fmt.Errorf("list audit_log partitions: %w", err)
	}
	type part struct{ name, bound string }
	parts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (part, error) {
		var p part
		return p, r.Scan(&p.name, &p.bound)
	})
	if err != nil {
		return nil, fmt.Errorf("list audit_log partitions: %w", err)
	}
	var dropped []string
	for _, p := range parts {
		m := partitionUpper.FindStringSubmatch(p.bound)
		if m == nil {
			continue
		}
		upper, err := time.Parse("2006-01-02 15:04:05-07", m[1])
		if err != nil || upper.After(cutoff) {
			continue
		}
		if _, err := s.pool.Exec(ctx, `DROP TABLE `+pgx.Identifier{p.name}.Sanitize()); err != nil {
			return dropped, fmt.Errorf("drop audit partition %s: %w", p.name, err)
		}
		dropped = append(dropped, p.name)
	}
	return dropped, nil
}

var partitionUpper = regexp.MustCompile(`TO \('([^']+)'\)`)

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

// AccessLog lists every audit entry about a trajectory, oldest first, for
// a subject-access export: the entries that name it, and the codec's
// decodes that list it among several trajectories (detail.trajectories).
func (s *Store) AccessLog(ctx context.Context, trajectoryID string) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, at, actor, action, coalesce(trajectory_id, ''), outcome, detail
		FROM audit_log
		WHERE trajectory_id = $1
		   OR action = 'decode_payloads' AND $1 = ANY (string_to_array(detail->>'trajectories', ','))
		ORDER BY id`, trajectoryID)
	if err != nil {
		return nil, fmt.Errorf("read the access log of %s: %w", trajectoryID, err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.TrajectoryID, &e.Outcome, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the access log of %s: %w", trajectoryID, err)
	}
	return entries, nil
}
