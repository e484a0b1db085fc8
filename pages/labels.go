package pages

import (
	"slices"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
)

// zone is where people read times (trajectory.Belgium).
var zone = trajectory.Belgium()

// stepLabel names the step with the key (a trajectory's next step) in
// Dutch, the words the emails use too (trajectory.StepKeyLabel), a
// milestone by its name in the programme file: of the trajectory's
// programme when the page gives it, else the first programme that has
// the milestone.
func (h *handler) stepLabel(key string, programmeID ...string) string {
	var prog programme.Programme
	if len(programmeID) > 0 {
		prog, _ = h.Cases.Programmes.Get(programmeID[0])
	} else if s, ok := trajectory.ParseStepKey(key); ok && s.Kind == trajectory.StepMilestone {
		for _, id := range h.Cases.Programmes.IDs() {
			p, _ := h.Cases.Programmes.Get(id)
			if slices.ContainsFunc(p.Milestones, func(m programme.Milestone) bool { return m.ID == s.Milestone }) {
				prog = p
				break
			}
		}
	}
	return trajectory.StepKeyLabel(key, prog.MilestoneName)
}

func phaseLabel(p trajectory.Phase) string {
	if l, ok := map[trajectory.Phase]string{
		trajectory.PhaseReferred: "wacht op een coach", trajectory.PhaseCoachAssigned: "coach toegewezen",
		trajectory.PhaseIntakeDone: "intake gedaan", trajectory.PhasePrenatal: "zwangerschap",
		trajectory.PhasePostnatal: "na de geboorte", trajectory.PhaseInSupport: "in begeleiding",
		trajectory.PhaseClosed: "afgesloten",
	}[p]; ok {
		return l
	}
	return string(p)
}

// eventLabel names an event of the timeline by its kind; detail tells an
// email in doubt from one that failed.
func eventLabel(k string, detail map[string]string) string {
	if k == trajectory.EventEmailFailed && detail["reason"] == trajectory.EmailInDoubt {
		return "E-mail mogelijk niet aangekomen"
	}
	if l, ok := map[string]string{
		trajectory.EventReferred: "Doorverwezen", trajectory.EventCoachAssigned: "Coach toegewezen",
		trajectory.EventIntakeDone: "Intake", trajectory.EventVisitDone: "Huisbezoek",
		trajectory.EventReminderSent: "Herinnering verstuurd", trajectory.EventAlertSent: "Verwittiging aan verantwoordelijke",
		trajectory.EventClosed: "Afgesloten", trajectory.EventBirthRecorded: "Geboorte",
		trajectory.EventFollowUpExtended: "Opvolging verlengd", trajectory.EventHandoverRequested: "Overdracht gevraagd",
		trajectory.EventHandoverSent: "Overdracht verstuurd", trajectory.EventHandoverAcknowledged: "Overdracht bevestigd",
		trajectory.EventHandoverLinkExpired: "Link van de overdracht verlopen", trajectory.EventEmailFailed: "E-mail mislukt",
		trajectory.EventAssignmentNoticeSent: "Coach verwittigd", trajectory.EventHandoverResent: "Overdracht opnieuw verstuurd",
		trajectory.EventTimingsAdopted:   "Termijnen van het programma overgenomen",
		trajectory.EventMilestoneReached: "Mijlpaal bereikt", trajectory.EventCoWorkerAssigned: "Medewerker toegewezen",
		trajectory.EventVisitMoved: "Huisbezoek verplaatst", trajectory.EventVisitMissed: "Huisbezoek ging niet door",
		trajectory.EventActivityAttended: "Aanwezig op een activiteit",
		trajectory.EventPlanAgreed:       "Gezinsplan afgesproken", trajectory.EventActionDone: "Actie uit het gezinsplan gedaan",
		trajectory.EventGoalReached: "Doel bereikt", trajectory.EventGoalLetGo: "Doel losgelaten",
		trajectory.EventGoalReopened:  "Doel opnieuw open",
		trajectory.EventGoalsReviewed: "Doelen besproken", trajectory.EventNewDateRequested: "Gezin vraagt een andere datum",
		trajectory.EventSMSSent: "Sms aan het gezin verstuurd", trajectory.EventSMSFailed: "Sms aan het gezin mislukt",
	}[k]; ok {
		return l
	}
	return k
}

func closeReasonLabel(r trajectory.CloseReason) string {
	if l, ok := map[trajectory.CloseReason]string{
		trajectory.CloseGoalsReached: "doelen bereikt", trajectory.CloseMovedAway: "verhuisd",
		trajectory.CloseFamilyDeclined: "gezin wil niet verder", trajectory.CloseHandedOver: "overgedragen",
		trajectory.CloseOther: "andere reden",
	}[r]; ok {
		return l
	}
	return string(r)
}

var weekdays = []string{"zo", "ma", "di", "wo", "do", "vr", "za"}

// when writes a moment as a Flemish reader expects: "di 14-03 10:00".
func when(t *time.Time) string {
	if t == nil {
		return "—"
	}
	l := t.In(zone)
	return weekdays[l.Weekday()] + " " + l.Format("02-01-2006 15:04")
}

func shareLabel(s string) string {
	if l, ok := map[string]string{trajectory.ShareContact: "contactgegevens", trajectory.ShareChildren: "de kinderen", trajectory.SharePregnancy: "de zwangerschap"}[s]; ok {
		return l
	}
	return s
}
