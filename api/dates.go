package api

import (
	"encoding/json"

	"github.com/elkgezin/elkgezin/trajectory"
)

// dateZone is where the programmes run: "today", for a birth or a due
// date, is today there.
var dateZone = trajectory.Belgium()

// dateInput is a date field of a request body as sent, so that a wrong
// one, even of the wrong JSON type, is reported by its exact field name
// (with its index in an array), which trajectory.Date's own decoding cannot.
type dateInput struct {
	given     bool // present and not null
	text      string
	notString bool
}

// UnmarshalJSON accepts any JSON value; parse judges it.
func (d *dateInput) UnmarshalJSON(b []byte) error {
	*d = dateInput{}
	if string(b) == "null" {
		return nil
	}
	d.given = true
	if err := json.Unmarshal(b, &d.text); err != nil {
		d.notString = true
	}
	return nil
}

const dateFormatProblem = "must be a date written YYYY-MM-DD, such as 2025-09-14"

// parse reads the date; a missing one is zero, and a problem if required.
// It reports false when it added a problem.
func (d dateInput) parse(fe *fieldErrors, field string, required bool) (trajectory.Date, bool) {
	if !d.given {
		if required {
			fe.add(field, "is required: a date written YYYY-MM-DD")
			return trajectory.Date{}, false
		}
		return trajectory.Date{}, true
	}
	if d.notString {
		fe.add(field, dateFormatProblem)
		return trajectory.Date{}, false
	}
	v, err := trajectory.ParseDate(d.text)
	if err != nil {
		fe.add(field, dateFormatProblem)
		return trajectory.Date{}, false
	}
	return v, true
}
