package usecase

import (
	"slices"

	"elkgezin/programme"
	"elkgezin/trajectory"
)

// Step is one thing a person does to a trajectory (or, for consultations
// and collective activities, in a programme): the one row the API's
// routes, the pages' forms, the audit log and the role rules all read, so
// that a new step is one row here.
type Step struct {
	// Name is the step's name on the pages (the path segment of its form,
	// /trajecten/{id}/{name}) and in a programme file's co_worker_roles.
	Name string
	// Update is the Temporal Update the step sends to the trajectory's
	// workflow; "" for a step that is no Update of one trajectory (a
	// consultation, a referral after a consultation).
	Update string
	// Action is the audit log's name of the step.
	Action string
	// Kinds are the kinds of principal that may take the step. A
	// co-worker (KindCoWorker) may take it only when, besides, the
	// programme gives their role the step (programme.RoleSteps).
	Kinds []string
	// Route is the API's route of the step: method and path template.
	Route string
	// Title is the step in Dutch, as the pages' headings and buttons say it.
	Title string
	// Doing is what the step does in English, for the API's 403:
	// "a partner organisation may not <Doing>".
	Doing string
}

// Names of the steps (Step.Name).
const (
	StepAssign             = "toewijzing"
	StepIntake             = "intake"
	StepVisit              = "bezoek"
	StepMoveVisit          = "bezoek-verplaatsen"
	StepMissedVisit        = "bezoek-gemist"
	StepBirth              = "geboorte"
	StepHandOver           = "overdracht"
	StepResend             = "overdracht-opnieuw"
	StepAdoptTimings       = "termijnen"
	StepClose              = "afsluiting"
	StepExtendFollowUp     = "verlenging"
	StepMilestone          = "mijlpaal"
	StepAssignCoWorker     = "medewerker"
	StepConsultation       = "consultatie"
	StepReferConsultation  = "consultatie-doorverwijzing"
	StepCollectiveActivity = "activiteit"
)

const trajectoryPath = "/v1/trajectories/{id}"

// Steps is the step table.
var Steps = []Step{
	{StepAssign, trajectory.UpdateAssignCoach, ActionAssign, kindList(KindSupervisor),
		"POST " + trajectoryPath + "/assignment", "Coach toewijzen", "assign a coach"},
	{StepIntake, trajectory.UpdateRecordIntake, ActionIntake, kindList(KindCoach),
		"POST " + trajectoryPath + "/intake", "Intake registreren", "record an intake"},
	{StepVisit, trajectory.UpdateRecordVisit, ActionVisit, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/visits", "Huisbezoek registreren", "record a home visit"},
	{StepMoveVisit, trajectory.UpdateMoveVisit, ActionMoveVisit, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/visits/move", "Huisbezoek verplaatsen", "move a planned home visit"},
	{StepMissedVisit, trajectory.UpdateRecordMissedVisit, ActionMissedVisit, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/visits/missed", "Gemist huisbezoek registreren", "record a home visit that did not take place"},
	{StepBirth, trajectory.UpdateRecordBirth, ActionBirth, kindList(KindCoach),
		"POST " + trajectoryPath + "/birth", "Geboorte registreren", "record a birth"},
	{StepHandOver, trajectory.UpdateHandOver, ActionHandOver, kindList(KindCoach),
		"POST " + trajectoryPath + "/handovers", "Gezin overdragen", "hand a family over"},
	{StepResend, trajectory.UpdateResendHandover, ActionResend, kindList(KindCoach),
		"POST " + trajectoryPath + "/handovers/{number}/resend", "Overdracht opnieuw versturen", "send a handover again"},
	{StepAdoptTimings, trajectory.UpdateAdoptTimings, ActionAdoptTimings, kindList(KindSupervisor),
		"POST " + trajectoryPath + "/programme-timings", "Nieuwe termijnen van het programma overnemen", "move a trajectory to the programme's current timings"},
	{StepClose, trajectory.UpdateClose, ActionClose, kindList(KindCoach, KindSupervisor),
		"POST " + trajectoryPath + "/closure", "Traject afsluiten", "close a trajectory"},
	{StepExtendFollowUp, trajectory.UpdateExtendFollowUp, ActionExtendFollowUp, kindList(KindSupervisor),
		"POST " + trajectoryPath + "/follow-up-extension", "Opvolging verlengen", "extend follow-up"},
	{StepMilestone, trajectory.UpdateRecordMilestone, ActionRecordMilestone, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/milestones/{milestone}", "Mijlpaal registreren", "record a milestone"},
	{StepAssignCoWorker, trajectory.UpdateAssignCoWorker, ActionAssignCoWorker, kindList(KindSupervisor),
		"POST " + trajectoryPath + "/co-workers", "Medewerker toewijzen", "assign a co-worker"},
	{StepConsultation, "", ActionRecordConsultation, kindList(KindPartner, KindCoach, KindSupervisor, KindCoWorker),
		"POST /v1/consultations", "Consultatie registreren", "record a consultation"},
	{StepReferConsultation, "", ActionReferConsultation, kindList(KindPartner),
		"POST /v1/consultations/{consultation}/referral", "Consultatie omzetten in een doorverwijzing", "refer a family after a consultation"},
	{StepCollectiveActivity, trajectory.UpdateRecordAttendance, ActionRecordCollectiveActivity, kindList(KindCoach, KindSupervisor, KindCoWorker),
		"POST /v1/programmes/{programme}/activities", "Collectieve activiteit registreren", "record a collective activity"},
}

func kindList(k ...string) []string { return k }

// StepNamed finds a step by its name.
func StepNamed(name string) (Step, bool) {
	i := slices.IndexFunc(Steps, func(s Step) bool { return s.Name == name })
	if i < 0 {
		return Step{}, false
	}
	return Steps[i], true
}

// StepOfUpdate finds the step that sends the Update.
func StepOfUpdate(update string) (Step, bool) {
	i := slices.IndexFunc(Steps, func(s Step) bool { return update != "" && s.Update == update })
	if i < 0 {
		return Step{}, false
	}
	return Steps[i], true
}

// StepOfRoute finds the step of an API route ("POST /v1/...").
func StepOfRoute(route string) (Step, bool) {
	i := slices.IndexFunc(Steps, func(s Step) bool { return s.Route == route })
	if i < 0 {
		return Step{}, false
	}
	return Steps[i], true
}

// Allows says whether p may take the step in the programme: p's kind is
// one of the step's kinds, and a co-worker's role in the programme's
// current file gives them the step. Whether p may act on one trajectory
// is MayAccess's to say.
func (s Step) Allows(p Principal, prog programme.Programme) bool {
	if !slices.Contains(s.Kinds, p.Kind) {
		return false
	}
	if p.Kind != KindCoWorker {
		return true
	}
	c, ok := prog.CoWorker(p.ID)
	return ok && slices.Contains(prog.RoleSteps(c.Role), s.Name)
}

// AllowsKind says whether some principal of the kind may take the step
// (for a co-worker: some role may); the API checks it before it knows
// the trajectory, so that the answer tells nothing of which exist.
func (s Step) AllowsKind(kind string) bool { return slices.Contains(s.Kinds, kind) }
