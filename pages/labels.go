package pages

import (
	"time"
	_ "time/tzdata" // Belgian time also where the system has no zone data

	"elkgezin/trajectory"
)

var zone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return loc
}()

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

func stepLabel(s string) string {
	kind := s
	for i := range s {
		if s[i] == ':' || s[i] == '/' || s[i] == '#' {
			kind = s[:i]
			break
		}
	}
	if l, ok := map[string]string{
		"assignment": "coach toewijzen", "intake": "intake", "home_visit": "huisbezoek", "birth": "geboorte",
		"follow_up_end": "einde opvolging", "handover_ack": "bevestiging overdracht",
	}[kind]; ok {
		return l
	}
	return s
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
		trajectory.EventTimingsAdopted: "Termijnen van het programma overgenomen",
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
