package trajectory

import (
	"testing"
	"time"
)

// TestDateRules: the birth-date and extension rules the API, the pages
// and the validators share, on Belgian days: a birth not in the future and
// within a year, an extension after today and within six years.
func TestDateRules(t *testing.T) {
	// 23:30 UTC on 31 December is already 1 January in Belgium.
	now := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	if got := Today(now).String(); got != "2027-01-01" {
		t.Fatalf("Today = %s, want the Belgian date 2027-01-01", got)
	}
	day := func(s string) Date {
		d, err := ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for born, want := range map[string]RefusalCode{
		"2027-01-01": "", "2026-01-01": "", "2027-01-02": CodeBirthDateInFuture, "2025-12-31": CodeBirthDateTooLongAgo,
	} {
		ps := BirthDateProblems(now, day(born))
		if got := code(ps); got != want {
			t.Errorf("born on %s: %q, want %q", born, got, want)
		}
	}
	for until, want := range map[string]RefusalCode{
		"2027-01-02": "", "2033-01-01": "", "2027-01-01": CodeExtensionNotInFuture, "2033-01-02": CodeExtensionTooFar, "2099-12-31": CodeExtensionTooFar,
	} {
		ps := ExtensionProblems(now, day(until))
		if got := code(ps); got != want {
			t.Errorf("extended to %s: %q, want %q", until, got, want)
		}
	}
	for key, want := range map[string]bool{"form-1": true, "": false, "met spatie": false, "é": false} {
		if ValidIdempotencyKey(key) != want {
			t.Errorf("ValidIdempotencyKey(%q) = %v", key, !want)
		}
	}
}

func code(ps []Problem) RefusalCode {
	if len(ps) == 0 {
		return ""
	}
	return ps[0].Code
}
