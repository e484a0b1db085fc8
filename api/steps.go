package api

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"elkgezin/store"
	"elkgezin/trajectory"
)

// Limits of a step.
const (
	// stepBodyLimit leaves room for a 4000-character note that a client
	// escaped as \uXXXX throughout.
	stepBodyLimit = 64 << 10
	maxNoteLength = 4000
	// clockSkew is how far a done_at may lie ahead of the API's clock
	// before the API itself calls it the future (the workflow checks exactly).
	clockSkew = time.Minute
	// maxPlanAhead bounds next_visit_due: a visit planned further ahead
	// would silence the reminders for too long.
	maxPlanAhead = 366 * 24 * time.Hour
)

// IdempotencyKeyHeader names the header that makes a step safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

var idempotencyKeyPattern = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

// visitBody is the body of /intake and /visits. Times are strings here so
// that a bad one is reported by its field name.
type visitBody struct {
	DoneAt       *string `json:"done_at"`
	NextVisitDue *string `json:"next_visit_due"`
	Note         string  `json:"note"`
}

// beginStep checks the path's id, that the caller may act on the
// trajectory (before anything else about the request is looked at), and
// the Idempotency-Key; it answers itself and returns false when any is wrong.
func (s *server) beginStep(w http.ResponseWriter, r *http.Request) (row store.Trajectory, key string, ok bool) {
	id, ok := trajectoryID(w, r)
	if !ok {
		return store.Trajectory{}, "", false
	}
	if row, ok = s.loadVisible(w, r, id); !ok {
		return store.Trajectory{}, "", false
	}
	values := r.Header.Values(IdempotencyKeyHeader)
	switch {
	case len(values) > 1:
		writeError(w, http.StatusBadRequest, "invalid Idempotency-Key", IdempotencyKeyHeader+" is given more than once; send it once")
		return store.Trajectory{}, "", false
	case len(values) == 1 && !idempotencyKeyPattern.MatchString(values[0]):
		writeError(w, http.StatusBadRequest, "invalid Idempotency-Key",
			IdempotencyKeyHeader+" must be 1-128 visible ASCII characters without spaces, such as a UUID")
		return store.Trajectory{}, "", false
	case len(values) == 1:
		key = values[0]
	}
	return row, key, true
}

func (s *server) postAssignment(w http.ResponseWriter, r *http.Request) {
	row, key, ok := s.beginStep(w, r)
	if !ok {
		return
	}
	// The body has its own type: who acts comes from the authenticated
	// caller, never from the body.
	var body struct {
		CoachID string `json:"coach"`
	}
	if !decodeBody(w, r, &body, stepBodyLimit) {
		return
	}
	req := trajectory.AssignCoach{CoachID: body.CoachID}
	fe := &fieldErrors{}
	checkText(fe, "coach", req.CoachID, true, maxIDLength, false)
	if !fe.empty() {
		writeFieldErrors(w, "invalid assignment", fe)
		return
	}
	// A programme gone from the catalogue leaves the check to the workflow,
	// which holds its own copy of the programme.
	if p, known := s.programmes.Get(row.ProgrammeID); known {
		if _, isCoach := p.Coach(req.CoachID); !isCoach {
			coaches := make([]string, len(p.Coaches))
			for i, c := range p.Coaches {
				coaches[i] = c.ID
			}
			fe.add("coach", fmt.Sprintf("is not a coach of programme %s, to which this trajectory belongs; its coaches are %s",
				p.ID, joinComma(coaches)))
			writeFieldErrors(w, "invalid assignment", fe)
			return
		}
	}
	noteDetail(r, "coach", req.CoachID)
	req.By = principal(r).Actor()
	s.runUpdate(w, r, row.ID, key, trajectory.UpdateAssignCoach, req)
}

func (s *server) postIntake(w http.ResponseWriter, r *http.Request) {
	s.postVisitStep(w, r, "invalid intake", trajectory.UpdateRecordIntake, func(doneAt, next time.Time, note, by string) any {
		return trajectory.RecordIntake{DoneAt: doneAt, NextVisitDue: next, Note: note, By: by}
	})
}

func (s *server) postVisit(w http.ResponseWriter, r *http.Request) {
	s.postVisitStep(w, r, "invalid visit", trajectory.UpdateRecordVisit, func(doneAt, next time.Time, note, by string) any {
		return trajectory.RecordVisit{DoneAt: doneAt, NextVisitDue: next, Note: note, By: by}
	})
}

func (s *server) postVisitStep(w http.ResponseWriter, r *http.Request, short, update string, build func(doneAt, next time.Time, note, by string) any) {
	row, key, ok := s.beginStep(w, r)
	if !ok {
		return
	}
	var body visitBody
	if !decodeBody(w, r, &body, stepBodyLimit) {
		return
	}
	doneAt, next, fe := validateVisit(body, time.Now())
	if !fe.empty() {
		writeFieldErrors(w, short, fe)
		return
	}
	s.runUpdate(w, r, row.ID, key, update, build(doneAt, next, body.Note, principal(r).Actor()))
}

// validateVisit checks an intake or visit body. A missing done_at stays
// zero: the workflow then takes its own clock's now, so that a clock
// running ahead here can never make a visit lie in the future there.
func validateVisit(b visitBody, now time.Time) (doneAt, next time.Time, fe *fieldErrors) {
	fe = &fieldErrors{}
	parse := func(field string, v *string) time.Time {
		if v == nil {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, *v)
		if err != nil {
			fe.add(field, "must be an RFC 3339 date-time such as 2025-03-01T10:00:00+01:00")
			return time.Time{}
		}
		return t
	}
	doneAt = parse("done_at", b.DoneAt)
	next = parse("next_visit_due", b.NextVisitDue)
	if doneAt.After(now.Add(clockSkew)) {
		fe.add("done_at", "lies in the future: record a visit after it took place")
	}
	if !next.IsZero() {
		after := now
		if doneAt.After(now) {
			after = doneAt
		}
		switch {
		case !next.After(after):
			fe.add("next_visit_due", "must lie in the future")
		case next.After(now.Add(maxPlanAhead)):
			fe.add("next_visit_due", "must lie within a year; plan a nearer visit")
		}
	}
	checkText(fe, "note", b.Note, false, maxNoteLength, true)
	return doneAt, next, fe
}

func (s *server) postClosure(w http.ResponseWriter, r *http.Request) {
	row, key, ok := s.beginStep(w, r)
	if !ok {
		return
	}
	var body struct {
		Reason trajectory.CloseReason `json:"reason"`
		Text   string                 `json:"text"`
	}
	if !decodeBody(w, r, &body, stepBodyLimit) {
		return
	}
	req := trajectory.Close{Reason: body.Reason, Text: body.Text}
	if fe := validateClose(req); !fe.empty() {
		writeFieldErrors(w, "invalid closure", fe)
		return
	}
	req.By = principal(r).Actor()
	s.runUpdate(w, r, row.ID, key, trajectory.UpdateClose, req)
}

func validateClose(req trajectory.Close) *fieldErrors {
	fe := &fieldErrors{}
	switch {
	case req.Reason == "":
		fe.add("reason", "is required: one of "+joinOr(closeReasonNames()))
	case !slices.Contains(trajectory.CloseReasons, req.Reason):
		fe.add("reason", "must be one of "+joinOr(closeReasonNames()))
	}
	checkText(fe, "text", req.Text, req.Reason == trajectory.CloseOther, maxNoteLength, true)
	if p, bad := fe.problems["text"]; bad && p == "is required" {
		fe.problems["text"] = "is required when the reason is other: say why the trajectory ends"
	}
	return fe
}

func closeReasonNames() []string {
	names := make([]string, len(trajectory.CloseReasons))
	for i, c := range trajectory.CloseReasons {
		names[i] = string(c)
	}
	return names
}

func writeClosed(w http.ResponseWriter) {
	writeError(w, http.StatusConflict, "trajectory closed", "this trajectory is closed; no further steps can be recorded")
}

// runUpdate sends the step to the workflow as an Update and answers with
// the trajectory's state after it. The Update id is the Idempotency-Key,
// scoped by the Update's name, so a retried request is the same Update to
// Temporal and a key reused for another kind of step cannot collide.
func (s *server) runUpdate(w http.ResponseWriter, r *http.Request, id, key, update string, req any) {
	ctx := r.Context()
	if key == "" {
		key = rand.Text()
	}
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateName:   update,
		UpdateID:     update + "/" + key,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		var state trajectory.State
		if err = handle.Get(ctx, &state); err == nil {
			if state.StepsDone == nil {
				state.StepsDone = []trajectory.DoneStep{}
			}
			writeJSON(w, http.StatusOK, state)
			return
		}
	}

	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr) && appErr.Type() == trajectory.ErrStepRejected:
		writeError(w, http.StatusConflict, "step rejected", appErr.Message())
	case workflowGone(err):
		// The workflow ended: closed, or gone for a reason the store may not know.
		if row, serr := s.store.Trajectory(ctx, id); serr == nil && row.Phase == trajectory.PhaseClosed {
			writeClosed(w)
			return
		}
		writeError(w, http.StatusNotFound, "trajectory not found",
			fmt.Sprintf("trajectory %s is not running, so no step can be recorded for it", id))
	case unavailable(ctx, err):
		s.log.Warn("step: Temporal did not answer", "trajectory_id", id, "update", update, "error", err)
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the workflow service did not answer in time; the step may not be recorded: retry with the same Idempotency-Key")
	default:
		s.log.Error("step: update failed", "trajectory_id", id, "update", update, "error", err)
		writeError(w, http.StatusInternalServerError, "internal error",
			"the workflow failed to record the step (logged); retry with the same Idempotency-Key, and report it if it keeps failing")
	}
}

// workflowGone says whether err means there is no running workflow to update.
func workflowGone(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf) || strings.Contains(err.Error(), "workflow execution already completed")
}
