package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

// Collective activities (see usecase.Attendees and
// usecase.RecordAttendances, which the pages use too).

type collectiveActivityBody struct {
	HeldOn       dateInput `json:"held_on"`
	Kind         string    `json:"kind"`
	Trajectories []string  `json:"trajectories"`
}

// CollectiveActivityResponse is the activity and each family's attendance.
type CollectiveActivityResponse struct {
	Activity   store.CollectiveActivity `json:"activity"`
	Attendance []usecase.Attendance     `json:"attendance"`
}

func (s *server) postCollectiveActivity(w http.ResponseWriter, r *http.Request) {
	as, ok := s.store.(usecase.ActivityStore)
	if !ok {
		writeError(w, r, CodeNotConfigured, "this API was started without the activity store")
		return
	}
	progID, p := mux.Vars(r)["programme"], principal(r)
	if _, known := s.programmes.Get(progID); !known || !slices.Contains(p.Programmes, progID) {
		writeError(w, r, CodeProgrammeNotYours, fmt.Sprintf("you work in no programme %q; yours: %s", progID, joinComma(p.Programmes)))
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
	w, finish, ok := s.idempotent(w, r, key, b, idemOptions{resource: progID})
	if !ok {
		return
	}
	defer finish()
	fe := &fieldErrors{}
	on, _ := b.HeldOn.parse(fe, "held_on", true)
	checkText(fe, "kind", b.Kind, true, maxIDLength, false)
	switch {
	case len(b.Trajectories) == 0:
		fe.add("trajectories", "name at least one trajectory (tr-...) whose family took part")
	case len(b.Trajectories) > usecase.MaxActivityFamilies:
		fe.add("trajectories", fmt.Sprintf("at most %d per activity", usecase.MaxActivityFamilies))
	}
	for i, id := range b.Trajectories {
		if !trajectoryIDPattern.MatchString(id) {
			fe.add(fmt.Sprintf("trajectories[%d]", i), "is not a trajectory id (tr-...)")
		}
	}
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return
	}
	ours, err := s.cases.Attendees(r.Context(), p, progID, b.Trajectories)
	if err != nil {
		s.writeStoreError(w, r, "collective activity: read trajectory", err)
		return
	}
	// The id comes from the caller's Idempotency-Key: a retry is the same activity.
	act, err := as.RecordCollectiveActivity(r.Context(), store.CollectiveActivity{ID: usecase.ActivityID(progID, p.Actor(), key),
		ProgrammeID: progID, Kind: b.Kind, HeldOn: on, RecordedBy: p.Actor(), Trajectories: ours})
	if err != nil {
		s.writeStoreError(w, r, "record collective activity", err)
		return
	}
	noteDetail(r, "activity", act.ID, "programme", progID)
	answerAbout(w, ours...)
	resp := CollectiveActivityResponse{Activity: act, Attendance: s.cases.RecordAttendances(r.Context(), p, act, b.Trajectories, ours)}
	// A retry with the same key finds the same activity: 201 all the same,
	// the answer a retry of a creation gets.
	w.Header().Set("Location", activityLocation(progID, act.ID))
	writeJSON(w, http.StatusCreated, resp)
}

func activityLocation(programme, id string) string {
	return "/v1/programmes/" + programme + "/activities/" + id
}

// activityReader reads one collective activity.
type activityReader interface {
	CollectiveActivity(ctx context.Context, id string) (store.CollectiveActivity, error)
}

var _ activityReader = (*store.Store)(nil)

// getCollectiveActivity answers an activity of one of the caller's
// programmes; one of another programme is 404, as one that does not exist.
func (s *server) getCollectiveActivity(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.store.(activityReader)
	if !ok {
		writeError(w, r, CodeNotConfigured, "this API was started without the activity store")
		return
	}
	progID, p := mux.Vars(r)["programme"], principal(r)
	if !slices.Contains(p.Programmes, progID) {
		writeError(w, r, CodeProgrammeNotYours, fmt.Sprintf("you work in no programme %q; yours: %s", progID, joinComma(p.Programmes)))
		return
	}
	act, err := ar.CollectiveActivity(r.Context(), mux.Vars(r)["activity"])
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && act.ProgrammeID != progID:
		writeError(w, r, CodeActivityNotFound, "there is no activity with this id in this programme")
		return
	case err != nil:
		s.writeStoreError(w, r, "read collective activity", err)
		return
	}
	noteDetail(r, "activity", act.ID, "programme", progID)
	writeJSON(w, http.StatusOK, act)
}
