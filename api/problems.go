package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"go.temporal.io/api/serviceerror"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Every error of the JSON API is a problem detail (RFC 9457), sent as
// application/problem+json: a stable `code` says which situation it is,
// its `type` is ProblemTypeBase + code, its `title` is the code's own and
// its status is the code's own (one status per situation, whatever the
// route). A step the trajectory refuses carries the refusal's code
// (trajectory.RefusalCodes); every other situation has a ProblemCode.

// ProblemContentType is the media type of every error answer.
const ProblemContentType = "application/problem+json"

// ProblemTypeBase begins the `type` of every problem: a relative URI
// that names the code; docs/api.md says what each means.
const ProblemTypeBase = "/problems/"

// ProblemCode names one situation in which the API answers an error.
// Codes are stable: a client may switch on them, so one is never renamed
// or given another meaning.
type ProblemCode string

// The situations, apart from the trajectory's refusals.
const (
	CodeNotFound               ProblemCode = "not_found"
	CodeMethodNotAllowed       ProblemCode = "method_not_allowed"
	CodeUnauthenticated        ProblemCode = "unauthenticated"
	CodeForbidden              ProblemCode = "forbidden"
	CodeProgrammeNotYours      ProblemCode = "programme_not_yours"
	CodeReferrerNotAllowed     ProblemCode = "referrer_not_allowed"
	CodeTooManyRequests        ProblemCode = "too_many_requests"
	CodeBodyTooLarge           ProblemCode = "body_too_large"
	CodeBodyEmpty              ProblemCode = "body_empty"
	CodeMalformedJSON          ProblemCode = "malformed_json"
	CodeInvalidRequest         ProblemCode = "invalid_request"
	CodeIdempotencyKeyInvalid  ProblemCode = "idempotency_key_invalid"
	CodeIdempotencyKeyRequired ProblemCode = "idempotency_key_required"
	CodeTrajectoryNotFound     ProblemCode = "trajectory_not_found"
	CodeTrajectoryNotRunning   ProblemCode = "trajectory_not_running"
	CodeTrajectoryErased       ProblemCode = "trajectory_erased"
	CodePreviousTrajectoryOpen ProblemCode = "previous_trajectory_open"
	CodeProgrammeNotFound      ProblemCode = "programme_not_found"
	CodeProgrammeFileMissing   ProblemCode = "programme_file_missing"
	CodeConsultationNotFound   ProblemCode = "consultation_not_found"
	CodeConsultationReferred   ProblemCode = "consultation_already_referred"
	CodeConsultationNoPartner  ProblemCode = "consultation_no_partner"
	CodeConsultationPartnered  ProblemCode = "consultation_partner_named"
	CodeNothingToErase         ProblemCode = "nothing_to_erase"
	CodeActivityNotFound       ProblemCode = "activity_not_found"
	CodeLinkRevoked            ProblemCode = "link_revoked"
	CodeLinkExpired            ProblemCode = "link_expired"
	CodeInternalError          ProblemCode = "internal_error"
	CodeNotConfigured          ProblemCode = "not_configured"
	CodeDatabaseUnavailable    ProblemCode = "database_unavailable"
	CodeWorkflowUnavailable    ProblemCode = "workflow_unavailable"
	CodeTimeout                ProblemCode = "timeout"
	CodeNotReady               ProblemCode = "not_ready"
	// A refusal by a worker older than the refusal codes, which says
	// why in words only.
	CodeStepRefused ProblemCode = "step_refused"
	// Idempotency and versions (docs/api.md, "Idempotency").
	CodeIdempotencyKeyReused ProblemCode = "idempotency_key_reused"
	CodeIdempotencyKeyInUse  ProblemCode = "idempotency_key_in_use"
	CodePreconditionFailed   ProblemCode = "precondition_failed"
	CodeReferralExists       ProblemCode = "referral_exists"
	// A referral's status read by a partner.
	CodeReferralNotFound ProblemCode = "referral_not_found"
	// A delivery report of the SMS gateway with a token of no SMS.
	CodeSMSNotFound ProblemCode = "sms_not_found"

	// Refusals of the trajectory that the API also answers itself, before
	// the workflow is asked: the same code for the same situation.
	CodeTrajectoryClosed = ProblemCode(trajectory.CodeTrajectoryClosed)
	CodeConsentMissing   = ProblemCode(trajectory.CodeConsentMissing)
)

// problemKind is what a code always answers: its status and title.
type problemKind struct {
	code   ProblemCode
	status int
	title  string
}

// problemKinds lists every ProblemCode once, in the order the document
// lists them (its ProblemCode enum is checked against it).
var problemKinds = []problemKind{
	{CodeNotFound, http.StatusNotFound, "No such path"},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, "Method not allowed on this path"},
	{CodeUnauthenticated, http.StatusUnauthorized, "Not authenticated"},
	{CodeForbidden, http.StatusForbidden, "Not allowed for this kind of caller"},
	{CodeProgrammeNotYours, http.StatusForbidden, "Not one of your programmes"},
	{CodeReferrerNotAllowed, http.StatusForbidden, "The programme does not accept this from your organisation"},
	{CodeTooManyRequests, http.StatusTooManyRequests, "Too many requests"},
	{CodeBodyTooLarge, http.StatusRequestEntityTooLarge, "Body too large"},
	{CodeBodyEmpty, http.StatusBadRequest, "Empty body"},
	{CodeMalformedJSON, http.StatusBadRequest, "Malformed JSON"},
	{CodeInvalidRequest, http.StatusBadRequest, "Invalid fields"},
	{CodeIdempotencyKeyInvalid, http.StatusBadRequest, "Invalid Idempotency-Key"},
	{CodeIdempotencyKeyRequired, http.StatusBadRequest, "Idempotency-Key required"},
	{CodeTrajectoryNotFound, http.StatusNotFound, "Trajectory not found"},
	{CodeTrajectoryNotRunning, http.StatusNotFound, "Trajectory not running"},
	{CodeTrajectoryErased, http.StatusConflict, "Trajectory erased"},
	{CodePreviousTrajectoryOpen, http.StatusConflict, "A previous trajectory is open"},
	{CodeProgrammeNotFound, http.StatusNotFound, "No such programme"},
	{CodeProgrammeFileMissing, http.StatusConflict, "The trajectory's programme file is missing"},
	{CodeConsultationNotFound, http.StatusNotFound, "Consultation not found"},
	{CodeConsultationReferred, http.StatusConflict, "Consultation already referred"},
	{CodeConsultationNoPartner, http.StatusConflict, "Consultation names no partner"},
	{CodeConsultationPartnered, http.StatusConflict, "Consultation has a partner already"},
	{CodeNothingToErase, http.StatusNotFound, "Nothing to erase"},
	{CodeActivityNotFound, http.StatusNotFound, "Activity not found"},
	{CodeLinkRevoked, http.StatusConflict, "Link revoked"},
	{CodeLinkExpired, http.StatusGone, "Link expired"},
	{CodeInternalError, http.StatusInternalServerError, "Internal error"},
	{CodeNotConfigured, http.StatusNotImplemented, "Not configured on this server"},
	{CodeDatabaseUnavailable, http.StatusServiceUnavailable, "Database unavailable"},
	{CodeWorkflowUnavailable, http.StatusServiceUnavailable, "Workflow service unavailable"},
	{CodeTimeout, http.StatusServiceUnavailable, "Request timed out"},
	{CodeNotReady, http.StatusServiceUnavailable, "Not ready"},
	{CodeStepRefused, http.StatusConflict, refusalTitle},
	{CodeIdempotencyKeyReused, http.StatusUnprocessableEntity, "Idempotency-Key used with another request"},
	{CodeIdempotencyKeyInUse, http.StatusConflict, "A request with this Idempotency-Key is in flight"},
	{CodePreconditionFailed, http.StatusPreconditionFailed, "The trajectory changed since the version in If-Match"},
	{CodeReferralExists, http.StatusConflict, "A referral with this reference exists with other content"},
	{CodeReferralNotFound, http.StatusNotFound, "Referral not found"},
	{CodeSMSNotFound, http.StatusNotFound, "No SMS has this token"},
}

// ProblemCodes lists every ProblemCode, in the document's order.
var ProblemCodes = func() []ProblemCode {
	codes := make([]ProblemCode, len(problemKinds))
	for i, k := range problemKinds {
		codes[i] = k.code
	}
	return codes
}()

var problemByCode = func() map[ProblemCode]problemKind {
	m := make(map[ProblemCode]problemKind, len(problemKinds))
	for _, k := range problemKinds {
		m[k.code] = k
	}
	return m
}()

// refusalTitle is the title of every refusal by the trajectory's rules.
const refusalTitle = "The trajectory refuses the step"

// kindOf is the status and title of code: its own, or else a refusal's
// by the trajectory's rules (409; 422 for want of consent).
func kindOf(code ProblemCode) problemKind {
	if k, ok := problemByCode[code]; ok {
		return k
	}
	switch code {
	case CodeConsentMissing:
		return problemKind{code, http.StatusUnprocessableEntity, "The family's consent is missing"}
	case CodeTrajectoryClosed:
		return problemKind{code, http.StatusConflict, "Trajectory closed"}
	}
	return problemKind{code, http.StatusConflict, refusalTitle}
}

// Problem is the body of every error answer (RFC 9457).
type Problem struct {
	// Type is ProblemTypeBase followed by the code.
	Type string `json:"type"`
	// Title is the code's, the same for every answer with it.
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Detail is a sentence that says what to do about it; it holds no
	// personal data.
	Detail string `json:"detail"`
	// Instance is the request's path (without its query); absent from a
	// 401, 403 or 404, which are the same for every id.
	Instance string `json:"instance,omitempty"`
	// Code says which situation it is, stably: a ProblemCode or a
	// trajectory.RefusalCode. Clients switch on it, not on Detail.
	Code ProblemCode `json:"code"`
	// Errors names each bad field of an invalid_request.
	Errors []FieldProblem `json:"errors,omitempty"`
	// Args are a refusal's particulars (trajectory.Refusal.Args: ids,
	// codes, numbers, dates; never personal data), so that a client can
	// say the refusal in its own words.
	Args map[string]string `json:"args,omitempty"`
}

// FieldProblem is what is wrong with one field of the body (Pointer, a
// JSON pointer such as /family/phone) or one query parameter (Parameter).
type FieldProblem struct {
	Pointer   string    `json:"pointer,omitempty"`
	Parameter string    `json:"parameter,omitempty"`
	Code      FieldCode `json:"code"`
	Detail    string    `json:"detail"`
}

// FieldCode says what is wrong with a field: one of FieldCodes, or the
// trajectory's RefusalCode when its rules found it.
type FieldCode string

// What can be wrong with one field.
const (
	FieldRequired       FieldCode = "required"
	FieldInvalid        FieldCode = "invalid"
	FieldTooLong        FieldCode = "too_long"
	FieldUnknown        FieldCode = "unknown_field"
	FieldDuplicate      FieldCode = "duplicate_field"
	FieldWrongType      FieldCode = "wrong_type"
	FieldInvisibleChars FieldCode = "invisible_characters"
)

// FieldCodes lists every FieldCode, in the document's order.
var FieldCodes = []FieldCode{FieldRequired, FieldInvalid, FieldTooLong, FieldUnknown, FieldDuplicate, FieldWrongType, FieldInvisibleChars}

// newProblem builds the problem of code for the request r (nil when
// there is none to name).
func newProblem(r *http.Request, code ProblemCode, detail string) Problem {
	k := kindOf(code)
	p := Problem{Type: ProblemTypeBase + string(code), Title: k.title, Status: k.status, Detail: detail, Code: code}
	switch k.status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		// The same answer for every id: it tells nothing of what exists.
	default:
		p.Instance = problemInstance(r)
	}
	return p
}

// dependencyDown is the code of a dependency that did not answer (err is
// one usecase.Unavailable recognises): Temporal's, when it answered so,
// else PostgreSQL's.
func dependencyDown(err error) ProblemCode {
	var temporalErr serviceerror.ServiceError
	if errors.As(err, &temporalErr) {
		return CodeWorkflowUnavailable
	}
	return CodeDatabaseUnavailable
}

// problemInstance is the request's path, when a route matched it and it
// holds no credential (a handover link's token is not repeated).
func problemInstance(r *http.Request) string {
	if r == nil || mux.CurrentRoute(r) == nil {
		return ""
	}
	if _, hasToken := mux.Vars(r)["token"]; hasToken {
		tmpl, _ := mux.CurrentRoute(r).GetPathTemplate()
		return tmpl
	}
	return r.URL.Path
}

// writeError answers the problem of code, with the code's status.
func writeError(w http.ResponseWriter, r *http.Request, code ProblemCode, detail string) {
	writeProblem(w, newProblem(r, code, detail))
}

func writeProblem(w http.ResponseWriter, p Problem) {
	writeBody(w, p.Status, ProblemContentType, p)
}

// fieldPointer turns a field as the checks name it (family.phone,
// consent.shares[1], a key with a slash) into a JSON pointer.
func fieldPointer(field string) string {
	if field == "" {
		return ""
	}
	var b strings.Builder
	for _, part := range strings.Split(field, ".") {
		name, rest, _ := strings.Cut(part, "[")
		b.WriteString("/" + escapePointer(name))
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			if _, err := strconv.Atoi(idx); err == nil {
				b.WriteString("/" + idx)
			} else {
				b.WriteString("/" + escapePointer(idx))
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return b.String()
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// fieldCodeOf classifies a problem the checks say in words, for the
// fields whose check gives no code of its own.
func fieldCodeOf(problem string) FieldCode {
	switch {
	case strings.HasPrefix(problem, "is required"):
		return FieldRequired
	case strings.Contains(problem, "at most") && strings.Contains(problem, "characters"):
		return FieldTooLong
	}
	return FieldInvalid
}
