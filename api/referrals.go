package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"elkgezin/programme"
	"elkgezin/trajectory"
	"elkgezin/usecase"
)

// Limits of a referral.
const (
	referralBodyLimit = 64 << 10
	maxIDLength       = 64
	maxNameLength     = trajectory.MaxNameLength
	maxAddressLength  = 500
	maxPhoneLength    = 40
	maxEmailLength    = 254
	maxLanguageLength = 35
	maxReasonLength   = 4000
	maxChildren       = 20
	// A due date may lie this far back (the birth may simply not be known
	// yet) and this far ahead.
	dueDateMaxAgeDays = 28
	dueDateMaxAhead   = 10 // months
	childMaxAgeYears  = 25
)

var (
	referencePattern = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,64}$`)
	phonePattern     = regexp.MustCompile(`^[0-9 +()-]+$`)
)

// ReferralResponse is the body of a referral's 201 or 200.
type ReferralResponse struct {
	ID       string           `json:"id"`
	Phase    trajectory.Phase `json:"phase"`
	Location string           `json:"location"`
}

func trajectoryLocation(id string) string { return "/v1/trajectories/" + id }

// referralBody is the body of a referral: a trajectory.Referral whose
// dates are read as sent, so that a bad one is reported by its field name.
type referralBody struct {
	ProgrammeID     string              `json:"programme"`
	Referrer        trajectory.Referrer `json:"referrer"`
	Family          trajectory.Family   `json:"family"`
	Reason          string              `json:"reason"`
	ExpectedDueDate dateInput           `json:"expected_due_date"`
	Children        []childBody         `json:"children"`
	// PreviousTrajectoryID names the family's earlier, closed trajectory
	// (the id its referral answered) when the partner refers it again.
	PreviousTrajectoryID string `json:"previous_trajectory_id"`
}

type childBody struct {
	Name      string    `json:"name"`
	BirthDate dateInput `json:"birth_date"`
}

// postReferral starts a trajectory. The same referral (programme,
// organisation, reference) always yields the same id, so a partner may
// safely send it again: the second time answers 200 instead of 201.
func (s *server) postReferral(w http.ResponseWriter, r *http.Request) {
	var body referralBody
	if !decodeBody(w, r, &body, referralBodyLimit) {
		return
	}
	ref, fe := validateReferral(body, time.Now())
	if !fe.empty() {
		writeFieldErrors(w, "invalid referral", fe)
		return
	}
	// A partner refers as itself, and sees no more of the programmes than
	// which of them accept it.
	partner := principal(r).ID
	if ref.Referrer.Organisation != partner {
		writeError(w, http.StatusForbidden, "referrer not allowed",
			fmt.Sprintf("you may only refer as your own organisation: referrer.organisation must be %q", partner))
		noteDetail(r, "reason", "organisation")
		return
	}
	p, ok := s.partnerProgramme(w, r, ref.ProgrammeID, "referrals")
	if !ok {
		return
	}
	s.startTrajectory(w, r, p, ref)
}

// partnerProgramme is the programme a partner names, if it is one of the
// partner's (usecase.PartnerMay: its referrers list the partner); else it
// answers 404 `unknown programme` for a programme that does not exist and
// 403 `referrer not allowed` for one that does not list the partner, both
// saying which programmes do. Referrals, consultations and referrals after a
// consultation answer alike. what names what the programme would accept
// ("referrals", "consultations").
func (s *server) partnerProgramme(w http.ResponseWriter, r *http.Request, id, what string) (programme.Programme, bool) {
	p := principal(r)
	prog, known := s.programmes.Get(id)
	switch {
	case !known:
		writeError(w, http.StatusNotFound, "unknown programme", fmt.Sprintf("there is no programme %q; %s", id, acceptingProgrammes(p)))
		return prog, false
	case !usecase.PartnerMay(p, id):
		noteDetail(r, "programme", id)
		noteDetail(r, "reason", "programme")
		writeError(w, http.StatusForbidden, "referrer not allowed", fmt.Sprintf("programme %s does not accept %s from your organisation (%s); %s", id, what, p.ID, acceptingProgrammes(p)))
		return prog, false
	}
	noteDetail(r, "programme", id)
	return prog, true
}

// startTrajectory starts the trajectory of a referral that was checked
// (usecase.Referrals.Start), and answers 201, or 200 with its phase when
// elkgezin recorded it before: a trajectory is started once per referral.
func (s *server) startTrajectory(w http.ResponseWriter, r *http.Request, p programme.Programme, ref trajectory.Referral) {
	started, err := s.referrals.Start(r.Context(), p, ref)
	noteTrajectory(r, started.ID)
	var open *usecase.PreviousOpenError
	switch {
	case err == nil:
	case errors.Is(err, usecase.ErrTrajectoryErased):
		writeError(w, http.StatusConflict, "trajectory erased",
			"this referral's trajectory was erased; refer the family again with a new reference")
		return
	case errors.Is(err, usecase.ErrDataKeyUnavailable):
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the trajectory's encryption key could not be stored; send the same referral again later")
		return
	case errors.Is(err, usecase.ErrStoreUnavailable):
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the database (PostgreSQL) did not answer; retry later")
		return
	case errors.Is(err, usecase.ErrPreviousUnknown):
		fe := &fieldErrors{}
		fe.add("previous_trajectory_id", fmt.Sprintf("names no trajectory of programme %s that your organisation referred", p.ID))
		writeFieldErrors(w, "invalid referral", fe)
		return
	case errors.As(err, &open):
		writeError(w, http.StatusConflict, "previous trajectory open",
			fmt.Sprintf("trajectory %s is still open (phase %s): the family is in it; refer the family again only after it closed", ref.PreviousTrajectoryID, open.Phase))
		return
	case errors.Is(err, usecase.ErrStartedNotListed):
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the trajectory was started but is not listed yet; send the same referral again in a moment: it answers with the same id once it is listed")
		return
	case errors.Is(err, usecase.ErrStartUnavailable):
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the workflow service did not answer in time; the referral may not be recorded: send the same referral again (it never starts a second trajectory)")
		return
	case errors.Is(err, usecase.ErrStartedListingLater):
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the trajectory was started but could not be listed yet (the database did not answer); send the same referral again: it answers with the same id once it is listed")
		return
	default:
		writeError(w, http.StatusInternalServerError, "internal error",
			"the workflow service refused to start the trajectory (logged); send the same referral again later, and report it if it keeps failing")
		return
	}
	if ref.PreviousTrajectoryID != "" {
		noteDetail(r, "previous_trajectory", ref.PreviousTrajectoryID)
	}
	loc := trajectoryLocation(started.ID)
	w.Header().Set("Location", loc)
	status := http.StatusOK
	if started.New {
		status = http.StatusCreated
	}
	writeJSON(w, status, ReferralResponse{ID: started.ID, Phase: started.Phase, Location: loc})
}

// acceptingProgrammes names the programmes that accept referrals from
// the organisation, for a 403 or 404 to a partner.
func acceptingProgrammes(p Principal) string {
	ids := p.Programmes
	if len(ids) == 0 {
		return "no programme accepts referrals from your organisation"
	}
	return "the programmes that accept your referrals are: " + joinComma(ids)
}

// validateReferral checks the shape of a referral, naming every bad field.
// A due date is accepted for any programme: one without perinatal
// follow-up keeps it with the referral and ignores it.
func validateReferral(b referralBody, now time.Time) (trajectory.Referral, *fieldErrors) {
	ref := trajectory.Referral{ProgrammeID: b.ProgrammeID, Referrer: b.Referrer, Family: b.Family, Reason: b.Reason,
		PreviousTrajectoryID: b.PreviousTrajectoryID}
	fe := &fieldErrors{}
	if ref.PreviousTrajectoryID != "" && !trajectoryIDPattern.MatchString(ref.PreviousTrajectoryID) {
		fe.add("previous_trajectory_id", "must be the id (tr-...) that the family's earlier referral answered")
	}
	checkText(fe, "programme", ref.ProgrammeID, true, maxIDLength, false)
	checkText(fe, "referrer.organisation", ref.Referrer.Organisation, true, maxIDLength, false)
	if checkText(fe, "referrer.reference", ref.Referrer.Reference, true, maxIDLength, false) &&
		!referencePattern.MatchString(ref.Referrer.Reference) {
		fe.add("referrer.reference", "must be 1-64 characters of A-Z, a-z, 0-9, dot, underscore, slash or dash")
	}
	if checkText(fe, "referrer.contact_email", ref.Referrer.ContactEmail, false, maxEmailLength, false) && ref.Referrer.ContactEmail != "" {
		if a, err := mail.ParseAddress(ref.Referrer.ContactEmail); err != nil || a.Address != ref.Referrer.ContactEmail {
			fe.add("referrer.contact_email", "must be a plain email address such as name@example.org")
		}
	}
	checkText(fe, "family.contact_name", ref.Family.ContactName, true, maxNameLength, false)
	checkText(fe, "family.address", ref.Family.Address, false, maxAddressLength, true)
	if checkText(fe, "family.phone", ref.Family.Phone, false, maxPhoneLength, false) && ref.Family.Phone != "" {
		if !phonePattern.MatchString(ref.Family.Phone) {
			fe.add("family.phone", "may hold only digits, spaces, +, -, ( and )")
		} else if countDigits(ref.Family.Phone) < 6 {
			fe.add("family.phone", "must hold at least 6 digits")
		}
	}
	if strings.TrimSpace(ref.Family.Address) == "" && strings.TrimSpace(ref.Family.Phone) == "" {
		fe.add("family.address", "is required when family.phone is empty: the coach must be able to reach the family")
		fe.add("family.phone", "is required when family.address is empty: the coach must be able to reach the family")
	}
	checkText(fe, "family.language", ref.Family.Language, false, maxLanguageLength, false)
	checkText(fe, "reason", ref.Reason, true, maxReasonLength, true)

	day := today(now)
	if due, ok := b.ExpectedDueDate.parse(fe, "expected_due_date", false); ok && !due.IsZero() {
		switch {
		case due.Before(day.AddDate(0, 0, -dueDateMaxAgeDays)):
			fe.add("expected_due_date", "is a due date more than 4 weeks ago: record a birth instead (list the child under children)")
		case due.After(day.AddDate(0, dueDateMaxAhead, 0)):
			fe.add("expected_due_date", "lies more than 10 months ahead; check the date")
		default:
			ref.ExpectedDueDate = due
		}
	}
	if len(b.Children) > maxChildren {
		fe.add("children", fmt.Sprintf("lists %d children; at most %d are allowed", len(b.Children), maxChildren))
	}
	for i, c := range b.Children {
		field := fmt.Sprintf("children[%d]", i)
		checkText(fe, field+".name", c.Name, false, maxNameLength, false)
		born, ok := c.BirthDate.parse(fe, field+".birth_date", true)
		switch {
		case !ok:
		case born.After(day.Time):
			fe.add(field+".birth_date", "lies in the future: a child not born yet is an expected_due_date")
		case born.Before(day.AddDate(-childMaxAgeYears, 0, 0)):
			fe.add(field+".birth_date", "lies more than 25 years ago; check the date")
		}
		ref.Children = append(ref.Children, trajectory.Child{Name: c.Name, BirthDate: born})
	}
	return ref, fe
}

// checkText checks one text field by trajectory.CleanText (required, at
// most max characters, no control characters but line breaks and tabs
// when multiline); it reports false when it added a problem. Formatting
// characters and NFC are checked over the whole body (cleanText).
func checkText(fe *fieldErrors, field, v string, required bool, max int, multiline bool) bool {
	_, problem := trajectory.CleanText(v, required, max, multiline)
	switch problem {
	case "", trajectory.TextFormatChar:
		return true
	case trajectory.TextRequired:
		fe.add(field, "is required")
	case trajectory.TextTooLong:
		fe.add(field, fmt.Sprintf("is %d characters long; at most %d are allowed", utf8.RuneCountInString(v), max))
	case trajectory.TextControl:
		if multiline {
			fe.add(field, "must not contain control characters other than line breaks and tabs")
		} else {
			fe.add(field, "must be one line without control characters")
		}
	}
	return false
}

func countDigits(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}
