package trajectory

// ProgrammeRules are the rules of a programme a trajectory runs by, as its
// programme file gives them (package programme converts a file into
// them): Timings copies them at referral. Runs started before Timings
// existed carry them in Start.Programme, which is why the JSON names are
// the programme file's own.
type ProgrammeRules struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	AssignmentLimit  Duration `json:"assignment_limit"`
	IntakeDeadline   Duration `json:"intake_deadline"`
	HomeVisitCadence Duration `json:"home_visit_cadence"`
	ReminderLead     Duration `json:"reminder_lead"`
	AlertGrace       Duration `json:"alert_grace"`
	Handover         struct {
		AcknowledgementLimit Duration `json:"acknowledgement_limit"`
		LinkValidFor         Duration `json:"link_valid_for"`
	} `json:"handover"`
	Perinatal              *PerinatalTimings `json:"perinatal,omitempty"`
	Milestones             []MilestoneTiming `json:"milestones,omitempty"`
	CopyRemindersTo        []string          `json:"copy_reminders_to,omitempty"`
	EmailDeliveryLimit     Duration          `json:"email_delivery_limit,omitempty"`
	SMSReminderLead        Duration          `json:"sms_reminder_lead,omitempty"`
	ManagerEmail           string            `json:"manager_email,omitempty"`
	ManagerEscalationAfter Duration          `json:"manager_escalation_after,omitempty"`
	LifeDomains            []NamedDomain     `json:"life_domains,omitempty"`
	PlanReviewCadence      Duration          `json:"plan_review_cadence,omitempty"`
	MaterialNeedsDeadline  Duration          `json:"material_needs_deadline,omitempty"`
}

// Timings copies the timings of the programme: a trajectory keeps them
// whatever becomes of the file.
func (p ProgrammeRules) Timings() Timings {
	t := Timings{
		AssignmentLimit:       p.AssignmentLimit,
		IntakeDeadline:        p.IntakeDeadline,
		HomeVisitCadence:      p.HomeVisitCadence,
		ReminderLead:          p.ReminderLead,
		AlertGrace:            p.AlertGrace,
		AcknowledgementLimit:  p.Handover.AcknowledgementLimit,
		LinkValidFor:          p.Handover.LinkValidFor,
		Milestones:            append([]MilestoneTiming(nil), p.Milestones...),
		CopyRemindersTo:       append([]string(nil), p.CopyRemindersTo...),
		EmailDeliveryLimit:    p.EmailDeliveryLimit,
		SMSReminderLead:       p.SMSReminderLead,
		LifeDomains:           append([]NamedDomain(nil), p.LifeDomains...),
		PlanReviewCadence:     p.PlanReviewCadence,
		MaterialNeedsDeadline: p.MaterialNeedsDeadline,
	}
	if p.ManagerEmail != "" {
		t.ManagerEscalationAfter = p.ManagerEscalationAfter
	}
	if p.Perinatal != nil {
		pn := *p.Perinatal
		pn.PostnatalVisits = append([]Duration{}, p.Perinatal.PostnatalVisits...)
		t.Perinatal = &pn
	}
	return t
}
