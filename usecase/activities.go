package usecase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Collective activities: a team records a group activity and which of its
// families took part. The activity is stored in PostgreSQL, and each
// family's trajectory gets its attendance event through an Update of its
// workflow, not written beside it: each workflow numbers its own events
// (State.EventSeq), so an event written from outside would take a number
// the workflow does not know and collide with its next one. The Update's
// id is the activity's, so a retried request records each attendance once.

// ActivityStore is the part of *store.Store collective activities need.
type ActivityStore interface {
	RecordCollectiveActivity(ctx context.Context, a store.CollectiveActivity) (store.CollectiveActivity, error)
}

var _ ActivityStore = (*store.Store)(nil)

// MaxActivityFamilies bounds the families of one activity.
const MaxActivityFamilies = 200

// Outcomes of one family's attendance.
const (
	AttendanceRecorded    = "recorded"
	AttendanceNotFound    = "not_found"
	AttendanceRefused     = "refused"
	AttendanceUnavailable = "unavailable"
)

// Attendance is what became of one family's attendance.
type Attendance struct {
	Trajectory string `json:"trajectory_id"`
	// Outcome is recorded, not_found (no trajectory of this programme you
	// may act on: one of another programme or coach is answered as one that
	// does not exist), refused (Detail says why, e.g. closed) or
	// unavailable (retry).
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
	// Rejected is the workflow's refusal, for an adapter's own words.
	Rejected *RejectedError `json:"-"`
}

// ActivityID is the id of the activity recorded by actor under an
// idempotency key: a retry is the same activity.
func ActivityID(programmeID, actor, key string) string {
	sum := sha256.Sum256([]byte(programmeID + "\x00" + actor + "\x00" + key))
	return "ac-" + hex.EncodeToString(sum[:12])
}

// Attendees are the trajectories among ids, once each, that are of the
// programme and that p may act on. Each is checked with the narrow read
// access depends on (Actable), so nothing of a family is decrypted before
// its check, and the others (of another programme or coach, or none) are
// left out: nobody's activity stores their ids. An error means PostgreSQL
// did not answer.
func (c Cases) Attendees(ctx context.Context, p Principal, programmeID string, ids []string) ([]string, error) {
	ours := []string{}
	for _, id := range ids {
		if slices.Contains(ours, id) {
			continue
		}
		row, err := c.Actable(ctx, p, id)
		switch {
		case err == nil && row.ProgrammeID == programmeID:
			ours = append(ours, id)
		case err != nil && !errors.Is(err, ErrNotFound): // ErrDenied is an ErrNotFound too
			return nil, err
		}
	}
	return ours, nil
}

// RecordAttendances sends each family's attendance of the activity to its
// workflow, once per trajectory among ids, in their order; ours are the
// attendees among them (Attendees), the others are answered not_found.
func (c Cases) RecordAttendances(ctx context.Context, p Principal, act store.CollectiveActivity, ids, ours []string) []Attendance {
	out := []Attendance{}
	var answered []string
	for _, id := range ids {
		if !slices.Contains(answered, id) {
			answered = append(answered, id)
			out = append(out, c.recordAttendance(ctx, p, id, act, slices.Contains(ours, id)))
		}
	}
	return out
}

func (c Cases) recordAttendance(ctx context.Context, p Principal, id string, act store.CollectiveActivity, ours bool) Attendance {
	switch {
	case !ours:
		return Attendance{Trajectory: id, Outcome: AttendanceNotFound}
	case !slices.Contains(act.Trajectories, id):
		return Attendance{Trajectory: id, Outcome: AttendanceRefused,
			Detail: "the activity recorded before under this Idempotency-Key does not list this family; record it with a new key"}
	}
	req := trajectory.RecordAttendance{ActivityID: act.ID, Kind: act.Kind, On: act.HeldOn, By: p.Actor()}
	// The Update's id is the activity's, so a repeated request records it once.
	_, err := c.Update(ctx, id, trajectory.UpdateRecordAttendance, act.ID, req)
	var rejected *RejectedError
	switch {
	case err == nil:
		return Attendance{Trajectory: id, Outcome: AttendanceRecorded}
	case errors.As(err, &rejected):
		return Attendance{Trajectory: id, Outcome: AttendanceRefused, Detail: rejected.Reason, Rejected: rejected}
	case errors.Is(err, ErrClosed) || errors.Is(err, ErrNotRunning):
		return Attendance{Trajectory: id, Outcome: AttendanceRefused, Detail: "the trajectory is not running (closed)"}
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	log.Warn("attendance: update failed", "trajectory_id", id, "error", err)
	return Attendance{Trajectory: id, Outcome: AttendanceUnavailable, Detail: "the workflow service did not record it; send the same request again"}
}
