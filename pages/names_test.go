package pages

import (
	"testing"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestTimelineSaysToWhomAndForWhichStep: every reminder and alert names
// its recipient by role and name and its step in words; actors are
// people's and organisations' names; nothing falls back to an id.
func TestTimelineSaysToWhomAndForWhichStep(t *testing.T) {
	n := names{progs: programme.Catalogue{"p": {ID: "p", Name: "Huizeke",
		Referrers:  []programme.Organisation{{ID: "ocmw", Name: "OCMW Leuven"}},
		Coaches:    []programme.Coach{{ID: "an", Name: "An Peeters"}},
		CoWorkers:  []programme.CoWorker{{ID: "lies", Name: "Lies Jacobs", Role: "ervaringsdeskundige"}},
		Milestones: []programme.Milestone{{ID: "stage", Name: "Stage in de kinderopvang"}}}},
		services: programme.Services{"caw": {ID: "caw", Name: "CAW Oost-Brabant"}}}
	ev := func(kind string, d map[string]string) store.EventRow { return store.EventRow{Kind: kind, Detail: d} }
	for _, c := range []struct {
		e    store.EventRow
		want string
	}{
		{ev(trajectory.EventReminderSent, map[string]string{"step": "home_visit-2", "to": "coach:an"}), "Herinnering aan de coach, An Peeters: huisbezoek 2"},
		{ev(trajectory.EventReminderSent, map[string]string{"step": "milestone-stage", "to": "co_worker:lies", "copy": "true"}),
			"Herinnering aan Lies Jacobs (ervaringsdeskundige) (kopie): mijlpaal Stage in de kinderopvang"},
		{ev(trajectory.EventReminderSent, map[string]string{"step": "handover_ack-1", "to": "service:caw"}), "Herinnering aan de dienst CAW Oost-Brabant: bevestiging van overdracht 1"},
		{ev(trajectory.EventAlertSent, map[string]string{"step": "handover_ack-1", "to": "coach:an", "notice": "alert"}), "Verwittiging aan de coach, An Peeters: bevestiging van overdracht 1"},
		{ev(trajectory.EventAlertSent, map[string]string{"step": "intake", "to": "supervisor", "notice": "alert"}), "Verwittiging aan de teamverantwoordelijke: intake"},
		{ev(trajectory.EventAlertSent, map[string]string{"step": "handover_ack-1", "to": "supervisor", "notice": "email_failed"}),
			"Verwittiging aan de teamverantwoordelijke over een e-mail die niet aankwam: bevestiging van overdracht 1"},
		{ev(trajectory.EventCoachAssigned, map[string]string{"coach": "an"}), "Coach toegewezen: An Peeters"},
		{ev(trajectory.EventMilestoneReached, map[string]string{"milestone": "stage"}), "Mijlpaal bereikt: Stage in de kinderopvang"},
		{ev(trajectory.EventHandoverSent, map[string]string{"handover": "1", "service": "caw"}), "Overdracht verstuurd (CAW Oost-Brabant)"},
		{ev(trajectory.EventCoWorkerAssigned, map[string]string{"co_worker": "lies", "role": "ervaringsdeskundige"}), "Medewerker toegewezen: Lies Jacobs (ervaringsdeskundige)"},
		{ev(trajectory.EventCoWorkerAssigned, map[string]string{"co_worker": "lies", "removed": "true"}), "Medewerker weggehaald: Lies Jacobs (ervaringsdeskundige)"},
		{ev(trajectory.EventVisitMoved, map[string]string{"step": "home_visit-2"}), "Huisbezoek verplaatst"},
		{ev(trajectory.EventVisitMissed, map[string]string{"step": "home_visit-2", "reason": "not_home"}), "Huisbezoek ging niet door"},
		{ev(trajectory.EventActivityAttended, map[string]string{"kind": "babymassage"}), "Aanwezig op een activiteit: babymassage"},
		{ev("some_future_kind", nil), "Andere gebeurtenis"},
	} {
		if got := n.Event("p", c.e); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.e.Kind, c.e.Detail, got, c.want)
		}
	}
	for actor, want := range map[string]string{"coach:an": "An Peeters", "partner:ocmw": "OCMW Leuven", "supervisor:sup": "de teamverantwoordelijke",
		"elkgezin": "automatisch", "service": "een dienst", "co_worker:lies": "Lies Jacobs (ervaringsdeskundige)", "coach:gone": "een coach die niet meer in het programma staat"} {
		if got := n.Actor("p", actor); got != want {
			t.Errorf("actor %s: %q, want %q", actor, got, want)
		}
	}
	if got := n.Programme("p"); got != "Huizeke" {
		t.Errorf("programme: %q", got)
	}
}
