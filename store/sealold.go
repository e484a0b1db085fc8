package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// What releases before data keys wrote in clear, as the partial indexes
// of migration 0016 say it (the same predicates, so that a look reads
// little beyond what is left to seal).
const (
	clearColumnsSQL = `(referrer_reference IS NOT NULL OR family IS NOT NULL OR reason IS NOT NULL
        OR children <> '[]'::jsonb OR expected_due_date IS NOT NULL OR born_on IS NOT NULL)`
	clearEventSQL = `((sealed_detail IS NULL AND detail <> '{}'::jsonb)
        OR (cause <> 'referred' AND cause NOT LIKE 'k/%' AND cause NOT LIKE 'seq/%'))`
)

// sealBatch is how many trajectories one look lists.
const sealBatch = 100

// unsealedSQL lists, in the order of their ids, the trajectories after $1
// that hold something in clear that their data key should seal (clear
// personal columns, or events with a clear detail and no sealed one or
// with a plain cause), and those without a data key, which an erasure
// needs. Erased trajectories' events are migration 0016's.
var unsealedSQL = `
	SELECT id FROM (
		SELECT id FROM trajectories WHERE ` + clearColumnsSQL + `
		UNION
		SELECT trajectory_id FROM trajectory_events e WHERE ` + clearEventSQL + `
			AND NOT EXISTS (SELECT 1 FROM erased_trajectories x WHERE x.trajectory_id = e.trajectory_id)
		UNION
		SELECT id FROM trajectories t WHERE NOT t.erased
			AND NOT EXISTS (SELECT 1 FROM trajectory_keys k WHERE k.trajectory_id = t.id)
			AND NOT EXISTS (SELECT 1 FROM erased_trajectories x WHERE x.trajectory_id = t.id)
	) u
	WHERE id > $1
	ORDER BY id
	LIMIT $2`

// sealOldTrajectories seals, trajectory by trajectory, what releases
// before data keys left in clear (sealTrajectory). A trajectory it
// cannot seal (its programme key missing) is left for the next call and
// does not hold back the others; the error names the first and says how
// many. It returns how many trajectories it sealed.
func (s *Store) sealOldTrajectories(ctx context.Context) (int, error) {
	sealed, failed := 0, 0
	var first error
	after := ""
	for {
		rows, err := s.pool.Query(ctx, unsealedSQL, after, sealBatch)
		if err != nil {
			return sealed, fmt.Errorf("list trajectories to seal: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return sealed, fmt.Errorf("list trajectories to seal: %w", err)
		}
		for _, id := range ids {
			// Only what this call sealed counts: a key it made for data
			// another worker sealed first is no sealing.
			changed, _, err := s.sealTrajectory(ctx, id)
			switch {
			case ctx.Err() != nil:
				return sealed, fmt.Errorf("seal %s: %w", id, ctx.Err())
			case err != nil:
				failed++
				if first == nil {
					first = fmt.Errorf("seal %s: %w", id, err)
				}
			case changed:
				sealed++
			}
		}
		if len(ids) < sealBatch {
			break
		}
		after = ids[len(ids)-1]
	}
	if first != nil {
		return sealed, fmt.Errorf("%d trajectories left in clear (the next start tries again); the first: %w", failed, first)
	}
	return sealed, nil
}

// clearEvent is an event as a release before data keys (or before tags)
// left it.
type clearEvent struct {
	pos    int64
	seq    int64
	kind   string
	detail map[string]string
	sealed bool
	cause  *string
}

// SealTrajectory seals what trajectory id still holds in clear from an
// earlier release, making its data key if it has none (sealTrajectory),
// so that it can be erased at once; a trajectory elkgezin never recorded
// is left as it is. It reports whether it changed anything.
func (s *Store) SealTrajectory(ctx context.Context, id string) (bool, error) {
	sealed, made, err := s.sealTrajectory(ctx, id)
	return sealed || made, err
}

// sealTrajectory seals what trajectory id holds in clear, in one
// transaction, under its data key, which it makes if the trajectory has
// none (one written before migration 0007): the read model's personal
// columns go into personal (the birth date is kept as its month; the
// child and the birth event hold the date, sealed), each clear event
// detail into sealed_detail with only its codes and months left in
// detail (reportableDetail), each plain cause becomes its tag. A
// trajectory erased meanwhile keeps nothing: its details are cut, its
// plain causes dropped. It reports whether it sealed anything and whether
// it made the data key; a second call does neither.
//
// This is the one rewrite of the append-only log the store makes: the
// trigger that refuses it is disabled for the one UPDATE, inside the
// transaction, which holds the log's table lock, so that no other writer
// sees the trigger off (docs/design/event-log.md).
func (s *Store) sealTrajectory(ctx context.Context, id string) (sealed, made bool, err error) {
	if s.vault == nil {
		return false, false, ErrNoKeys
	}
	var programmeID string
	var events bool
	err = s.pool.QueryRow(ctx, `SELECT programme_id, EXISTS (SELECT 1 FROM trajectory_events
			WHERE trajectory_id = $1 AND `+clearEventSQL+`)
			AND NOT EXISTS (SELECT 1 FROM erased_trajectories WHERE trajectory_id = $1)
		FROM trajectories WHERE id = $1`, id).Scan(&programmeID, &events)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	made, err = s.vault.Prepare(ctx, id, programmeID)
	if err != nil && !errors.Is(err, keys.ErrErased) {
		return false, false, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The log's lock first, as every writer of an event takes it
		// before the read model's row: no deadlock with them. It also
		// makes a second sealer of the same trajectory wait, and then
		// find nothing left.
		if events {
			if _, err := tx.Exec(ctx, `LOCK TABLE trajectory_events IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		k, err := s.lockedKey(ctx, tx, id)
		if err != nil {
			return err
		}
		c1 := false
		if events {
			if c1, err = sealEvents(ctx, tx, k, id); err != nil {
				return err
			}
		}
		c2, err := sealColumns(ctx, tx, k, id)
		if err != nil {
			return err
		}
		sealed = c1 || c2
		return nil
	})
	if err != nil {
		return false, made, err
	}
	return sealed, made, nil
}

// lockedKey is trajectory id's data key, its row locked against an
// erasure until the transaction ends (an erasure that came first has
// deleted it: nil). A trajectory with neither key nor erasure is an
// error: its clear data must not be emptied unsealed.
func (s *Store) lockedKey(ctx context.Context, tx pgx.Tx, id string) (*keys.DataKey, error) {
	var key, erased bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM trajectory_keys WHERE trajectory_id = $1 FOR KEY SHARE),
		EXISTS (SELECT 1 FROM erased_trajectories WHERE trajectory_id = $1)`, id).Scan(&key, &erased)
	switch {
	case err != nil:
		return nil, err
	case !key && erased:
		return nil, nil
	case !key:
		return nil, fmt.Errorf("%w: %s", keys.ErrNoKey, id)
	}
	k, err := s.vault.Key(ctx, id)
	if errors.Is(err, keys.ErrErased) {
		return nil, nil
	}
	return k, err
}

// sealColumns moves the read model's clear personal columns of trajectory
// id into its sealed personal data (nothing for an erased one, k nil:
// its clear columns are only emptied).
func sealColumns(ctx context.Context, tx pgx.Tx, k *keys.DataKey, id string) (bool, error) {
	var (
		reference, reason *string
		family            *trajectory.Family
		children          []trajectory.Child
		due               *time.Time
		sealed            []byte
		clear             bool
	)
	err := tx.QueryRow(ctx, `SELECT referrer_reference, family, reason, children, expected_due_date, personal, `+clearColumnsSQL+`
		FROM trajectories WHERE id = $1 FOR UPDATE`, id).Scan(&reference, &family, &reason, &children, &due, &sealed, &clear)
	if err != nil || !clear {
		return false, err
	}
	if k != nil {
		sealed, err = changePersonal(k, id, sealed, func(p *personal) {
			if p.ReferrerReference == "" && reference != nil {
				p.ReferrerReference = *reference
			}
			if p.Family == nil {
				p.Family = family
			}
			if p.Reason == "" && reason != nil {
				p.Reason = *reason
			}
			// The clear children were there first (the referral's, the
			// births before the key); the sealed came after.
			p.Children = append(children, p.Children...)
			if p.ExpectedDueDate == nil && due != nil {
				d := trajectory.DateOf(*due)
				p.ExpectedDueDate = &d
			}
		})
		if err != nil {
			return false, err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE trajectories SET personal = $2, referrer_reference = NULL, family = NULL, reason = NULL,
			children = '[]'::jsonb, expected_due_date = NULL,
			born_month = coalesce(born_month, date_trunc('month', born_on)::date), born_on = NULL
		WHERE id = $1`, id, sealed)
	return err == nil, err
}

// sealEvents seals the clear details of trajectory id's events and tags
// their plain causes (k nil, erased: cuts the details, drops the causes),
// with the log's trigger off for that one statement.
func sealEvents(ctx context.Context, tx pgx.Tx, k *keys.DataKey, id string) (bool, error) {
	rows, err := tx.Query(ctx, `SELECT pos, seq, kind, detail, sealed_detail IS NOT NULL, cause FROM trajectory_events
		WHERE trajectory_id = $1 AND `+clearEventSQL+` ORDER BY pos`, id)
	if err != nil {
		return false, err
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (clearEvent, error) {
		var e clearEvent
		return e, row.Scan(&e.pos, &e.seq, &e.kind, &e.detail, &e.sealed, &e.cause)
	})
	if err != nil {
		return false, fmt.Errorf("read clear events: %w", err)
	}
	if len(events) == 0 {
		return false, nil
	}
	pos := make([]int64, len(events))
	details := make([]*string, len(events))
	sealed := make([][]byte, len(events))
	causes := make([]*string, len(events))
	for i, e := range events {
		pos[i], causes[i] = e.pos, e.cause
		if !e.sealed && len(e.detail) > 0 {
			if sealed[i], err = sealDetail(k, e.seq, e.detail); err != nil {
				return false, fmt.Errorf("seal event %d: %w", e.seq, err)
			}
			kept, err := json.Marshal(reportableDetail(e.kind, e.detail))
			if err != nil {
				return false, err
			}
			d := string(kept)
			details[i] = &d
		}
		if plainCause(e.cause) {
			causes[i] = nil
			if k != nil {
				stored, _, _ := causeOf(k, trajectory.Event{Cause: *e.cause})
				causes[i] = &stored
			}
		}
	}
	for _, stmt := range []string{
		`ALTER TABLE trajectory_events DISABLE TRIGGER trajectory_events_append_only`,
		`UPDATE trajectory_events e SET detail = coalesce(u.detail::jsonb, e.detail),
			sealed_detail = coalesce(u.sealed, e.sealed_detail), cause = u.cause
		FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[]) AS u(pos, detail, sealed, cause)
		WHERE e.pos = u.pos AND e.trajectory_id = $5`,
		`ALTER TABLE trajectory_events ENABLE TRIGGER trajectory_events_append_only`,
	} {
		var args []any
		if strings.HasPrefix(stmt, "UPDATE") {
			args = []any{pos, details, sealed, causes, id}
		}
		if _, err := tx.Exec(ctx, stmt, args...); err != nil {
			return false, fmt.Errorf("rewrite clear events: %w", err)
		}
	}
	return true, nil
}

// plainCause says whether a logged cause is the plain one a release
// before tags wrote (not a tag, a number or the referral).
func plainCause(c *string) bool {
	return c != nil && *c != trajectory.CauseReferred && !strings.HasPrefix(*c, "k/") && !strings.HasPrefix(*c, "seq/")
}
