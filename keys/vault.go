package keys

import (
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	// ErrNoKey: the trajectory has no data key (it was referred before
	// envelope encryption, or never): its payloads use the shared PAYLOAD_KEYS.
	ErrNoKey = errors.New("keys: the trajectory has no data key")
	// ErrErased: the trajectory's data key was destroyed; nothing encrypted
	// under it can be read again.
	ErrErased = errors.New("keys: the trajectory's data key was erased")
	// ErrNoProgrammeKey: PROGRAMME_KEYS lacks the programme key needed.
	ErrNoProgrammeKey = errors.New("keys: programme key missing")
)

// cacheFor bounds how long a process keeps an unwrapped data key: the
// codec runs inside workflow tasks and must not query PostgreSQL for every
// payload, while a key erased by another process must not stay usable long.
const cacheFor = 30 * time.Second

// DataKey is one trajectory's data key.
type DataKey struct {
	TrajectoryID string
	ProgrammeID  string
	aead         cipher.AEAD
	// tagKey is derived from the data key for Tag, so that a tag reveals
	// nothing of the key that encrypts.
	tagKey []byte
}

// AEAD is AES-256-GCM under the data key, nonce in front of the ciphertext.
func (k *DataKey) AEAD() cipher.AEAD { return k.aead }

// Seal encrypts plain; aad names what it is (a column), so a ciphertext
// moved to another column does not open.
func (k *DataKey) Seal(plain []byte, aad string) []byte {
	return k.aead.Seal(nil, nil, plain, []byte(k.TrajectoryID+"\x00"+aad))
}

// Tag is a keyed digest of s under the data key (HMAC-SHA-256, 128 bits,
// base64url): the same s gives the same tag while the key lives, so a
// column can be unique on it, and once the key is erased nobody can tell
// which s it was, not even by trying every date of a year.
func (k *DataKey) Tag(s string) string {
	m := hmac.New(sha256.New, k.tagKey)
	m.Write([]byte(k.TrajectoryID + "\x00" + s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Open decrypts what Seal made with the same aad.
func (k *DataKey) Open(sealed []byte, aad string) ([]byte, error) {
	plain, err := k.aead.Open(nil, nil, sealed, []byte(k.TrajectoryID+"\x00"+aad))
	if err != nil {
		return nil, fmt.Errorf("keys: %s of %s does not decrypt", aad, k.TrajectoryID)
	}
	return plain, nil
}

// Vault keeps the wrapped data keys in PostgreSQL (table trajectory_keys,
// migration 0007) and unwraps them with the programme keys. An erased
// key's row is deleted; erased_trajectories (migration 0015) remembers
// that the trajectory was erased. It is safe for concurrent use.
type Vault struct {
	pool *pgxpool.Pool
	pk   *ProgrammeKeys
	// read looks a key up in PostgreSQL; an error wrapping ErrNoKey when
	// it has none, any other when PostgreSQL did not answer.
	read  func(ctx context.Context, trajectoryID string) (stored, error)
	now   func() time.Time
	cache *keyCache
}

// stored is a row of trajectory_keys; keyID and wrapped are nil for an
// erased trajectory (a row of erased_trajectories).
type stored struct {
	programmeID string
	keyID       *string
	wrapped     []byte
}

// NewVault returns the vault of the database behind pool. It keeps
// looked-up keys cacheFor; KeepServed makes it serve them longer while
// PostgreSQL does not answer.
func NewVault(pool *pgxpool.Pool, pk *ProgrammeKeys) *Vault {
	if pk == nil {
		panic("keys.NewVault: nil ProgrammeKeys")
	}
	v := &Vault{pool: pool, pk: pk, now: time.Now, cache: newKeyCache()}
	v.read = v.readRow
	return v
}

// KeepServed makes the vault keep the keys of the last size trajectories
// it served (a worker: as many as its workflow cache holds) and serve one
// of them for up to maxStale after PostgreSQL last confirmed it, while
// lookups fail: a PostgreSQL outage does not fail the workflow tasks of
// the trajectories a worker serves. An answer that a key was erased or is
// absent evicts it at once, as does an erasure in this process.
// KeepConfirmed keeps the kept keys confirmed. Call it before the vault
// serves lookups; maxStale 0 serves nothing past cacheFor.
func (v *Vault) KeepServed(size int, maxStale time.Duration) {
	v.cache.configure(size, maxStale)
}

// ProgrammeKeys are the vault's programme keys.
func (v *Vault) ProgrammeKeys() *ProgrammeKeys { return v.pk }

// Ensure returns the trajectory's data key, making it first if it has
// none. A referral repeated after erasure gets ErrErased: a destroyed key
// is never replaced, so nothing new is written under the old id.
func (v *Vault) Ensure(ctx context.Context, trajectoryID, programmeID string) (*DataKey, error) {
	k, _, err := v.ensure(ctx, trajectoryID, programmeID)
	return k, err
}

// Prepare is Ensure for a referral: made says whether the key was made
// now, so the trajectory is new (every trajectory gets its key before its
// workflow starts).
func (v *Vault) Prepare(ctx context.Context, trajectoryID, programmeID string) (made bool, err error) {
	_, made, err = v.ensure(ctx, trajectoryID, programmeID)
	return made, err
}

func (v *Vault) ensure(ctx context.Context, trajectoryID, programmeID string) (*DataKey, bool, error) {
	if c := v.cache.get(trajectoryID, v.now()); c.fresh {
		k, err := c.answer()
		return k, false, err
	}
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, fmt.Errorf("keys: make data key: %w", err)
	}
	keyID, wrapped, err := v.pk.wrap(programmeID, trajectoryID, raw)
	clear(raw)
	if err != nil {
		return nil, false, err
	}
	// One round trip: insert the new key unless the trajectory has one,
	// and answer whichever key it has now (an erased one included).
	at, gen := v.now(), v.cache.generation()
	var s stored
	var made bool
	err = v.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO trajectory_keys (trajectory_id, programme_id, key_id, wrapped)
			SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM erased_trajectories WHERE trajectory_id = $1)
			ON CONFLICT (trajectory_id) DO NOTHING
			RETURNING programme_id, key_id, wrapped
		)
		SELECT programme_id, key_id, wrapped, true FROM ins
		UNION ALL
		SELECT programme_id, key_id, wrapped, false FROM trajectory_keys
		WHERE trajectory_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)
		UNION ALL
		SELECT programme_id, NULL, NULL, false FROM erased_trajectories WHERE trajectory_id = $1`,
		trajectoryID, programmeID, keyID, wrapped).Scan(&s.programmeID, &s.keyID, &s.wrapped, &made)
	var pgErr *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pgErr) && pgErr.ConstraintName == "trajectory_keys_not_erased" {
		// A concurrent Ensure inserted it after this statement's snapshot
		// was taken, or an erasure deleted it while the insert waited
		// (the trigger refused the new key): read back what is there.
		v.cache.forget(trajectoryID)
		k, err := v.Key(ctx, trajectoryID)
		return k, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("keys: store data key of %s: %w", trajectoryID, err)
	}
	k, err := v.answered(trajectoryID, s, at, gen)
	return k, made, err
}

// Key returns the trajectory's data key, or an error wrapping ErrNoKey or
// ErrErased. After KeepServed, a key it served within maxStale is served
// again when PostgreSQL does not answer.
func (v *Vault) Key(ctx context.Context, trajectoryID string) (*DataKey, error) {
	now := v.now()
	c := v.cache.get(trajectoryID, now)
	switch {
	case c.fresh:
		return c.answer()
	case c.stale && c.down:
		return v.serveStale(c, errors.New("keys: PostgreSQL did not answer a moment ago"))
	}
	lookupCtx := ctx
	if c.stale {
		var cancel context.CancelFunc
		lookupCtx, cancel = context.WithTimeout(ctx, staleLookupTimeout)
		defer cancel()
	}
	gen := v.cache.generation()
	s, err := v.read(lookupCtx, trajectoryID)
	switch {
	case errors.Is(err, ErrNoKey):
		// An answer: evicted, and not kept either, since a trajectory's
		// key appears at its referral (or its first event), and a decoder
		// that remembered its absence would refuse, for a while, payloads
		// sealed under it.
		v.cache.evict(trajectoryID)
		return nil, err
	case err != nil && c.stale && ctx.Err() == nil:
		v.cache.failed(now)
		return v.serveStale(c, err)
	case err != nil:
		return nil, err
	}
	return v.answered(trajectoryID, s, now, gen)
}

// answer is a fresh entry's key, or ErrErased.
func (l lookup) answer() (*DataKey, error) {
	if l.erased {
		return nil, fmt.Errorf("%w: %s", ErrErased, l.id)
	}
	return l.key, nil
}

// answered keeps what PostgreSQL answered at `at` about a trajectory's key
// (a lookup begun at generation gen) and returns the key.
func (v *Vault) answered(trajectoryID string, s stored, at time.Time, gen uint64) (*DataKey, error) {
	if s.keyID == nil || s.wrapped == nil {
		v.cache.put(entry{id: trajectoryID, programmeID: s.programmeID, erased: true, checked: at}, gen, at)
		return nil, fmt.Errorf("%w: %s", ErrErased, trajectoryID)
	}
	k, err := v.open(trajectoryID, s.programmeID, *s.keyID, s.wrapped)
	if err != nil {
		return nil, err
	}
	v.cache.put(entry{id: trajectoryID, programmeID: s.programmeID, keyID: *s.keyID, wrapped: s.wrapped, key: k, checked: at}, gen, at)
	return k, nil
}

// serveStale unwraps a kept key for a lookup that failed with err (which
// it returns if the key does not unwrap).
func (v *Vault) serveStale(c lookup, err error) (*DataKey, error) {
	k, uerr := v.open(c.id, c.programmeID, c.keyID, c.wrapped)
	if uerr != nil {
		return nil, err
	}
	return k, nil
}

func (v *Vault) readRow(ctx context.Context, trajectoryID string) (stored, error) {
	var s stored
	err := v.pool.QueryRow(ctx, `SELECT programme_id, key_id, wrapped FROM trajectory_keys WHERE trajectory_id = $1
		UNION ALL
		SELECT programme_id, NULL, NULL FROM erased_trajectories WHERE trajectory_id = $1`,
		trajectoryID).Scan(&s.programmeID, &s.keyID, &s.wrapped)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("%w: %s", ErrNoKey, trajectoryID)
	}
	if err != nil {
		return s, fmt.Errorf("keys: read data key of %s: %w", trajectoryID, err)
	}
	return s, nil
}

// open unwraps a stored data key.
func (v *Vault) open(trajectoryID, programmeID, keyID string, wrapped []byte) (*DataKey, error) {
	raw, err := v.pk.unwrap(keyID, trajectoryID, wrapped)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(raw)
	tagKey := hmac.New(sha256.New, raw)
	tagKey.Write([]byte("elkgezin data key: tags"))
	clear(raw)
	if err != nil {
		return nil, err
	}
	return &DataKey{TrajectoryID: trajectoryID, ProgrammeID: programmeID, aead: aead, tagKey: tagKey.Sum(nil)}, nil
}

// Programme returns the programme a trajectory's data key belongs to, also
// after erasure; an error wrapping ErrNoKey when it has none.
func (v *Vault) Programme(ctx context.Context, trajectoryID string) (string, error) {
	var p string
	err := v.pool.QueryRow(ctx, `SELECT programme_id FROM trajectory_keys WHERE trajectory_id = $1
		UNION ALL
		SELECT programme_id FROM erased_trajectories WHERE trajectory_id = $1`, trajectoryID).Scan(&p)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%w: %s", ErrNoKey, trajectoryID)
	}
	if err != nil {
		return "", fmt.Errorf("keys: read programme of %s: %w", trajectoryID, err)
	}
	return p, nil
}

// Erase destroys the trajectory's data key: its row is deleted, and the
// trajectory is recorded as erased. It reports whether this call destroyed
// it (false: erased before); an error wrapping ErrNoKey when the
// trajectory has no data key to destroy. It destroys only the key:
// store.Store.Erase is the erasure of a trajectory, which clears what
// stays in clear columns with it.
func (v *Vault) Erase(ctx context.Context, trajectoryID string) (bool, error) {
	return v.EraseWith(ctx, trajectoryID, nil)
}

// EraseWith is Erase that also runs also, when this call destroys the key,
// in the same transaction: what also writes (an audit entry) commits with
// the destruction or not at all. Its error is returned wrapped.
func (v *Vault) EraseWith(ctx context.Context, trajectoryID string, also func(pgx.Tx) error) (bool, error) {
	defer v.cache.forget(trajectoryID)
	erased := false
	err := pgx.BeginFunc(ctx, v.pool, func(tx pgx.Tx) error {
		// Two erasures at once: the second waits for the first's delete,
		// then deletes nothing and records nothing.
		tag, err := tx.Exec(ctx, `
			WITH gone AS (DELETE FROM trajectory_keys WHERE trajectory_id = $1 RETURNING programme_id)
			INSERT INTO erased_trajectories (trajectory_id, programme_id) SELECT $1, programme_id FROM gone`, trajectoryID)
		if err != nil || tag.RowsAffected() != 1 {
			return err
		}
		erased = true
		if also == nil {
			return nil
		}
		return also(tx)
	})
	if err != nil {
		return false, fmt.Errorf("keys: erase data key of %s: %w", trajectoryID, err)
	}
	if erased {
		return true, nil
	}
	if _, err := v.Programme(ctx, trajectoryID); err != nil {
		return false, err
	}
	return false, nil
}
