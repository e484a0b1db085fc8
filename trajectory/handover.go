package trajectory

import "time"

// What the family may consent to share with a service. Without consent a
// service learns only the coach's contact and the reason of the handover.
const (
	ShareContact   = "contact"   // contact name, address, phone
	ShareChildren  = "children"  // the children and their birth dates
	SharePregnancy = "pregnancy" // the expected due date
)

// ShareCategories lists every category a consent may name.
var ShareCategories = []string{ShareContact, ShareChildren, SharePregnancy}

// Consent is the family's recorded consent to a handover.
type Consent struct {
	Given      bool     `json:"given"`
	RecordedOn Date     `json:"recorded_on"`
	Shares     []string `json:"shares"`
}

// HandOver hands the family over to a regular service by email.
type HandOver struct {
	Precondition
	Service Service `json:"service"`
	Reason  string  `json:"reason"`
	Consent Consent `json:"consent"`
	By      string  `json:"by,omitempty"`
}

// AcknowledgeHandover is the service confirming receipt, through the
// signed link in the handover email.
type AcknowledgeHandover struct {
	Precondition
	Number int    `json:"number"`
	By     string `json:"by,omitempty"`
}

// PendingHandover is a handover whose email has not gone out yet.
type PendingHandover struct {
	Number  int      `json:"number"`
	Request HandOver `json:"request"`
	// Held is set when its email failed for good: it waits for the coach
	// to correct the address (ResendHandover) until its link would expire.
	Held bool `json:"held,omitempty"`
	// Sending is set while its email is on its way (Carried.Sending).
	Sending bool `json:"sending,omitempty"`
}

// Handover is one handover as the workflow keeps it. It holds the service
// and what was shared, not the family's data itself.
type Handover struct {
	Number         int       `json:"number"`
	Service        Service   `json:"service"`
	RequestedAt    time.Time `json:"requested_at"`
	SentAt         time.Time `json:"sent_at"`
	Shares         []string  `json:"shares"`
	LinkExpiresAt  time.Time `json:"link_expires_at"`
	AcknowledgedAt time.Time `json:"acknowledged_at"`
	// Ack is the open acknowledgement step, nil once acknowledged.
	Ack *Step `json:"ack,omitempty"`
	// Failed is set when the email could not be delivered; the coach can
	// correct the address and send it again (ResendHandover), which counts
	// up Attempt.
	Failed  bool `json:"failed,omitempty"`
	Attempt int  `json:"attempt,omitempty"`
}

// HandoverEmail is the email to a service: the handover itself, or a
// reminder to acknowledge it. Shared holds only what the family consented to.
type HandoverEmail struct {
	Key           string           `json:"key"`
	Kind          NotificationKind `json:"kind"` // "handover" or "reminder"
	TrajectoryID  string           `json:"trajectory_id"`
	ProgrammeName string           `json:"programme_name"`
	Number        int              `json:"number"`
	Service       Service          `json:"service"`
	Reason        string           `json:"reason"`
	Shared        SharedData       `json:"shared"`
	// ProgrammeID and CoachID let the worker look up the coach's name and
	// address when it sends. CoachName and CoachEmail are set only by runs
	// started before that (read, never written).
	ProgrammeID   string    `json:"programme_id,omitempty"`
	CoachID       string    `json:"coach_id,omitempty"`
	CoachName     string    `json:"coach_name,omitempty"`
	CoachEmail    string    `json:"coach_email,omitempty"`
	LinkExpiresAt time.Time `json:"link_expires_at"`
	// ReportInDoubt: see Notification.ReportInDoubt.
	ReportInDoubt bool `json:"report_in_doubt,omitempty"`
}

// SharedData is the family's data a service may see; empty where the
// family did not consent.
type SharedData struct {
	Contact         *Family `json:"contact,omitempty"`
	Children        []Child `json:"children,omitempty"`
	ExpectedDueDate Date    `json:"expected_due_date"`
}

// ResendHandover sends a handover again after its email failed, to the
// service's corrected address or to another service. Consent is the
// family's consent for the service it goes to now: required when that is
// not the service the handover was last sent to (ResendConsentProblems);
// when set, the email shares what it allows, and nothing the first
// consent allowed beyond it.
type ResendHandover struct {
	Precondition
	Number  int      `json:"number"`
	Service Service  `json:"service"`
	By      string   `json:"by,omitempty"`
	Consent *Consent `json:"consent,omitempty"`
}
