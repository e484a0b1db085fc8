package usecase

import (
	"context"
	"regexp"

	"elkgezin/store"
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
