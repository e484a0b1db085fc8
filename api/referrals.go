package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"elkgezin/programme"
	"elkgezin/store"
	"elkgezin/trajectory"
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
	p, ok := s.programmes.Get(ref.ProgrammeID)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown programme",
			fmt.Sprintf("there is no programme %q; %s", ref.ProgrammeID, s.acceptingProgrammes(partner)))
		return
	}
	noteDetail(r, "programme", p.ID)
	if !p.AllowsReferrer(partner) {
		writeError(w, http.StatusForbidden, "referrer not allowed",
			fmt.Sprintf("programme %s does not accept referrals from your organisation (%s); %s",
				p.ID, partner, s.acceptingProgrammes(partner)))
		noteDetail(r, "reason", "programme")
		return
	}
	s.startTrajectory(w, r, p, ref)
}

// startTrajectory starts the trajectory of a referral that was checked,
// and answers 201, or 200 with its phase when elkgezin recorded it before:
// a trajectory is started once per referral, for ever. Temporal keeps a
// closed run only for its namespace's retention, elkgezin keeps the log
// for years, so elkgezin's own record decides; nothing ever starts a
// second run over a trajectory's log.
func (s *server) startTrajectory(w http.ResponseWriter, r *http.Request, p programme.Programme, ref trajectory.Referral) {
	ctx := r.Context()
	id := trajectory.ID(s.idKey, p.ID, ref.Referrer.Organisation, ref.Referrer.Reference)
	noteTrajectory(r, id)
	fresh, ok := s.ensureDataKey(w, r, id, p.ID)
	if !ok {
		return
	}
	// A key made now is a trajectory never recorded: no need to ask.
	if !fresh {
		if known, ok := s.recordedReferral(w, r, id); !ok || known {
			return
		}
	}
	if ref.PreviousTrajectoryID != "" && !s.previousClosed(w, r, p, ref) {
		return
	}
	// The referral's instant is the API's: the workflow's referred event,
	// its deadlines and the listing below all start from it.
	at := time.Now().UTC()
	listed := trajectory.ReferredEvent(id, p, ref, at)
	opts := client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                trajectory.TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		// What supervisors filter on, set with the start so the workflow's
		// first task need not upsert them.
		TypedSearchAttributes: trajectory.StartSearchAttributes(p.ID, ref.Referrer.Organisation,
			&trajectory.Step{Kind: trajectory.StepAssignment, DueAt: *listed.Summary.NextDueAt}),
		// What a supervisor sees of the trajectory in the Temporal UI at a
		// glance. Sent in clear (payloadcodec.PlainUserMetadata), so the UI
		// shows it without decoding: programme, referring organisation,
		// date and id only, never the family.
		StaticSummary: fmt.Sprintf("%s, verwezen door %s", p.Name, ref.Referrer.Organisation),
		StaticDetails: fmt.Sprintf("**Programma:** %s (%s)  \n**Verwezen door:** %s  \n**Verwezen op:** %s  \n**Traject:** %s",
			p.Name, p.ID, ref.Referrer.Organisation, at.Format("2006-01-02 15:04 UTC"), id),
	}
	// The trajectory keeps the programme's timings; its people are looked
	// up by id whenever an email goes out.
	timings := trajectory.TimingsOf(p)
	start := trajectory.Start{TrajectoryID: id, ProgrammeID: p.ID, ProgrammeName: p.Name, Timings: &timings, Referral: ref, ReferredAt: at,
		SearchAttributesSet: true}
	run, err := s.temporal.ExecuteWorkflow(ctx, opts, trajectory.WorkflowName, start)
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		// A frontend that does not know the search attributes yet (a
		// namespace just set up) refuses them: the workflow's first task
		// upserts them instead, retried until it does.
		s.log.Warn("referral: started without its search attributes", "trajectory_id", id, "error", err)
		opts.TypedSearchAttributes, start.SearchAttributesSet = temporal.SearchAttributes{}, false
		run, err = s.temporal.ExecuteWorkflow(ctx, opts, trajectory.WorkflowName, start)
	}
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
	case temporal.IsWorkflowExecutionAlreadyStartedError(err) || errors.As(err, &already):
		// Started by an earlier request whose listing failed: the workflow
		// lists it with its own instant, which this request does not know.
		s.answerStartedBefore(w, r, id)
		return
	case unavailable(ctx, err):
		s.log.Warn("referral: Temporal did not answer", "trajectory_id", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the workflow service did not answer in time; the referral may not be recorded: send the same referral again (it never starts a second trajectory)")
		return
	default:
		s.log.Error("referral: start workflow", "trajectory_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, "internal error",
			"the workflow service refused to start the trajectory (logged); send the same referral again later, and report it if it keeps failing")
		return
	}

	// Listed at once, before the workflow's own (identical, idempotent)
	// write. A referral answered 201 or 200 is listed, so the partner's and
	// the supervisor's next calls find it; one that is not yet is answered
	// 503, and the same referral sent again finds it listed.
	if run != nil {
		listed.FirstRunID = run.GetRunID()
	}
	wctx, cancel := context.WithTimeout(ctx, s.timeout/4)
	defer cancel()
	if err := s.store.ListReferral(wctx, listed); err != nil {
		s.log.Warn("referral: could not write the referred event now; the workflow writes it too",
			"trajectory_id", id, "error", redact(err.Error(), ref))
		writeError(w, http.StatusServiceUnavailable, "service unavailable",
			"the trajectory was started but could not be listed yet (the database did not answer); send the same referral again: it answers with the same id once it is listed")
		return
	}
	loc := trajectoryLocation(id)
	w.Header().Set("Location", loc)
	writeJSON(w, http.StatusCreated, ReferralResponse{ID: id, Phase: trajectory.PhaseReferred, Location: loc})
}

// recordedReferral answers 200 with the trajectory's phase as elkgezin
// recorded it, when it did (known), whether or not Temporal still holds
// its workflow; ok is false when it answered an error.
func (s *server) recordedReferral(w http.ResponseWriter, r *http.Request, id string) (known, ok bool) {
	got, err := s.store.ReferredTrajectory(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, true
	case err != nil:
		s.writeStoreError(w, "referral: read the trajectory", err)
		return false, false
	}
	loc := trajectoryLocation(id)
	w.Header().Set("Location", loc)
	writeJSON(w, http.StatusOK, ReferralResponse{ID: id, Phase: got.Phase, Location: loc})
	return true, true
}

// answerStartedBefore answers a referral whose workflow was started by an
// earlier request: 200 once it is listed, 503 until then.
func (s *server) answerStartedBefore(w http.ResponseWriter, r *http.Request, id string) {
	if known, ok := s.recordedReferral(w, r, id); !ok || known {
		return
	}
	w.Header().Set("Retry-After", "2")
	writeError(w, http.StatusServiceUnavailable, "service unavailable",
		"the trajectory was started but is not listed yet; send the same referral again in a moment: it answers with the same id once it is listed")
}

// previousClosed checks the referral's previous_trajectory_id: a closed
// trajectory of the same programme that the same organisation referred.
// A trajectory that is not the partner's is answered like one that does
// not exist, so the answer never tells whether it does.
func (s *server) previousClosed(w http.ResponseWriter, r *http.Request, p programme.Programme, ref trajectory.Referral) bool {
	prev, err := s.store.ReferredTrajectory(r.Context(), ref.PreviousTrajectoryID)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && (prev.ReferrerOrg != ref.Referrer.Organisation || prev.ProgrammeID != p.ID):
		fe := &fieldErrors{}
		fe.add("previous_trajectory_id", fmt.Sprintf("names no trajectory of programme %s that your organisation referred", p.ID))
		writeFieldErrors(w, "invalid referral", fe)
		return false
	case err != nil:
		s.writeStoreError(w, "referral: read the previous trajectory", err)
		return false
	case prev.Phase != trajectory.PhaseClosed:
		writeError(w, http.StatusConflict, "previous trajectory open",
			fmt.Sprintf("trajectory %s is still open (phase %s): the family is in it; refer the family again only after it closed", ref.PreviousTrajectoryID, prev.Phase))
		return false
	}
	noteDetail(r, "previous_trajectory", ref.PreviousTrajectoryID)
	return true
}

// acceptingProgrammes names the programmes that accept referrals from
// the organisation, for a 403 or 404 to a partner.
func (s *server) acceptingProgrammes(org string) string {
	var ids []string
	for _, id := range s.programmes.IDs() {
		if p, _ := s.programmes.Get(id); p.AllowsReferrer(org) {
			ids = append(ids, id)
		}
	}
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

// redact removes the referral's personal data from a text meant for the log.
func redact(text string, ref trajectory.Referral) string {
	var pairs []string
	values := []string{ref.Family.ContactName, ref.Family.Address, ref.Family.Phone,
		ref.Reason, ref.Referrer.Reference, ref.Referrer.ContactEmail}
	for _, c := range ref.Children {
		values = append(values, c.Name)
	}
	for _, v := range values {
		if len(strings.TrimSpace(v)) >= 3 {
			pairs = append(pairs, v, "[redacted]")
		}
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
