package trajectory

import (
	"encoding/json"
	"fmt"
	"time"
	_ "time/tzdata" // the same Belgian dates on every worker, with or without a zone database
)

// Date is a calendar date without a time of day, such as a birth date or a
// due date, written "2006-01-02". It is held at midnight UTC so that dates
// compare and add the same everywhere, including in workflow code.
type Date struct{ time.Time }

// DateLayout is how a Date is written.
const DateLayout = "2006-01-02"

// ParseDate reads "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date: write it as YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// DateOf is the calendar date of t in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(DateLayout)
}

// MarshalJSON writes "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "2006-01-02" (or null).
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date must be a string YYYY-MM-DD")
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// morningHour is when a step that falls on a calendar date is due, in
// Belgian time: early in the working day, so its reminder and alert reach
// people at work and not all at once at midnight.
const morningHour = 9

var belgium = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic("time zone Europe/Brussels: " + err.Error())
	}
	return loc
}()

// MorningOf is 09:00 Belgian time on the calendar date of t (in UTC).
func MorningOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, morningHour, 0, 0, 0, belgium)
}
