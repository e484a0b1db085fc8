package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Erase erases a trajectory in PostgreSQL: it destroys its data key
// (keys.Vault.EraseWith: the row is deleted), which leaves everything
// sealed under it unreadable, and clears, in the same transaction, what
// stays in clear columns while a trajectory runs (clearErasedSQL). What
// an earlier release left in clear, which the log's trigger keeps from
// being cleared, is sealed first (sealTrajectory; a trajectory written
// before data keys gets its key for that). It reports whether this call
// erased it (false: erased before); an error wrapping keys.ErrNoKey when
// elkgezin never recorded the trajectory. Its Temporal executions are
// retention.Eraser's.
func (s *Store) Erase(ctx context.Context, trajectoryID string) (bool, error) {
	return s.erase(ctx, trajectoryID, nil)
}

// EraseAudited is Erase with the audit entry e appended in the same
// transaction, only when this call erases: an erasure repeated, retried
// or run twice at once is audited once, and none is without its entry.
func (s *Store) EraseAudited(ctx context.Context, trajectoryID string, e AuditEntry) (bool, error) {
	if err := e.check(); err != nil {
		return false, err
	}
	return s.erase(ctx, trajectoryID, &e)
}

func (s *Store) erase(ctx context.Context, trajectoryID string, audit *AuditEntry) (bool, error) {
	if s.vault == nil {
		return false, ErrNoKeys
	}
	if _, _, err := s.sealTrajectory(ctx, trajectoryID); err != nil {
		return false, fmt.Errorf("erase %s: seal what is in clear first: %w", trajectoryID, err)
	}
	var erased bool
	err := s.withAuditPartition(ctx, func() error {
		var err error
		erased, err = s.vault.EraseWith(ctx, trajectoryID, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, clearErasedSQL, trajectoryID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, clearFamilyLinksSQL, trajectoryID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, clearIdempotencySQL, trajectoryID); err != nil {
				return err
			}
			if audit == nil {
				return nil
			}
			return insertAudit(ctx, tx, *audit)
		})
		return err
	})
	return erased, err
}

// clearErasedSQL clears, for trajectory $1, what PostgreSQL holds of its
// family outside the sealed columns (and the read model's sealed blob,
// useless now): the read model's clear columns of rows written before
// data keys and its next step (an instant the family's dates decide); the
// text of the consultation it followed; its emails' recipients, subjects
// and Message-IDs, and their keys, which name steps as due at an instant
// (each becomes "<id>/erased/<n>"); its place in collective activities.
// (Its links to the family's own page: clearFamilyLinksSQL; the answers
// kept for retries: clearIdempotencySQL.) The read
// model is marked erased: a late event of the trajectory changes it no
// more. What stays counts for reports: phase, close reason, dates
// of referral and events, codes and months.
const clearErasedSQL = `
	WITH rm AS (
		UPDATE trajectories SET personal = NULL, family = NULL, reason = NULL, referrer_reference = NULL,
			children = '[]'::jsonb, born_on = NULL, expected_due_date = NULL, next_step = NULL, next_due_at = NULL,
			erased = true
		WHERE id = $1
		RETURNING 1
	), co AS (
		UPDATE consultations SET situation = NULL, advice = NULL, sealed_text = NULL WHERE trajectory_id = $1
		RETURNING 1
	), ac AS (
		UPDATE collective_activities SET trajectories = array_remove(trajectories, $1) WHERE $1 = ANY (trajectories)
		RETURNING 1
	), em AS (
		UPDATE outbound_emails o SET key = $1 || '/erased/' || r.n, message_id = '', recipient = '', subject = ''
		FROM (SELECT key, row_number() OVER (ORDER BY first_attempt_at, key) AS n FROM outbound_emails
			WHERE left(key, length($1) + 1) = $1 || '/') r
		WHERE o.key = r.key
		RETURNING 1
	)
	SELECT 1`

// clearFamilyLinksSQL revokes trajectory $1's links to the family's own
// page and clears their language, the family's.
const clearFamilyLinksSQL = `UPDATE family_links SET language = '', revoked_at = coalesce(revoked_at, now()),
		revoked_by = coalesce(revoked_by, '` + RevokedByErasure + `')
	WHERE trajectory_id = $1`
