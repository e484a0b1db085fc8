package api

import (
	"time"

	"github.com/elkgezin/elkgezin/internal/openapicheck"
)

// errorReporter is what checkTimes needs of a *testing.T.
type errorReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkTimes fails the test for an answer with the zero time in it, or
// with a date-time that is not UTC with Z (openapicheck.Times): every
// answer of the API tests passes here (fixture.do, world.do).
func checkTimes(t errorReporter, what, contentType string, body []byte) {
	t.Helper()
	if err := openapicheck.Times(contentType, body); err != nil {
		t.Errorf("%s: %v: %.2000s", what, err, body)
	}
}

// The API tests run in a zone other than UTC, as a server in Belgium may:
// a time the API answers without putting it in UTC first shows as +01:00,
// and checkTimes fails it.
func init() { time.Local = time.FixedZone("CET", 3600) }
