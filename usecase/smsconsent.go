package usecase

import (
	"slices"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// smsConsentProblems checks the family's agreement to SMS: a day not in
// the future, how it was given, and a phone number to send them to.
func smsConsentProblems(f trajectory.Family, now time.Time) []FieldProblem {
	c := f.SMSConsent
	if c == nil {
		return nil
	}
	var ps []FieldProblem
	switch {
	case c.RecordedOn.IsZero():
		ps = append(ps, FieldProblem{"family.sms_consent.recorded_on", "is required: the day on which the family agreed"})
	case c.RecordedOn.After(trajectory.Today(now).Time):
		ps = append(ps, FieldProblem{"family.sms_consent.recorded_on", "lies in the future: give the day on which the family agreed"})
	}
	if !slices.Contains(store.FamilyLinkChannels, c.Channel) {
		ps = append(ps, FieldProblem{"family.sms_consent.channel", "must be one of " + strings.Join(store.FamilyLinkChannels, ", ") + ": how the family agreed"})
	}
	if strings.TrimSpace(f.Phone) == "" {
		ps = append(ps, FieldProblem{"family.phone", "is required when the family agreed to SMS (family.sms_consent)"})
	}
	return ps
}
