package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"elkgezin/store"
	"elkgezin/trajectory"
	"elkgezin/usecase"
)

// Collective activities: a team records a group activity and which of its
// families took part. The activity is stored in PostgreSQL, and each
// family's trajectory gets its attendance event through an Update of its
// workflow, not written beside it: each workflow numbers its own events
// (State.EventSeq), so an event written from outside would take a number
// the workflow does not know and collide with its next one. The Update's
// id is the activity's, so a retried request records each attendance once.

type activityStore interface {
	RecordCollectiveActivity(ctx context.Context, a store.CollectiveActivity) (store.CollectiveActivity, error)
}

var _ activityStore = (*store.Store)(nil)

const maxActivityFamilies = 200

type collectiveActivityBody struct {
	HeldOn       dateInput `json:"held_on"`
	Kind         string    `json:"kind"`
	Trajectories []string  `json:"trajectories"`
}

// Attendance is what became of one family's attendance.
type Attendance struct {
	Trajectory string `json:"trajectory"`
	// Outcome is recorded, not_found (no trajectory of this programme you
	// may act on: one of another programme or coach is answered as one that
	// does not exist), refused (Detail says why, e.g. closed) or
	// unavailable (retry).
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
}

// CollectiveActivityResponse is the activity and each family's attendance.
type CollectiveActivityResponse struct {
	Activity   store.CollectiveActivity `json:"activity"`
	Attendance []Attendance             `json:"attendance"`
}

func (s *server) postCollectiveActivity(w http.ResponseWriter, r *http.Request) {
	as, ok := s.store.(activityStore)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "service unavailable", "this API was started without the activity store")
		return
	}
	progID, p := mux.Vars(r)["programme"], principal(r)
	if _, known := s.programmes.Get(progID); !known || !slices.Contains(p.Programmes, progID) {
		writeError(w, http.StatusNotFound, "unknown programme", fmt.Sprintf("you work in no programme %q; yours: %s", progID, joinComma(p.Programmes)))
		return
	}
	if err := s.cases.MayTake(p, *routeStep(r), progID); err != nil {
		writeStepNotGiven(w, r, err)
		return
	}
	key, ok := idempotencyKey(w, r, true)
	if !ok {
		return
	}
	var b collectiveActivityBody
	if !decodeBody(w, r, &b, stepBodyLimit) {
		return
	}
	fe := &fieldErrors{}
	on, _ := b.HeldOn.parse(fe, "held_on", true)
	checkText(fe, "kind", b.Kind, true, maxIDLength, false)
	switch {
	case len(b.Trajectories) == 0:
		fe.add("trajectories", "name at least one trajectory (tr-...) whose family took part")
	case len(b.Trajectories) > maxActivityFamilies:
		fe.add("trajectories", fmt.Sprintf("at most %d per activity", maxActivityFamilies))
	}
	for i, id := range b.Trajectories {
		if !trajectoryIDPattern.MatchString(id) {
			fe.add(fmt.Sprintf("trajectories[%d]", i), "is not a trajectory id (tr-...)")
		}
	}
	if !fe.empty() {
		writeFieldErrors(w, "invalid activity", fe)
		return
	}
	ours, err := s.attendees(r, progID, b.Trajectories)
	if err != nil {
		s.writeStoreError(w, "collective activity: read trajectory", err)
		return
	}
	// The id comes from the caller's Idempotency-Key: a retry is the same activity.
	sum := sha256.Sum256([]byte(progID + "\x00" + p.Actor() + "\x00" + key))
	act, err := as.RecordCollectiveActivity(r.Context(), store.CollectiveActivity{ID: "ac-" + hex.EncodeToString(sum[:12]),
		ProgrammeID: progID, Kind: b.Kind, HeldOn: on, RecordedBy: p.Actor(), Trajectories: ours})
	if err != nil {
		s.writeStoreError(w, "record collective activity", err)
		return
	}
	noteDetail(r, "activity", act.ID, "programme", progID)
	resp := CollectiveActivityResponse{Activity: act, Attendance: []Attendance{}}
	var answered []string
	for _, id := range b.Trajectories {
		if !slices.Contains(answered, id) {
			answered = append(answered, id)
			resp.Attendance = append(resp.Attendance, s.recordAttendance(r, id, act, slices.Contains(ours, id)))
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// attendees are the trajectories among ids, once each, that are of the
// programme and that the caller may act on. Each is checked with the
// narrow read access depends on (usecase.Cases.Actable), so nothing of a
// family is decrypted before its check, and the others (of another
// programme or coach, or none) are left out: nobody's activity stores
// their ids. An error means PostgreSQL did not answer.
func (s *server) attendees(r *http.Request, programmeID string, ids []string) ([]string, error) {
	ours := []string{}
	for _, id := range ids {
		if slices.Contains(ours, id) {
			continue
		}
		row, err := s.cases.Actable(r.Context(), principal(r), id)
		switch {
		case err == nil && row.ProgrammeID == programmeID:
			ours = append(ours, id)
		case err != nil && !errors.Is(err, usecase.ErrNotFound): // ErrDenied is an ErrNotFound too
			return nil, err
		}
	}
	return ours, nil
}

// recordAttendance sends one family's attendance to its workflow; ours
// says whether the trajectory is among the request's attendees.
func (s *server) recordAttendance(r *http.Request, id string, act store.CollectiveActivity, ours bool) Attendance {
	ctx := r.Context()
	switch {
	case !ours:
		return Attendance{Trajectory: id, Outcome: "not_found"}
	case !slices.Contains(act.Trajectories, id):
		return Attendance{Trajectory: id, Outcome: "refused",
			Detail: "the activity recorded before under this Idempotency-Key does not list this family; record it with a new key"}
	}
	req := trajectory.RecordAttendance{ActivityID: act.ID, Kind: act.Kind, On: act.HeldOn, By: principal(r).Actor()}
	// The Update's id is the activity's, so a repeated request records it once.
	_, err := s.cases.Update(ctx, id, trajectory.UpdateRecordAttendance, act.ID, req)
	var rejected *usecase.RejectedError
	switch {
	case err == nil:
		return Attendance{Trajectory: id, Outcome: "recorded"}
	case errors.As(err, &rejected):
		return Attendance{Trajectory: id, Outcome: "refused", Detail: rejected.Reason}
	case errors.Is(err, usecase.ErrClosed) || errors.Is(err, usecase.ErrNotRunning):
		return Attendance{Trajectory: id, Outcome: "refused", Detail: "the trajectory is not running (closed)"}
	}
	s.log.Warn("attendance: update failed", "trajectory_id", id, "error", err)
	return Attendance{Trajectory: id, Outcome: "unavailable", Detail: "the workflow service did not record it; send the same request again"}
}
