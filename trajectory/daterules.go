package trajectory

import (
	"regexp"
	"strconv"
	"time"
)

// Rules about dates and keys that the API, the pages and the workflow's
// validators share, written once here.

// Belgium is where the programmes run (Europe/Brussels, embedded by
// time/tzdata): "today" is today there, and people read times in it.
func Belgium() *time.Location { return belgium }

// Today is the calendar date in Belgium at now.
func Today(now time.Time) Date {
	y, m, d := now.In(belgium).Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// Refusals of the date rules below.
const (
	CodeBirthDateTooLongAgo  RefusalCode = "birth_date_too_long_ago" // ArgNotBefore (YYYY-MM-DD)
	CodeExtensionNotInFuture RefusalCode = "extension_not_in_future" // ArgUntil
	CodeExtensionTooFar      RefusalCode = "extension_too_far"       // ArgUntil, ArgNotAfter
)

// ArgNotAfter is the last date a rule accepts (YYYY-MM-DD).
const ArgNotAfter = "not_after"

// MaxBirthAgeYears: a birth is recorded within this many years of the day.
const MaxBirthAgeYears = 1

// MaxExtensionYears: follow-up is extended to at most this many years from today.
const MaxExtensionYears = 6

// MaxExtensionReasonLength bounds the reason of a follow-up extension.
const MaxExtensionReasonLength = 2000

// BirthDateProblems checks the date of a recorded birth against now (in
// Belgium): not in the future, not more than a year ago.
func BirthDateProblems(now time.Time, born Date) []Problem {
	day := Today(now)
	switch {
	case born.IsZero():
		return []Problem{{Field: "birth_date", Message: "is required: a date written YYYY-MM-DD", Code: CodeBirthDateRequired}}
	case born.After(day.Time):
		return []Problem{{Field: "birth_date", Message: "lies in the future: record a birth after it took place", Code: CodeBirthDateInFuture}}
	case born.Before(day.AddDate(-MaxBirthAgeYears, 0, 0)):
		return []Problem{{Field: "birth_date", Message: "lies more than a year ago; check the date", Code: CodeBirthDateTooLongAgo,
			Args: map[string]string{ArgNotBefore: Date{day.AddDate(-MaxBirthAgeYears, 0, 0)}.String()}}}
	}
	return nil
}

// ExtensionProblems checks the date a follow-up is extended to against
// now (in Belgium): after today, within MaxExtensionYears.
func ExtensionProblems(now time.Time, until Date) []Problem {
	day := Today(now)
	last := Date{day.AddDate(MaxExtensionYears, 0, 0)}
	switch {
	case !until.After(day.Time):
		return []Problem{{Field: "until", Message: "must lie in the future", Code: CodeExtensionNotInFuture,
			Args: map[string]string{ArgUntil: until.String()}}}
	case until.After(last.Time):
		return []Problem{{Field: "until", Message: "must lie within " + strconv.Itoa(MaxExtensionYears) + " years", Code: CodeExtensionTooFar,
			Args: map[string]string{ArgUntil: until.String(), ArgNotAfter: last.String()}}}
	}
	return nil
}

// idempotencyKey is what a step's idempotency key may be: 1 to 128
// printable ASCII characters, no spaces.
var idempotencyKey = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

// ValidIdempotencyKey says whether key may name a step's Update (the
// API's Idempotency-Key header, the key a page's form carries).
func ValidIdempotencyKey(key string) bool { return idempotencyKey.MatchString(key) }
