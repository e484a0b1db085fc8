package trajectory

import (
	"hash/fnv"
	"time"

	"github.com/elkgezin/elkgezin/programme"
)

// Timings are the durations one trajectory runs by. They are copied from
// the programme at referral and stay with the trajectory: they are part of
// what the team promised the family. A supervisor moves a running
// trajectory to new timings with the Update UpdateAdoptTimings. They name
// no people: coaches and supervisor addresses are looked up by id in the
// programme files whenever an email goes out.
type Timings struct {
	AssignmentLimit      programme.Duration `json:"assignment_limit"`
	IntakeDeadline       programme.Duration `json:"intake_deadline"`
	HomeVisitCadence     programme.Duration `json:"home_visit_cadence"`
	ReminderLead         programme.Duration `json:"reminder_lead"`
	AlertGrace           programme.Duration `json:"alert_grace"`
	AcknowledgementLimit programme.Duration `json:"acknowledgement_limit"`
	LinkValidFor         programme.Duration `json:"link_valid_for"`
	Perinatal            *PerinatalTimings  `json:"perinatal,omitempty"`
	// Milestones are the programme's own steps (see MilestoneTiming).
	Milestones []MilestoneTiming `json:"milestones,omitempty"`
	// CopyRemindersTo names the co-worker roles that get a copy of every
	// reminder to the coach.
	CopyRemindersTo []string `json:"copy_reminders_to,omitempty"`
	// EmailDeliveryLimit bounds how long an email is retried before it is
	// recorded as not delivered; zero means DefaultEmailDeliveryLimit.
	EmailDeliveryLimit programme.Duration `json:"email_delivery_limit,omitempty"`
	// SMSReminderLead is how long before a planned home visit the
	// family's SMS reminder goes out; zero means SMSReminderAhead.
	SMSReminderLead programme.Duration `json:"sms_reminder_lead,omitempty"`
	// ManagerEscalationAfter is the programme's second escalation level:
	// this long after the supervisor's alert about a step still open, the
	// manager is alerted once; zero when the programme has no manager.
	ManagerEscalationAfter programme.Duration `json:"manager_escalation_after,omitempty"`
	// LifeDomains, PlanReviewCadence and MaterialNeedsDeadline are the
	// programme's rules of the family plan (see programme.Programme);
	// trajectories referred before they were copied take the defaults.
	LifeDomains           []programme.LifeDomain `json:"life_domains,omitempty"`
	PlanReviewCadence     programme.Duration     `json:"plan_review_cadence,omitempty"`
	MaterialNeedsDeadline programme.Duration     `json:"material_needs_deadline,omitempty"`
}

// Domains are the life domains of the trajectory: its programme's, or the defaults.
func (t Timings) Domains() []programme.LifeDomain {
	if len(t.LifeDomains) > 0 {
		return t.LifeDomains
	}
	return programme.DefaultLifeDomains
}

// ReviewCadence is how often an open goal is reviewed: the programme's
// plan_review_cadence, or else its home visit cadence.
func (t Timings) ReviewCadence() time.Duration {
	if t.PlanReviewCadence > 0 {
		return t.PlanReviewCadence.Std()
	}
	return t.HomeVisitCadence.Std()
}

// DefaultEmailDeliveryLimit is the delivery limit of trajectories whose
// programme sets none: a mail server a day away is an incident, and the
// supervisor must hear of the email before the family is failed by it.
const DefaultEmailDeliveryLimit = programme.Duration(24 * time.Hour)

// DeliveryLimit is EmailDeliveryLimit, or its default.
func (t Timings) DeliveryLimit() time.Duration {
	if t.EmailDeliveryLimit > 0 {
		return t.EmailDeliveryLimit.Std()
	}
	return DefaultEmailDeliveryLimit.Std()
}

// PerinatalTimings is the perinatal schedule of a trajectory: the same
// fields as the programme's, so the same arithmetic serves both.
type PerinatalTimings programme.Perinatal

// PostnatalVisitDue is when home visit number n after the birth (from 1) is due.
func (t PerinatalTimings) PostnatalVisitDue(bornOn time.Time, n int) time.Time {
	return programme.Perinatal(t).PostnatalVisitDue(bornOn, n)
}

// FollowUpEnd is when the child born on bornOn reaches the follow-up age.
func (t PerinatalTimings) FollowUpEnd(bornOn time.Time) time.Time {
	return programme.Perinatal(t).FollowUpEnd(bornOn)
}

// BirthFollowedFrom is the birth a perinatal trajectory follows from its
// referral on when the family is referred after the birth: the youngest
// child the referral lists who is still below the programme's follow-up
// age at the referral. Zero when the referral expects a child (its due
// date starts the schedule instead) or lists no child that young.
func (t PerinatalTimings) BirthFollowedFrom(r Referral, referredAt time.Time) Date {
	if !r.ExpectedDueDate.IsZero() {
		return Date{}
	}
	var youngest Date
	for _, c := range r.Children {
		if c.BirthDate.IsZero() || c.BirthDate.After(referredAt) || !t.FollowUpEnd(c.BirthDate.Time).After(referredAt) {
			continue
		}
		if c.BirthDate.After(youngest.Time) {
			youngest = c.BirthDate
		}
	}
	return youngest
}

// TimingsOf copies the timings of a programme.
func TimingsOf(p programme.Programme) Timings {
	t := Timings{
		AssignmentLimit:       p.AssignmentLimit,
		IntakeDeadline:        p.IntakeDeadline,
		HomeVisitCadence:      p.HomeVisitCadence,
		ReminderLead:          p.ReminderLead,
		AlertGrace:            p.AlertGrace,
		AcknowledgementLimit:  p.Handover.AcknowledgementLimit,
		LinkValidFor:          p.Handover.LinkValidFor,
		Milestones:            milestonesOf(p),
		CopyRemindersTo:       append([]string(nil), p.CopyRemindersTo...),
		EmailDeliveryLimit:    p.EmailDeliveryLimit,
		SMSReminderLead:       p.SMSReminderLead,
		LifeDomains:           append([]programme.LifeDomain(nil), p.LifeDomains...),
		PlanReviewCadence:     p.PlanReviewCadence,
		MaterialNeedsDeadline: p.MaterialNeedsDeadline,
	}
	if p.ManagerEmail != "" {
		t.ManagerEscalationAfter = p.ManagerEscalationAfter
	}
	if p.Perinatal != nil {
		pn := PerinatalTimings(*p.Perinatal)
		pn.PostnatalVisits = append([]programme.Duration{}, p.Perinatal.PostnatalVisits...)
		t.Perinatal = &pn
	}
	return t
}

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

// AdoptTimings moves a running trajectory to new timings, for example after
// the programme file changed. Due instants already planned stay; reminders,
// alerts and every step planned from now on follow the new timings.
type AdoptTimings struct {
	Timings Timings `json:"timings"`
	Reason  string  `json:"reason"`
	By      string  `json:"by,omitempty"`
}

// RollOver is the request of UpdateRollOver; By is the operator.
type RollOver struct {
	By string `json:"by,omitempty"`
}

// ResendHandover sends a handover again after its email failed, to the
// service's corrected address or to another service. Consent is the
// family's consent for the service it goes to now: required when that is
// not the service the handover was last sent to (ResendConsentProblems);
// when set, the email shares what it allows, and nothing the first
// consent allowed beyond it.
type ResendHandover struct {
	Number  int               `json:"number"`
	Service programme.Service `json:"service"`
	By      string            `json:"by,omitempty"`
	Consent *Consent          `json:"consent,omitempty"`
}
