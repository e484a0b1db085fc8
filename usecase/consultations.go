package usecase

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Consultations: a partner, or the team itself (the school-gate tandem),
// asks about a situation before any referral. A consultation is anonymous:
// it has no field for a name, an address or a phone, and its texts are
// refused when they look like they hold contact data.

// ConsultationStore is the part of *store.Store consultations need.
type ConsultationStore interface {
	CreateConsultation(ctx context.Context, c store.Consultation) (store.Consultation, error)
	Consultation(ctx context.Context, id string) (store.Consultation, error)
	ListConsultations(ctx context.Context, programmeIDs []string, limit int) ([]store.Consultation, error)
}

var _ ConsultationStore = (*store.Store)(nil)

// MaxConsultationText bounds a consultation's situation and advice.
const MaxConsultationText = 2000

var (
	emailLike = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[a-zA-Z]{2,}`)
	// A run of 6 or more digits (spaces, dots, slashes and dashes between)
	// is a phone, a national number or a bank account: contact data.
	numberLike = regexp.MustCompile(`\d(?:[\s./-]?\d){5,}`)
)

// LooksLikeContactData says whether a consultation's text holds what
// makes it no longer anonymous: an email address or a phone, national or
// account number.
func LooksLikeContactData(text string) bool {
	return emailLike.MatchString(text) || numberLike.MatchString(text)
}

// Refusals of a step on one consultation.
var (
	// ErrConsultationNotFound: no such consultation, or one of a programme
	// the caller does not work in (as unknown as none).
	ErrConsultationNotFound = errors.New("consultation not found")
	// ErrConsultationReferred: the consultation became a trajectory already.
	ErrConsultationReferred = errors.New("consultation became a referral already")
	// ErrPartnerNamed: the consultation names its partner already; a
	// partner once named is not changed, it may have referred.
	ErrPartnerNamed = errors.New("consultation names its partner already")
)

// PartnerProblemError: the partner named is not one the consultation may
// concern (ConsultationPartnerProblem says why, for the API's field).
type PartnerProblemError struct{ Problem string }

func (e *PartnerProblemError) Error() string { return "organisation " + e.Problem }

// ConsultationPartnerStore names the partner of a consultation that names none.
type ConsultationPartnerStore interface {
	Consultation(ctx context.Context, id string) (store.Consultation, error)
	NameConsultationPartner(ctx context.Context, id, organisation string) (bool, error)
}

var _ ConsultationPartnerStore = (*store.Store)(nil)

// NameConsultationPartner names the partner a consultation recorded by
// the team concerns, when it names none (recorded before a partner was
// required), so that this partner can turn it into a referral; whoever
// may take StepConsultationPartner in the consultation's programme names
// it, once. The API and the pages both name it here.
func (c Cases) NameConsultationPartner(ctx context.Context, p Principal, id, org string) (store.Consultation, error) {
	cs, ok := c.Store.(ConsultationPartnerStore)
	if !ok {
		return store.Consultation{}, fmt.Errorf("%w: the store keeps no consultations", ErrUnavailable)
	}
	got, err := cs.Consultation(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && !slices.Contains(p.Programmes, got.ProgrammeID):
		return store.Consultation{}, ErrConsultationNotFound
	case err != nil:
		return store.Consultation{}, err
	case got.TrajectoryID != "":
		return got, ErrConsultationReferred
	case got.Organisation != "":
		return got, ErrPartnerNamed
	}
	step, _ := StepNamed(StepConsultationPartner)
	if err := c.MayTake(p, step, got.ProgrammeID); err != nil {
		return got, err
	}
	prog, _ := c.Programmes.Get(got.ProgrammeID)
	if problem := ConsultationPartnerProblem(prog, org); problem != "" {
		return got, &PartnerProblemError{Problem: problem}
	}
	named, err := cs.NameConsultationPartner(ctx, got.ID, org)
	switch {
	case err != nil:
		return got, err
	case !named: // named or referred meanwhile
		return got, ErrPartnerNamed
	}
	got.Organisation = org
	return got, nil
}

// ErrConsultationNoPartner: the consultation names no partner; one must be
// named (StepConsultationPartner) before it can become a referral, whose
// referrer it is.
var ErrConsultationNoPartner = errors.New("consultation names no partner")

// ErrNotTheConsultedPartner: a referral after a consultation whose
// referrer is not the partner the consultation concerns.
var ErrNotTheConsultedPartner = errors.New("the referrer is not the partner the consultation concerns")

// ConsultationToRefer is the consultation p may turn into a referral
// (StepReferConsultation): the partner it concerns may, and so may the
// team of its programme (a coach, a supervisor) on that partner's behalf.
// Another partner's consultation, or one of another programme, is as
// unknown as none (ErrConsultationNotFound).
func (c Cases) ConsultationToRefer(ctx context.Context, p Principal, id string) (store.Consultation, error) {
	cs, ok := c.Store.(ConsultationPartnerStore)
	if !ok {
		return store.Consultation{}, fmt.Errorf("%w: the store keeps no consultations", ErrUnavailable)
	}
	got, err := visibleConsultation(ctx, cs, p, id)
	switch {
	case err != nil:
		return store.Consultation{}, err
	case got.TrajectoryID != "":
		return got, ErrConsultationReferred
	case got.Organisation == "":
		return got, ErrConsultationNoPartner
	}
	step, _ := StepNamed(StepReferConsultation)
	if err := c.MayTake(p, step, got.ProgrammeID); err != nil {
		return got, err
	}
	return got, nil
}

// Consultation reads a consultation p may see: one about p's own
// organisation (a partner) or of p's programmes (the team); any other is
// ErrConsultationNotFound, as one that does not exist.
func (c Cases) Consultation(ctx context.Context, p Principal, id string) (store.Consultation, error) {
	cs, ok := c.Store.(ConsultationPartnerStore)
	if !ok {
		return store.Consultation{}, fmt.Errorf("%w: the store keeps no consultations", ErrUnavailable)
	}
	return visibleConsultation(ctx, cs, p, id)
}

func visibleConsultation(ctx context.Context, cs ConsultationPartnerStore, p Principal, id string) (store.Consultation, error) {
	got, err := cs.Consultation(ctx, id)
	ours := err == nil && (p.Kind == KindPartner && got.Organisation == p.ID ||
		p.Kind != KindPartner && slices.Contains(p.Programmes, got.ProgrammeID))
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && !ours:
		return store.Consultation{}, ErrConsultationNotFound
	case err != nil:
		return store.Consultation{}, err
	}
	return got, nil
}

// ReferConsultation starts the trajectory of a consultation p may turn
// into a referral (ConsultationToRefer), made with the family's consent
// (the adapter checked it): its referrer is the partner the consultation
// concerns, whom the programme must still list; who referred on the
// partner's behalf is the actor of its referred event. The trajectory
// keeps the consultation's id, the consultation the trajectory's.
func (rs Referrals) ReferConsultation(ctx context.Context, p Principal, c store.Consultation, ref trajectory.Referral) (Started, error) {
	if ref.Referrer.Organisation != c.Organisation {
		return Started{}, ErrNotTheConsultedPartner
	}
	prog, known := rs.Programmes.Get(c.ProgrammeID)
	if !known || !prog.AllowsReferrer(c.Organisation) {
		return Started{}, &PartnerProblemError{Problem: ConsultationPartnerProblem(prog, c.Organisation)}
	}
	ref.ProgrammeID, ref.ConsultationID = prog.ID, c.ID
	if p.Kind != KindPartner {
		ref.ReferredBy = p.Actor()
	}
	return rs.Start(ctx, prog, ref)
}

// ConsultationReference is the referrer's reference of a consultation the
// team turned into a referral on the partner's behalf: the consultation's
// id, so that turning it again is the same trajectory.
func ConsultationReference(c store.Consultation) string { return "consultatie/" + c.ID }
