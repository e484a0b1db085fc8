package api

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/internal/httpstatus"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

// Auditor writes the append-only audit log; *store.Store is one.
type Auditor interface {
	Audit(ctx context.Context, e store.AuditEntry) error
}

var _ Auditor = (*store.Store)(nil)

// auditTimeout bounds an audit write made after the answer is decided.
const auditTimeout = 3 * time.Second

// auditRecord is the audit entry of one request, filled in as the request
// goes: the route's action, who calls, the trajectory, how it ended.
// Exactly one entry is written per audited request: by the handler before
// it hands out personal data (auditRead), or else when the request ends.
type auditRecord struct {
	mu           sync.Mutex
	action       string
	actor        string
	trajectoryID string
	outcome      string // set by a handler; otherwise derived from the status
	detail       map[string]string
	written      bool
	skip         bool   // nothing to audit (e.g. a handover link that is not genuine)
	address      string // the client address, for the count of unauthenticated requests
	failure      error  // why the credentials could not be checked (codec)
}

type auditKey struct{}

func auditFrom(ctx context.Context) *auditRecord {
	rec, _ := ctx.Value(auditKey{}).(*auditRecord)
	return rec
}

func (a *auditRecord) setPrincipal(p usecase.Principal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.actor = p.Actor()
	a.noteLocked("token_id", p.CredentialID)
}

// note adds a detail (an id, a field name, a count: never personal data);
// an empty value is left out.
func (a *auditRecord) note(key, value string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.noteLocked(key, value)
}

func (a *auditRecord) noteLocked(key, value string) {
	if value == "" {
		return
	}
	if a.detail == nil {
		a.detail = map[string]string{}
	}
	a.detail[key] = value
}

func (a *auditRecord) setFailure(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failure = err
}

// entry is the audit entry for an answer with this status.
func (a *auditRecord) entryLocked(status int) store.AuditEntry {
	outcome := a.outcome
	if outcome == "" {
		outcome = outcomeOf(status)
	}
	detail := map[string]string{"status": strconv.Itoa(status)}
	for k, v := range a.detail {
		detail[k] = v
	}
	return store.AuditEntry{Actor: a.actor, Action: a.action, TrajectoryID: a.trajectoryID, Outcome: outcome, Detail: detail}
}

// outcomeOf names the outcome of an answer that no handler named.
func outcomeOf(status int) string {
	switch {
	case status >= 200 && status < 300:
		return store.OutcomeOK
	case status == http.StatusUnauthorized:
		return store.OutcomeUnauthenticated
	case status == http.StatusForbidden:
		return store.OutcomeDenied
	}
	return strconv.Itoa(status)
}

// Handlers describe the request's audit entry with these; they do nothing
// on a route that is not audited.

// noteOutcome sets the entry's outcome, e.g. store.OutcomeDenied for a
// trajectory the caller may not see (answered 404 like an unknown one).
func noteOutcome(r *http.Request, outcome string, detail ...string) {
	rec := auditFrom(r.Context())
	if rec == nil {
		return
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.outcome = outcome
	for i := 0; i+1 < len(detail); i += 2 {
		rec.noteLocked(detail[i], detail[i+1])
	}
}

// noteDetail adds details (key, value pairs): ids, field names, counts.
func noteDetail(r *http.Request, detail ...string) {
	rec := auditFrom(r.Context())
	if rec == nil {
		return
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := 0; i+1 < len(detail); i += 2 {
		rec.noteLocked(detail[i], detail[i+1])
	}
}

// noteTrajectory names the trajectory the request concerns.
func noteTrajectory(r *http.Request, id string) {
	if rec := auditFrom(r.Context()); rec != nil {
		rec.mu.Lock()
		rec.trajectoryID = id
		rec.mu.Unlock()
	}
	if info := infoFrom(r.Context()); info != nil {
		info.mu.Lock()
		info.trajectoryID = id
		info.mu.Unlock()
	}
}

// skipAudit leaves the request out of the audit log.
func skipAudit(r *http.Request) {
	if rec := auditFrom(r.Context()); rec != nil {
		rec.mu.Lock()
		rec.skip = true
		rec.mu.Unlock()
	}
}

// auditRead writes the entry of a read of personal data now, before the
// data goes out: data whose reading could not be recorded is not handed
// out. On error, answer writeAuditUnavailable.
func (s *server) auditRead(r *http.Request) error {
	rec := auditFrom(r.Context())
	if rec == nil {
		return nil
	}
	rec.mu.Lock()
	entry := rec.entryLocked(http.StatusOK)
	rec.mu.Unlock()
	if err := s.audit.Audit(r.Context(), entry); err != nil {
		return err
	}
	rec.mu.Lock()
	rec.written = true
	rec.mu.Unlock()
	return nil
}

func (s *server) writeAuditUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("audit log: could not record a read of personal data; it was not handed out", "error", err)
	writeError(w, r, CodeDatabaseUnavailable,
		"the read could not be recorded in the audit log (PostgreSQL did not answer), so nothing is shown; retry later")
}

// eventBacked are the actions that take effect only as a trajectory event,
// whose commit appends the action's own audit entry in the same statement
// (store.RecordEvent: "event:<kind>"). No crash can lose that one, so the
// request's entry of these actions is written after the answer has gone
// out, and the caller does not wait for it. Every other request's entry is
// written before its answer leaves: for those it is the only record.
var eventBacked = map[string]bool{
	usecase.ActionCreateReferral: true, usecase.ActionReferConsultation: true,
	usecase.ActionAssign: true, usecase.ActionIntake: true, usecase.ActionVisit: true,
	usecase.ActionMoveVisit: true, usecase.ActionMissedVisit: true,
	usecase.ActionBirth: true, usecase.ActionHandOver: true, usecase.ActionResend: true,
	usecase.ActionAdoptTimings: true, usecase.ActionClose: true, usecase.ActionExtendFollowUp: true,
	usecase.ActionRecordMilestone: true, usecase.ActionAssignCoWorker: true,
	actionAcknowledgeHandover: true,
}

// actionAcknowledgeHandover is the audit log's name of a service's
// acknowledgement through its link.
const actionAcknowledgeHandover = "acknowledge_handover"

// audited gives the request an audit record for action, with actor as
// the actor until authentication names another, and writes its entry
// when the request ends (unless a handler wrote it before or skipped it):
// for an eventBacked action after the answer went out (afterResponse),
// otherwise before. A failure to write it then is logged: the answer has
// been decided.
func (s *server) audited(action, actor string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &auditRecord{action: action, actor: actor, address: s.clientAddress(r)}
		if id := mux.Vars(r)["id"]; trajectoryIDPattern.MatchString(id) {
			rec.trajectoryID = id
		}
		sw := &httpstatus.Recorder{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), auditKey{}, rec)
		finish := func(status int) {
			if !eventBacked[action] || !afterResponse(ctx, func() { s.finishAudit(ctx, rec, status) }) {
				s.finishAudit(ctx, rec, status)
			}
		}
		defer func() {
			if p := recover(); p != nil {
				finish(http.StatusInternalServerError)
				panic(p)
			}
			status := sw.Status
			if status == 0 {
				status = http.StatusOK
			}
			finish(status)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

func (s *server) finishAudit(ctx context.Context, rec *auditRecord, status int) {
	rec.mu.Lock()
	if rec.written || rec.skip {
		rec.mu.Unlock()
		return
	}
	rec.written = true
	entry := rec.entryLocked(status)
	rec.mu.Unlock()
	if entry.Outcome == store.OutcomeUnauthenticated {
		s.denials.add(rec.address, entry)
		return
	}
	// The request's own context may have ended (a timeout): the entry is
	// still owed.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := s.audit.Audit(ctx, entry); err != nil {
		s.log.Warn("audit log: could not write an entry", "action", entry.Action, "actor", entry.Actor,
			"trajectory_id", entry.TrajectoryID, "outcome", entry.Outcome, "error", err)
	}
}
