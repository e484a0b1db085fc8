package usecase

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/elkgezin/elkgezin/trajectory"
)

// The rules of a referral's fields, which the API's referrals and the
// pages' consultation turned into a referral both check here.

// Limits of a referral.
const (
	MaxIDLength       = 64
	MaxAddressLength  = 500
	MaxPhoneLength    = 40
	MaxEmailLength    = 254
	MaxLanguageLength = 35
	MaxReasonLength   = 4000
	MaxChildren       = 20
	// A due date may lie this far back (the birth may simply not be known
	// yet) and this far ahead.
	DueDateMaxAgeDays = 28
	DueDateMaxAhead   = 10 // months
	ChildMaxAgeYears  = 25
)

var (
	referencePattern = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,64}$`)
	phonePattern     = regexp.MustCompile(`^[0-9 +()-]+$`)
)

// FieldProblem is what is wrong with one field of a referral, in the
// API's words (the field as the API names it: "family.phone",
// "children[0].birth_date").
type FieldProblem struct{ Field, Problem string }

// TextProblem checks one text field by trajectory.CleanText (required, at
// most max characters, no control characters but line breaks and tabs
// when multiline); "" when it is fine. Formatting characters and NFC are
// the API's body check's (cleanText).
func TextProblem(v string, required bool, max int, multiline bool) string {
	_, problem := trajectory.CleanText(v, required, max, multiline)
	switch problem {
	case trajectory.TextRequired:
		return "is required"
	case trajectory.TextTooLong:
		return fmt.Sprintf("is %d characters long; at most %d are allowed", utf8.RuneCountInString(v), max)
	case trajectory.TextControl:
		if multiline {
			return "must not contain control characters other than line breaks and tabs"
		}
		return "must be one line without control characters"
	}
	return ""
}

// CheckReferral checks a referral's fields, naming every bad one; its
// dates were read by the adapter (which says when one is not a date).
// A due date is accepted for any programme: one without perinatal
// follow-up keeps it with the referral and ignores it.
func CheckReferral(ref trajectory.Referral, now time.Time) []FieldProblem {
	var ps []FieldProblem
	text := func(field, v string, required bool, max int, multiline bool) bool {
		if p := TextProblem(v, required, max, multiline); p != "" {
			ps = append(ps, FieldProblem{field, p})
			return false
		}
		return true
	}
	text("programme", ref.ProgrammeID, true, MaxIDLength, false)
	text("referrer.organisation", ref.Referrer.Organisation, true, MaxIDLength, false)
	if text("referrer.reference", ref.Referrer.Reference, true, MaxIDLength, false) && !referencePattern.MatchString(ref.Referrer.Reference) {
		ps = append(ps, FieldProblem{"referrer.reference", "must be 1-64 characters of A-Z, a-z, 0-9, dot, underscore, slash or dash"})
	}
	if text("referrer.contact_email", ref.Referrer.ContactEmail, false, MaxEmailLength, false) && ref.Referrer.ContactEmail != "" {
		if a, err := mail.ParseAddress(ref.Referrer.ContactEmail); err != nil || a.Address != ref.Referrer.ContactEmail {
			ps = append(ps, FieldProblem{"referrer.contact_email", "must be a plain email address such as name@example.org"})
		}
	}
	text("family.contact_name", ref.Family.ContactName, true, trajectory.MaxNameLength, false)
	text("family.address", ref.Family.Address, false, MaxAddressLength, true)
	if text("family.phone", ref.Family.Phone, false, MaxPhoneLength, false) && ref.Family.Phone != "" {
		if !phonePattern.MatchString(ref.Family.Phone) {
			ps = append(ps, FieldProblem{"family.phone", "may hold only digits, spaces, +, -, ( and )"})
		} else if countDigits(ref.Family.Phone) < 6 {
			ps = append(ps, FieldProblem{"family.phone", "must hold at least 6 digits"})
		}
	}
	if strings.TrimSpace(ref.Family.Address) == "" && strings.TrimSpace(ref.Family.Phone) == "" {
		ps = append(ps, FieldProblem{"family.address", "is required when family.phone is empty: the coach must be able to reach the family"},
			FieldProblem{"family.phone", "is required when family.address is empty: the coach must be able to reach the family"})
	}
	text("family.language", ref.Family.Language, false, MaxLanguageLength, false)
	ps = append(ps, smsConsentProblems(ref.Family, now)...)
	text("reason", ref.Reason, true, MaxReasonLength, true)

	day := trajectory.Today(now)
	if due := ref.ExpectedDueDate; !due.IsZero() {
		switch {
		case due.Before(day.AddDate(0, 0, -DueDateMaxAgeDays)):
			ps = append(ps, FieldProblem{"expected_due_date", "is a due date more than 4 weeks ago: record a birth instead (list the child under children)"})
		case due.After(day.AddDate(0, DueDateMaxAhead, 0)):
			ps = append(ps, FieldProblem{"expected_due_date", "lies more than 10 months ahead; check the date"})
		}
	}
	if len(ref.Children) > MaxChildren {
		ps = append(ps, FieldProblem{"children", fmt.Sprintf("lists %d children; at most %d are allowed", len(ref.Children), MaxChildren)})
	}
	for i, c := range ref.Children {
		field := fmt.Sprintf("children[%d]", i)
		text(field+".name", c.Name, false, trajectory.MaxNameLength, false)
		switch born := c.BirthDate; {
		case born.IsZero(): // the adapter said it is missing or not a date
		case born.After(day.Time):
			ps = append(ps, FieldProblem{field + ".birth_date", "lies in the future: a child not born yet is an expected_due_date"})
		case born.Before(day.AddDate(-ChildMaxAgeYears, 0, 0)):
			ps = append(ps, FieldProblem{field + ".birth_date", "lies more than 25 years ago; check the date"})
		}
	}
	return ps
}

func countDigits(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}
