package store

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"testing"
	"time"
)

// A key is claimed once; its answer comes back to the same request, a
// mismatch to another; a claim in flight is said so; another caller's
// key is another key; a released claim is free again.
func TestIdempotencyKeyClaims(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	sc := IdempotencyScope{Caller: "partner:org", Route: "POST /v1/referrals", Key: "k-1"}
	fp := sha256.Sum256([]byte("request"))

	if c, err := s.ClaimIdempotencyKey(ctx, sc, fp); err != nil || !c.Claimed {
		t.Fatalf("first claim: %+v, %v", c, err)
	}
	if c, err := s.ClaimIdempotencyKey(ctx, sc, fp); err != nil || !c.InFlight {
		t.Fatalf("claim while in flight: %+v, %v", c, err)
	}
	if c, err := s.ClaimIdempotencyKey(ctx, sc, sha256.Sum256([]byte("other"))); err != nil || !c.Mismatch {
		t.Fatalf("another request under the key: %+v, %v", c, err)
	}
	other := sc
	other.Caller = "partner:other"
	if c, err := s.ClaimIdempotencyKey(ctx, other, fp); err != nil || !c.Claimed {
		t.Fatalf("another caller's key: %+v, %v", c, err)
	}
	answer := IdempotentAnswer{Status: 201, Location: "/v1/trajectories/tr-x", Body: []byte(`{"id":"tr-x"}`)}
	if err := s.CompleteIdempotencyKey(ctx, sc, answer, []string{"tr-x"}, ""); err != nil {
		t.Fatal(err)
	}
	c, err := s.ClaimIdempotencyKey(ctx, sc, fp)
	if err != nil || c.Claimed || c.Answer.Status != 201 || c.Answer.Location != answer.Location || !bytes.Equal(c.Answer.Body, answer.Body) {
		t.Fatalf("replay: %+v, %v", c, err)
	}
	if err := s.ReleaseIdempotencyKey(ctx, other); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ClaimIdempotencyKey(ctx, other, fp); err != nil || !c.Claimed {
		t.Fatalf("a released key: %+v, %v", c, err)
	}
}

// Of requests at once with one key, one claims it.
func TestIdempotencyKeyClaimedOnceAtOnce(t *testing.T) {
	s := newStore(t)
	sc := IdempotencyScope{Caller: "coach:an", Route: "POST /v1/consultations", Key: "same"}
	fp := sha256.Sum256([]byte("x"))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed int
	)
	for range 8 {
		wg.Go(func() {
			c, err := s.ClaimIdempotencyKey(t.Context(), sc, fp)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if c.Claimed {
				claimed++
			}
		})
	}
	wg.Wait()
	if claimed != 1 {
		t.Errorf("%d requests claimed one key", claimed)
	}
}

// An answer past its expiry is gone: the key acts again; a claim whose
// process died lapses.
func TestIdempotencyKeyExpires(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	sc := IdempotencyScope{Caller: "coach:an", Route: "POST /v1/consultations", Key: "old"}
	fp := sha256.Sum256([]byte("x"))
	if _, err := s.ClaimIdempotencyKey(ctx, sc, fp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET locked_until = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ClaimIdempotencyKey(ctx, sc, fp); err != nil || !c.Claimed {
		t.Fatalf("a lapsed claim: %+v, %v", c, err)
	}
	if err := s.CompleteIdempotencyKey(ctx, sc, IdempotentAnswer{Status: 201, Body: []byte("{}")}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ClaimIdempotencyKey(ctx, sc, sha256.Sum256([]byte("another"))); err != nil || !c.Claimed {
		t.Fatalf("an expired key: %+v, %v", c, err)
	}
	var left time.Duration
	if err := s.pool.QueryRow(ctx, `SELECT expires_at - created_at FROM idempotency_keys`).Scan(&left); err != nil || left != IdempotencyTTL {
		t.Errorf("expiry %v (%v); want %v", left, err, IdempotencyTTL)
	}
}

// The answer about a trajectory is sealed under its key, opened for a
// replay, and deleted by its erasure.
func TestIdempotencyAnswerSealedAndErased(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ref := referredEvent("p1", "org", "IDEM-1", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	record(t, s, ref)
	id := ref.TrajectoryID
	sc := IdempotencyScope{Caller: "coach:an", Route: "POST /v1/trajectories/{id}/visits", Resource: id, Key: "v-1"}
	fp := sha256.Sum256([]byte("visit"))
	if _, err := s.ClaimIdempotencyKey(ctx, sc, fp); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"note":"Moeder Fatima thuis"}`)
	if err := s.CompleteIdempotencyKey(ctx, sc, IdempotentAnswer{Status: 200, Body: body}, []string{id}, id); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := s.pool.QueryRow(ctx, `SELECT body FROM idempotency_keys`).Scan(&stored); err != nil || bytes.Contains(stored, []byte("Fatima")) {
		t.Fatalf("stored body %q (%v); want it sealed", stored, err)
	}
	if c, err := s.ClaimIdempotencyKey(ctx, sc, fp); err != nil || !bytes.Equal(c.Answer.Body, body) {
		t.Fatalf("replay: %+v, %v", c, err)
	}
	if _, err := s.Erase(ctx, id); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM idempotency_keys`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d answers left after the erasure (%v)", n, err)
	}
}

// A referral's digest is kept once, as a tag under its trajectory's key:
// the same referral does not differ, another does; a trajectory without
// one refuses nothing; the erasure deletes it.
func TestReferralFingerprint(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ref := referredEvent("p1", "org", "FP-1", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	record(t, s, ref)
	id := ref.TrajectoryID
	first, second := sha256.Sum256([]byte("referral")), sha256.Sum256([]byte("corrected referral"))
	if differs, err := s.ReferralFingerprintDiffers(ctx, id, second); err != nil || differs {
		t.Fatalf("no digest kept yet: %v, %v", differs, err)
	}
	for _, fp := range [][32]byte{first, second} { // the first is kept
		if err := s.KeepReferralFingerprint(ctx, id, fp); err != nil {
			t.Fatal(err)
		}
	}
	if differs, err := s.ReferralFingerprintDiffers(ctx, id, first); err != nil || differs {
		t.Errorf("the same referral: differs %v (%v)", differs, err)
	}
	if differs, err := s.ReferralFingerprintDiffers(ctx, id, second); err != nil || !differs {
		t.Errorf("another referral: differs %v (%v)", differs, err)
	}
	if _, err := s.Erase(ctx, id); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM referral_fingerprints`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d digests left after the erasure (%v)", n, err)
	}
}
