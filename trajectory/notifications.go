package trajectory

// NotificationKind is a reminder to the coach or an alert to the supervisor.
type NotificationKind string

const (
	Reminder NotificationKind = "reminder"
	Alert    NotificationKind = "alert"
	// HandoverNotice is the handover email itself.
	HandoverNotice NotificationKind = "handover"
	// AssignmentNotice tells a coach a family was assigned to them and
	// which step is owed when (Step).
	AssignmentNotice NotificationKind = "assignment"
	// EmailFailedNotice tells the supervisor that an email to someone else
	// failed for good (Failed says which).
	EmailFailedNotice NotificationKind = "email_failed"
)

// Notification is one email about a step. Key makes sending it idempotent.
type Notification struct {
	Key           string           `json:"key"`
	Kind          NotificationKind `json:"kind"`
	TrajectoryID  string           `json:"trajectory_id"`
	ProgrammeID   string           `json:"programme_id,omitempty"`
	ProgrammeName string           `json:"programme_name"`
	Step          Step             `json:"step"`
	// Recipient is looked up in the programme files when the email is sent.
	Recipient Recipient `json:"recipient"`
	// Failed is set on an EmailFailedNotice: the email that failed.
	Failed *EmailFailure `json:"failed,omitempty"`
	// To is the address runs started before Recipient existed put here
	// (read, never written).
	To string `json:"to,omitempty"`
	// ReportInDoubt asks the activity to fail with EmailInDoubt when the
	// email may or may not have arrived, for the workflow to report it.
	// Runs from before that change (and a worker of theirs beside a newer
	// one in a rolling deploy) leave it unset, and the email is settled
	// as sent, as it was then.
	ReportInDoubt bool `json:"report_in_doubt,omitempty"`
}
