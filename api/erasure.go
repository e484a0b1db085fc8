package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"elkgezin/keys"
	"elkgezin/retention"
	"elkgezin/store"
)

// Eraser erases a trajectory (retention.Eraser): it deletes its workflow
// executions from Temporal, destroys its data key and clears what
// PostgreSQL holds of it in clear.
type Eraser interface {
	Erase(ctx context.Context, trajectoryID string) (bool, error)
}

var _ Eraser = retention.Eraser{}

// EmailLister lists a trajectory's email ledger rows (*store.Store).
type EmailLister interface {
	EmailsOf(ctx context.Context, trajectoryID string) ([]store.EmailRecord, error)
}

// ErasureResponse answers an erasure.
type ErasureResponse struct {
	ID string `json:"id"`
	// KeyDestroyed is false when an earlier erasure destroyed it already.
	KeyDestroyed bool `json:"key_destroyed"`
}

// postErasure erases a trajectory: a supervisor of its
// programme or an administrator (who sees no family data, and needs none
// to erase it). The request's audit entry records the erasure.
func (s *server) postErasure(w http.ResponseWriter, r *http.Request) {
	id, ok := trajectoryID(w, r)
	if !ok {
		return
	}
	p := principal(r)
	if p.Kind != KindAdmin {
		if _, ok := s.loadVisible(w, r, id); !ok {
			return
		}
	}
	if s.eraser == nil {
		writeError(w, http.StatusServiceUnavailable, "service unavailable", "erasure is not configured on this server")
		return
	}
	erased, err := s.eraser.Erase(r.Context(), id)
	switch {
	case errors.Is(err, retention.ErrNotErasable):
		noteOutcome(r, store.OutcomeNotFound)
		writeError(w, http.StatusNotFound, "nothing to erase",
			"this trajectory has no data key: it does not exist, or it was referred before envelope encryption (see README, Personal data)")
		return
	case unavailable(r.Context(), err):
		writeError(w, http.StatusServiceUnavailable, "service unavailable", "the erasure could not be completed; retry (it is safe to repeat)")
		return
	case err != nil:
		s.log.Error("erase trajectory", "trajectory_id", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "service unavailable", "the erasure could not be completed (logged); retry (it is safe to repeat)")
		return
	}
	noteDetail(r, "key_destroyed", strconv.FormatBool(erased))
	writeJSON(w, http.StatusOK, ErasureResponse{ID: id, KeyDestroyed: erased})
}

// ExportEmail is one email of the trajectory, without its body (the
// ledger keeps none).
type ExportEmail struct {
	Key       string     `json:"key"`
	Recipient string     `json:"recipient"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// Export is everything elkgezin holds about a family: the read model with
// the referral, every event with its details, the handovers among them,
// and the emails sent about the trajectory.
type Export struct {
	ExportedAt time.Time        `json:"exported_at"`
	Trajectory store.Trajectory `json:"trajectory"`
	Handovers  []store.EventRow `json:"handovers"`
	Emails     []ExportEmail    `json:"emails"`
}

// getExport answers a subject-access request: a supervisor of the
// programme or the trajectory's coach. Audited before anything goes out.
func (s *server) getExport(w http.ResponseWriter, r *http.Request) {
	id, ok := trajectoryID(w, r)
	if !ok {
		return
	}
	row, ok := s.loadVisible(w, r, id)
	if !ok {
		return
	}
	out := Export{ExportedAt: time.Now().UTC(), Trajectory: row, Handovers: []store.EventRow{}, Emails: []ExportEmail{}}
	if out.Trajectory.Events == nil {
		out.Trajectory.Events = []store.EventRow{}
	}
	for _, e := range row.Events {
		if strings.HasPrefix(e.Kind, "handover") {
			out.Handovers = append(out.Handovers, e)
		}
	}
	if el, ok := s.store.(EmailLister); ok {
		emails, err := el.EmailsOf(r.Context(), id)
		if err != nil {
			s.writeStoreError(w, "export: emails", err)
			return
		}
		for _, e := range emails {
			out.Emails = append(out.Emails, ExportEmail{Key: e.Key, Recipient: e.Recipient, Subject: e.Subject, Status: string(e.Status), SentAt: e.SentAt})
		}
	}
	if err := s.auditRead(r); err != nil {
		s.writeAuditUnavailable(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// DataKeyMaker makes a trajectory's data key: *keys.Vault. made says
// whether it was made now: then no trajectory was ever recorded under the
// id, as every trajectory gets its key before its workflow starts.
type DataKeyMaker interface {
	Prepare(ctx context.Context, trajectoryID, programmeID string) (made bool, err error)
}

// ensureDataKey makes the referred trajectory's data key, and says whether
// it made it now (fresh); it answers 409 for a referral of a trajectory that
// was erased (its id is spent), 503 when the key could not be stored.
func (s *server) ensureDataKey(w http.ResponseWriter, r *http.Request, id, programmeID string) (fresh, ok bool) {
	if s.dataKeys == nil {
		return false, true
	}
	made, err := s.dataKeys.Prepare(r.Context(), id, programmeID)
	switch {
	case err == nil:
		return made, true
	case errors.Is(err, keys.ErrErased):
		writeError(w, http.StatusConflict, "trajectory erased",
			"this referral's trajectory was erased; refer the family again with a new reference")
	default:
		s.log.Error("referral: data key", "trajectory_id", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the trajectory's encryption key could not be stored; send the same referral again later")
	}
	return false, false
}
