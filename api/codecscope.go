package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/session"
)

// ProgrammeOf tells which programme a trajectory belongs to, from its data
// key: (*keys.Vault).Programme.
type ProgrammeOf func(ctx context.Context, trajectoryID string) (string, error)

// ScopedSupervisorAuthorizer is the authorize function of
// payloadcodec.NewScopedHandler: SupervisorAuthorizer decides who may use
// the codec endpoint at all, and a decode then reveals only payloads of
// trajectories of the supervisor's own programmes. A request that holds
// one payload of any other trajectory, or one that no trajectory's key
// encrypts (the shared ring's, which may be any family's), answers 403
// before anything is decrypted, however many of its payloads are the
// supervisor's. The audit entry names the trajectory decoded (and, for
// several, lists them).
func ScopedSupervisorAuthorizer(auth Authenticator, sessions *session.Manager, programmeOf ProgrammeOf) func(*http.Request) (payloadcodec.MayRead, error) {
	if auth == nil || sessions == nil || programmeOf == nil {
		panic("api.ScopedSupervisorAuthorizer: nil Authenticator, session.Manager or ProgrammeOf")
	}
	return func(r *http.Request) (payloadcodec.MayRead, error) {
		p, err := supervisorOf(auth, sessions, r)
		if err != nil {
			return nil, err
		}
		return func(scope payloadcodec.Scope) error {
			ids := scope.Trajectories
			if len(ids) > 0 {
				noteTrajectory(r, ids[0])
			}
			if len(ids) > 1 {
				noteDetail(r, "trajectories", strings.Join(ids, ","))
			}
			if scope.Unattributed > 0 {
				noteDetail(r, "reason", "unattributed", "unattributed", strconv.Itoa(scope.Unattributed))
				return &codecAuthError{status: http.StatusForbidden, reason: "payloads under no trajectory's key", err: payloadcodec.ErrForbidden}
			}
			for _, id := range ids {
				prog, err := programmeOf(r.Context(), id)
				switch {
				case errors.Is(err, keys.ErrNoKey):
					noteDetail(r, "reason", "trajectory")
					return &codecAuthError{status: http.StatusForbidden, reason: "unknown trajectory", err: payloadcodec.ErrForbidden}
				case err != nil:
					return &codecAuthError{status: http.StatusServiceUnavailable, reason: "the trajectory's programme could not be read", err: err}
				}
				if !slices.Contains(p.Programmes, prog) {
					noteDetail(r, "reason", "programme")
					return &codecAuthError{status: http.StatusForbidden, reason: "payloads of another programme's trajectory", err: payloadcodec.ErrForbidden}
				}
			}
			return nil
		}, nil
	}
}
