package api

import (
	"encoding/json"
	"time"
	_ "time/tzdata" // the date of today in Belgium, also where the system has no zone data

	"elkgezin/trajectory"
)

// dateZone is where the programmes run: "today", for a birth or a due
// date, is today there.
var dateZone = mustLoadZone("Europe/Brussels")

func mustLoadZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("api: time zone " + name + ": " + err.Error()) // embedded by time/tzdata
	}
	return loc
}

// today is the calendar date in Belgium at now.
func today(now time.Time) trajectory.Date {
	y, m, d := now.In(dateZone).Date()
	return trajectory.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

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
