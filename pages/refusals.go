package pages

import (
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// A refused step is said in Dutch from its code and args; the English
// message is the API's. Every code of trajectory.RefusalCodes has its
// sentence here (refusals_test.go fails otherwise).

// refusalArgs are a refusal's Args, as the sentences read them.
type refusalArgs map[string]string

// at writes an instant arg in Belgian time, as the pages do elsewhere; ""
// when it is missing.
func (a refusalArgs) at(key string) string {
	t, err := time.Parse(time.RFC3339, a[key])
	if err != nil {
		return ""
	}
	return when(&t)
}

// day writes a date arg (YYYY-MM-DD) as "wo 04-03-2026"; "" when it is missing.
func (a refusalArgs) day(key string) string {
	d, err := trajectory.ParseDate(a[key])
	if err != nil {
		return ""
	}
	return weekdays[d.Weekday()] + " " + d.Format("02-01-2006")
}

// or is the arg, or else the fallback.
func (a refusalArgs) or(key, fallback string) string {
	if v := a[key]; v != "" {
		return v
	}
	return fallback
}

// named is "Coach coach-a": what an id names, then the id; or else the fallback.
func (a refusalArgs) named(what, key, fallback string) string {
	if v := a[key]; v != "" {
		return what + " " + v
	}
	return fallback
}

// opt is before+v+after, or nothing when v is empty.
func opt(before, v, after string) string {
	if v == "" {
		return ""
	}
	return before + v + after
}

const noCoachYet = "Er is nog geen coach toegewezen: wijs eerst de vaste coach toe"

var dutch = map[trajectory.RefusalCode]func(a refusalArgs) string{
	trajectory.CodeVersionChanged: func(refusalArgs) string {
		return "Het traject is intussen gewijzigd. Bekijk het opnieuw voor u verder gaat."
	},
	trajectory.CodeTrajectoryClosed: func(a refusalArgs) string {
		return "Dit traject is afgesloten" + opt(" (", closeReasonLabel(trajectory.CloseReason(a[trajectory.ArgReason])), ")") + "; er kunnen geen stappen meer bij."
	},
	trajectory.CodeCoachRequired: func(refusalArgs) string { return "Kies de coach die u wilt toewijzen." },
	trajectory.CodeCoachAlreadyAssigned: func(a refusalArgs) string {
		return a.named("Coach", trajectory.ArgCoach, "Deze coach") + " is al de vaste coach van dit traject."
	},
	trajectory.CodeIntakeNeedsCoach: func(refusalArgs) string { return noCoachYet + ", dan de intake." },
	trajectory.CodeIntakeAlreadyRecorded: func(a refusalArgs) string {
		if at := a.at(trajectory.ArgDoneAt); at != "" {
			return "De intake werd al opgeslagen, op " + at + "."
		}
		return "De intake werd al eerder opgeslagen."
	},
	trajectory.CodeVisitBeforeIntake: func(refusalArgs) string {
		return "De intake is nog niet opgeslagen: huisbezoeken komen na de intake."
	},
	trajectory.CodeVisitNotPlanned: func(refusalArgs) string { return "In dit traject is geen huisbezoek gepland." },
	trajectory.CodeDoneAtInFuture: func(refusalArgs) string {
		return "Het tijdstip van het bezoek ligt in de toekomst: sla een bezoek op nadat het plaatsvond."
	},
	trajectory.CodeNextVisitNotInFuture: func(refusalArgs) string { return "Het volgende bezoek moet in de toekomst liggen." },
	trajectory.CodeNextVisitTooFar: func(refusalArgs) string {
		return "Het volgende bezoek moet binnen het jaar liggen; plan een vroeger bezoek."
	},
	trajectory.CodeDoneAtBeforeReferral: func(a refusalArgs) string {
		return "De intake" + opt(" (", a.at(trajectory.ArgDoneAt), ")") + " ligt vóór de doorverwijzing" + opt(" (", a.at(trajectory.ArgNotBefore), ")") + "."
	},
	trajectory.CodeDoneAtBeforeVisit: func(a refusalArgs) string {
		return "Dit bezoek" + opt(" (", a.at(trajectory.ArgDoneAt), ")") + " ligt vóór het vorige bezoek" + opt(" (", a.at(trajectory.ArgNotBefore), ")") + "."
	},
	trajectory.CodeCloseReasonRequired: func(refusalArgs) string { return "Kies de reden waarom het traject eindigt." },
	trajectory.CodeCloseReasonUnknown:  func(refusalArgs) string { return "Kies een reden uit de lijst." },
	trajectory.CodeCloseTextRequired: func(refusalArgs) string {
		return "Schrijf bij de reden ‘" + closeReasonLabel(trajectory.CloseOther) + "’ waarom het traject eindigt."
	},
	trajectory.CodeCloseHandoverNotAcked: func(refusalArgs) string {
		return "Afsluiten met de reden ‘" + closeReasonLabel(trajectory.CloseHandedOver) + "’ kan pas als een dienst een overdracht bevestigde."
	},
	trajectory.CodeHandoverNeedsCoach: func(refusalArgs) string {
		return noCoachYet + ": een overdracht noemt de coach als contactpersoon voor de dienst."
	},
	trajectory.CodeConsentMissing: func(refusalArgs) string {
		return "Noteer eerst de toestemming van het gezin (gegeven, en op welke datum) voor deze overdracht."
	},
	trajectory.CodeConsentShareUnknown: func(refusalArgs) string {
		return "Kies bij de toestemming alleen uit de lijst wat de dienst mag weten."
	},
	trajectory.CodeHandoverServiceMissing: func(refusalArgs) string { return "Kies een dienst uit de lijst." },
	trajectory.CodeHandoverReasonRequired: func(refusalArgs) string { return "Schrijf waarom u het gezin overdraagt." },
	trajectory.CodeHandoverUnknown: func(a refusalArgs) string {
		return "Dit traject heeft geen overdracht" + opt(" ", a[trajectory.ArgHandover], "") + "."
	},
	trajectory.CodeHandoverAlreadyAcknowledged: func(a refusalArgs) string {
		return "Overdracht" + opt(" ", a[trajectory.ArgHandover], "") + " werd al bevestigd" + opt(", op ", a.at(trajectory.ArgAcknowledgedAt), "") + "."
	},
	trajectory.CodeHandoverUndelivered: func(a refusalArgs) string {
		return "Overdracht" + opt(" ", a[trajectory.ArgHandover], "") + " kon niet worden bezorgd; de coach verstuurt ze opnieuw."
	},
	trajectory.CodeHandoverLinkExpired: func(a refusalArgs) string {
		return "De link van overdracht" + opt(" ", a[trajectory.ArgHandover], "") + " is verlopen" + opt(", op ", a.at(trajectory.ArgExpiredAt), "") + "."
	},
	trajectory.CodeHandoverNotResendable: func(a refusalArgs) string {
		return "Overdracht" + opt(" ", a[trajectory.ArgHandover], "") + " kan niet opnieuw worden verstuurd: alleen een overdracht waarvan de e-mail niet aankwam."
	},
	trajectory.CodeBirthAlreadyRecorded: func(refusalArgs) string { return "De geboorte werd al opgeslagen." },
	trajectory.CodeBirthNotExpected: func(a refusalArgs) string {
		return "In dit traject wordt geen geboorte verwacht: de doorverwijzing gaf geen uitgerekende datum, of programma " +
			a.or(trajectory.ArgProgramme, "van dit traject") + " heeft geen perinatale opvolging."
	},
	trajectory.CodeBirthDateRequired:     func(refusalArgs) string { return "Vul de geboortedatum in." },
	trajectory.CodeBirthDateInFuture:     func(refusalArgs) string { return "De geboortedatum ligt in de toekomst." },
	trajectory.CodeFollowUpNotExtendable: func(refusalArgs) string { return "Dit traject heeft geen perinatale opvolging om te verlengen." },
	trajectory.CodeExtensionNotAfterEnd: func(a refusalArgs) string {
		return "De nieuwe einddatum" + opt(" (", a.day(trajectory.ArgUntil), ")") + " moet na het huidige einde van de opvolging liggen" +
			opt(" (", a.day(trajectory.ArgFollowUpEnd), ")") + "."
	},
	trajectory.CodeExtensionReasonRequired: func(refusalArgs) string { return "Schrijf de reden van de verlenging." },
	trajectory.CodeBirthDateTooLongAgo: func(a refusalArgs) string {
		return "De geboortedatum ligt meer dan een jaar terug" + opt(" (vóór ", a.day(trajectory.ArgNotBefore), ")") + "; kijk de datum na."
	},
	trajectory.CodeExtensionNotInFuture: func(refusalArgs) string { return "De nieuwe einddatum van de opvolging moet in de toekomst liggen." },
	trajectory.CodeExtensionTooFar: func(a refusalArgs) string {
		last := a.day(trajectory.ArgNotAfter)
		if last == "" {
			last = "zes jaar na vandaag"
		}
		return "De opvolging kan hoogstens tot " + last + " verlengd worden; kies een vroegere datum."
	},
	trajectory.CodeTimingsIncomplete: func(a refusalArgs) string {
		return "De nieuwe termijnen zijn niet volledig" + opt(" (", a[trajectory.ArgTiming], " ontbreekt)") + "."
	},
	trajectory.CodeTimingsNeedPerinatal: func(refusalArgs) string {
		return "Dit traject volgt een zwangerschap: de nieuwe termijnen hebben een perinataal schema nodig."
	},
	trajectory.CodeTimingsMilestonesInvalid: func(a refusalArgs) string {
		return "De mijlpalen van de nieuwe termijnen kloppen niet" + opt(" (", a[trajectory.ArgField], ")") + "."
	},
	trajectory.CodeTimingsReasonRequired: func(refusalArgs) string { return "Schrijf waarom het traject nieuwe termijnen volgt." },
	trajectory.CodeNoMilestones:          func(refusalArgs) string { return "Het programma van dit traject heeft geen mijlpalen." },
	trajectory.CodeMilestoneUnknown: func(a refusalArgs) string {
		return a.named("Mijlpaal", trajectory.ArgMilestone, "Deze mijlpaal") + " hoort niet bij dit traject" +
			opt("; de mijlpalen zijn ", strings.ReplaceAll(a[trajectory.ArgMilestones], ",", ", "), "") + "."
	},
	trajectory.CodeMilestoneNeedsCoach: func(refusalArgs) string { return noCoachYet + ", dan een mijlpaal." },
	trajectory.CodeMilestoneAlreadyReached: func(a refusalArgs) string {
		return "Mijlpaal" + opt(" ", a[trajectory.ArgMilestone], "") + " werd al bereikt."
	},
	trajectory.CodeMilestoneNotOpen: func(a refusalArgs) string {
		return "Mijlpaal" + opt(" ", a[trajectory.ArgMilestone], "") + " volgt op " + a.or(trajectory.ArgAfter, "een andere") + ", die nog niet bereikt is."
	},
	trajectory.CodeMilestoneInFuture: func(refusalArgs) string {
		return "Het tijdstip van de mijlpaal ligt in de toekomst: sla een mijlpaal op zodra ze bereikt is."
	},
	trajectory.CodeMilestoneBeforeAfter: func(a refusalArgs) string {
		return "De mijlpaal" + opt(" (", a.at(trajectory.ArgDoneAt), ")") + " ligt vóór de mijlpaal die eraan voorafgaat" +
			opt(", ", a[trajectory.ArgAfter], "") + opt(" (", a.at(trajectory.ArgNotBefore), ")") + "."
	},
	trajectory.CodeCoWorkerRequired: func(refusalArgs) string { return "Noem de medewerker en diens rol." },
	trajectory.CodeCoWorkerIsCoach: func(a refusalArgs) string {
		return a.named("Medewerker", trajectory.ArgCoWorker, "Deze medewerker") + " is de coach van dit traject."
	},
	trajectory.CodeCoWorkerNotAssigned: func(a refusalArgs) string {
		return a.named("Medewerker", trajectory.ArgCoWorker, "Deze medewerker") + " is geen medewerker van dit traject."
	},
	trajectory.CodeCoWorkerAlreadyAssigned: func(a refusalArgs) string {
		return a.named("Medewerker", trajectory.ArgCoWorker, "Deze medewerker") + " is al medewerker van dit traject" + opt(" (", a[trajectory.ArgRole], ")") + "."
	},
	trajectory.CodeAttendanceIncomplete: func(refusalArgs) string {
		return "Een deelname noemt de activiteit, de soort en de datum."
	},
	trajectory.CodeVisitStepRequired: func(refusalArgs) string { return "Kies het geplande huisbezoek." },
	trajectory.CodeVisitStepNotOpen: func(refusalArgs) string {
		return "Dit huisbezoek staat niet meer open: open het traject opnieuw om het geplande bezoek te zien."
	},
	trajectory.CodeAppointmentRequired: func(refusalArgs) string { return "Vul de nieuwe afspraak met het gezin in." },
	trajectory.CodeMissedReasonRequired: func(refusalArgs) string {
		return "Kies waarom het bezoek niet doorging."
	},
	trajectory.CodeMissedReasonUnknown: func(refusalArgs) string {
		return "Kies een van de redenen waarom het bezoek niet doorging."
	},
	trajectory.CodeVisitTextTooLong: func(a refusalArgs) string {
		return visitFieldLabel(a[trajectory.ArgField]) + " is te lang" + opt(": ten hoogste ", a[trajectory.ArgMax], " tekens") + "."
	},
	trajectory.CodeVisitTextInvalid: func(a refusalArgs) string {
		return visitFieldLabel(a[trajectory.ArgField]) + " bevat tekens die niet in gewone tekst horen; typ de tekst opnieuw."
	},
	trajectory.CodeVisitAlreadyAt: func(a refusalArgs) string {
		return "Het huisbezoek staat al op dat tijdstip gepland" + opt(" (", a.at(trajectory.ArgDueAt), ")") + "."
	},

	// The family plan.
	trajectory.CodePlanNeedsCoach: func(refusalArgs) string { return noCoachYet + ", dan het gezinsplan." },
	trajectory.CodePlanNotAgreed:  func(refusalArgs) string { return "Er is nog geen gezinsplan afgesproken met het gezin." },
	trajectory.CodePlanAgreedOnRequired: func(refusalArgs) string {
		return "Vul de datum in waarop het gezin het plan goedkeurde."
	},
	trajectory.CodePlanAgreedOnInFuture: func(refusalArgs) string {
		return "De datum van goedkeuring ligt in de toekomst: leg het plan vast nadat het gezin het goedkeurde."
	},
	trajectory.CodePlanAgreedOnBeforePrevious: func(a refusalArgs) string {
		return "De datum van goedkeuring ligt voor die van het plan dat nu geldt" + opt(" (", a.at(trajectory.ArgNotBefore), ")") + "."
	},
	trajectory.CodePlanGoalsRequired: func(refusalArgs) string {
		return "Het plan heeft minstens één doel nodig, in de woorden van het gezin."
	},
	trajectory.CodePlanTooMany: func(a refusalArgs) string {
		return planFieldLabel(a[trajectory.ArgField]) + ": te veel" + opt(" (ten hoogste ", a[trajectory.ArgMax], ")") + "."
	},
	trajectory.CodePlanIDRequired: func(a refusalArgs) string {
		return "Kies " + strings.ToLower(planFieldLabel(a[trajectory.ArgField])) + "."
	},
	trajectory.CodePlanIDInvalid: func(refusalArgs) string {
		return "Een doel, actie of dienst heeft een ongeldige code: laat die leeg voor een nieuwe."
	},
	trajectory.CodePlanIDDuplicate: func(refusalArgs) string {
		return "Twee doelen, acties of diensten hebben dezelfde code."
	},
	trajectory.CodePlanTextRequired: func(a refusalArgs) string {
		return planFieldLabel(a[trajectory.ArgField]) + " is verplicht."
	},
	trajectory.CodePlanTextTooLong: func(a refusalArgs) string {
		return planFieldLabel(a[trajectory.ArgField]) + " is te lang" + opt(": ten hoogste ", a[trajectory.ArgMax], " tekens") + "."
	},
	trajectory.CodePlanTextInvalid: func(a refusalArgs) string {
		return planFieldLabel(a[trajectory.ArgField]) + " mag alleen gewone tekst bevatten, zonder onzichtbare tekens."
	},
	trajectory.CodePlanDateInFuture: func(a refusalArgs) string {
		return planFieldLabel(a[trajectory.ArgField]) + " ligt in de toekomst."
	},
	trajectory.CodeGoalDomainRequired: func(refusalArgs) string { return "Kies het levensdomein van elk doel." },
	trajectory.CodeGoalDomainUnknown: func(refusalArgs) string {
		return "Een doel staat in een levensdomein dat dit programma niet kent."
	},
	trajectory.CodeGoalStatusUnknown: func(refusalArgs) string {
		return "Kies of het doel open staat, bereikt is of losgelaten werd."
	},
	trajectory.CodeGoalLetGoReasonRequired: func(refusalArgs) string {
		return "Schrijf samen met het gezin waarom het doel losgelaten wordt."
	},
	trajectory.CodeGoalUnknown: func(a refusalArgs) string {
		return a.named("Doel", trajectory.ArgGoal, "Dit doel") + " staat niet in het gezinsplan."
	},
	trajectory.CodeGoalStatusUnchanged: func(a refusalArgs) string {
		return a.named("Doel", trajectory.ArgGoal, "Dit doel") + " staat al zo" + opt(" (", goalStatusLabel(trajectory.GoalStatus(a[trajectory.ArgStatus])), ")") + "."
	},
	trajectory.CodeActionOwnerUnknown: func(refusalArgs) string {
		return "Kies wie de actie doet: het gezin, de coach, een medewerker of een dienst."
	},
	trajectory.CodeActionOwnerIDRequired: func(refusalArgs) string {
		return "Kies welke medewerker of welke dienst de actie doet."
	},
	trajectory.CodeActionOwnerIDUnexpected: func(refusalArgs) string {
		return "Een actie van het gezin of de coach noemt geen medewerker of dienst."
	},
	trajectory.CodeActionServiceUnknown: func(refusalArgs) string {
		return "De dienst van een actie staat niet bij de diensten rond het gezin: voeg die eerst toe."
	},
	trajectory.CodeActionDueInPast: func(refusalArgs) string {
		return "De datum van een actie ligt in het verleden: spreek een datum af die nog komt."
	},
	trajectory.CodeActionDueTooFar: func(refusalArgs) string {
		return "De datum van een actie ligt meer dan een jaar ver: spreek een nabijere datum af."
	},
	trajectory.CodeActionUnknown: func(a refusalArgs) string {
		return "Deze actie staat niet in het gezinsplan" + opt(" (doel ", a[trajectory.ArgGoal], ")") + "."
	},
	trajectory.CodeActionAlreadyDone: func(a refusalArgs) string {
		return "Deze actie is al gedaan" + opt(", op ", a.at(trajectory.ArgDoneAt), "") + "."
	},
}

// refusedUnknown is what a refusal without a Dutch sentence says: one from
// a worker older than the codes, during a rolling upgrade.
const refusedUnknown = "Deze stap kan nu niet worden opgeslagen. Open het traject opnieuw om te zien waar het staat."

// say is a refusal in Dutch; known is false when it has no sentence.
func say(r trajectory.Refusal) (text string, known bool) {
	f, ok := dutch[r.Code]
	if !ok {
		return refusedUnknown, false
	}
	return f(r.Args), true
}

// sayCode is the sentence of a code without args, for the checks the
// pages make themselves before a step is sent.
func sayCode(c trajectory.RefusalCode) string {
	text, _ := say(trajectory.Refusal{Code: c})
	return text
}

// sayRejected is a refused step in Dutch: each of its refusals.
func sayRejected(e *usecase.RejectedError) (text string, known bool) {
	text, known = say(e.Refusal)
	for _, r := range e.Also {
		t, k := say(r)
		text, known = text+" "+t, known && k
	}
	return text, known
}

// problems says what the shared rules found wrong with a form, in Dutch.
func problems(ps []trajectory.Problem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i], _ = say(p.Refusal())
	}
	return strings.Join(parts, " ")
}

// visitFieldLabel names a field of a moved or missed visit's form.
func visitFieldLabel(field string) string {
	switch field {
	case "reason":
		return "De reden"
	case "note":
		return "De notitie"
	}
	return "De tekst"
}

// planFieldLabel names a field of the family plan in Dutch, by the last
// part of its path ("plan.goals[0].text").
func planFieldLabel(field string) string {
	last := field
	if i := strings.LastIndex(field, "."); i >= 0 {
		last = field[i+1:]
	}
	if i := strings.Index(last, "["); i >= 0 {
		last = last[:i]
	}
	if l, ok := map[string]string{
		"text": "De tekst van een doel", "what": "Wat er afgesproken is", "strengths": "Een sterkte van het gezin",
		"service": "De dienst", "contact": "De contactpersoon", "since": "De datum sinds wanneer",
		"due": "De datum van een actie", "done": "De datum waarop een actie gedaan werd", "done_at": "De datum waarop de actie gedaan werd",
		"message": "Het bericht", "outcome": "Het resultaat van een doel", "outcomes": "Het resultaat van een doel",
		"let_go_reason": "De reden", "reason": "De reden", "goals": "Doelen", "actions": "Acties", "network": "Diensten rond het gezin",
		"goal": "Het doel", "action": "De actie", "at": "Het moment van bespreking",
	}[last]; ok {
		return l
	}
	if strings.HasPrefix(field, "outcomes.") {
		return "Het resultaat van een doel"
	}
	return "Een tekst van het gezinsplan"
}

// goalStatusLabel names a goal's status in Dutch.
func goalStatusLabel(s trajectory.GoalStatus) string {
	if l, ok := map[trajectory.GoalStatus]string{
		trajectory.GoalOpen: "open", trajectory.GoalReached: "bereikt", trajectory.GoalLetGo: "losgelaten",
	}[s]; ok {
		return l
	}
	return ""
}
