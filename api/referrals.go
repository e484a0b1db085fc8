package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// Limits of a referral (usecase.CheckReferral's).
const (
	referralBodyLimit = 64 << 10
	maxIDLength       = usecase.MaxIDLength
	maxNameLength     = trajectory.MaxNameLength
	maxReasonLength   = usecase.MaxReasonLength
)

// ReferralResponse is the body of a referral's 201 or 200. Location is
// where the partner reads the referral's status (getReferral).
type ReferralResponse struct {
	ID       string           `json:"id"`
	Phase    trajectory.Phase `json:"phase"`
	Location string           `json:"location"`
}

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
	key, ok := idempotencyKey(w, r, false)
	if !ok {
		return
	}
	var body referralBody
	if !decodeBody(w, r, &body, referralBodyLimit) {
		return
	}
	w, finish, ok := s.idempotent(w, r, key, body, idemOptions{})
	if !ok {
		return
	}
	defer finish()
	ref, fe := validateReferral(body, time.Now())
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return
	}
	// A partner refers as itself, and sees no more of the programmes than
	// which of them accept it.
	partner := principal(r).ID
	if ref.Referrer.Organisation != partner {
		writeError(w, r, CodeReferrerNotAllowed,
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
		writeError(w, r, CodeProgrammeNotFound, fmt.Sprintf("there is no programme %q; %s", id, acceptingProgrammes(p)))
		return prog, false
	case !usecase.PartnerMay(p, id):
		noteDetail(r, "programme", id)
		noteDetail(r, "reason", "programme")
		writeError(w, r, CodeReferrerNotAllowed, fmt.Sprintf("programme %s does not accept %s from your organisation (%s); %s", id, what, p.ID, acceptingProgrammes(p)))
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
	s.answerStarted(w, r, ref, started, err)
}

// answerStarted answers a referral's start (usecase.Referrals.Start).
func (s *server) answerStarted(w http.ResponseWriter, r *http.Request, ref trajectory.Referral, started usecase.Started, err error) {
	noteTrajectory(r, started.ID)
	var open *usecase.PreviousOpenError
	if errors.Is(err, usecase.ErrTrajectoryErased) || errors.As(err, &open) {
		// Refused for good: a retry with the key is answered so too.
		refusalSettles(w)
	}
	switch {
	case err == nil:
	case errors.Is(err, usecase.ErrTrajectoryErased):
		writeError(w, r, CodeTrajectoryErased,
			"this referral's trajectory was erased; refer the family again with a new reference")
		return
	case errors.Is(err, usecase.ErrDataKeyUnavailable):
		writeError(w, r, CodeDatabaseUnavailable,
			"the trajectory's encryption key could not be stored; send the same referral again later")
		return
	case errors.Is(err, usecase.ErrStoreUnavailable):
		writeError(w, r, CodeDatabaseUnavailable,
			"the database (PostgreSQL) did not answer; retry later")
		return
	case errors.Is(err, usecase.ErrPreviousUnknown):
		fe := &fieldErrors{}
		fe.add("previous_trajectory_id", fmt.Sprintf("names no trajectory of programme %s that your organisation referred", ref.ProgrammeID))
		writeFieldErrors(w, r, fe)
		return
	case errors.As(err, &open):
		writeError(w, r, CodePreviousTrajectoryOpen,
			fmt.Sprintf("trajectory %s is still open (phase %s): the family is in it; refer the family again only after it closed", ref.PreviousTrajectoryID, open.Phase))
		return
	case errors.Is(err, usecase.ErrStartedNotListed):
		w.Header().Set("Retry-After", "2")
		writeError(w, r, CodeDatabaseUnavailable,
			"the trajectory was started but is not listed yet; send the same referral again in a moment: it answers with the same id once it is listed")
		return
	case errors.Is(err, usecase.ErrStartUnavailable):
		writeError(w, r, CodeWorkflowUnavailable,
			"the workflow service did not answer in time; the referral may not be recorded: send the same referral again (it never starts a second trajectory)")
		return
	case errors.Is(err, usecase.ErrStartedListingLater):
		writeError(w, r, CodeDatabaseUnavailable,
			"the trajectory was started but could not be listed yet (the database did not answer); send the same referral again: it answers with the same id once it is listed")
		return
	default:
		writeError(w, r, CodeInternalError,
			"the workflow service refused to start the trajectory (logged); send the same referral again later, and report it if it keeps failing")
		return
	}
	if ref.PreviousTrajectoryID != "" {
		noteDetail(r, "previous_trajectory", ref.PreviousTrajectoryID)
	}
	if s.otherReferral(w, r, ref, started) {
		return
	}
	answerAbout(w, started.ID)
	loc := referralLocation(started.ID)
	w.Header().Set("Location", loc)
	status := http.StatusOK
	if started.New {
		status = http.StatusCreated
	}
	writeJSON(w, status, ReferralResponse{ID: started.ID, Phase: started.Phase, Location: loc})
}

// acceptingProgrammes names the programmes that accept referrals from
// the organisation, for a 403 or 404 to a partner.
func acceptingProgrammes(p usecase.Principal) string {
	ids := p.Programmes
	if len(ids) == 0 {
		return "no programme accepts referrals from your organisation"
	}
	return "the programmes that accept your referrals are: " + joinComma(ids)
}

// validateReferral checks the shape of a referral, naming every bad
// field: its dates as sent here, the rest by usecase.CheckReferral.
func validateReferral(b referralBody, now time.Time) (trajectory.Referral, *fieldErrors) {
	ref := trajectory.Referral{ProgrammeID: b.ProgrammeID, Referrer: b.Referrer, Family: b.Family, Reason: b.Reason,
		PreviousTrajectoryID: b.PreviousTrajectoryID}
	fe := &fieldErrors{}
	if ref.PreviousTrajectoryID != "" && !trajectoryIDPattern.MatchString(ref.PreviousTrajectoryID) {
		fe.add("previous_trajectory_id", "must be the id (tr-...) that the family's earlier referral answered")
	}
	dates := &fieldErrors{}
	ref.ExpectedDueDate, _ = b.ExpectedDueDate.parse(dates, "expected_due_date", false)
	for i, c := range b.Children {
		born, _ := c.BirthDate.parse(dates, fmt.Sprintf("children[%d].birth_date", i), true)
		ref.Children = append(ref.Children, trajectory.Child{Name: c.Name, BirthDate: born})
	}
	for _, p := range usecase.CheckReferral(ref, now) {
		fe.add(p.Field, p.Problem)
		if p.Field == "expected_due_date" {
			ref.ExpectedDueDate = trajectory.Date{}
		}
	}
	for _, field := range dates.order {
		fe.add(field, dates.problems[field])
	}
	return ref, fe
}

// checkText checks one text field by trajectory.CleanText (required, at
// most max characters, no control characters but line breaks and tabs
// when multiline); it reports false when it added a problem. Formatting
// characters and NFC are checked over the whole body (cleanText).
func checkText(fe *fieldErrors, field, v string, required bool, max int, multiline bool) bool {
	if problem := usecase.TextProblem(v, required, max, multiline); problem != "" {
		_, kind := trajectory.CleanText(v, required, max, multiline)
		fe.addCode(field, textCodes[kind], problem)
		return false
	}
	return true
}

// textCodes is the field code of each problem trajectory.CleanText finds.
var textCodes = map[trajectory.TextProblem]FieldCode{
	trajectory.TextRequired: FieldRequired,
	trajectory.TextTooLong:  FieldTooLong,
	trajectory.TextControl:  FieldInvalid,
}
