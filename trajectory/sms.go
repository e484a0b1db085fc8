package trajectory

import "time"

// SMS to families: a reminder of the next home visit a day ahead, a
// confirmation when a visit is moved, and the link to the family's page.
// Only for a family that agreed to SMS (Family.SMSConsent) and has a
// phone number; the message holds the first name and the time only.

// SMSConsent records the family's agreement to get SMS from the
// programme: the date and how it was given (the channels of a family
// link's consent).
type SMSConsent struct {
	RecordedOn Date   `json:"recorded_on"`
	Channel    string `json:"channel"`
}

// SMSKind is what an SMS to the family says.
type SMSKind string

const (
	// SMSVisitReminder: the next home visit is tomorrow, at this time.
	SMSVisitReminder SMSKind = "visit_reminder"
	// SMSVisitMoved: the home visit was moved to this time.
	SMSVisitMoved SMSKind = "visit_moved"
	// SMSFamilyLink: the link to the family's own page.
	SMSFamilyLink SMSKind = "family_link"
)

// SMSKinds lists every kind of SMS to a family.
var SMSKinds = []SMSKind{SMSVisitReminder, SMSVisitMoved, SMSFamilyLink}

// SMSReminderAhead is how long before a planned home visit the family's
// reminder goes out.
const SMSReminderAhead = 24 * time.Hour

// Event kinds of SMS to the family. The detail names the SMS's kind
// (sms) and the step, never the number or the text.
const (
	// EventSMSSent: the gateway accepted the SMS.
	EventSMSSent = "sms_sent"
	// EventSMSFailed: the SMS could not be sent within its bound, or may
	// not have reached the gateway (reason); the trajectory goes on, and
	// the coach sees it in the timeline.
	EventSMSFailed = "sms_failed"
)

// FamilySMS is one SMS owed to the family, the input of the activity
// that sends it. It holds no personal data: the worker reads the phone
// number, the first name and the language from the sealed referral when
// it sends.
type FamilySMS struct {
	// Key names the obligation (SMSKey): the ledger sends it once.
	Key          string  `json:"key"`
	TrajectoryID string  `json:"trajectory_id"`
	ProgrammeID  string  `json:"programme_id,omitempty"`
	Kind         SMSKind `json:"kind"`
	// Step is the home visit it is about, At the visit's instant.
	Step string    `json:"step,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// SMSKey is the idempotency key of one SMS obligation: this kind of SMS,
// about this step as due at this instant, to the family, by SMS.
func SMSKey(trajectoryID string, step Step, kind SMSKind) string {
	return trajectoryID + "/" + step.Key() + "@" + step.DueAt.UTC().Format("20060102T150405Z") + "/" + string(kind) + "/family/sms"
}

// SMSCarried is what the workflow keeps of SMS to the family from one run
// to the next.
type SMSCarried struct {
	// Reminded is the key of the last visit reminder put on its way: its
	// timer is not set again.
	Reminded string `json:"reminded,omitempty"`
	// Sending are SMS on their way; the next run sends them again under
	// the same keys (the ledger sends each once).
	Sending []FamilySMS `json:"sending,omitempty"`
}

// SMSResult is how the SMS activity ended without error.
type SMSResult struct {
	// Sent: the gateway has it (now or before). False: nothing was owed
	// after all (SMS is not configured, the family withdrew its consent
	// or has no phone number); Reason says which.
	Sent   bool   `json:"sent"`
	Reason string `json:"reason,omitempty"`
}

// Reasons an SMS owed was not sent, which are no failure.
const (
	SMSNotConfigured = "sms_not_configured"
	SMSNoConsent     = "no_consent"
)
