package api

import (
	"net/http"
	"reflect"
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
// A single tag travels with the step to the workflow
// (trajectory.Precondition), whose validator compares it in the task that
// would take the step: nothing lands between the check and the act. A
// list of tags is compared with the state read right before the step is
// sent, which leaves a window of one round trip to Temporal.

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

// requiredVersion is the version a step's If-Match names, when it names
// exactly one tag of ours: the workflow checks it (withRequiredVersion).
// ok is false for no header, "*", or a list, which checkIfMatch compares.
func requiredVersion(r *http.Request) (seq int64, ok bool) {
	values := r.Header.Values("If-Match")
	if len(values) != 1 || strings.Contains(values[0], ",") {
		return 0, false
	}
	tag := strings.TrimSpace(values[0])
	digits, found := strings.CutPrefix(tag, `"v`)
	if !found {
		return 0, false
	}
	digits, found = strings.CutSuffix(digits, `"`)
	if !found {
		return 0, false
	}
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || seq <= 0 {
		return 0, false
	}
	return seq, true
}

// withRequiredVersion makes the step's request require the trajectory at
// version seq: a copy of req with its trajectory.Precondition set. Every
// step's request embeds one (TestEveryStepRequestCarriesAPrecondition).
func withRequiredVersion(req any, seq int64) any {
	v := reflect.ValueOf(req)
	if !v.IsValid() {
		return req
	}
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	p, ok := c.Interface().(interface{ SetIfVersion(int64) })
	if !ok {
		return req
	}
	p.SetIfVersion(seq)
	return c.Elem().Interface()
}

// checkIfMatch answers 412 and returns false when the request's If-Match
// does not hold for the trajectory as its workflow holds it now. A single
// tag of ours is left to the workflow (requiredVersion); a tag that is
// not ours never matches.
func (s *server) checkIfMatch(w http.ResponseWriter, r *http.Request, id string) bool {
	if len(r.Header.Values("If-Match")) == 0 {
		return true
	}
	if _, ok := requiredVersion(r); ok {
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
	writeVersionChanged(w, r, st.EventSeq)
	return false
}

// writeVersionChanged answers 412: the trajectory is at version seq now.
func writeVersionChanged(w http.ResponseWriter, r *http.Request, seq int64) {
	setVersion(w, seq)
	writeError(w, r, CodePreconditionFailed, "the trajectory changed since the version in If-Match (it is at "+versionTag(seq)+
		" now, see ETag); read it again (GET), decide on what it says now, and send the step with its new ETag")
}
