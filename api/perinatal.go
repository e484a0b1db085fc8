package api

import (
	"net/http"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// birthBody is the body of /birth. The date of birth is birth_date, as
// answers name a child's; the workflow's own argument keeps born_on.
type birthBody struct {
	BirthDate dateInput `json:"birth_date" was:"born_on"`
	Name      string    `json:"name"`
}

// postBirth records the birth of the expected child. Whether the
// trajectory expects one is the workflow's to say (409 otherwise).
func (s *server) postBirth(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[birthBody]{update: trajectory.UpdateRecordBirth,
		check: func(r *http.Request, _ store.TrajectorySummary, b birthBody, now time.Time) (any, *fieldErrors, *refusal) {
			req, fe := validateBirth(b, now)
			req.By = principal(r).Actor()
			return req, fe, nil
		}})
}

func validateBirth(b birthBody, now time.Time) (trajectory.RecordBirth, *fieldErrors) {
	fe := &fieldErrors{}
	born, ok := b.BirthDate.parse(fe, "birth_date", true)
	if ok {
		addProblems(fe, trajectory.BirthDateProblems(now, born))
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
	postStep(s, w, r, step[extensionBody]{update: trajectory.UpdateExtendFollowUp,
		check: func(r *http.Request, _ store.TrajectorySummary, b extensionBody, now time.Time) (any, *fieldErrors, *refusal) {
			req, fe := validateExtension(b, now)
			req.By = principal(r).Actor()
			return req, fe, nil
		}})
}

func validateExtension(b extensionBody, now time.Time) (trajectory.ExtendFollowUp, *fieldErrors) {
	fe := &fieldErrors{}
	until, ok := b.Until.parse(fe, "until", true)
	if ok {
		addProblems(fe, trajectory.ExtensionProblems(now, until))
	}
	checkText(fe, "reason", b.Reason, true, trajectory.MaxExtensionReasonLength, true)
	return trajectory.ExtendFollowUp{Until: until, Reason: b.Reason}, fe
}
