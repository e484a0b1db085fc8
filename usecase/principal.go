// Package usecase holds what the JSON API (package api) and the pages
// (package pages) both do to a trajectory, so that the two are thin
// adapters over one set of rules: who may see and act on a trajectory
// (MayAccess, Scope), the step table (Steps: each step's Update, audit
// action, who may take it, its route and its Dutch title; Step.Allows,
// Cases.MayTake), finding it (Cases.Visible), running a step as a
// Temporal Update under an idempotency key (Cases.Update), the actions'
// names in the audit log, and writing an audit entry (Cases.Audit).
//
// Parsing the request (JSON for the API, a form for the pages) stays with
// the adapter; the rules a step must meet are the trajectory package's
// (VisitTimeProblems, CloseProblems, ConsentProblems) and, with the last
// word, the workflow's Update validators.
package usecase

import (
	"slices"
	"strings"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
)

// Kinds of principal.
const (
	KindPartner    = store.TokenPartner
	KindCoach      = store.TokenCoach
	KindSupervisor = store.TokenSupervisor
	KindAdmin      = store.TokenAdmin
	// KindCoWorker is a co-worker of a programme (a bridge figure, an
	// expert by experience): assigned trajectories only, and only the
	// steps the programme gives their role (Step.Allows).
	KindCoWorker = store.TokenCoWorker
	// KindAnonymous is the caller before (or without) authentication.
	KindAnonymous = "anonymous"
)

// Principal is who makes a request: a partner organisation, a coach, a
// co-worker, a supervisor or an administrator (or, outside authentication,
// nobody known).
type Principal struct {
	Kind string // KindPartner, KindCoach, KindCoWorker, KindSupervisor, KindAdmin or KindAnonymous
	ID   string // the organisation id, coach id, co-worker id, supervisor id or administrator name; "" for anonymous
	// Programmes are the programmes a coach, co-worker or supervisor works
	// in: a coach sees and acts on their own trajectories in them, a
	// co-worker on those they are assigned to, a supervisor on every
	// trajectory of them. For a partner (after Scope), the programmes
	// whose referrers list it: the only ones it may refer to or consult.
	// Empty for administrators.
	Programmes []string
	// CredentialID names the credential that authenticated the request
	// (the public token id, tok_...), for the audit log. Never a secret.
	CredentialID string
}

// Actor is how the principal appears in the event log, the audit log and
// the steps done, e.g. "coach:test-coach"; "anonymous" for an anonymous caller.
func (p Principal) Actor() string {
	if p.ID == "" {
		return p.Kind
	}
	return p.Kind + ":" + p.ID
}

// MayAccess says whether p may see, and act on, the trajectory: a coach
// their own trajectories (the assigned coach) in their programmes, a
// co-worker those they are assigned to in their programmes, a supervisor
// every trajectory of their programmes, nobody else any. Which steps a
// co-worker may take there is Step.Allows's to say.
func MayAccess(p Principal, t store.TrajectorySummary) bool {
	switch p.Kind {
	case KindCoach:
		return t.CoachID != "" && t.CoachID == p.ID && slices.Contains(p.Programmes, t.ProgrammeID)
	case KindCoWorker:
		return p.ID != "" && slices.Contains(t.CoWorkers, p.ID) && slices.Contains(p.Programmes, t.ProgrammeID)
	case KindSupervisor:
		return slices.Contains(p.Programmes, t.ProgrammeID)
	}
	return false
}

// MayRead says whether p may see the trajectory: whoever may access it,
// and the coach or a co-worker of a trajectory that follows it (the same
// family referred again to the programme), who reads the family's earlier
// history but takes no step in it.
func MayRead(p Principal, t store.TrajectorySummary) bool {
	if MayAccess(p, t) {
		return true
	}
	return (p.Kind == KindCoach || p.Kind == KindCoWorker) && p.ID != "" && slices.Contains(t.ReadBy, p.ID) && slices.Contains(p.Programmes, t.ProgrammeID)
}

// Scope keeps, of a coach's or co-worker's programmes, those that still
// list them as such in the programme files: a coach taken off a team
// loses its trajectories at once, even before their token is revoked. A
// partner's programmes are those whose referrers list it today: a partner
// id means nothing in a programme that does not list it.
func Scope(programmes programme.Catalogue, p Principal) Principal {
	if p.Kind == KindPartner {
		p.Programmes = nil
		for _, id := range programmes.IDs() {
			if prog, _ := programmes.Get(id); prog.AllowsReferrer(p.ID) {
				p.Programmes = append(p.Programmes, id)
			}
		}
		return p
	}
	if p.Kind != KindCoach && p.Kind != KindCoWorker {
		return p
	}
	var kept []string
	for _, id := range p.Programmes {
		if prog, ok := programmes.Get(id); ok {
			_, isCoach := prog.Coach(p.ID)
			_, isCoWorker := prog.CoWorker(p.ID)
			if p.Kind == KindCoach && isCoach || p.Kind == KindCoWorker && isCoWorker {
				kept = append(kept, id)
			}
		}
	}
	p.Programmes = kept
	return p
}

// Filter narrows a list to what p may see: a coach their own
// trajectories, a co-worker those they are assigned to, a supervisor
// those of their programmes (all: f.ProgrammeIDs).
func Filter(p Principal, f store.Filter) store.Filter {
	f.ProgrammeIDs = append([]string{}, p.Programmes...)
	switch p.Kind {
	case KindCoach:
		f.CoachID = p.ID
	case KindCoWorker:
		f.CoWorkerID = p.ID
	}
	return f
}

// PartnerMay says whether a partner (as Scope left it) may refer a family
// to the programme, or consult it about one: the programme lists it.
func PartnerMay(p Principal, programmeID string) bool {
	return p.Kind == KindPartner && slices.Contains(p.Programmes, programmeID)
}

// ConsultationPartnerProblem checks the partner a consultation recorded
// by the team (a coach, a co-worker, a supervisor) names: the one it
// concerns, required and one of the programme's referrers, so that this
// partner can turn it into a referral with the family's consent (a partner
// consults as itself). "" when org is one; else what is wrong, in words
// for the field.
func ConsultationPartnerProblem(prog programme.Programme, org string) string {
	ids := make([]string, len(prog.Referrers))
	for i, o := range prog.Referrers {
		ids[i] = o.ID
	}
	switch {
	case org == "":
		return "is required: name the partner the consultation concerns (" + strings.Join(ids, ", ") + "), so that it can turn it into a referral with the family's consent"
	case !prog.AllowsReferrer(org):
		return "is not a partner that may refer to " + prog.ID + "; one of: " + strings.Join(ids, ", ")
	}
	return ""
}
