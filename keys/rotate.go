package keys

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Rewrap wraps every data key that is not under its programme's newest key
// anew under it, so the older programme keys can be dropped from
// PROGRAMME_KEYS. It returns how many it rewrapped. Each key is rewrapped
// in its own statement, guarded by its old wrapping, so a concurrent
// erasure is never undone.
func (v *Vault) Rewrap(ctx context.Context) (int, error) {
	rows, err := v.pool.Query(ctx, `SELECT trajectory_id, programme_id, key_id, wrapped FROM trajectory_keys`)
	if err != nil {
		return 0, fmt.Errorf("keys: list data keys: %w", err)
	}
	type row struct {
		id, programme, keyID string
		wrapped              []byte
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.programme, &x.keyID, &x.wrapped)
		return x, err
	})
	if err != nil {
		return 0, fmt.Errorf("keys: list data keys: %w", err)
	}
	n := 0
	for _, x := range all {
		if newest, ok := v.pk.Newest(x.programme); ok && newest == x.keyID {
			continue
		}
		raw, err := v.pk.unwrap(x.keyID, x.id, x.wrapped)
		if err != nil {
			return n, err
		}
		keyID, wrapped, err := v.pk.wrap(x.programme, x.id, raw)
		clear(raw)
		if err != nil {
			return n, err
		}
		tag, err := v.pool.Exec(ctx, `UPDATE trajectory_keys SET key_id = $2, wrapped = $3
			WHERE trajectory_id = $1 AND key_id = $4`, x.id, keyID, wrapped, x.keyID)
		if err != nil {
			return n, fmt.Errorf("keys: rewrap data key of %s: %w", x.id, err)
		}
		n += int(tag.RowsAffected())
		v.cache.forget(x.id)
	}
	return n, nil
}

// KeysInUse counts the live data keys wrapped by each programme key, so an
// operator sees that an old key wraps none before dropping it.
func (v *Vault) KeysInUse(ctx context.Context) (map[string]int, error) {
	rows, err := v.pool.Query(ctx, `SELECT key_id, count(*) FROM trajectory_keys GROUP BY key_id`)
	if err != nil {
		return nil, fmt.Errorf("keys: count data keys: %w", err)
	}
	out := map[string]int{}
	var id string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("keys: count data keys: %w", err)
	}
	return out, nil
}
