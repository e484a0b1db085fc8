package trajectory

import "time"

// Timings are the durations one trajectory runs by. They are copied from
// the programme at referral and stay with the trajectory: they are part of
// what the team promised the family. A supervisor moves a running
// trajectory to new timings with the Update UpdateAdoptTimings. They name
// no people: coaches and supervisor addresses are looked up by id in the
// programme files whenever an email goes out.
type Timings struct {
	AssignmentLimit      Duration          `json:"assignment_limit"`
	IntakeDeadline       Duration          `json:"intake_deadline"`
	HomeVisitCadence     Duration          `json:"home_visit_cadence"`
	ReminderLead         Duration          `json:"reminder_lead"`
	AlertGrace           Duration          `json:"alert_grace"`
	AcknowledgementLimit Duration          `json:"acknowledgement_limit"`
	LinkValidFor         Duration          `json:"link_valid_for"`
	Perinatal            *PerinatalTimings `json:"perinatal,omitempty"`
	// Milestones are the programme's own steps (see MilestoneTiming).
	Milestones []MilestoneTiming `json:"milestones,omitempty"`
	// CopyRemindersTo names the co-worker roles that get a copy of every
	// reminder to the coach.
	CopyRemindersTo []string `json:"copy_reminders_to,omitempty"`
	// EmailDeliveryLimit bounds how long an email is retried before it is
	// recorded as not delivered; zero means DefaultEmailDeliveryLimit.
	EmailDeliveryLimit Duration `json:"email_delivery_limit,omitempty"`
	// SMSReminderLead is how long before a planned home visit the
	// family's SMS reminder goes out; zero means SMSReminderAhead.
	SMSReminderLead Duration `json:"sms_reminder_lead,omitempty"`
	// ManagerEscalationAfter is the programme's second escalation level:
	// this long after the supervisor's alert about a step still open, the
	// manager is alerted once; zero when the programme has no manager.
	ManagerEscalationAfter Duration `json:"manager_escalation_after,omitempty"`
	// LifeDomains, PlanReviewCadence and MaterialNeedsDeadline are the
	// programme's rules of the family plan;
	// trajectories referred before they were copied take the defaults.
	LifeDomains           []NamedDomain `json:"life_domains,omitempty"`
	PlanReviewCadence     Duration      `json:"plan_review_cadence,omitempty"`
	MaterialNeedsDeadline Duration      `json:"material_needs_deadline,omitempty"`
}

// Domains are the life domains of the trajectory: its programme's, or the defaults.
func (t Timings) Domains() []NamedDomain {
	if len(t.LifeDomains) > 0 {
		return t.LifeDomains
	}
	return DefaultLifeDomains
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
const DefaultEmailDeliveryLimit = Duration(24 * time.Hour)

// DeliveryLimit is EmailDeliveryLimit, or its default.
func (t Timings) DeliveryLimit() time.Duration {
	if t.EmailDeliveryLimit > 0 {
		return t.EmailDeliveryLimit.Std()
	}
	return DefaultEmailDeliveryLimit.Std()
}

// PerinatalTimings is the schedule of a trajectory that starts before the
// birth (a programme file's perinatal section).
type PerinatalTimings struct {
	// PrenatalVisitCadence: default time between home visits before the birth.
	PrenatalVisitCadence Duration `json:"prenatal_visit_cadence"`
	// BirthRecordMargin: the coach is reminded to record the birth when the
	// expected due date plus this margin passes without one.
	BirthRecordMargin Duration `json:"birth_record_margin"`
	// PostnatalVisits: home visits after the birth, counted from the birth
	// (for example 1w, 2w, 4w, 6w) ...
	PostnatalVisits []Duration `json:"postnatal_visits"`
	// ... and after the last of them, every PostnatalCadence.
	PostnatalCadence Duration `json:"postnatal_cadence"`
	// FollowUpMonths: follow-up ends when the child is this many months old.
	FollowUpMonths int `json:"follow_up_months"`
	// ClosingHandoverLead: the coach is reminded this long before the end
	// of follow-up to prepare the closing handover.
	ClosingHandoverLead Duration `json:"closing_handover_lead"`
}

// PostnatalVisitDue is when home visit number n after the birth (from 1) is
// due by the schedule.
func (t PerinatalTimings) PostnatalVisitDue(bornOn time.Time, n int) time.Time {
	if n <= len(t.PostnatalVisits) {
		return bornOn.Add(t.PostnatalVisits[n-1].Std())
	}
	last := time.Duration(0)
	if k := len(t.PostnatalVisits); k > 0 {
		last = t.PostnatalVisits[k-1].Std()
	}
	return bornOn.Add(last + time.Duration(n-len(t.PostnatalVisits))*t.PostnatalCadence.Std())
}

// FollowUpEnd is when the child born on bornOn reaches the follow-up age.
func (t PerinatalTimings) FollowUpEnd(bornOn time.Time) time.Time {
	return bornOn.AddDate(0, t.FollowUpMonths, 0)
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
