package api

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// jsonDateTime is a JSON string that is a date-time, whole.
var jsonDateTime = regexp.MustCompile(`"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"`)

// checkTimes fails the test for an answer with the zero time in it, or
// with a date-time that is not UTC with Z: every answer of the API tests
// passes here (fixture.do).
func checkTimes(t errorReporter, what, contentType string, body []byte) {
	t.Helper()
	if !strings.Contains(contentType, "json") {
		return
	}
	if strings.Contains(string(body), "0001-01-01") {
		t.Errorf("%s: the zero time in the answer: %.2000s", what, body)
	}
	for _, m := range jsonDateTime.FindAllSubmatch(body, -1) {
		if !strings.HasSuffix(string(m[1]), "Z") {
			t.Errorf("%s: time %s is not UTC with Z: %.2000s", what, m[1], body)
		}
	}
}

// errorReporter is what checkTimes needs of a *testing.T.
type errorReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// failures counts the errors reported to it.
type failures int

func (f *failures) Helper()               {}
func (f *failures) Errorf(string, ...any) { *f++ }

// TestCheckTimes: the walk catches what it is there for.
func TestCheckTimes(t *testing.T) {
	for body, bad := range map[string]bool{
		`{"at":"2025-03-01T10:00:00Z","n":1}`:              false,
		`{"at":"2025-03-01T10:00:00.123Z"}`:                false,
		`{"at":"2025-03-01T10:00:00+01:00"}`:               true,
		`{"at":"0001-01-01T00:00:00Z"}`:                    true,
		`{"detail":"such as 2025-03-01T10:00:00+01:00"}`:   false,
		`{"due":"2025-03-01","at":"2025-03-01T10:00:00Z"}`: false,
	} {
		var n failures
		checkTimes(&n, "test", "application/json", []byte(body))
		if (n > 0) != bad {
			t.Errorf("%s: %d failures, want failing %v", body, n, bad)
		}
	}
}

// The API tests run in a zone other than UTC, as a server in Belgium may:
// a time the API answers without putting it in UTC first shows as +01:00
// or +02:00, and checkTimes fails it.
func init() { time.Local = time.FixedZone("CET", 3600) }
