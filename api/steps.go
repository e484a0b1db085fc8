package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// Limits of a step.
const (
	// stepBodyLimit leaves room for a 4000-character note that a client
	// escaped as \uXXXX throughout.
	stepBodyLimit = 64 << 10
	// maxNoteLength is the pages' and the validators' limit too.
	maxNoteLength = trajectory.MaxNoteLength
)

// visitBody is the body of /intake and /visits. Times are strings here so
// that a bad one is reported by its field name. Instants end in _at, as in
// answers; the workflow's own argument keeps next_visit_due.
type visitBody struct {
	DoneAt         *string `json:"done_at"`
	NextVisitDueAt *string `json:"next_visit_due_at" was:"next_visit_due"`
	Note           string  `json:"note"`
}

// refusal is a step refused for a reason that is not one field's (a 409 or
// a 422), as a step's check answers it.
type refusal struct {
	code   ProblemCode
	detail string
}

// step is one step endpoint: find the trajectory, decode the body, check
// it, and send it to the workflow as an Update. Every step goes through
// postStep, so that order (who may act before anything about the request
// is looked at) and the Idempotency-Key rules are the same for all.
type step[B any] struct {
	update string
	// keyRequired is set for a step that is not idempotent by nature: a
	// second visit with the same body is a second visit, so only the
	// client can tell a retry from a new one.
	keyRequired bool
	// check validates the body for the trajectory at now and builds the
	// Update's argument, with the caller (principal(r).Actor()) as By.
	check func(r *http.Request, row store.TrajectorySummary, body B, now time.Time) (any, *fieldErrors, *refusal)
}

func postStep[B any](s *server, w http.ResponseWriter, r *http.Request, st step[B]) {
	row, key, ok := s.beginStep(w, r, st.keyRequired)
	if !ok {
		return
	}
	var body B
	if !decodeBody(w, r, &body, stepBodyLimit) {
		return
	}
	w, finish, ok := s.idempotent(w, r, key, body, idemOptions{resource: row.ID, sealed: true})
	if !ok {
		return
	}
	defer finish()
	if !s.checkIfMatch(w, r, row.ID) {
		return
	}
	req, fe, ref := st.check(r, row, body, time.Now())
	switch {
	case fe != nil && !fe.empty():
		writeFieldErrors(w, r, fe)
		return
	case ref != nil:
		writeError(w, r, ref.code, ref.detail)
		return
	}
	s.runUpdate(w, r, row.ID, key, st.update, req)
}

// beginStep checks the path's id, that the caller may act on the
// trajectory (before anything else about the request is looked at), and
// the Idempotency-Key; it answers itself and returns false when any is
// wrong. It reads only what access depends on (usecase.Cases.Actable):
// a step needs the trajectory's programme, not its personal data.
func (s *server) beginStep(w http.ResponseWriter, r *http.Request, keyRequired bool) (row store.TrajectorySummary, key string, ok bool) {
	id, ok := trajectoryID(w, r)
	if !ok {
		return store.TrajectorySummary{}, "", false
	}
	var err error
	if st := routeStep(r); st != nil {
		row, err = s.cases.ActableStep(r.Context(), principal(r), id, *st)
	} else {
		row, err = s.cases.Actable(r.Context(), principal(r), id)
	}
	if !s.answerAccess(w, r, err) {
		return store.TrajectorySummary{}, "", false
	}
	if key, ok = idempotencyKey(w, r, keyRequired); !ok {
		return store.TrajectorySummary{}, "", false
	}
	return row, key, true
}

type assignmentBody struct {
	// Who acts comes from the authenticated caller, never from the body.
	CoachID string `json:"coach"`
}

func (s *server) postAssignment(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[assignmentBody]{update: trajectory.UpdateAssignCoach, check: s.checkAssignment})
}

// checkAssignment checks that the coach is a coach of the trajectory's
// programme in its current file. The workflow keeps no list of coaches,
// so this is the check that counts: a coach added to the file may be
// assigned to a trajectory referred before.
func (s *server) checkAssignment(r *http.Request, row store.TrajectorySummary, b assignmentBody, _ time.Time) (any, *fieldErrors, *refusal) {
	fe := &fieldErrors{}
	if !checkText(fe, "coach", b.CoachID, true, maxIDLength, false) {
		return nil, fe, nil
	}
	p, known := s.programmes.Get(row.ProgrammeID)
	if !known {
		return nil, nil, programmeGone(row.ProgrammeID)
	}
	if _, isCoach := p.Coach(b.CoachID); !isCoach {
		coaches := make([]string, len(p.Coaches))
		for i, c := range p.Coaches {
			coaches[i] = c.ID
		}
		fe.add("coach", fmt.Sprintf("is not a coach of programme %s, to which this trajectory belongs; its coaches are %s",
			p.ID, joinComma(coaches)))
		return nil, fe, nil
	}
	noteDetail(r, "coach", b.CoachID)
	return trajectory.AssignCoach{CoachID: b.CoachID, By: principal(r).Actor()}, nil, nil
}

// programmeGone refuses a step that needs the trajectory's programme file
// when the deployment no longer has it.
func programmeGone(id string) *refusal {
	return &refusal{CodeProgrammeFileMissing,
		fmt.Sprintf("programme %s of this trajectory is not in the programme files this API was started with; "+
			"ask an administrator to restore its file", id)}
}

func (s *server) postIntake(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[visitBody]{update: trajectory.UpdateRecordIntake,
		check: visitCheck(func(doneAt, next time.Time, note, by string) any {
			return trajectory.RecordIntake{DoneAt: doneAt, NextVisitDue: next, Note: note, By: by}
		})})
}

func (s *server) postVisit(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[visitBody]{update: trajectory.UpdateRecordVisit, keyRequired: true,
		check: visitCheck(func(doneAt, next time.Time, note, by string) any {
			return trajectory.RecordVisit{DoneAt: doneAt, NextVisitDue: next, Note: note, By: by}
		})})
}

func visitCheck(build func(doneAt, next time.Time, note, by string) any) func(*http.Request, store.TrajectorySummary, visitBody, time.Time) (any, *fieldErrors, *refusal) {
	return func(r *http.Request, _ store.TrajectorySummary, b visitBody, now time.Time) (any, *fieldErrors, *refusal) {
		doneAt, next, fe := validateVisit(b, now)
		return build(doneAt, next, b.Note, principal(r).Actor()), fe, nil
	}
}

// validateVisit checks an intake or visit body: the format of its fields
// here, the times by the rule the workflow applies too
// (trajectory.VisitTimeProblems). A missing done_at stays zero: the
// workflow then takes its own clock's now.
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
	next = parse("next_visit_due_at", b.NextVisitDueAt)
	addProblems(fe, trajectory.VisitTimeProblems(now, doneAt, next))
	checkText(fe, "note", b.Note, false, maxNoteLength, true)
	return doneAt, next, fe
}

// addProblems adds the problems a shared rule found to fe.
func addProblems(fe *fieldErrors, ps []trajectory.Problem) {
	for _, p := range ps {
		if p.Code != "" {
			fe.addCode(p.Field, FieldCode(p.Code), p.Message)
		} else {
			fe.add(p.Field, p.Message)
		}
	}
}

type closureBody struct {
	Reason trajectory.CloseReason `json:"reason"`
	Text   string                 `json:"text"`
	// Outcomes are the results of the family plan's goals, by goal id.
	Outcomes map[string]string `json:"outcomes"`
}

func (s *server) postClosure(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[closureBody]{update: trajectory.UpdateClose,
		check: func(r *http.Request, row store.TrajectorySummary, b closureBody, _ time.Time) (any, *fieldErrors, *refusal) {
			fe := validateClose(b)
			if len(b.Outcomes) > 0 && fe.empty() {
				// Outcomes are of the goals of the plan in force, which
				// the workflow's state holds.
				st, err := s.cases.State(r.Context(), row.ID)
				if ref := s.stateRefusal(row.ID, err); ref != nil {
					return nil, nil, ref
				}
				addProblems(fe, trajectory.OutcomeProblems(st.Plan, b.Outcomes))
			}
			return trajectory.Close{Reason: b.Reason, Text: b.Text, Outcomes: b.Outcomes, By: principal(r).Actor()}, fe, nil
		}})
}

// validateClose checks a closure by the rule the workflow applies too
// (trajectory.CloseProblems), and the text's length and characters.
func validateClose(b closureBody) *fieldErrors {
	fe := &fieldErrors{}
	addProblems(fe, trajectory.CloseProblems(b.Reason, b.Text))
	checkText(fe, "text", b.Text, false, maxNoteLength, true)
	return fe
}

func writeClosed(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, CodeTrajectoryClosed, "this trajectory is closed; no further steps can be recorded")
}

// runUpdate sends the step to the workflow as an Update and answers with
// the trajectory's state after it, and its version as ETag. The Update id
// is the Idempotency-Key scoped to the caller (scopedUpdateKey), or the key
// derived from the request (derivedKey), scoped by the Update's name, so a
// retried request is the same Update to Temporal and a key reused by
// another caller or for another kind of step cannot collide.
func (s *server) runUpdate(w http.ResponseWriter, r *http.Request, id, key, update string, req any) {
	ctx := r.Context()
	if key != "" {
		key = scopedUpdateKey(principal(r).Actor(), key)
	} else {
		var err error
		if key, err = derivedKey(update, principal(r).Actor(), req); err != nil {
			s.log.Error("step: derive idempotency key", "trajectory_id", id, "update", update, "error", err)
			writeError(w, r, CodeInternalError,
				"the step could not be prepared (logged); send it with an Idempotency-Key header, and report the problem")
			return
		}
	}
	if seq, ok := requiredVersion(r); ok {
		req = withRequiredVersion(req, seq)
	}
	state, err := s.cases.Update(ctx, id, update, key, req)
	var rejected *usecase.RejectedError
	if errors.As(err, &rejected) && rejected.Code == trajectory.CodeVersionChanged {
		// Not settled: the client reads again and may retry with the key.
		seq, _ := strconv.ParseInt(rejected.Args[trajectory.ArgVersion], 10, 64)
		writeVersionChanged(w, r, seq)
		return
	}
	if errors.As(err, &rejected) || errors.Is(err, usecase.ErrClosed) {
		// The workflow decided: a retry with the key is answered so too.
		refusalSettles(w)
	}
	switch {
	case err == nil:
		setVersion(w, state.EventSeq)
		s.answerStep(w, r, id, state)
	case errors.As(err, &rejected) && rejected.Code == trajectory.CodeConsentMissing:
		// The workflow knows best which service a handover went to: its
		// refusal for want of consent is the API's own 422.
		writeError(w, r, CodeConsentMissing, rejected.Reason)
	case errors.As(err, &rejected):
		p := newProblem(r, refusalProblem(rejected), rejected.Reason)
		p.Args = rejected.Args
		writeProblem(w, p)
	case errors.Is(err, usecase.ErrClosed):
		writeClosed(w, r)
	case errors.Is(err, usecase.ErrNotRunning):
		writeError(w, r, CodeTrajectoryNotRunning,
			fmt.Sprintf("trajectory %s is not running, so no step can be recorded for it", id))
	case errors.Is(err, usecase.ErrNotListed):
		writeError(w, r, CodeDatabaseUnavailable,
			"the step was recorded, but could not be written to the trajectory's log yet (the database did not answer); "+
				"send the same request again with the same Idempotency-Key: it is not recorded twice, and it answers once the log has it")
	case errors.Is(err, usecase.ErrUnavailable):
		s.log.Warn("step: Temporal did not answer", "trajectory_id", id, "update", update, "error", err)
		writeError(w, r, CodeWorkflowUnavailable,
			"the workflow service did not answer in time; the step may not be recorded: retry with the same Idempotency-Key")
	default:
		s.log.Error("step: update failed", "trajectory_id", id, "update", update, "error", err)
		writeError(w, r, CodeInternalError,
			"the workflow failed to record the step (logged); retry with the same Idempotency-Key, and report it if it keeps failing")
	}
}

// refusalProblem is the code of a step the trajectory refused: the
// refusal's own; a worker older than the codes gives none.
func refusalProblem(rejected *usecase.RejectedError) ProblemCode {
	if rejected.Code == "" {
		return CodeStepRefused
	}
	return ProblemCode(rejected.Code)
}

// answerStep answers a step with the trajectory after it, as GET would
// answer it now: the row, to which the step's events were written before
// the Update returned, and the state the Update answered.
func (s *server) answerStep(w http.ResponseWriter, r *http.Request, id string, state trajectory.State) {
	row, err := s.cases.Visible(r.Context(), principal(r), id)
	if err != nil {
		s.log.Warn("step: read trajectory after the step", "trajectory_id", id, "error", err)
		writeError(w, r, CodeDatabaseUnavailable,
			"the step was recorded, but the trajectory could not be read after it (the database did not answer); "+
				"send the same request again with the same Idempotency-Key: it is not recorded twice, and it answers once the database does")
		return
	}
	writeJSON(w, http.StatusOK, publicTrajectory(row, &state))
}
