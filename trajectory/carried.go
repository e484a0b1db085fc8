package trajectory

import (
	"hash/fnv"
	"time"
)

// Carried is everything one run of a trajectory hands to the next when it
// continues as new: the state the API sees, and what the workflow keeps
// beside it. The workflow's input (Start) keeps the referral; the timings
// and the previous run's state go only here.
type Carried struct {
	State State `json:"state"`
	// Timings the trajectory runs by (see Timings).
	Timings Timings `json:"timings"`
	// PendingHandovers are handovers requested but not yet emailed. They
	// hold the coach's reason, which is personal data.
	PendingHandovers []PendingHandover `json:"pending_handovers,omitempty"`
	// BornChildren are the children whose birth was recorded in this
	// trajectory (personal data), for handovers that share the children.
	BornChildren []Child `json:"born_children,omitempty"`
	// PendingNotices are emails the main loop still owes that are not tied
	// to a step's instant, such as telling a coach a family was assigned.
	PendingNotices []Notification `json:"pending_notices,omitempty"`
	// AppliedUpdates are the hashes (UpdateIDHash) of the last Updates
	// applied (at most RecentUpdatesKept), so a step retried across
	// continue-as-new is answered with the current state instead of being
	// applied twice. A hash is 8 bytes whatever the client's id.
	AppliedUpdates []uint64 `json:"applied_updates,omitempty"`
	// RecentUpdates are the ids runs kept before their hashes: read (see
	// HashRecentUpdates), never written.
	RecentUpdates []string `json:"recent_updates,omitempty"`
	// Unwritten are events recorded in the history and not yet confirmed
	// written to the log; the next run writes them when this one could not.
	Unwritten []Event `json:"unwritten,omitempty"`
	// Sending are emails on their way beside the main loop; the next run
	// sends them again under the same keys (the ledger sends each once).
	Sending []Sending `json:"sending,omitempty"`
	// Feedback are the referrer's notifications on their way (a webhook
	// or an email); the next run sends them again (each is sent once).
	Feedback []ReferralFeedback `json:"feedback,omitempty"`
	// Published are the search attribute values the run had published,
	// which continue-as-new carries over to the next: it upserts only what
	// differs from them.
	Published map[string]string `json:"published,omitempty"`
	// SMS are the family's SMS reminders given and SMS on their way.
	SMS *SMSCarried `json:"sms,omitempty"`
}

// Sending is one email on its way: a notification or a handover email,
// the step it is about, and the event its delivery records.
type Sending struct {
	Notification *Notification  `json:"notification,omitempty"`
	Handover     *HandoverEmail `json:"handover,omitempty"`
	// About is the step the email is about; a failure is reported by it.
	About Step `json:"about"`
	// Event and Detail are the event recorded once the email is delivered.
	Event  string            `json:"event"`
	Detail map[string]string `json:"detail,omitempty"`
}

// Key is the email's idempotency key.
func (s Sending) Key() string {
	if s.Handover != nil {
		return s.Handover.Key
	}
	return s.Notification.Key
}

// To is the email's recipient.
func (s Sending) To() Recipient {
	if s.Handover != nil {
		return Recipient{Role: RoleService, ServiceID: s.Handover.Service.ID}
	}
	return s.Notification.Recipient
}

// Kind is what the email is: a reminder, an alert, a notice, a handover.
func (s Sending) Kind() NotificationKind {
	if s.Handover != nil {
		return s.Handover.Kind
	}
	return s.Notification.Kind
}

// UpdateIDHash is what Carried keeps of an Update id: FNV-1a, 64 bits.
// Among the few hundred ids kept, a collision is out of reach.
func UpdateIDHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// HashRecentUpdates moves the ids a run of older code handed on into
// AppliedUpdates, so they stop taking room.
func (c *Carried) HashRecentUpdates() {
	if len(c.RecentUpdates) == 0 {
		return
	}
	hashes := make([]uint64, 0, len(c.RecentUpdates)+len(c.AppliedUpdates))
	for _, id := range c.RecentUpdates {
		hashes = append(hashes, UpdateIDHash(id))
	}
	c.AppliedUpdates = append(hashes, c.AppliedUpdates...)
	c.RecentUpdates = nil
	if extra := len(c.AppliedUpdates) - RecentUpdatesKept; extra > 0 {
		c.AppliedUpdates = c.AppliedUpdates[extra:]
	}
}

// RecentUpdatesKept bounds Carried.AppliedUpdates. A client retries a step
// within minutes; a few hundred ids cover far more than that.
const RecentUpdatesKept = 200

// StepsDoneKept bounds State.StepsDone, so Update results and the carried
// state do not grow with years of visits; VisitsDone keeps the count.
const StepsDoneKept = 20

// RecipientRole says to whom of the trajectory's people an email goes.
type RecipientRole string

const (
	RoleCoach      RecipientRole = "coach"
	RoleSupervisor RecipientRole = "supervisor"
	// RoleManager is the programme's second escalation level (manager_email).
	RoleManager RecipientRole = "manager"
	RoleService RecipientRole = "service"
)

// Recipient names who an email goes to by id; the worker looks up the
// address in the programme files when it sends, so a changed address or a
// coach added later reaches running trajectories.
type Recipient struct {
	Role RecipientRole `json:"role"`
	// CoachID is set when Role is RoleCoach; ServiceID when it is RoleService.
	CoachID    string `json:"coach_id,omitempty"`
	ServiceID  string `json:"service_id,omitempty"`
	CoWorkerID string `json:"co_worker_id,omitempty"`
}

// ID names the recipient in idempotency keys and events: "coach:<id>",
// "supervisor" or "service:<id>". It is an id, never an address.
func (r Recipient) ID() string {
	switch r.Role {
	case RoleCoach:
		return string(RoleCoach) + ":" + r.CoachID
	case RoleService:
		return string(RoleService) + ":" + r.ServiceID
	case RoleCoWorker:
		return string(RoleCoWorker) + ":" + r.CoWorkerID
	}
	return string(r.Role)
}

// EmailKey is the idempotency key of one email obligation: this kind of
// email, about this step as due at this instant, to this recipient. A step
// re-planned to another instant or owed by another person is a new
// obligation with a new key; a retried send is the same one.
func EmailKey(trajectoryID string, step Step, kind NotificationKind, to Recipient) string {
	return trajectoryID + "/" + step.Key() + "@" + step.DueAt.UTC().Format("20060102T150405Z") + "/" + string(kind) + "/" + to.ID()
}

// EmailFailure is an email the mail server refused for good, that could
// not be built (an unknown coach, a missing address), or that may or may
// not have arrived (in doubt). The trajectory carries on; supervisors see
// it (search attribute EmailFailed).
type EmailFailure struct {
	At   time.Time        `json:"at"`
	Kind NotificationKind `json:"kind"`
	// Step is the key of the step the email was about, if any.
	Step string `json:"step,omitempty"`
	// To is the recipient's id (Recipient.ID), never an address.
	To string `json:"to"`
	// Reason is the error type: EmailRejected, InvalidNotification or
	// EmailInDoubt.
	Reason string `json:"reason"`
}

// EmailInDoubt is the Reason of an email that may or may not have reached
// the mail server: it is not sent again, and the supervisor is told.
const EmailInDoubt = "EmailInDoubt"

// EmailNotDelivered is the Reason of an email the mail server did not take
// within the trajectory's delivery limit (Timings.EmailDeliveryLimit): it
// is given up, and the supervisor is told.
const EmailNotDelivered = "EmailNotDelivered"
