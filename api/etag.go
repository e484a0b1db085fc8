package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/elkgezin/elkgezin/store"
)

// A trajectory's version is the number of the last event of its log (the
// workflow's State.EventSeq): every step records an event, so a step
// changes it. GET /v1/trajectories/{id} and every step answer it as a
// strong ETag, "v<seq>"; a step sent with If-Match is taken only while
// the trajectory is still at that version, else answered 412
// precondition_failed without acting (two supervisors reassigning at once:
// the second learns of the first instead of overwriting it silently).
//
// The check reads the workflow's state right before the step is sent: a
// step of someone else that lands between the read and the step is not
// seen (a window of one round trip to Temporal). The workflow's own
// validators keep every step in order all the same; If-Match only saves a
// client from acting on what it has not seen.

// versionTag is the ETag of a trajectory at event seq.
func versionTag(seq int64) string { return `"v` + strconv.FormatInt(seq, 10) + `"` }

// lastSeq is the number of the last event of a trajectory's log.
func lastSeq(t store.Trajectory) int64 {
	var last int64
	for _, e := range t.Events {
		last = max(last, e.Seq)
	}
	return last
}

// setVersion sets the ETag of a trajectory at event seq (none for 0:
// a trajectory with no event known).
func setVersion(w http.ResponseWriter, seq int64) {
	if seq > 0 {
		w.Header().Set("ETag", versionTag(seq))
	}
}

// ifMatchHolds says whether the request's If-Match (RFC 9110 13.1.1) holds
// for a trajectory at event seq: no header, "*", or one of its tags
// (strong comparison: a weak tag never matches).
func ifMatchHolds(r *http.Request, seq int64) bool {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return true
	}
	want := versionTag(seq)
	for _, v := range values {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || tag == want {
				return true
			}
		}
	}
	return false
}

// checkIfMatch answers 412 and returns false when the request's If-Match
// does not hold for the trajectory as its workflow holds it now.
func (s *server) checkIfMatch(w http.ResponseWriter, r *http.Request, id string) bool {
	if len(r.Header.Values("If-Match")) == 0 {
		return true
	}
	st, err := s.cases.State(r.Context(), id)
	if ref := s.stateRefusal(id, err); ref != nil {
		writeError(w, r, ref.code, ref.detail)
		return false
	}
	if ifMatchHolds(r, st.EventSeq) {
		return true
	}
	setVersion(w, st.EventSeq)
	writeError(w, r, CodePreconditionFailed, "the trajectory changed since the version in If-Match (it is at "+versionTag(st.EventSeq)+
		" now, see ETag); read it again (GET), decide on what it says now, and send the step with its new ETag")
	return false
}
