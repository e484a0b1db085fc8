package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/retention"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
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

// AccessLogReader lists the audit entries about a trajectory (*store.Store).
type AccessLogReader interface {
	AccessLog(ctx context.Context, trajectoryID string) ([]store.AuditEntry, error)
}

// consultationReader reads the consultation a referral followed (*store.Store).
type consultationReader interface {
	Consultation(ctx context.Context, id string) (store.Consultation, error)
}

var (
	_ AccessLogReader    = (*store.Store)(nil)
	_ consultationReader = (*store.Store)(nil)
)

// ErasureRequest is the body of an erasure.
type ErasureRequest struct {
	// Reason says why, for the audit log (retention.CheckReason): required
	// of an administrator, who may erase any trajectory; a supervisor may
	// give one.
	Reason string `json:"reason"`
}

// erasureBodyLimit bounds an erasure's body: a reason of a few words.
const erasureBodyLimit = 4 << 10

// ErasureResponse answers an erasure.
type ErasureResponse struct {
	ID string `json:"id"`
	// KeyDestroyed is false when an earlier erasure destroyed it already.
	KeyDestroyed bool `json:"key_destroyed"`
}

// postErasure erases a trajectory: a supervisor of its
// programme or an administrator (who sees no family data, and needs none
// to erase it, but must say why). The request's audit entry records the
// erasure and its reason.
func (s *server) postErasure(w http.ResponseWriter, r *http.Request) {
	id, ok := trajectoryID(w, r)
	if !ok {
		return
	}
	p := principal(r)
	if p.Kind != usecase.KindAdmin {
		if _, ok := s.loadVisible(w, r, id); !ok {
			return
		}
	}
	if s.eraser == nil {
		writeError(w, r, CodeNotConfigured, "erasure is not configured on this server")
		return
	}
	reason, ok := erasureReason(w, r, p.Kind == usecase.KindAdmin)
	if !ok {
		return
	}
	noteDetail(r, "reason", reason)
	erased, err := s.eraser.Erase(r.Context(), id)
	switch {
	case errors.Is(err, retention.ErrNotErasable):
		noteOutcome(r, store.OutcomeNotFound)
		writeError(w, r, CodeNothingToErase,
			"this trajectory does not exist")
		return
	case usecase.Unavailable(r.Context(), err):
		writeError(w, r, dependencyDown(err), "the erasure could not be completed; retry (it is safe to repeat)")
		return
	case err != nil:
		s.log.Error("erase trajectory", "trajectory_id", id, "error", err)
		writeError(w, r, CodeInternalError, "the erasure could not be completed (logged); retry (it is safe to repeat), and report it if it keeps failing")
		return
	}
	noteDetail(r, "key_destroyed", strconv.FormatBool(erased))
	writeJSON(w, http.StatusOK, ErasureResponse{ID: id, KeyDestroyed: erased})
}

// erasureReason reads the erasure's reason from the body, which a
// supervisor may leave out; on a problem it has answered 400.
func erasureReason(w http.ResponseWriter, r *http.Request, required bool) (string, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, erasureBodyLimit))
	if err != nil {
		writeDecodeError(w, r, err, erasureBodyLimit)
		return "", false
	}
	var req ErasureRequest
	if len(bytes.TrimSpace(data)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(data))
		if !decodeBody(w, r, &req, erasureBodyLimit) {
			return "", false
		}
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" && !required {
		return "", true
	}
	if err := retention.CheckReason(reason); err != nil {
		fe := &fieldErrors{}
		fe.add("reason", err.Error())
		writeFieldErrors(w, r, fe)
		return "", false
	}
	return reason, true
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

// ExportAccess is one entry of the trajectory's access log: who read or
// did what, when, and how it ended. The entry's detail stays out: a decode
// of several trajectories lists the others.
type ExportAccess struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
}

// ExportEmailFailure is an email of the trajectory that failed for good or
// may not have arrived: its kind, the step it was about, the recipient's
// id (never an address) and why.
type ExportEmailFailure struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Step   string    `json:"step,omitempty"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
}

// Export is everything elkgezin holds about a family: the read model with
// the referral, every event with its details, the handovers among them,
// the consultation the referral followed, the emails sent about the
// trajectory and those that failed, and the access log (who read or acted
// on the trajectory, and when).
type Export struct {
	ExportedAt    time.Time            `json:"exported_at"`
	Trajectory    Trajectory           `json:"trajectory"`
	Handovers     []store.EventRow     `json:"handovers"`
	Consultation  *store.Consultation  `json:"consultation,omitempty"`
	Emails        []ExportEmail        `json:"emails"`
	EmailFailures []ExportEmailFailure `json:"email_failures"`
	AccessLog     []ExportAccess       `json:"access_log"`
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
	// The family plan is the family's data too.
	out := Export{ExportedAt: time.Now().UTC(), Trajectory: s.representation(r, row), Handovers: []store.EventRow{}, Emails: []ExportEmail{},
		EmailFailures: []ExportEmailFailure{}, AccessLog: []ExportAccess{}}
	for _, e := range row.Events {
		switch {
		case strings.HasPrefix(e.Kind, "handover"):
			out.Handovers = append(out.Handovers, e)
		case e.Kind == trajectory.EventEmailFailed:
			out.EmailFailures = append(out.EmailFailures, ExportEmailFailure{At: e.At.UTC(), Kind: e.Detail["kind"], Step: e.Detail["step"],
				To: e.Detail["to"], Reason: emailFailureReason(e.Detail["reason"])})
		}
	}
	if err := s.exportRecords(r.Context(), &out); err != nil {
		s.writeStoreError(w, r, "export", err)
		return
	}
	if err := s.auditRead(r); err != nil {
		s.writeAuditUnavailable(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// exportRecords adds to an export what the store keeps beside the
// trajectory: the consultation, the email ledger and the access log.
func (s *server) exportRecords(ctx context.Context, out *Export) error {
	id := out.Trajectory.ID
	if cr, ok := s.store.(consultationReader); ok && out.Trajectory.ConsultationID != nil {
		c, err := cr.Consultation(ctx, *out.Trajectory.ConsultationID)
		switch {
		case err == nil:
			out.Consultation = &c
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("consultation: %w", err)
		}
	}
	if el, ok := s.store.(EmailLister); ok {
		emails, err := el.EmailsOf(ctx, id)
		if err != nil {
			return fmt.Errorf("emails: %w", err)
		}
		for _, e := range emails {
			out.Emails = append(out.Emails, ExportEmail{Key: e.Key, Recipient: e.Recipient, Subject: e.Subject, Status: string(e.Status), SentAt: e.SentAt})
		}
	}
	if al, ok := s.store.(AccessLogReader); ok {
		entries, err := al.AccessLog(ctx, id)
		if err != nil {
			return fmt.Errorf("access log: %w", err)
		}
		for _, e := range entries {
			out.AccessLog = append(out.AccessLog, ExportAccess{At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Outcome: e.Outcome})
		}
	}
	return nil
}
