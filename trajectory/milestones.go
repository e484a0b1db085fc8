package trajectory

import "time"

// Milestones, co-workers, collective activities and consultations: what
// programmes beyond "intake then home visits" need. Their definitions are
// copied into Timings at referral, like every other rule the trajectory
// runs by, so a changed programme file reaches a running trajectory only
// when a supervisor adopts the new timings.

const (
	UpdateRecordMilestone  = "record-milestone"
	UpdateAssignCoWorker   = "assign-co-worker"
	UpdateRecordAttendance = "record-attendance"

	// StepMilestone is a milestone of the programme's own (Step.Milestone names it).
	StepMilestone StepKind = "milestone"

	// RoleCoWorker is a co-worker of the trajectory (Recipient.CoWorkerID).
	RoleCoWorker RecipientRole = "co_worker"

	EventMilestoneReached = "milestone_reached"
	EventCoWorkerAssigned = "co_worker_assigned"
	EventActivityAttended = "activity_attended"
	// MilestoneAfterReferral anchors a milestone's deadline on the referral.
	MilestoneAfterReferral = "referral"
)

// MilestoneTiming is one milestone as the trajectory keeps it: a step of
// the programme's own besides intake and home visits, due Deadline after
// the referral (After is MilestoneAfterReferral) or after the milestone
// After names is reached.
type MilestoneTiming struct {
	ID           string   `json:"id"`
	After        string   `json:"after"`
	Deadline     Duration `json:"deadline"`
	ReminderLead Duration `json:"reminder_lead,omitempty"`
}

// Milestone finds a milestone of the timings by id.
func (t Timings) Milestone(id string) (MilestoneTiming, bool) {
	for _, m := range t.Milestones {
		if m.ID == id {
			return m, true
		}
	}
	return MilestoneTiming{}, false
}

// MilestoneProblems checks the milestone graph of new timings by the rule
// the programme files are checked by (MilestoneGraphProblems).
func (t Timings) MilestoneProblems() []Problem {
	ps := MilestoneGraphProblems(t.Milestones, t.ReminderLead)
	for i := range ps {
		ps[i].Field = "timings." + ps[i].Field
		ps[i].Code, ps[i].Args = CodeTimingsMilestonesInvalid, map[string]string{ArgField: ps[i].Field}
	}
	return ps
}

// ReachedMilestone is a milestone the family reached.
type ReachedMilestone struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	By string    `json:"by"`
	// Late: it was reached after its deadline.
	Late bool `json:"late,omitempty"`
}

// CoWorker is a co-worker assigned to the trajectory, by id and role.
type CoWorker struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

// RecordMilestone records that the family reached a milestone.
type RecordMilestone struct {
	Precondition
	Milestone string `json:"milestone"`
	// DoneAt is when it was reached; zero means now. Milestones that
	// follow it fall due from then.
	DoneAt time.Time `json:"done_at"`
	Note   string    `json:"note,omitempty"`
	By     string    `json:"by,omitempty"`
}

// AssignCoWorker adds a co-worker to the trajectory, or takes one off.
type AssignCoWorker struct {
	Precondition
	CoWorkerID string `json:"co_worker"`
	Role       string `json:"role"`
	Remove     bool   `json:"remove,omitempty"`
	By         string `json:"by,omitempty"`
}

// RecordAttendance records that the family took part in a collective
// activity of its team. ActivityID names the activity in PostgreSQL.
type RecordAttendance struct {
	Precondition
	ActivityID string `json:"activity_id"`
	Kind       string `json:"kind"`
	On         Date   `json:"on"`
	By         string `json:"by,omitempty"`
}

// MilestoneTimeProblems checks when a milestone was reached, by the rule
// of visits: not in the future.
func MilestoneTimeProblems(now, doneAt time.Time) []Problem {
	if doneAt.After(now.Add(ClockSkew)) {
		return []Problem{{Field: "done_at", Message: "lies in the future: record a milestone once it is reached", Code: CodeMilestoneInFuture}}
	}
	return nil
}
