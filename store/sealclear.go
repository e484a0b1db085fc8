package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"elkgezin/keys"
	"elkgezin/trajectory"
)

// SealClearFields seals what migration 0015 had to leave in clear, since
// sealing needs the data key its SQL cannot reach: the expected due dates
// of trajectories with a data key, and the text of consultations that
// became one. Each row is sealed in a transaction of its own, so a
// repeated or concurrent call seals nothing twice; once all are sealed it
// finds nothing to do. Rows of trajectories without a data key (written
// before 0007) stay: a later migration's. It returns how many rows it
// sealed; it stops at the first row it cannot seal (a programme key
// missing), which it names.
func (s *Store) SealClearFields(ctx context.Context) (int, error) {
	if s.vault == nil {
		return 0, ErrNoKeys
	}
	n := 0
	for _, part := range []struct {
		list string
		seal func(ctx context.Context, tx pgx.Tx, id string) (bool, error)
	}{
		{`SELECT t.id FROM trajectories t JOIN trajectory_keys k ON k.trajectory_id = t.id WHERE t.expected_due_date IS NOT NULL`, s.sealDueDate},
		{`SELECT c.id FROM consultations c JOIN trajectory_keys k ON k.trajectory_id = c.trajectory_id WHERE c.situation IS NOT NULL`, s.sealConsultation},
	} {
		rows, err := s.pool.Query(ctx, part.list)
		if err != nil {
			return n, fmt.Errorf("seal clear fields: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return n, fmt.Errorf("seal clear fields: %w", err)
		}
		for _, id := range ids {
			var sealed bool
			err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				var err error
				sealed, err = part.seal(ctx, tx, id)
				return err
			})
			if err != nil {
				return n, fmt.Errorf("seal clear fields of %s: %w", id, err)
			}
			if sealed {
				n++
			}
		}
	}
	return n, nil
}

// sealDueDate moves a trajectory's expected due date into its sealed
// personal data.
func (s *Store) sealDueDate(ctx context.Context, tx pgx.Tx, id string) (bool, error) {
	var due *time.Time
	var sealed []byte
	err := tx.QueryRow(ctx, `SELECT expected_due_date, personal FROM trajectories WHERE id = $1 FOR UPDATE`, id).Scan(&due, &sealed)
	if err != nil || due == nil {
		return false, err
	}
	k, err := s.sealingKey(ctx, id)
	if err != nil || k == nil {
		return false, err
	}
	resealed, err := changePersonal(k, id, sealed, func(p *personal) {
		if p.ExpectedDueDate == nil {
			d := trajectory.DateOf(*due)
			p.ExpectedDueDate = &d
		}
	})
	if err != nil {
		return false, err
	}
	_, err = tx.Exec(ctx, `UPDATE trajectories SET personal = $2, expected_due_date = NULL WHERE id = $1`, id, resealed)
	return err == nil, err
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
