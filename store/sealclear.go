package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/keys"
)

// SealClearFields seals what earlier releases left in clear, since
// sealing needs the data keys that SQL cannot reach: everything a
// trajectory written before data keys (migration 0007) holds in clear,
// with the data key it gets now, the due dates migration 0015 left, the
// plain causes of a release before tags (sealOldTrajectories), and the
// text of consultations that became a trajectory before 0015. Each
// trajectory and consultation is sealed in a transaction of its own, so a
// repeated, interrupted or concurrent call seals nothing twice and goes
// on where the last stopped; once all are sealed it finds nothing to do.
// It returns how many trajectories and consultations it sealed; one it
// cannot seal (a programme key missing) is left for the next call and
// named in the error.
func (s *Store) SealClearFields(ctx context.Context) (int, error) {
	if s.vault == nil {
		return 0, ErrNoKeys
	}
	n, err := s.sealOldTrajectories(ctx)
	if ctx.Err() != nil {
		return n, err
	}
	rows, qerr := s.pool.Query(ctx, `SELECT c.id FROM consultations c JOIN trajectory_keys k ON k.trajectory_id = c.trajectory_id WHERE c.situation IS NOT NULL`)
	if qerr != nil {
		return n, errors.Join(err, fmt.Errorf("seal clear fields: %w", qerr))
	}
	ids, qerr := pgx.CollectRows(rows, pgx.RowTo[string])
	if qerr != nil {
		return n, errors.Join(err, fmt.Errorf("seal clear fields: %w", qerr))
	}
	for _, id := range ids {
		var sealed bool
		serr := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var err error
			sealed, err = s.sealConsultation(ctx, tx, id)
			return err
		})
		if serr != nil {
			return n, errors.Join(err, fmt.Errorf("seal consultation %s: %w", id, serr))
		}
		if sealed {
			n++
		}
	}
	return n, err
}

// sealConsultation seals the text of a consultation that became a
// trajectory under the trajectory's data key.
func (s *Store) sealConsultation(ctx context.Context, tx pgx.Tx, id string) (bool, error) {
	var text consultationText
	var trajectoryID string
	var situation, advice *string
	err := tx.QueryRow(ctx, `SELECT trajectory_id, situation, advice FROM consultations WHERE id = $1 FOR UPDATE`, id).
		Scan(&trajectoryID, &situation, &advice)
	if err != nil || situation == nil {
		return false, err
	}
	text.Situation = *situation
	if advice != nil {
		text.Advice = *advice
	}
	k, err := s.sealingKey(ctx, trajectoryID)
	if err != nil || k == nil {
		return false, err
	}
	sealed, err := sealConsultationText(k, id, text)
	if err != nil {
		return false, err
	}
	_, err = tx.Exec(ctx, `UPDATE consultations SET situation = NULL, advice = NULL, sealed_text = $2 WHERE id = $1`, id, sealed)
	return err == nil, err
}

// sealingKey is the trajectory's data key; nil (no error) when it was
// erased meanwhile, whose erasure clears what was to be sealed.
func (s *Store) sealingKey(ctx context.Context, id string) (*keys.DataKey, error) {
	k, err := s.vault.Key(ctx, id)
	if errors.Is(err, keys.ErrErased) {
		return nil, nil
	}
	return k, err
}
