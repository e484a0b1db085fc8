package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/elkgezin/elkgezin/apiclient"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

// The programmes of the test, as deploy/programmes has them: Leuven's
// pregnancy guidance with bridge figures, and the school-gate tandem of
// Vrienden van het Huizeke with its expert by experience and a milestone.
const (
	leuven  = "leuven-lampeke-perinataal"
	huizeke = "vrienden-van-het-huizeke"
)

// TestRolesOnThePages: in a real headless Chromium (nl-BE), people of two
// programmes of deploy/programmes sign in with tokens made as an operator
// makes them and, together, take on the pages every step of the step table
// (usecase.Steps) that is not the partners' own: a supervisor assigns the
// coaches from /team (and is back on /team), assigns the co-workers,
// extends follow-up, adopts the programme's timings and reads the team's
// charts; Leuven's coach does the intake, a home visit, moves the planned
// visit, records one that did not take place, records the birth, hands
// the family over (the email is refused), sends the handover again and
// closes the trajectory with confirmation; Huizeke's coach records a
// milestone and a collective activity with the families present; a
// bridge figure records a visit on its family and is refused, in Dutch
// and without a form, a step its role is not given; an expert by
// experience records a consultation at the school gate. Every step is
// checked in the database's rows, and every page at 360 and 1280 px: no
// horizontal overflow, no step key or actor id in its text, axe-core clean.
func TestRolesOnThePages(t *testing.T) {
	s := startStack(t)
	const (
		coachL  = "coach:lampeke-1"
		coachH  = "coach:maatschappelijk-werker-huizeke-1"
		brug    = "co_worker:brugfiguur-lampeke-1"
		expert  = "co_worker:ervaringsdeskundige-huizeke-1"
		sup     = "supervisor:coordinatie-rollen"
		partner = "partner:buurtwerk-lampeke"
		school  = "partner:basisschool-huizeke"
	)
	for actor, prog := range map[string]string{coachL: leuven, brug: leuven, coachH: huizeke, expert: huizeke} {
		s.tokenIn(actor, prog)
	}
	// One supervisor of both programmes.
	s.tokens[sup] = strings.TrimSpace(s.run("token", "create", "--kind", "supervisor", "--subject", "coordinatie-rollen",
		"--programme", leuven, "--programme", huizeke, "--label", "e2e"))

	today := time.Now()
	pregnancy := s.referIn(partner, leuven, "ROLLEN-L1", "Lotte Lampekegezin", today.AddDate(0, 0, 60).Format(time.DateOnly))
	gate := s.referIn(school, huizeke, "ROLLEN-H1", "Hanna Huizekegezin", "")
	gate2 := s.referIn(school, huizeke, "ROLLEN-H2", "Hamid Schoolpoortgezin", "")

	// done is which steps of the table a role took on the pages, each
	// once its row is in the database.
	done := map[string]string{}
	did := func(step, role string) {
		if _, ok := usecase.StepNamed(step); !ok {
			t.Fatalf("%s is no step of the table", step)
		}
		done[step] = role
	}

	// The supervisor assigns the coaches from /team, and is back on /team.
	supervisor := rolesBrowser(t)
	s.signIn(t, supervisor, s.token(sup))
	mustRun(t, supervisor, chromedp.Navigate(s.apiURL+"/team"), chromedp.WaitVisible(`#wachtend`, chromedp.ByQuery))
	s.checkRolePage(t, supervisor, "rollen-team")
	for id, coach := range map[string]string{pregnancy: "lampeke-1", gate: "maatschappelijk-werker-huizeke-1", gate2: "maatschappelijk-werker-huizeke-1"} {
		var where, class, outcome string
		mustRun(t, supervisor,
			chromedp.Navigate(s.apiURL+"/team"), chromedp.WaitVisible(`#coach-`+id, chromedp.ByQuery),
			chromedp.SetValue(`#coach-`+id, coach, chromedp.ByQuery),
			chromedp.Submit(`#coach-`+id, chromedp.ByQuery),
			chromedp.WaitVisible(`#uitkomst`, chromedp.ByQuery),
			chromedp.Location(&where),
			chromedp.Evaluate(`document.querySelector('#uitkomst').className`, &class),
			chromedp.Text(`#uitkomst`, &outcome, chromedp.ByQuery))
		if !strings.Contains(where, "/team") || !strings.Contains(class, "done") {
			t.Fatalf("assigning %s from /team: at %s, %q", id, where, outcome)
		}
		s.eventBy(id, "coach_assigned", sup)
	}
	s.checkRolePage(t, supervisor, "rollen-team-toegewezen")
	did(usecase.StepAssign, "supervisor")

	// The supervisor assigns Leuven's bridge figure and Huizeke's expert by experience.
	s.step(t, supervisor, pregnancy, "medewerker", map[string]string{"#co_worker": "brugfiguur-lampeke-1"})
	s.checkRolePage(t, supervisor, "rollen-medewerker-leuven")
	s.step(t, supervisor, gate, "medewerker", map[string]string{"#co_worker": "ervaringsdeskundige-huizeke-1"})
	s.checkRolePage(t, supervisor, "rollen-medewerker-huizeke")
	s.eventBy(pregnancy, "co_worker_assigned", sup)
	s.eventBy(gate, "co_worker_assigned", sup)
	did(usecase.StepAssignCoWorker, "supervisor")

	// Leuven's coach: intake, a home visit, the planned visit moved, one
	// that did not take place.
	coach := rolesBrowser(t)
	s.signIn(t, coach, s.token(coachL))
	s.checkRolePage(t, coach, "rollen-coach-gezinnen")
	s.step(t, coach, pregnancy, "intake", map[string]string{"#intake-next": local(today.Add(2 * time.Hour)), "#intake-note": "kennismaking, zwanger van het tweede kind"})
	s.checkRolePage(t, coach, "rollen-intake")
	s.eventBy(pregnancy, "intake_done", coachL)
	did(usecase.StepIntake, "coach")
	s.step(t, coach, pregnancy, "bezoek", map[string]string{"#bezoek-next": local(today.Add(3 * time.Hour)), "#bezoek-note": "babykamer klaar"})
	s.checkRolePage(t, coach, "rollen-bezoek")
	s.eventBy(pregnancy, "home_visit_done", coachL)
	did(usecase.StepVisit, "coach")
	s.step(t, coach, pregnancy, "verplaatsen", map[string]string{"#move-to": local(today.Add(26 * time.Hour)), "#move-reason": "mama moet naar de vroedvrouw"})
	s.checkRolePage(t, coach, "rollen-verplaatst")
	s.eventBy(pregnancy, "visit_moved", coachL)
	did(usecase.StepMoveVisit, "coach")
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(`#f-gemist`, chromedp.ByQuery),
		chromedp.Click(`input[name=reason][value=not_home]`, chromedp.ByQuery),
		chromedp.SetValue(`#missed-next`, local(today.Add(50*time.Hour)), chromedp.ByQuery),
		chromedp.SetValue(`#missed-note`, "briefje in de bus", chromedp.ByQuery),
		chromedp.Submit(`#missed-next`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if !strings.Contains(outerHTML(t, coach), "Het gemiste huisbezoek en de nieuwe afspraak zijn opgeslagen.") {
		t.Fatal("the missed visit was not recorded")
	}
	s.checkRolePage(t, coach, "rollen-gemist")
	s.eventBy(pregnancy, "visit_missed", coachL)
	did(usecase.StepMissedVisit, "coach")

	// The family plan, agreed with the family at the visit: an action of
	// the coach and one of the bridge figure; at the next visit the
	// coach's action is done and the goal reached.
	s.step(t, coach, pregnancy, "gezinsplan", map[string]string{"#plan-domain": "childcare_school", "#plan-goal-text": "Opvang voor de oudste als de baby er is",
		"#plan-what-1": "Inschrijven bij de kinderopvang", "#plan-owner-1": "coach", "#plan-due-1": today.AddDate(0, 0, 7).Format(time.DateOnly),
		"#plan-what-2": "Mee naar het eerste gesprek", "#plan-owner-2": "co_worker:brugfiguur-lampeke-1", "#plan-agreed": today.Format(time.DateOnly)})
	s.checkRolePage(t, coach, "rollen-gezinsplan")
	s.eventBy(pregnancy, "plan_agreed", coachL)
	did(usecase.StepAgreePlan, "coach")
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(`form[action$="/actie-gedaan"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/actie-gedaan"] button`, chromedp.ByQuery), chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if !strings.Contains(outerHTML(t, coach), "De actie is als gedaan opgeslagen.") {
		t.Fatal("the coach's action was not recorded done")
	}
	s.eventBy(pregnancy, "plan_action_done", coachL)
	did(usecase.StepActionDone, "coach")
	// The goals gone over with the family at the visit.
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(`#f-doelen-besproken`, chromedp.ByQuery),
		chromedp.Submit(`form[action$="/doelen-besproken"] button`, chromedp.ByQuery), chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if !strings.Contains(outerHTML(t, coach), "De bespreking van de doelen is opgeslagen.") {
		t.Fatal("the review of the goals was not recorded")
	}
	s.checkRolePage(t, coach, "rollen-doelen-besproken")
	s.eventBy(pregnancy, "goals_reviewed", coachL)
	did(usecase.StepReviewGoals, "coach")
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(`#h-plan`, chromedp.ByQuery),
		chromedp.Click(`ul.goals details > summary`, chromedp.ByQuery), chromedp.Click(`input[name=status][value=reached]`, chromedp.ByQuery),
		chromedp.Submit(`input[name=status][value=reached]`, chromedp.ByQuery), chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if !strings.Contains(outerHTML(t, coach), "De stand van het doel is opgeslagen.") {
		t.Fatal("the goal was not recorded reached")
	}
	s.checkRolePage(t, coach, "rollen-doel-bereikt")
	s.eventBy(pregnancy, "goal_reached", coachL)
	did(usecase.StepGoalStatus, "coach")

	// The family's own page: the coach makes its link with the family's
	// consent, from the trajectory's page, in French.
	familyLink := `a[href="/gezinslink/` + pregnancy + `"]`
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(familyLink, chromedp.ByQuery),
		chromedp.Click(familyLink, chromedp.ByQuery), chromedp.WaitVisible(`#f-gezinslink`, chromedp.ByQuery),
		chromedp.SetValue(`#channel`, "in_person", chromedp.ByQuery), chromedp.SetValue(`#language`, "fr", chromedp.ByQuery),
		chromedp.Submit(`#language`, chromedp.ByQuery), chromedp.WaitVisible(`#gezinslink, #fout`, chromedp.ByQuery))
	var linkURL string
	mustRun(t, coach, chromedp.Value(`#gezinslink`, &linkURL, chromedp.ByQuery))
	if !strings.Contains(linkURL, "/v1/family/") {
		t.Fatalf("the family's link: %q", linkURL)
	}
	s.checkRolePage(t, coach, "rollen-gezinslink")
	s.familyLink(pregnancy, "fr", coachL, false)
	did(usecase.StepFamilyLink, "coach")

	// The bridge figure, with a token of its own, finds its family and
	// records a contact; the steps its role is not given have no form,
	// and one sent all the same is refused in Dutch.
	bridge := rolesBrowser(t)
	s.signIn(t, bridge, s.token(brug))
	s.checkRolePage(t, bridge, "rollen-brugfiguur-gezinnen")
	if html := outerHTML(t, bridge); !strings.Contains(html, "Lotte Lampekegezin") {
		t.Error("the bridge figure's list lacks its family")
	}
	mustRun(t, bridge, chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(`#f-bezoek`, chromedp.ByQuery))
	s.checkRolePage(t, bridge, "rollen-brugfiguur-traject")
	html := outerHTML(t, bridge)
	for _, step := range []string{"intake", "geboorte", "overdracht", "afsluiting", "mijlpaal", "medewerker", "verlenging", "termijnen", "toewijzing", "gezinsplan", "doel-status"} {
		if strings.Contains(html, `action="/trajecten/`+pregnancy+`/`+step+`"`) {
			t.Errorf("the bridge figure is shown the form of %s", step)
		}
	}
	s.step(t, bridge, pregnancy, "bezoek", map[string]string{"#bezoek-note": "samen naar het consultatiebureau"})
	s.checkRolePage(t, bridge, "rollen-brugfiguur-bezoek")
	s.eventBy(pregnancy, "home_visit_done", brug)
	var refusal string
	mustRun(t, bridge,
		chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(`#f-bezoek`, chromedp.ByQuery),
		// A closure as an old page or a crafted form would send it.
		chromedp.Evaluate(`(() => { const f = document.createElement('form'); f.method = 'post'; f.action = '/trajecten/`+pregnancy+`/afsluiting';
			for (const [n, v] of [['csrf', document.querySelector('input[name=csrf]').value], ['key', 'brug-sluit'], ['reason', 'goals_reached'], ['bevestigd', 'ja']]) {
				const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i) }
			document.body.appendChild(f); f.submit() })()`, nil),
		chromedp.WaitVisible(`h1`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#f-bezoek`, chromedp.ByQuery),
		chromedp.Text(`main`, &refusal, chromedp.ByQuery))
	if !strings.Contains(refusal, "Als brugfiguur kunt u deze stap (traject afsluiten) niet zetten") || strings.Contains(outerHTML(t, bridge), `name="reason"`) {
		t.Errorf("the bridge figure's closure is answered with %q", refusal)
	}
	s.checkRolePage(t, bridge, "rollen-brugfiguur-geweigerd")
	s.noEvent(pregnancy, "closed")

	// The birth; the supervisor extends the follow-up it set.
	s.step(t, coach, pregnancy, "geboorte", map[string]string{"#born_on": today.Format(time.DateOnly), "#child_name": "Mila"})
	s.checkRolePage(t, coach, "rollen-geboorte")
	s.eventBy(pregnancy, "birth_recorded", coachL)
	did(usecase.StepBirth, "coach")
	s.step(t, supervisor, pregnancy, "verlenging", map[string]string{"#until": today.AddDate(2, 0, 0).Format(time.DateOnly), "#ext_reason": "broertje met zorgnoden"})
	s.checkRolePage(t, supervisor, "rollen-verlenging")
	s.eventBy(pregnancy, "follow_up_extended", sup)
	did(usecase.StepExtendFollowUp, "supervisor")
	s.step(t, supervisor, pregnancy, "termijnen", map[string]string{"#timings-reason": "het programmabestand kreeg nieuwe termijnen"})
	s.checkRolePage(t, supervisor, "rollen-termijnen")
	s.eventBy(pregnancy, "programme_timings_adopted", sup)
	did(usecase.StepAdoptTimings, "supervisor")

	// A handover whose email the service's server refuses, sent again.
	s.smtp.RejectRecipient("service@test.example", 550)
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(`#f-overdracht`, chromedp.ByQuery),
		chromedp.SetValue(`#service`, "test-service", chromedp.ByQuery),
		chromedp.Click(`input[name=consent_given]`, chromedp.ByQuery),
		chromedp.SetValue(`#recorded_on`, today.Format(time.DateOnly), chromedp.ByQuery),
		chromedp.Click(`input[name=shares][value=contact]`, chromedp.ByQuery),
		chromedp.SetValue(`#handover_reason`, "hulp bij kinderopvang", chromedp.ByQuery),
		chromedp.Submit(`#handover_reason`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if !strings.Contains(outerHTML(t, coach), "De overdracht is verstuurd.") {
		t.Fatal("the handover was not recorded")
	}
	s.checkRolePage(t, coach, "rollen-overdracht")
	s.eventBy(pregnancy, "handover_requested", coachL)
	did(usecase.StepHandOver, "coach")
	s.waitEvent(pregnancy, "email_failed", 1, time.Minute)
	s.smtp.RejectRecipient("service@test.example", 0)
	resend := `form[action$="/overdracht-opnieuw"] button`
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+pregnancy), chromedp.WaitVisible(resend, chromedp.ByQuery))
	s.checkRolePage(t, coach, "rollen-overdracht-mislukt")
	mustRun(t, coach, chromedp.Click(resend, chromedp.ByQuery), chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if !strings.Contains(outerHTML(t, coach), "De overdracht is opnieuw verstuurd.") {
		t.Fatal("the resend was not recorded")
	}
	s.checkRolePage(t, coach, "rollen-overdracht-opnieuw")
	s.eventBy(pregnancy, "handover_resent", coachL)
	s.waitEvent(pregnancy, "handover_sent", 1, time.Minute)
	did(usecase.StepResend, "coach")

	// Huizeke: the coach records the milestone and a group activity.
	coach2 := rolesBrowser(t)
	s.signIn(t, coach2, s.token(coachH))
	s.checkRolePage(t, coach2, "rollen-coach-huizeke-gezinnen")
	for _, id := range []string{gate, gate2} {
		s.step(t, coach2, id, "intake", map[string]string{"#intake-next": local(today.Add(5 * time.Hour))})
	}
	mustRun(t, coach2, chromedp.Navigate(s.apiURL+"/trajecten/"+gate), chromedp.WaitVisible(`#f-mijlpaal`, chromedp.ByQuery))
	s.checkRolePage(t, coach2, "rollen-mijlpalen")
	s.step(t, coach2, gate, "mijlpaal", map[string]string{"#milestone-note": "mama belde zelf het OCMW"})
	s.checkRolePage(t, coach2, "rollen-mijlpaal")
	s.eventBy(gate, "milestone_reached", coachH)
	did(usecase.StepMilestone, "coach")
	mustRun(t, coach2,
		chromedp.Navigate(s.apiURL+"/activiteiten"), chromedp.WaitVisible(`#kind`, chromedp.ByQuery),
		chromedp.SetValue(`#held_on`, today.Format(time.DateOnly), chromedp.ByQuery),
		chromedp.SetValue(`#kind`, "ontbijt aan de schoolpoort", chromedp.ByQuery),
		chromedp.Click(`input[name=trajectories][value=`+gate+`]`, chromedp.ByQuery),
		chromedp.Click(`input[name=trajectories][value=`+gate2+`]`, chromedp.ByQuery),
		chromedp.Submit(`#kind`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if text := outerHTML(t, coach2); !strings.Contains(text, "De activiteit is opgeslagen bij 2 gezinnen.") {
		t.Fatal("the activity was not recorded")
	}
	s.checkRolePage(t, coach2, "rollen-activiteit")
	s.eventBy(gate, "activity_attended", coachH)
	s.eventBy(gate2, "activity_attended", coachH)
	did(usecase.StepCollectiveActivity, "coach")

	// The expert by experience, at the school gate.
	exp := rolesBrowser(t)
	s.signIn(t, exp, s.token(expert))
	s.checkRolePage(t, exp, "rollen-ervaringsdeskundige-gezinnen")
	if html := outerHTML(t, exp); !strings.Contains(html, "Hanna Huizekegezin") || strings.Contains(html, "Hamid Schoolpoortgezin") {
		t.Error("the expert by experience's list is not the family assigned to them")
	}
	mustRun(t, exp,
		chromedp.Navigate(s.apiURL+"/consultaties"), chromedp.WaitVisible(`#situation`, chromedp.ByQuery),
		chromedp.SetValue(`#situation`, "Papa begrijpt de brief van de school niet.", chromedp.ByQuery),
		chromedp.SetValue(`#advice`, "Samen naar het Huis van het Kind.", chromedp.ByQuery),
		chromedp.SetValue(`#organisation`, "basisschool-huizeke", chromedp.ByQuery),
		chromedp.Submit(`#advice`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if !strings.Contains(outerHTML(t, exp), "De consultatie is opgeslagen.") {
		t.Fatal("the consultation was not recorded")
	}
	s.checkRolePage(t, exp, "rollen-consultatie")
	consultation := s.consultationBy(huizeke, expert)
	did(usecase.StepConsultation, "expert by experience")
	// The tandem's coach turns it into a referral on the page, on behalf of
	// the school it concerns, with the family's consent: the trajectory's
	// referrer is the school, its referred event names the coach.
	referForm := `form[action="/consultaties/` + consultation + `/consultatie-doorverwijzing"]`
	mustRun(t, coach2,
		chromedp.Navigate(s.apiURL+"/consultaties"), chromedp.WaitReady(referForm, chromedp.ByQuery),
		chromedp.Click(`details:has(`+referForm+`) summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#contact_name-`+consultation, chromedp.ByQuery),
		chromedp.Click(referForm+` input[name=consent]`, chromedp.ByQuery),
		chromedp.SetValue(`#contact_name-`+consultation, "Nadia Schoolpoortgezin", chromedp.ByQuery),
		chromedp.SetValue(`#phone-`+consultation, "+32 470 44 55 66", chromedp.ByQuery),
		chromedp.SetValue(`#reason-`+consultation, "brieven van de school begrijpen", chromedp.ByQuery),
		chromedp.Submit(`#reason-`+consultation, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if html := outerHTML(t, coach2); !strings.Contains(html, "Het gezin is doorverwezen.") {
		t.Fatalf("the coach's referral after the consultation:\n%s", html)
	}
	s.checkRolePage(t, coach2, "rollen-consultatie-doorverwijzing")
	db := s.db()
	var referred, referrer string
	if err := db.QueryRow(context.Background(), `SELECT id, referrer_org FROM trajectories WHERE consultation_id = $1`, consultation).Scan(&referred, &referrer); err != nil || referrer != "basisschool-huizeke" {
		t.Fatalf("the trajectory of the consultation's referral: %q %q (%v)", referred, referrer, err)
	}
	db.Close(context.Background())
	s.eventBy(referred, "referred", coachH)
	did(usecase.StepReferConsultation, "coach")
	var list string
	mustRun(t, exp, chromedp.Navigate(s.apiURL+"/consultaties"), chromedp.WaitVisible(`ul.consultations`, chromedp.ByQuery),
		chromedp.Text(`ul.consultations`, &list, chromedp.ByQuery))
	if !strings.Contains(list, "Doorverwezen") || strings.Contains(list, "brief van de school") {
		t.Errorf("the referred consultation is listed as %q", list)
	}
	s.checkRolePage(t, exp, "rollen-consultatie-doorverwezen")

	// A consultation the team recorded before a partner was required (the
	// store's row as it was then): the supervisor names the partner it
	// concerns on /consultaties.
	old, err := s.keyedStore().CreateConsultation(context.Background(), store.Consultation{ProgrammeID: huizeke, RecordedBy: coachH,
		Situation: "Mama zoekt hulp bij de schoolfactuur.", Advice: "Vraag een afbetalingsplan aan de school."})
	if err != nil {
		t.Fatal(err)
	}
	unnamed := old.ID
	form := `form[action="/consultaties/` + unnamed + `/consultatie-partner"]`
	mustRun(t, supervisor, chromedp.Navigate(s.apiURL+"/consultaties"), chromedp.WaitVisible(form, chromedp.ByQuery))
	s.checkRolePage(t, supervisor, "rollen-consultaties-supervisor")
	mustRun(t, supervisor,
		chromedp.SetValue(`#organisation-`+unnamed, "basisschool-huizeke", chromedp.ByQuery),
		chromedp.Submit(`#organisation-`+unnamed, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if html := outerHTML(t, supervisor); !strings.Contains(html, "De partner van de consultatie is aangeduid.") {
		t.Fatalf("the consultation's partner was not named:\n%s", html)
	}
	s.checkRolePage(t, supervisor, "rollen-consultatie-partner")
	s.consultationPartner(unnamed, "basisschool-huizeke", sup)
	did(usecase.StepConsultationPartner, "supervisor")

	// The team's charts.
	mustRun(t, supervisor, chromedp.Navigate(s.apiURL+"/team"), chromedp.WaitVisible(`#cijfers`, chromedp.ByQuery))
	var charts int
	mustRun(t, supervisor, chromedp.Evaluate(`document.querySelectorAll('#cijfers ~ figure svg').length`, &charts))
	if charts < 3 {
		t.Errorf("the team page has %d charts, want 3", charts)
	}
	s.checkRolePage(t, supervisor, "rollen-team-cijfers")

	// The supervisor revokes the family's link (the family no longer wants it).
	mustRun(t, supervisor, chromedp.Navigate(s.apiURL+"/gezinslink/"+pregnancy), chromedp.WaitVisible(`#f-gezinslink-intrekken`, chromedp.ByQuery))
	s.checkRolePage(t, supervisor, "rollen-gezinslink-intrekken")
	mustRun(t, supervisor, chromedp.Submit(`#f-gezinslink-intrekken button`, chromedp.ByQuery), chromedp.WaitVisible(`h1`, chromedp.ByQuery))
	if !strings.Contains(outerHTML(t, supervisor), "De persoonlijke link van het gezin werkt niet meer.") {
		t.Fatal("the family's link was not revoked")
	}
	s.familyLink(pregnancy, "fr", coachL, true)
	did(usecase.StepRevokeFamilyLink, "supervisor")

	// Closure, confirmed.
	s.step(t, coach, pregnancy, "afsluiting", map[string]string{"#close_reason": "goals_reached", "#close_text": "doelen bereikt, gezin overgedragen", "#close_confirm": checked})
	s.checkRolePage(t, coach, "rollen-afgesloten")
	s.eventBy(pregnancy, "closed", coachL)
	did(usecase.StepClose, "coach")

	// Every step of the table was taken on the pages, but those only
	// partners take (through the API).
	for _, st := range usecase.Steps {
		if !slices.ContainsFunc(st.Kinds, func(k string) bool { return k != usecase.KindPartner }) {
			continue
		}
		if _, ok := done[st.Name]; !ok {
			t.Errorf("step %s (%s) was not taken on the pages by any role", st.Name, st.Title)
		}
	}
}

// checkRolePage is checkPage, and besides: no element id twice (a form
// shown twice), no timeline entry without its words.
func (s *stack) checkRolePage(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	s.checkPage(t, ctx, name)
	var twice []string
	var text string
	mustRun(t, ctx,
		chromedp.Evaluate(`(() => { const seen = {}; const twice = [];
			for (const e of document.querySelectorAll('[id]')) { if (seen[e.id]) twice.push(e.id); seen[e.id] = true }
			return twice })()`, &twice),
		chromedp.Evaluate(`document.body.innerText`, &text))
	if len(twice) > 0 {
		t.Errorf("%s: ids on the page twice: %v", name, twice)
	}
	if strings.Contains(text, "Andere gebeurtenis") {
		t.Errorf("%s: the timeline does not say what happened (Andere gebeurtenis)", name)
	}
}

// rolesBrowser is a browser of its own for one person, in Belgian Dutch.
func rolesBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx := browser(t)
	var lang string
	mustRun(t, ctx, emulation.SetLocaleOverride().WithLocale("nl-BE"), chromedp.Evaluate(`navigator.language`, &lang))
	if lang != "nl-BE" {
		t.Fatalf("chromium speaks %q, want nl-BE", lang)
	}
	return ctx
}

// referIn refers a family to a programme as partner; with due (a date) a
// pregnancy.
func (s *stack) referIn(partner, programme, reference, name, due string) string {
	s.t.Helper()
	r := apiclient.Referral{
		Programme: programme,
		Referrer:  apiclient.Referrer{Organisation: strings.TrimPrefix(partner, "partner:"), Reference: reference},
		Family:    apiclient.Family{ContactName: name, Phone: ptr("+32 470 11 22 33")},
		Reason:    "alleenstaande ouder, weinig netwerk",
	}
	if due != "" {
		r.ExpectedDueDate = s.day(due)
	}
	return s.refer(partner, r)
}

// eventBy waits until the trajectory's event log in the database holds an
// event of kind by actor.
func (s *stack) eventBy(id, kind, actor string) {
	s.t.Helper()
	db := s.db()
	defer db.Close(context.Background())
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int
		if err := db.QueryRow(context.Background(), `SELECT count(*) FROM trajectory_events WHERE trajectory_id = $1 AND kind = $2 AND actor = $3`, id, kind, actor).Scan(&got); err != nil {
			s.t.Fatal(err)
		}
		if got > 0 {
			return
		}
		if time.Now().After(deadline) {
			var actors []string
			rows, _ := db.Query(context.Background(), `SELECT kind || ' by ' || actor FROM trajectory_events WHERE trajectory_id = $1 ORDER BY seq`, id)
			for rows.Next() {
				var a string
				_ = rows.Scan(&a)
				actors = append(actors, a)
			}
			s.t.Fatalf("trajectory %s: no %s by %s in the database; its events: %v", id, kind, actor, actors)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// noEvent checks that the trajectory's log holds no event of kind.
func (s *stack) noEvent(id, kind string) {
	s.t.Helper()
	db := s.db()
	defer db.Close(context.Background())
	var got int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM trajectory_events WHERE trajectory_id = $1 AND kind = $2`, id, kind).Scan(&got); err != nil {
		s.t.Fatal(err)
	}
	if got > 0 {
		s.t.Errorf("trajectory %s: %d %s events, want none", id, got, kind)
	}
}

// consultationPartner checks in the database that the consultation
// concerns org, and that the audit log holds actor's naming it.
func (s *stack) consultationPartner(id, org, actor string) {
	s.t.Helper()
	db := s.db()
	defer db.Close(context.Background())
	var got string
	if err := db.QueryRow(context.Background(), `SELECT coalesce(organisation, '') FROM consultations WHERE id = $1`, id).Scan(&got); err != nil || got != org {
		s.t.Errorf("consultation %s concerns %q (%v), want %s", id, got, err, org)
	}
	var audited int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND outcome = 'ok'`,
		actor, usecase.ActionNameConsultationPartner).Scan(&audited); err != nil || audited != 1 {
		s.t.Errorf("the audit log holds %d namings of a consultation's partner by %s (%v), want 1", audited, actor, err)
	}
}

// consultationBy is the one consultation of the programme the database
// holds as recorded by actor.
func (s *stack) consultationBy(programme, actor string) string {
	s.t.Helper()
	db := s.db()
	defer db.Close(context.Background())
	var id string
	if err := db.QueryRow(context.Background(), `SELECT id FROM consultations WHERE programme_id = $1 AND recorded_by = $2`, programme, actor).Scan(&id); err != nil {
		s.t.Fatalf("the consultation of %s by %s in the database: %v", programme, actor, err)
	}
	return id
}

// familyLink checks the family link's row: issued by actor in the
// language, revoked or working.
func (s *stack) familyLink(trajectoryID, language, actor string, revoked bool) {
	s.t.Helper()
	db := s.db()
	defer db.Close(context.Background())
	var lang, by string
	var gone bool
	if err := db.QueryRow(context.Background(), `SELECT language, issued_by, revoked_at IS NOT NULL FROM family_links WHERE trajectory_id = $1 ORDER BY issued_at DESC LIMIT 1`,
		trajectoryID).Scan(&lang, &by, &gone); err != nil {
		s.t.Fatalf("the family's link of %s: %v", trajectoryID, err)
	}
	if lang != language || by != actor || gone != revoked {
		s.t.Errorf("the family's link: language %s, issued by %s, revoked %v; want %s, %s, %v", lang, by, gone, language, actor, revoked)
	}
}
