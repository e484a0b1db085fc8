package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Idempotency keys: the answer to a request sent with an Idempotency-Key
// is kept for IdempotencyTTL, so that a retry is answered as the first
// request was, without acting again (see api/idempotency.go).

// IdempotencyTTL is how long an answer is kept for a retry.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyLock is how long a request in flight holds its key: a
// process that died mid-request leaves its claim, which lapses then.
const IdempotencyLock = time.Minute

// IdempotencyScope is what a key is the key of: the same key of another
// caller, route or resource is another key.
type IdempotencyScope struct {
	Caller   string // the principal's kind and id, "partner:kind-en-gezin"
	Route    string // method and route template, "POST /v1/referrals"
	Resource string // the trajectory id, or "" for none
	Key      string // the client's Idempotency-Key
}

// digest is the row's primary key: the key is the client's text, which
// may hold anything, so only a digest of the scope is kept.
func (sc IdempotencyScope) digest() []byte {
	h := sha256.New()
	for _, part := range []string{sc.Caller, sc.Route, sc.Resource, sc.Key} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// IdempotentAnswer is a kept answer.
type IdempotentAnswer struct {
	Status      int
	Location    string
	ContentType string
	ETag        string // the version of the trajectory the answer shows
	Body        []byte
}

// IdempotencyClaim is what ClaimIdempotencyKey found.
type IdempotencyClaim struct {
	// Claimed: the key was free and is this request's now; it acts, then
	// calls CompleteIdempotencyKey or ReleaseIdempotencyKey.
	Claimed bool
	// Mismatch: the key was used with another request.
	Mismatch bool
	// InFlight: the first request with the key is not answered yet.
	InFlight bool
	// Answer is the first request's answer (neither of the above).
	Answer IdempotentAnswer
}

// ClaimIdempotencyKey claims the key of sc for a request whose fingerprint
// is given, or finds what an earlier request with it left: its answer, a
// claim still in flight, or another fingerprint. Rows past their expiry
// are deleted here (a few per call), so nothing else needs to sweep them.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, sc IdempotencyScope, fingerprint [32]byte) (IdempotencyClaim, error) {
	scope := sc.digest()
	if _, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE scope IN
		(SELECT scope FROM idempotency_keys WHERE expires_at <= now() LIMIT 100)`); err != nil {
		return IdempotencyClaim{}, fmt.Errorf("idempotency key: sweep: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys (scope, fingerprint, locked_until, expires_at)
		VALUES ($1, $2, now() + $3::interval, now() + $4::interval)
		ON CONFLICT (scope) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, locked_until = EXCLUDED.locked_until,
			created_at = now(), expires_at = EXCLUDED.expires_at
		WHERE idempotency_keys.status IS NULL AND idempotency_keys.locked_until <= now()`,
		scope, fingerprint[:], IdempotencyLock.String(), IdempotencyTTL.String())
	if err != nil {
		return IdempotencyClaim{}, fmt.Errorf("idempotency key: claim: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return IdempotencyClaim{Claimed: true}, nil
	}
	var (
		fp           []byte
		trajectories []string
		status       *int
		a            IdempotentAnswer
		sealed       bool
	)
	err = s.pool.QueryRow(ctx, `SELECT fingerprint, trajectories, status, location, content_type, etag, body, body_sealed
		FROM idempotency_keys WHERE scope = $1`, scope).Scan(&fp, &trajectories, &status, &a.Location, &a.ContentType, &a.ETag, &a.Body, &sealed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Released or erased between the two statements: claim again.
		return s.ClaimIdempotencyKey(ctx, sc, fingerprint)
	case err != nil:
		return IdempotencyClaim{}, fmt.Errorf("idempotency key: read: %w", err)
	case string(fp) != string(fingerprint[:]):
		return IdempotencyClaim{Mismatch: true}, nil
	case status == nil:
		return IdempotencyClaim{InFlight: true}, nil
	}
	a.Status = *status
	if sealed {
		if a.Body, err = s.openAnswer(ctx, trajectories, scope, a.Body); err != nil {
			return IdempotencyClaim{}, err
		}
	}
	return IdempotencyClaim{Answer: a}, nil
}

// aadAnswer names a sealed answer's column and row.
func aadAnswer(scope []byte) string { return "idempotency_keys.body/" + hex.EncodeToString(scope) }

// openAnswer opens a body sealed under the key of its one trajectory.
func (s *Store) openAnswer(ctx context.Context, trajectories []string, scope, sealed []byte) ([]byte, error) {
	if len(trajectories) != 1 {
		return nil, fmt.Errorf("idempotency key: a sealed answer about %d trajectories", len(trajectories))
	}
	k, err := s.openKey(ctx, trajectories[0])
	switch {
	case err != nil:
		return nil, fmt.Errorf("idempotency key: open answer: %w", err)
	case k == nil:
		return nil, fmt.Errorf("idempotency key: answer of erased trajectory %s: %w", trajectories[0], ErrNotFound)
	}
	return k.Open(sealed, aadAnswer(scope))
}

// CompleteIdempotencyKey keeps the answer of the request that claimed
// sc's key. The answer is about trajectories (erasing any of them deletes
// it); sealUnder, when set (one of them), seals the body under that
// trajectory's data key, for a body that holds its personal data.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, sc IdempotencyScope, a IdempotentAnswer, trajectories []string, sealUnder string) error {
	scope := sc.digest()
	body, sealed := a.Body, false
	if sealUnder != "" {
		k, err := s.openKey(ctx, sealUnder)
		switch {
		case err != nil:
			return fmt.Errorf("idempotency key: seal answer: %w", err)
		case k == nil: // erased meanwhile: nothing of it is kept
			return s.ReleaseIdempotencyKey(ctx, sc)
		}
		body, sealed = k.Seal(a.Body, aadAnswer(scope)), true
	}
	if trajectories == nil {
		trajectories = []string{}
	}
	_, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET status = $2, location = $3, content_type = $4, etag = $5, body = $6,
		body_sealed = $7, trajectories = $8
		WHERE scope = $1`, scope, a.Status, a.Location, a.ContentType, a.ETag, body, sealed, trajectories)
	if err != nil {
		return fmt.Errorf("idempotency key: keep answer: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey gives up a claim: the request did not act, or its
// answer is not one to repeat (a 503 asks for a retry that acts).
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, sc IdempotencyScope) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND status IS NULL`, sc.digest()); err != nil {
		return fmt.Errorf("idempotency key: release: %w", err)
	}
	return nil
}

// clearIdempotencySQL deletes the kept answers about trajectory $1, and
// the digest of its referral.
const clearIdempotencySQL = `WITH ik AS (DELETE FROM idempotency_keys WHERE $1 = ANY (trajectories) RETURNING 1)
	DELETE FROM referral_fingerprints WHERE trajectory_id = $1`

// KeepReferralFingerprint keeps the digest of what the referral of a
// trajectory said (once: the first referral's), as a tag under the
// trajectory's data key.
func (s *Store) KeepReferralFingerprint(ctx context.Context, trajectoryID string, fingerprint [32]byte) error {
	k, err := s.openKey(ctx, trajectoryID)
	if err != nil || k == nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO referral_fingerprints (trajectory_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		trajectoryID, k.Tag(hex.EncodeToString(fingerprint[:])))
	if err != nil {
		return fmt.Errorf("keep referral fingerprint: %w", err)
	}
	return nil
}

// ReferralFingerprintDiffers says whether the referral of a trajectory said
// something else than fingerprint; false when its digest is not known (a
// trajectory referred before digests were kept, or erased).
func (s *Store) ReferralFingerprintDiffers(ctx context.Context, trajectoryID string, fingerprint [32]byte) (bool, error) {
	var tag string
	err := s.pool.QueryRow(ctx, `SELECT tag FROM referral_fingerprints WHERE trajectory_id = $1`, trajectoryID).Scan(&tag)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read referral fingerprint: %w", err)
	}
	k, err := s.openKey(ctx, trajectoryID)
	if err != nil || k == nil {
		return false, err
	}
	return k.Tag(hex.EncodeToString(fingerprint[:])) != tag, nil
}
