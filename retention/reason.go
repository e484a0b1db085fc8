package retention

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxReasonLength bounds the reason of an erasure, in characters.
const MaxReasonLength = 200

// CheckReason checks the reason an erasure is recorded with in the audit
// log (the API's and elkgezin erase's; the schedule's is fixed): a short
// text, not empty, on one line, without control or invisible formatting
// characters. Whether it holds personal data is the writer's to mind: the
// audit log keeps it for as long as its month. The error says what is
// wrong, to follow the field's name ("reason: is required ...").
func CheckReason(reason string) error {
	switch {
	case strings.TrimSpace(reason) == "":
		return errors.New("is required: say why the trajectory is erased, in a few words and without personal data (such as \"request of the family\")")
	case !utf8.ValidString(reason):
		return errors.New("is not valid UTF-8")
	case utf8.RuneCountInString(reason) > MaxReasonLength:
		return fmt.Errorf("may be at most %d characters; say it shorter", MaxReasonLength)
	case strings.ContainsFunc(reason, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		return errors.New("may not hold control characters (a line break, a tab) or invisible formatting characters")
	}
	return nil
}
