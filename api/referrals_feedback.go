package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// A partner reads the status of its own referrals: by the id a referral
// answered (its Location), or by the partner's own reference. The answer
// holds ids, the reference, a status and its instant: nothing of the
// family and nothing of who coaches it. docs/api.md, "Feedback on a
// referral", also describes the webhooks that tell the same.

const pathReferral = "/v1/referrals/{id}"

// actionReadReferral is the audit log's name of a partner's read.
const actionReadReferral = "read_referral"

// referralLocation is where a referral's status is read.
func referralLocation(id string) string { return "/v1/referrals/" + id }

// ReferralStatusReader reads a referral's status; *store.Store is one.
type ReferralStatusReader interface {
	ReferralStatus(ctx context.Context, id string) (store.ReferralStatus, error)
}

// ReferralStatusResponse is a referral as its partner sees it.
type ReferralStatusResponse struct {
	ID        string `json:"id"`
	Reference string `json:"reference,omitempty"` // absent once erased
	Programme string `json:"programme"`
	// Status is received, coach_assigned, in_support or closed.
	Status string `json:"status"`
	// StatusChangedAt is in UTC, to the second, as in the webhooks.
	StatusChangedAt time.Time `json:"status_changed_at"`
}

// ReferralList is the answer of a lookup by reference: the partner's
// referrals with that reference, one per programme at most.
type ReferralList struct {
	Items []ReferralStatusResponse `json:"items"`
}

func referralStatusResponse(st store.ReferralStatus) ReferralStatusResponse {
	return ReferralStatusResponse{ID: st.ID, Reference: st.Reference, Programme: st.ProgrammeID,
		Status: st.Status, StatusChangedAt: st.StatusChangedAt.UTC().Truncate(time.Second)}
}

// statusReader is the store as a ReferralStatusReader, or nil.
func (s *server) statusReader() ReferralStatusReader {
	r, _ := s.store.(ReferralStatusReader)
	return r
}

// getReferral answers a referral's status to the partner that made it.
// Another partner's referral answers 403: ids are keyed hashes nobody can
// guess, so saying it exists tells nothing, and a partner that mixed up
// its ids learns that it did.
func (s *server) getReferral(w http.ResponseWriter, r *http.Request) {
	id, ok := trajectoryID(w, r)
	if !ok {
		return
	}
	reader := s.statusReader()
	if reader == nil {
		writeError(w, r, CodeNotConfigured, "this server keeps no referral status")
		return
	}
	st, err := reader.ReferralStatus(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		noteOutcome(r, store.OutcomeNotFound)
		writeError(w, r, CodeReferralNotFound, "there is no referral with this id; use the id (tr-...) that the referral answered")
		return
	case err != nil:
		s.writeStoreError(w, r, "read referral status", err)
		return
	}
	noteTrajectory(r, id)
	if st.ReferrerOrg != principal(r).ID {
		writeForbidden(w, r, CodeForbidden, "organisation", "this referral was made by another organisation; you may read only your own")
		return
	}
	writeJSON(w, http.StatusOK, referralStatusResponse(st))
}

// findReferrals looks a partner's referrals up by its own reference, in
// the programme named or in each programme that accepts its referrals:
// the reference keys the id (trajectory.ID), so nothing is searched.
func (s *server) findReferrals(w http.ResponseWriter, r *http.Request) {
	reference, programmeID := r.URL.Query().Get("reference"), r.URL.Query().Get("programme")
	fe := &fieldErrors{query: true}
	if !usecase.ValidReference(reference) {
		fe.add("reference", "must be the referral's referrer.reference: 1-64 characters of A-Z, a-z, 0-9, dot, underscore, slash or dash")
	}
	if programmeID != "" && !idPattern.MatchString(programmeID) {
		fe.add("programme", "must be a programme id")
	}
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return
	}
	reader := s.statusReader()
	if reader == nil {
		writeError(w, r, CodeNotConfigured, "this server keeps no referral status")
		return
	}
	p := principal(r)
	programmes := p.Programmes
	if programmeID != "" {
		programmes = []string{programmeID}
	}
	list := ReferralList{Items: []ReferralStatusResponse{}}
	for _, prog := range programmes {
		st, err := reader.ReferralStatus(r.Context(), trajectory.ID(s.referrals.IDKey, prog, p.ID, reference))
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			s.writeStoreError(w, r, "read referral status", err)
			return
		}
		if st.ReferrerOrg == p.ID {
			list.Items = append(list.Items, referralStatusResponse(st))
		}
	}
	noteDetail(r, "found", strconv.Itoa(len(list.Items)))
	writeJSON(w, http.StatusOK, list)
}

var _ ReferralStatusReader = (*store.Store)(nil)
