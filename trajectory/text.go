package trajectory

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TextProblem is what is wrong with a text a person typed, by the rules
// every adapter applies alike: the API answers it in English, the pages
// in Dutch.
type TextProblem string

const (
	// TextRequired: the text is blank and may not be.
	TextRequired TextProblem = "required"
	// TextTooLong: more characters than allowed.
	TextTooLong TextProblem = "too_long"
	// TextControl: a control character (a line break in a one-line text).
	TextControl TextProblem = "control"
	// TextFormatChar: an invisible formatting character (category Cf:
	// U+202E turns text around, U+200B hides inside a name).
	TextFormatChar TextProblem = "format_character"
)

// Limits of the texts a step carries, for the API and the pages alike.
const (
	MaxNoteLength = 4000 // notes, reasons, a closure's text
	MaxNameLength = 200  // a child's name
)

// CleanText checks a typed text: not blank when required, at most max
// characters, no control character (line breaks and tabs only when
// multiline), no invisible formatting character. It returns the text
// normalised to NFC, so one name has one spelling in lists, searches and
// emails.
func CleanText(v string, required bool, max int, multiline bool) (string, TextProblem) {
	if strings.TrimSpace(v) == "" {
		if required {
			return v, TextRequired
		}
		return v, ""
	}
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) {
		return v, TextFormatChar
	}
	for _, c := range v {
		if unicode.IsControl(c) && !(multiline && (c == '\n' || c == '\r' || c == '\t')) {
			return v, TextControl
		}
	}
	v = norm.NFC.String(v)
	if utf8.RuneCountInString(v) > max {
		return v, TextTooLong
	}
	return v, ""
}
