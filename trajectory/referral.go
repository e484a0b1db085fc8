package trajectory

import "time"

// Referral is what a partner sends. Family holds personal data: it goes to
// PostgreSQL and the workflow input, never into ids, search attributes or logs.
type Referral struct {
	ProgrammeID string   `json:"programme"`
	Referrer    Referrer `json:"referrer"`
	Family      Family   `json:"family"`
	Reason      string   `json:"reason"`
	// ExpectedDueDate is set for a pregnancy.
	ExpectedDueDate Date    `json:"expected_due_date"`
	Children        []Child `json:"children,omitempty"`
	// ConsultationID is set when the referral follows an anonymous
	// consultation, made with the family's consent: the link is kept.
	ConsultationID string `json:"consultation_id,omitempty"`
	// PreviousTrajectoryID names the family's earlier, closed trajectory
	// when the same partner refers the family again.
	PreviousTrajectoryID string `json:"previous_trajectory_id,omitempty"`
	// ReferredBy is who referred on the referrer's behalf (the actor of
	// the referred event): the coach or supervisor who turned the
	// partner's consultation into a referral. Empty: the partner itself.
	ReferredBy string `json:"referred_by,omitempty"`
}

// Child is one of the family's children. Personal data.
type Child struct {
	Name      string `json:"name,omitempty"`
	BirthDate Date   `json:"birth_date"`
}

// Referrer is the partner organisation and its own reference for the family.
type Referrer struct {
	Organisation string `json:"organisation"`
	Reference    string `json:"reference"`
	ContactEmail string `json:"contact_email,omitempty"`
}

// Family is the family's contact data. All of it is personal data.
type Family struct {
	ContactName string `json:"contact_name"`
	Address     string `json:"address,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Language    string `json:"language,omitempty"`
	// SMSConsent is set when the family agreed to SMS.
	SMSConsent *SMSConsent `json:"sms_consent,omitempty"`
}

// Start is the workflow's input: the referral as it was made, and the
// programme's timings at that moment. A continued run gets the same input
// with Carried set: everything the previous run handed on.
type Start struct {
	TrajectoryID  string   `json:"trajectory_id"`
	ProgrammeID   string   `json:"programme_id,omitempty"`
	ProgrammeName string   `json:"programme_name,omitempty"`
	Timings       *Timings `json:"timings,omitempty"`
	Referral      Referral `json:"referral"`
	// ReferredAt is when the API accepted the referral, so the workflow's
	// referred event is the API's, byte for byte; zero (a referral from an
	// older API) means the first workflow task's time.
	ReferredAt time.Time `json:"referred_at,omitzero"`
	// SearchAttributesSet says that the start carried the referral's search
	// attributes (StartSearchAttributes), so the first task need not
	// upsert them.
	SearchAttributesSet bool `json:"search_attributes_set,omitempty"`
	// CodeRevision is the code revision under which the API began a new
	// trajectory (CodeRevision), sent with TemporalChangeVersion set to
	// match in the start's search attributes (StartSearchAttributes), so
	// the first task records no version marker; 0 when the start carried no
	// search attributes.
	CodeRevision int `json:"code_revision,omitempty"`
	// Carried is set when the trajectory continues as new.
	Carried *Carried `json:"carried,omitempty"`
	// HistoryLimit overrides the number of history events after which the
	// workflow continues as new (tests use a small one).
	HistoryLimit int `json:"history_limit,omitempty"`

	// Programme, State and PendingHandovers are how runs started before
	// Timings and Carried existed hand their data on; they are read, never
	// written (see workflows.carriedFrom).
	Programme        *ProgrammeRules   `json:"programme,omitempty"`
	State            *State            `json:"state,omitempty"`
	PendingHandovers []PendingHandover `json:"pending_handovers,omitempty"`
}

// CauseReferred is the cause of a trajectory's referred event: there is one.
const CauseReferred = "referred"

// DetailBornMonth is the referred event's detail that holds the month
// ("2006-01") of a birth known at referral, which the trajectory follows.
const DetailBornMonth = "born_month"

// ReferredEvent is the first event of every trajectory. The API writes it
// as soon as the workflow has started, and the workflow writes it again:
// the same cause makes the second write a no-op, and the trajectory is
// listed at once.
func ReferredEvent(id, programmeID string, t Timings, r Referral, at time.Time) Event {
	due := at.Add(t.AssignmentLimit.Std())
	var detail map[string]string
	if r.ConsultationID != "" {
		detail = map[string]string{"consultation": r.ConsultationID}
	}
	if r.PreviousTrajectoryID != "" {
		if detail == nil {
			detail = map[string]string{}
		}
		detail["previous_trajectory"] = r.PreviousTrajectoryID
	}
	if t.Perinatal != nil {
		// A family referred after the birth is followed from it; reports
		// know the birth by its month only.
		if born := t.Perinatal.BirthFollowedFrom(r, at); !born.IsZero() {
			if detail == nil {
				detail = map[string]string{}
			}
			detail[DetailBornMonth] = born.Format("2006-01")
		}
	}
	actor := "partner:" + r.Referrer.Organisation
	if r.ReferredBy != "" {
		actor = r.ReferredBy
	}
	return Event{
		Detail:       detail,
		TrajectoryID: id,
		Seq:          1,
		Cause:        CauseReferred,
		Kind:         EventReferred,
		Actor:        actor,
		At:           at,
		Referral:     &r,
		Summary: Summary{
			ProgrammeID: programmeID,
			ReferrerOrg: r.Referrer.Organisation,
			Phase:       PhaseReferred,
			NextStep:    string(StepAssignment),
			NextDueAt:   &due,
			ReferredAt:  at,
		},
	}
}
