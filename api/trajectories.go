package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

var (
	// trajectoryIDPattern is the shape of trajectory.ID's result.
	trajectoryIDPattern = regexp.MustCompile(`^tr-[a-z2-7]{26}$`)
	// idPattern is the shape of the ids of programmes, organisations and
	// coaches (see programme.Validate).
	idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
)

// ListResponse is one page of trajectories.
type ListResponse struct {
	Items []TrajectorySummary `json:"items"`
	// Next is the path and query of the next page; null on the last page.
	Next *string `json:"next"`
}

// trajectoryID reads the path's id; an id that trajectory.ID cannot have
// made is answered 404 without asking anyone.
func trajectoryID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := mux.Vars(r)["id"]
	if !trajectoryIDPattern.MatchString(id) {
		noteOutcome(r, store.OutcomeNotFound)
		writeTrajectoryNotFound(w, r)
		return "", false
	}
	return id, true
}

// writeTrajectoryNotFound answers 404 for a trajectory that does not exist
// and, byte for byte the same, for one the caller may not see: the answer
// never tells whether a trajectory exists. So it does not repeat the id.
func writeTrajectoryNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, CodeTrajectoryNotFound,
		"there is no trajectory with this id that you may see; use the id (tr-...) that the referral answered")
}

// writeStoreError answers a PostgreSQL failure other than not-found.
func (s *server) writeStoreError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error(what+": PostgreSQL", "error", err)
	writeError(w, r, CodeDatabaseUnavailable,
		"the database (PostgreSQL) did not answer; retry later")
}

// loadVisible reads the trajectory's row and checks that the caller may
// see it (usecase.MayAccess); it answers 404 or 503 itself. A trajectory the
// caller may not see gets the 404 of one that does not exist; only the
// audit log tells them apart. A step reads only the access columns
// (beginStep); a closed trajectory is left to Temporal, which answers a
// retried closure with its first outcome.
func (s *server) loadVisible(w http.ResponseWriter, r *http.Request, id string) (store.Trajectory, bool) {
	row, err := s.cases.Visible(r.Context(), principal(r), id)
	if !s.answerAccess(w, r, err) {
		return row, false
	}
	// The document promises lists, empty or not.
	if row.Events == nil {
		row.Events = []store.EventRow{}
	}
	if row.Children == nil {
		row.Children = []trajectory.Child{}
	}
	return row, true
}

// answerAccess answers a failed access check (404 for a trajectory that is
// not there or not the caller's, 503) and returns false; true when err is nil.
func (s *server) answerAccess(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case errors.Is(err, usecase.ErrDenied):
		noteOutcome(r, store.OutcomeDenied, "reason", "trajectory")
		writeTrajectoryNotFound(w, r)
		return false
	case errors.Is(err, usecase.ErrStepNotGiven):
		writeStepNotGiven(w, r, err)
		return false
	case errors.Is(err, usecase.ErrNotFound):
		noteOutcome(r, store.OutcomeNotFound)
		writeTrajectoryNotFound(w, r)
		return false
	case err != nil:
		s.writeStoreError(w, r, "read trajectory", err)
		return false
	}
	return true
}

func (s *server) getTrajectory(w http.ResponseWriter, r *http.Request) {
	id, ok := trajectoryID(w, r)
	if !ok {
		return
	}
	row, ok := s.loadVisible(w, r, id)
	if !ok {
		return
	}
	if err := s.auditRead(r); err != nil {
		s.writeAuditUnavailable(w, r, err)
		return
	}
	setVersion(w, lastSeq(row))
	writeJSON(w, http.StatusOK, s.representation(r, row))
}

// representation is the trajectory as GET and every step answer it
// (publicTrajectory): the row, and the workflow's state, which Temporal
// also answers once the trajectory closed. An erased trajectory's state is
// not asked for: it holds the plan, personal data whose key is gone.
func (s *server) representation(r *http.Request, row store.Trajectory) Trajectory {
	if row.Erased {
		return publicTrajectory(row, nil)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout/4)
	defer cancel()
	st, err := s.cases.State(ctx, row.ID)
	switch {
	case err == nil:
		return publicTrajectory(row, &st)
	case errors.Is(err, usecase.ErrNotRunning), errors.Is(err, usecase.ErrClosed):
		// Temporal no longer holds it (past its retention): the log is all there is.
		return publicTrajectory(row, nil)
	}
	s.log.Warn("read trajectory: state query failed", "trajectory_id", row.ID, "error", err)
	t := publicTrajectory(row, nil)
	t.StateUnavailable = true
	return t
}

var listParams = []string{"programme", "coach", "phase", "overdue", "email_failed", "escalated", "referrer",
	"updated_since", "sort", "limit", "cursor"}

func (s *server) listTrajectories(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, fe := s.listFilter(q)
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return
	}
	if !scopeList(w, r, &f) {
		return
	}
	noteListFilter(r, q, f)
	binding := listBinding(principal(r).Actor(), q)
	if f.Cursor != "" {
		position, err := openCursor(s.idKey, binding, f.Cursor)
		switch {
		case errors.Is(err, errCursorForList):
			fe.add("cursor", "belongs to a list with other filters or another order; follow the next link of the previous page as it is, "+
				"or leave cursor out to begin the list with these filters")
		case err != nil:
			fe.add("cursor", "is not a cursor this API handed out; follow the next link of the previous page, or leave cursor out for the first page")
		}
		if !fe.empty() {
			writeFieldErrors(w, r, fe)
			return
		}
		f.Cursor = position
	}

	page, err := s.store.ListTrajectories(r.Context(), f)
	switch {
	case errors.Is(err, store.ErrBadCursor):
		fe.add("cursor", "is not a cursor this API handed out; follow the next link of the previous page, or leave cursor out for the first page")
		writeFieldErrors(w, r, fe)
		return
	case err != nil:
		s.writeStoreError(w, r, "list trajectories", err)
		return
	}
	noteDetail(r, "items", strconv.Itoa(len(page.Items)))
	if err := s.auditRead(r); err != nil {
		s.writeAuditUnavailable(w, r, err)
		return
	}
	resp := ListResponse{Items: make([]TrajectorySummary, len(page.Items))}
	for i, row := range page.Items {
		resp.Items[i] = publicSummary(row)
	}
	if page.NextCursor != "" {
		next := nextLink(q, sealCursor(s.idKey, binding, page.NextCursor))
		resp.Next = &next
		w.Header().Set("Link", "<"+next+`>; rel="next"`)
	}
	writeJSON(w, http.StatusOK, resp)
}

// listFilter reads the list's query into a filter; fe holds what is wrong
// with it, every parameter at once.
func (s *server) listFilter(q url.Values) (store.Filter, *fieldErrors) {
	fe := &fieldErrors{query: true}
	checkListParams(fe, q)
	var f store.Filter
	if v := q.Get("programme"); v != "" {
		if _, ok := s.programmes.Get(v); !ok {
			fe.add("programme", "is not a programme of this deployment; the programmes are: "+joinComma(s.programmes.IDs()))
		}
		f.ProgrammeID = v
	}
	if v := q.Get("coach"); v != "" {
		if checkText(fe, "coach", v, false, maxIDLength, false) {
			f.CoachID = v
		}
	}
	if v := q.Get("phase"); v != "" {
		f.Phase = trajectory.Phase(v)
		if !slices.Contains(trajectory.Phases, f.Phase) {
			fe.add("phase", "must be one of "+joinOr(phaseNames()))
		}
	}
	f.Overdue = boolParam(fe, q, "overdue")
	f.EmailFailed = boolParam(fe, q, "email_failed")
	f.Escalated = boolParam(fe, q, "escalated")
	if v := q.Get("referrer"); v != "" {
		if !idPattern.MatchString(v) {
			fe.add("referrer", "must be an organisation id, such as kind-en-gezin")
		}
		f.ReferrerOrg = v
	}
	if v := q.Get("updated_since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fe.add("updated_since", "must be an RFC 3339 date-time such as 2025-03-01T10:00:00Z")
		}
		f.UpdatedSince = &t
	}
	if v := q.Get("sort"); v != "" {
		f.Sort = store.ListSort(strings.TrimPrefix(v, "-"))
		f.Descending = strings.HasPrefix(v, "-")
		if !slices.Contains(store.ListSorts, f.Sort) {
			fe.add("sort", "must be one of "+joinOr(sortNames()))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxListLimit {
			fe.add("limit", fmt.Sprintf("must be a whole number from 1 to %d", store.MaxListLimit))
		}
		f.Limit = n
	}
	f.Cursor = q.Get("cursor")
	return f, fe
}

// checkListParams refuses a parameter the list does not know or one given
// twice, in the order of their names so the answer is the same each time.
func checkListParams(fe *fieldErrors, q url.Values) {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(listParams, k):
			fe.add(k, "is not a query parameter of this path; use "+joinOr(listParams))
		case len(q[k]) > 1:
			fe.add(k, "is given more than once; give it once")
		}
	}
}

// noteListFilter notes the filters for the audit log: values the query
// validated, or ids; a coach id that is no id and a cursor only as given.
func noteListFilter(r *http.Request, q url.Values, f store.Filter) {
	noteDetail(r, "programme", f.ProgrammeID, "programmes", strings.Join(f.ProgrammeIDs, ","),
		"phase", string(f.Phase), "overdue", q.Get("overdue"), "email_failed", q.Get("email_failed"), "limit", q.Get("limit"),
		"escalated", q.Get("escalated"), "referrer", f.ReferrerOrg, "updated_since", q.Get("updated_since"), "sort", q.Get("sort"))
	if f.CoachID != "" {
		coach := "given"
		if idPattern.MatchString(f.CoachID) {
			coach = f.CoachID
		}
		noteDetail(r, "coach", coach)
	}
	if f.Cursor != "" {
		noteDetail(r, "cursor", "given")
	}
}

// scopeList narrows the filter to what the caller may see: a coach their
// own trajectories, a supervisor those of their programmes. Asking for
// more is a 403 (it names only the caller's own scope); it answers itself
// and returns false then.
func scopeList(w http.ResponseWriter, r *http.Request, f *store.Filter) bool {
	p := principal(r)
	if p.Kind == usecase.KindCoWorker {
		if f.CoachID != "" {
			writeForbidden(w, r, CodeForbidden, "coach", "a co-worker lists only the trajectories they are assigned to: leave out coach")
			return false
		}
		f.CoWorkerID = p.ID
	}
	if p.Kind == usecase.KindCoach {
		if f.CoachID != "" && f.CoachID != p.ID {
			writeForbidden(w, r, CodeForbidden, "coach", "a coach lists only their own trajectories: leave out coach, or give your own id ("+p.ID+")")
			return false
		}
		f.CoachID = p.ID
	}
	if f.ProgrammeID != "" && !slices.Contains(p.Programmes, f.ProgrammeID) {
		yours := "you work in no programme"
		if len(p.Programmes) > 0 {
			yours = "yours are " + joinComma(p.Programmes)
		}
		writeForbidden(w, r, CodeProgrammeNotYours, "programme", "you may list only the trajectories of your programmes; "+yours)
		return false
	}
	// Never nil: an empty list matches nothing.
	f.ProgrammeIDs = append([]string{}, p.Programmes...)
	return true
}

// sortNames are the values of sort: a column, newest first with a '-' before it.
func sortNames() []string {
	var names []string
	for _, c := range store.ListSorts {
		names = append(names, string(c), "-"+string(c))
	}
	return names
}

func phaseNames() []string {
	names := make([]string, len(trajectory.Phases))
	for i, p := range trajectory.Phases {
		names[i] = string(p)
	}
	return names
}

// boolParam reads a query parameter that is true, false or absent (nil).
func boolParam(fe *fieldErrors, q url.Values, name string) *bool {
	switch v := q.Get(name); v {
	case "":
		return nil
	case "true", "false":
		b := v == "true"
		return &b
	}
	fe.add(name, "must be true or false")
	return nil
}

// writeStepNotGiven answers the 403 of a step the caller's role does not
// give them (a co-worker), naming the steps it does.
func writeStepNotGiven(w http.ResponseWriter, r *http.Request, err error) {
	var denied *usecase.StepDeniedError
	detail := "your role may not take this step"
	if errors.As(err, &denied) {
		detail = fmt.Sprintf("a %s may not %s", denied.Role, denied.Step.Doing)
		if len(denied.Given) > 0 {
			var doing []string
			for _, name := range denied.Given {
				if st, ok := usecase.StepNamed(name); ok {
					doing = append(doing, st.Doing)
				}
			}
			detail += ": the programme gives this role only to " + joinOr(doing)
		}
	}
	writeForbidden(w, r, CodeForbidden, "role", detail)
}
