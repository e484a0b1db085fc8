package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Kinds of principal.
const (
	KindPartner    = "partner"
	KindCoach      = "coach"
	KindSupervisor = "supervisor"
	KindAdmin      = "admin"
	KindAnonymous  = "anonymous"
)

// Principal is who makes a request: a partner organisation, a coach, a
// supervisor, an administrator, or nobody known (anonymous).
type Principal struct {
	Kind string // KindPartner, KindCoach, KindSupervisor, KindAdmin or KindAnonymous
	ID   string // the organisation or person id; empty for anonymous
}

// Actor is how the principal appears in the event log and in the steps
// done, e.g. "coach:test-coach"; "anonymous" for an anonymous caller.
func (p Principal) Actor() string {
	if p.ID == "" {
		return p.Kind
	}
	return p.Kind + ":" + p.ID
}

// Authenticator tells who makes a request. An error means the request
// carries credentials that are wrong; the API answers 401 with the error's
// text as the detail, so it must not echo secrets.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

type principalKey struct{}

// PrincipalFromContext returns the principal the API authenticated for the
// request whose context this is.
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

func principal(r *http.Request) Principal {
	if p, ok := PrincipalFromContext(r.Context()); ok {
		return p
	}
	return Principal{Kind: KindAnonymous}
}

// authenticate runs the Authenticator and puts the Principal in the context.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "unauthenticated", err.Error())
			return
		}
		if info := infoFrom(r.Context()); info != nil {
			info.setActor(p.Actor())
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// ActorHeader is the header DevHeaderAuthenticator reads.
const ActorHeader = "X-Elkgezin-Actor"

// DevHeaderAuthenticator is a DEVELOPMENT PLACEHOLDER until roles and
// tokens land: it believes whatever the X-Elkgezin-Actor header claims,
// "<kind>:<id>" such as "coach:test-coach" or "partner:test-partner", and
// makes a request without the header anonymous. It checks only the
// header's format (a malformed header is a 401). Anyone who can reach the
// API can claim to be anyone, so never expose an API that uses it beyond a
// developer's machine or a closed test network.
type DevHeaderAuthenticator struct{}

var (
	actorKinds = []string{KindPartner, KindCoach, KindSupervisor, KindAdmin}
	actorID    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
)

// Authenticate implements Authenticator.
func (DevHeaderAuthenticator) Authenticate(r *http.Request) (Principal, error) {
	values := r.Header.Values(ActorHeader)
	if len(values) == 0 {
		return Principal{Kind: KindAnonymous}, nil
	}
	if len(values) > 1 {
		return Principal{}, errors.New(ActorHeader + " is given more than once; send it once, as <kind>:<id>")
	}
	v := strings.TrimSpace(values[0])
	if v == KindAnonymous {
		return Principal{Kind: KindAnonymous}, nil
	}
	kind, id, ok := strings.Cut(v, ":")
	if !ok || !slices.Contains(actorKinds, kind) || !actorID.MatchString(id) {
		return Principal{}, fmt.Errorf("%s must be <kind>:<id> with kind one of %s and id 2-63 lowercase letters, digits or dashes (e.g. coach:test-coach), or anonymous",
			ActorHeader, joinOr(actorKinds))
	}
	return Principal{Kind: kind, ID: id}, nil
}
