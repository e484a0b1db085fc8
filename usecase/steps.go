package usecase

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
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
	// Done says in Dutch that the step was taken, as the page shows it after.
	Done string
}

// Names of the steps (Step.Name).
const (
	StepAssign              = "toewijzing"
	StepIntake              = "intake"
	StepVisit               = "bezoek"
	StepMoveVisit           = "bezoek-verplaatsen"
	StepMissedVisit         = "bezoek-gemist"
	StepBirth               = "geboorte"
	StepHandOver            = "overdracht"
	StepResend              = "overdracht-opnieuw"
	StepAdoptTimings        = "termijnen"
	StepClose               = "afsluiting"
	StepExtendFollowUp      = "verlenging"
	StepMilestone           = "mijlpaal"
	StepAssignCoWorker      = "medewerker"
	StepConsultation        = "consultatie"
	StepReferConsultation   = "consultatie-doorverwijzing"
	StepConsultationPartner = "consultatie-partner"
	StepCollectiveActivity  = "activiteit"
	StepAgreePlan           = "gezinsplan"
	StepActionDone          = "actie-gedaan"
	StepGoalStatus          = "doel-status"
	StepReviewGoals         = "doelen-besproken"
	StepFamilyLink          = "gezinslink"
	StepRevokeFamilyLink    = "gezinslink-intrekken"
)

const trajectoryPath = "/v1/trajectories/{id}"

// Steps is the step table.
var Steps = []Step{
	{StepAssign, trajectory.UpdateAssignCoach, ActionAssign, kindList(KindSupervisor),
		"POST " + trajectoryPath + "/assignment", "Coach toewijzen", "assign a coach", "De coach is toegewezen."},
	{StepIntake, trajectory.UpdateRecordIntake, ActionIntake, kindList(KindCoach),
		"POST " + trajectoryPath + "/intake", "Intake registreren", "record an intake", "De intake is opgeslagen."},
	{StepVisit, trajectory.UpdateRecordVisit, ActionVisit, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/visits", "Huisbezoek registreren", "record a home visit", "Het huisbezoek is opgeslagen."},
	{StepMoveVisit, trajectory.UpdateMoveVisit, ActionMoveVisit, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/visits/move", "Huisbezoek verplaatsen", "move a planned home visit", "Het huisbezoek is verplaatst."},
	{StepMissedVisit, trajectory.UpdateRecordMissedVisit, ActionMissedVisit, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/visits/missed", "Gemist huisbezoek registreren", "record a home visit that did not take place", "Het gemiste huisbezoek en de nieuwe afspraak zijn opgeslagen."},
	{StepBirth, trajectory.UpdateRecordBirth, ActionBirth, kindList(KindCoach),
		"POST " + trajectoryPath + "/birth", "Geboorte registreren", "record a birth", "De geboorte is opgeslagen."},
	{StepHandOver, trajectory.UpdateHandOver, ActionHandOver, kindList(KindCoach),
		"POST " + trajectoryPath + "/handovers", "Gezin overdragen", "hand a family over", "De overdracht is verstuurd."},
	{StepResend, trajectory.UpdateResendHandover, ActionResend, kindList(KindCoach),
		"POST " + trajectoryPath + "/handovers/{number}/resend", "Overdracht opnieuw versturen", "send a handover again", "De overdracht is opnieuw verstuurd."},
	{StepAdoptTimings, trajectory.UpdateAdoptTimings, ActionAdoptTimings, kindList(KindSupervisor),
		"POST " + trajectoryPath + "/programme-timings", "Nieuwe termijnen van het programma overnemen", "move a trajectory to the programme's current timings", "De nieuwe termijnen van het programma gelden nu."},
	{StepClose, trajectory.UpdateClose, ActionClose, kindList(KindCoach, KindSupervisor),
		"POST " + trajectoryPath + "/closure", "Traject afsluiten", "close a trajectory", "Het traject is afgesloten."},
	{StepExtendFollowUp, trajectory.UpdateExtendFollowUp, ActionExtendFollowUp, kindList(KindSupervisor),
		"POST " + trajectoryPath + "/follow-up-extension", "Opvolging verlengen", "extend follow-up", "De opvolging is verlengd."},
	{StepMilestone, trajectory.UpdateRecordMilestone, ActionRecordMilestone, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/milestones/{milestone}", "Mijlpaal registreren", "record a milestone", "De mijlpaal is opgeslagen."},
	{StepAssignCoWorker, trajectory.UpdateAssignCoWorker, ActionAssignCoWorker, kindList(KindSupervisor),
		"POST " + trajectoryPath + "/co-workers", "Medewerker toewijzen", "assign a co-worker", "De medewerkers van het traject zijn bijgewerkt."},
	{StepConsultation, "", ActionRecordConsultation, kindList(KindPartner, KindCoach, KindSupervisor, KindCoWorker),
		"POST /v1/consultations", "Consultatie registreren", "record a consultation", "De consultatie is opgeslagen."},
	{StepReferConsultation, "", ActionReferConsultation, kindList(KindPartner, KindCoach, KindSupervisor),
		"POST /v1/consultations/{consultation}/referral", "Consultatie omzetten in een doorverwijzing", "refer a family after a consultation", "Het gezin is doorverwezen."},
	{StepConsultationPartner, "", ActionNameConsultationPartner, kindList(KindCoach, KindSupervisor),
		"POST /v1/consultations/{consultation}/organisation", "Partner van een consultatie aanduiden", "name the partner a consultation concerns", "De partner van de consultatie is aangeduid."},
	{StepCollectiveActivity, trajectory.UpdateRecordAttendance, ActionRecordCollectiveActivity, kindList(KindCoach, KindSupervisor, KindCoWorker),
		"POST /v1/programmes/{programme}/activities", "Collectieve activiteit registreren", "record a collective activity", "De activiteit is opgeslagen."},
	{StepAgreePlan, trajectory.UpdateAgreePlan, ActionAgreePlan, kindList(KindCoach),
		"PUT " + trajectoryPath + "/plan", "Gezinsplan afspreken", "record the family plan", "Het gezinsplan is opgeslagen, met de datum waarop het gezin akkoord ging."},
	{StepActionDone, trajectory.UpdateRecordActionDone, ActionRecordActionDone, kindList(KindCoach, KindCoWorker),
		"POST " + trajectoryPath + "/plan/goals/{goal}/actions/{action}/done", "Actie gedaan", "record an action of the family plan as done", "De actie is als gedaan opgeslagen."},
	{StepGoalStatus, trajectory.UpdateSetGoalStatus, ActionSetGoalStatus, kindList(KindCoach),
		"POST " + trajectoryPath + "/plan/goals/{goal}/status", "Doel bereikt of losgelaten", "set the status of a goal of the family plan", "De stand van het doel is opgeslagen."},
	{StepReviewGoals, trajectory.UpdateReviewGoals, ActionReviewGoals, kindList(KindCoach),
		"POST " + trajectoryPath + "/plan/review", "Doelen besproken met het gezin", "record that the family plan's goals were reviewed with the family", "De bespreking van de doelen is opgeslagen."},
	// The family's own page: no Update, a row of the store (package familylink).
	{StepFamilyLink, "", ActionIssueFamilyLink, kindList(KindCoach),
		"POST " + trajectoryPath + "/family-link", "Persoonlijke link voor het gezin maken", "give a family the link to its own page", "De persoonlijke link voor het gezin is gemaakt."},
	{StepRevokeFamilyLink, "", ActionRevokeFamilyLink, kindList(KindCoach, KindSupervisor),
		"DELETE " + trajectoryPath + "/family-link", "Persoonlijke link van het gezin intrekken", "revoke a family's link to its own page", "De persoonlijke link van het gezin werkt niet meer."},
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

// ErrStepNotGiven: the caller may act on the trajectory, but the step is
// not theirs to take (a co-worker whose role the programme does not give
// it). Adapters answer 403: the caller knows the trajectory already.
var ErrStepNotGiven = errors.New("step not given to the caller")

// StepDeniedError is ErrStepNotGiven for one step and role.
type StepDeniedError struct {
	Step Step
	// Role is the co-worker's role as the programme names it ("Brugfiguur").
	Role string
	// Given are the names of the steps the role may take.
	Given []string
}

func (e *StepDeniedError) Error() string {
	return fmt.Sprintf("%s: %s may not %s", ErrStepNotGiven, e.Role, e.Step.Doing)
}

func (e *StepDeniedError) Unwrap() error { return ErrStepNotGiven }

// MayTake says whether p may take the step in the programme (Step.Allows
// over the programme's current file); the error is a *StepDeniedError.
func (c Cases) MayTake(p Principal, s Step, programmeID string) error {
	prog, _ := c.Programmes.Get(programmeID)
	if s.Allows(p, prog) {
		return nil
	}
	e := &StepDeniedError{Step: s, Role: kindRole(p.Kind)}
	if p.Kind == KindCoWorker {
		if cw, ok := prog.CoWorker(p.ID); ok {
			e.Role, e.Given = prog.RoleName(cw.Role), prog.RoleSteps(cw.Role)
		}
	}
	return e
}

func kindRole(kind string) string {
	if kind == KindCoWorker {
		return "co-worker"
	}
	return kind
}

// ActableStep is Actable for one step: ErrNotFound (ErrDenied) when p may
// not act on the trajectory at all, ErrStepNotGiven when p may, but not
// take this step. API and pages both check a step here.
func (c Cases) ActableStep(ctx context.Context, p Principal, id string, s Step) (store.TrajectorySummary, error) {
	row, err := c.Actable(ctx, p, id)
	if err != nil {
		return row, err
	}
	if err := c.MayTake(p, s, row.ProgrammeID); err != nil {
		return row, err
	}
	return row, nil
}
