package api

import (
	"net/http"
	"time"

	"elkgezin/trajectory"
)

// Limits of the perinatal steps.
const (
	maxExtensionReasonLength = 2000
	// maxExtensionYears bounds a follow-up extension (the longest follow-up
	// a programme may configure is 72 months).
	maxExtensionYears = 6
)

type birthBody struct {
	BornOn dateInput `json:"born_on"`
	Name   string    `json:"name"`
}

// postBirth records the birth of the expected child. Whether the
// trajectory expects one is the workflow's to say (409 otherwise).
func (s *server) postBirth(w http.ResponseWriter, r *http.Request) {
	postCheckedStep(s, w, r, "invalid birth", trajectory.UpdateRecordBirth, func(b birthBody, now time.Time, by string) (any, *fieldErrors) {
		req, fe := validateBirth(b, now)
		req.By = by
		return req, fe
	})
}

func validateBirth(b birthBody, now time.Time) (trajectory.RecordBirth, *fieldErrors) {
	fe := &fieldErrors{}
	day := today(now)
	born, ok := b.BornOn.parse(fe, "born_on", true)
	switch {
	case !ok:
	case born.After(day.Time):
		fe.add("born_on", "lies in the future: record a birth after it took place")
	case born.Before(day.AddDate(-1, 0, 0)):
		fe.add("born_on", "lies more than a year ago; check the date")
	}
	checkText(fe, "name", b.Name, false, maxNameLength, false)
	return trajectory.RecordBirth{BornOn: born, Name: b.Name}, fe
}

type extensionBody struct {
	Until  dateInput `json:"until"`
	Reason string    `json:"reason"`
}

// postFollowUpExtension keeps perinatal follow-up going until a later
// date; it is the supervisor's to decide (routeRules).
func (s *server) postFollowUpExtension(w http.ResponseWriter, r *http.Request) {
	postCheckedStep(s, w, r, "invalid follow-up extension", trajectory.UpdateExtendFollowUp, func(b extensionBody, now time.Time, by string) (any, *fieldErrors) {
		req, fe := validateExtension(b, now)
		req.By = by
		return req, fe
	})
}

// postCheckedStep is the shape of a step whose body the API checks before
// the workflow sees it: find the trajectory, decode, check every field,
// then hand the request, with the caller as By, to the workflow's Update.
func postCheckedStep[B any](s *server, w http.ResponseWriter, r *http.Request, short, update string, check func(body B, now time.Time, by string) (any, *fieldErrors)) {
	row, key, ok := s.beginStep(w, r)
	if !ok {
		return
	}
	var body B
	if !decodeBody(w, r, &body, stepBodyLimit) {
		return
	}
	req, fe := check(body, time.Now(), principal(r).Actor())
	if !fe.empty() {
		writeFieldErrors(w, short, fe)
		return
	}
	s.runUpdate(w, r, row.ID, key, update, req)
}

func validateExtension(b extensionBody, now time.Time) (trajectory.ExtendFollowUp, *fieldErrors) {
	fe := &fieldErrors{}
	day := today(now)
	until, ok := b.Until.parse(fe, "until", true)
	switch {
	case !ok:
	case !until.After(day.Time):
		fe.add("until", "must lie in the future")
	case until.After(day.AddDate(maxExtensionYears, 0, 0)):
		fe.add("until", "must lie within 6 years")
	}
	checkText(fe, "reason", b.Reason, true, maxExtensionReasonLength, true)
	return trajectory.ExtendFollowUp{Until: until, Reason: b.Reason}, fe
}
