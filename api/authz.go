package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/elkgezin/elkgezin/usecase"
)

// routeRule says who may call a route at all, and how its audit entries
// name the action.
type routeRule struct {
	action string   // the audit log's name of what the route does
	kinds  []string // the kinds of principal that may call it
	doing  string   // what the route does, for the 403 of another kind
	// step is the step the route takes (usecase.Steps); nil for a route
	// that takes none (lists, reads, reports, erasure).
	step *usecase.Step
}

// routeRules is the authorization table: each authenticated route (method
// and path template), who may call it, and its action in the audit log;
// the routes of steps come from the step table (usecase.Steps). A kind not
// listed gets 403 whatever the trajectory, so the answer tells nothing of
// which exist; a trajectory the caller may not see (usecase.MayAccess)
// answers 404 as one that does not exist; a co-worker whose role lacks the
// step gets 403 (usecase.Cases.ActableStep). The routes outside it, and
// why: docs/api.md, "Who may do what".
var routeRules = stepRules(map[string]routeRule{
	http.MethodPost + " " + pathReferrals:      {usecase.ActionCreateReferral, kinds(usecase.KindPartner), "refer a family", nil},
	http.MethodGet + " " + pathReferrals:       {actionReadReferral, kinds(usecase.KindPartner), "look up a referral", nil},
	http.MethodGet + " " + pathReferral:        {actionReadReferral, kinds(usecase.KindPartner), "read a referral's status", nil},
	http.MethodGet + " " + pathTrajectories:    {usecase.ActionList, kinds(usecase.KindCoach, usecase.KindSupervisor, usecase.KindCoWorker), "list trajectories", nil},
	http.MethodGet + " " + pathTrajectory:      {usecase.ActionRead, kinds(usecase.KindCoach, usecase.KindSupervisor, usecase.KindCoWorker), "read a trajectory", nil},
	http.MethodPost + " " + pathSession:        {usecase.ActionCreateSession, kinds(usecase.KindSupervisor), "open a codec session", nil},
	http.MethodGet + " " + pathProgrammeReport: {usecase.ActionReadProgrammeReport, kinds(usecase.KindSupervisor), "read a programme's results", nil},
	http.MethodPost + " " + pathErasure:        {usecase.ActionEraseTrajectory, kinds(usecase.KindSupervisor, usecase.KindAdmin), "erase a trajectory", nil},
	http.MethodGet + " " + pathExport:          {usecase.ActionExportTrajectory, kinds(usecase.KindCoach, usecase.KindSupervisor), "export a family's data", nil},
	http.MethodGet + " " + pathConsultation: {usecase.ActionReadConsultation,
		kinds(usecase.KindPartner, usecase.KindCoach, usecase.KindSupervisor, usecase.KindCoWorker), "read a consultation", nil},
	http.MethodGet + " " + pathActivity: {usecase.ActionReadCollectiveActivity,
		kinds(usecase.KindCoach, usecase.KindSupervisor, usecase.KindCoWorker), "read a collective activity", nil},
})

// stepRules adds the route of every step of the step table to rules.
func stepRules(rules map[string]routeRule) map[string]routeRule {
	for i := range usecase.Steps {
		st := &usecase.Steps[i]
		if _, dup := rules[st.Route]; dup {
			panic("api: two rules for " + st.Route)
		}
		rules[st.Route] = routeRule{st.Action, st.Kinds, st.Doing, st}
	}
	return rules
}

func kinds(k ...string) []string { return k }

// stepKey holds the step of the request's route in its context.
type stepKey struct{}

// routeStep is the step the request's route takes, or nil.
func routeStep(r *http.Request) *usecase.Step {
	st, _ := r.Context().Value(stepKey{}).(*usecase.Step)
	return st
}

// guard authenticates the request, checks the route's rule and writes the
// request's audit entry.
func (s *server) guard(method, path string, h http.HandlerFunc) http.Handler {
	rule, ok := routeRules[method+" "+path]
	if !ok {
		panic("api: no authorization rule for " + method + " " + path)
	}
	return s.audited(rule.action, usecase.KindAnonymous, s.authorize(rule, h))
}

func (s *server) authorize(rule routeRule, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r)
		var unauth *UnauthenticatedError
		switch {
		case errors.As(err, &unauth):
			noteDetail(r, "token_id", unauth.CredentialID)
			writeUnauthenticated(w, r, unauth)
			return
		case err != nil:
			s.writeAuthUnavailable(w, r, err)
			return
		}
		p = s.currentScope(p)
		notePrincipal(r.Context(), p)
		if !slices.Contains(rule.kinds, p.Kind) {
			noteDetail(r, "reason", "kind")
			writeError(w, r, CodeForbidden,
				fmt.Sprintf("a %s may not %s: this is for %s", kindName(p.Kind), rule.doing, kindNames(rule.kinds)))
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		if rule.step != nil {
			ctx = context.WithValue(ctx, stepKey{}, rule.step)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *server) currentScope(p usecase.Principal) usecase.Principal {
	return usecase.Scope(s.programmes, p)
}

func kindName(kind string) string {
	switch kind {
	case usecase.KindPartner:
		return "partner organisation"
	case usecase.KindAdmin:
		return "administrator"
	case usecase.KindCoWorker:
		return "co-worker"
	}
	return kind
}

func kindNames(ks []string) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		if k == usecase.KindCoach {
			names[i] = "coaches"
		} else {
			names[i] = kindName(k) + "s"
		}
	}
	return joinOr(names)
}

// writeForbidden answers 403 and notes why in the audit entry.
func writeForbidden(w http.ResponseWriter, r *http.Request, code ProblemCode, reason, detail string) {
	noteDetail(r, "reason", reason)
	writeError(w, r, code, detail)
}

// codec mounts the codec endpoint (Config.Codec), which authorizes each
// request itself (SupervisorAuthorizer). Each encode and decode is
// audited; a decode hands out personal data, so its answer is held until
// its audit entry is written, and a failure to write it is a 503.
func (s *server) codec(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var action string
		switch {
		case r.Method != http.MethodPost:
			// Preflights carry no credentials and return no data.
		case strings.HasSuffix(r.URL.Path, "/decode"):
			action = "decode_payloads"
		case strings.HasSuffix(r.URL.Path, "/encode"):
			action = "encode_payloads"
		}
		if action == "" {
			h.ServeHTTP(w, r)
			return
		}
		s.audited(action, usecase.KindAnonymous, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			bw := &bufferedWriter{header: http.Header{}}
			h.ServeHTTP(bw, r)
			rec := auditFrom(r.Context())
			rec.mu.Lock()
			failure := rec.failure
			rec.mu.Unlock()
			if failure != nil {
				s.log.Error("codec: the credentials could not be checked", "error", failure)
			}
			if action == "decode_payloads" && bw.status == http.StatusOK {
				if err := s.auditRead(r); err != nil {
					s.writeAuditUnavailable(w, r, err)
					return
				}
			}
			bw.copyTo(w)
		})).ServeHTTP(w, r)
	})
}
