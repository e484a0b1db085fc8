package trajectory

import "time"

// ReferralFeedback tells the partner that referred a family that its
// referral reached a status (webhook.Status*): by a signed event to the
// partner's webhook, or else by an email to the referral's contact_email.
// It holds ids, a status and an instant; the contact address is the
// referrer's (a professional's), never the family's.
type ReferralFeedback struct {
	TrajectoryID string    `json:"trajectory_id"`
	ProgrammeID  string    `json:"programme_id"`
	Organisation string    `json:"organisation"`
	Status       string    `json:"status"`
	At           time.Time `json:"at"`
	ContactEmail string    `json:"contact_email,omitempty"`
}
