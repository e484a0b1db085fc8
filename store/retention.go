package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClosedTrajectory is a closed trajectory whose data key still exists.
type ClosedTrajectory struct {
	ID          string
	ProgrammeID string
	ClosedAt    time.Time
}

// RetentionCutoff says that the programme's trajectories closed at or
// before ClosedBy are past its retention.
type RetentionCutoff struct {
	ProgrammeID string
	ClosedBy    time.Time
}

// ExpiredNotErased lists, in the order of their ids, at most limit closed
// trajectories after the id after ("" from the start) whose personal data
// is still readable and whose closure (their first closed event) is at or
// before their programme's cutoff: a page of what retention must erase.
// Programmes without a cutoff have none. The id is the order because it
// never changes, so an erasure that fails leaves the next page where it
// was.
func (s *Store) ExpiredNotErased(ctx context.Context, cutoffs []RetentionCutoff, after string, limit int) ([]ClosedTrajectory, error) {
	programmes := make([]string, len(cutoffs))
	closedBy := make([]time.Time, len(cutoffs))
	for i, c := range cutoffs {
		programmes[i], closedBy[i] = c.ProgrammeID, c.ClosedBy
	}
	rows, err := s.pool.Query(ctx, `
		SELECT t.id, t.programme_id, closed.at
		FROM trajectories t
		JOIN unnest($1::text[], $2::timestamptz[]) AS r(programme_id, closed_by) ON r.programme_id = t.programme_id
		JOIN trajectory_keys k ON k.trajectory_id = t.id
		CROSS JOIN LATERAL (
			SELECT min(e.at) AS at FROM trajectory_events e WHERE e.trajectory_id = t.id AND e.kind = 'closed'
		) closed
		WHERE t.phase = 'closed' AND t.id > $3 AND closed.at <= r.closed_by
		ORDER BY t.id
		LIMIT $4`, programmes, closedBy, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list expired trajectories: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClosedTrajectory, error) {
		var c ClosedTrajectory
		err := r.Scan(&c.ID, &c.ProgrammeID, &c.ClosedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list expired trajectories: %w", err)
	}
	return out, nil
}

// EmailsOf lists the ledger rows of a trajectory's emails (their keys
// start with its id), oldest first, for a subject-access export.
func (s *Store) EmailsOf(ctx context.Context, trajectoryID string) ([]EmailRecord, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT key, message_id, recipient, subject, status, attempts, first_attempt_at, committing_at, sent_at, updated_at
		FROM outbound_emails WHERE left(key, length($1) + 1) = $1 || '/'
		ORDER BY first_attempt_at, key`, trajectoryID)
	if err != nil {
		return nil, fmt.Errorf("emails of %s: %w", trajectoryID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (EmailRecord, error) {
		var r EmailRecord
		err := row.Scan(&r.Key, &r.MessageID, &r.Recipient, &r.Subject, &r.Status, &r.Attempts,
			&r.FirstAttemptAt, &r.CommittingAt, &r.SentAt, &r.UpdatedAt)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("emails of %s: %w", trajectoryID, err)
	}
	return out, nil
}
