package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// A referral is one per partner reference: the same referral sent again
// answers 200 with the trajectory it started, but the same reference with
// other content is refused (409 referral_exists) rather than answered as
// if it had been taken. A referral is not changed through the API once
// received: what was wrong in it is corrected with the programme's team
// (the coach checks the family's details at the intake); a family that is
// to be referred anew is referred under a new reference.

// referralFingerprints is the part of *store.Store that keeps what each
// referral said; a store without it refuses no referral sent again.
type referralFingerprints interface {
	KeepReferralFingerprint(ctx context.Context, trajectoryID string, fingerprint [32]byte) error
	ReferralFingerprintDiffers(ctx context.Context, trajectoryID string, fingerprint [32]byte) (bool, error)
}

var _ referralFingerprints = (*store.Store)(nil)

// referralFingerprint is a digest of a checked referral.
func referralFingerprint(ref trajectory.Referral) ([32]byte, error) {
	b, err := json.Marshal(ref)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// otherReferral keeps what a new referral said, and answers 409 and
// returns true for a referral sent again that says something else.
func (s *server) otherReferral(w http.ResponseWriter, r *http.Request, ref trajectory.Referral, started usecase.Started) bool {
	fs, ok := s.store.(referralFingerprints)
	if !ok {
		return false
	}
	fp, err := referralFingerprint(ref)
	if err != nil {
		s.log.Error("referral: fingerprint", "trajectory_id", started.ID, "error", err)
		return false
	}
	if started.New {
		if err := fs.KeepReferralFingerprint(r.Context(), started.ID, fp); err != nil {
			s.log.Warn("referral: keep fingerprint", "trajectory_id", started.ID, "error", err)
		}
		return false
	}
	differs, err := fs.ReferralFingerprintDiffers(r.Context(), started.ID, fp)
	if err != nil {
		s.log.Warn("referral: read fingerprint", "trajectory_id", started.ID, "error", err)
		return false
	}
	if !differs {
		return false
	}
	refusalSettles(w)
	writeError(w, r, CodeReferralExists, "a referral with this reference was received before with other content, as trajectory "+started.ID+
		"; it is kept as first received and not changed through the API: ask the programme's team to correct "+
		"the family's details, or refer the family anew under a new reference")
	return true
}
