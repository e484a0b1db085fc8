package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFamilyPlanInBrowser: in a real headless Chromium, during a visit on
// a phone, the coach records the family plan with the family (a goal in
// housing, an action of the coach with a date and one of the family, the
// day the family agreed), then agrees a change (a service of the network
// and an action it owes, a strength), records an action done and a goal
// reached; the supervisor sees how the plan stands and the network, not
// the family's words. Every page at 360 px and 1280 px, axe-core clean,
// no step key or actor id, and each step in the trajectory's log. With
// ELKGEZIN_SCREENSHOTS set, it renews docs/screenshots' picture of the plan.
func TestFamilyPlanInBrowser(t *testing.T) {
	s := startStack(t)
	id := s.referPlain("BROWSER-PLAN", "Yasmina Plangezin")
	s.mustStep("supervisor:test", id, "assignment", map[string]any{"coach": "test-coach"})

	coach := browser(t)
	s.signIn(t, coach, s.token("coach:test-coach"))
	s.step(t, coach, id, "intake", map[string]string{"#intake-next": local(time.Now().Add(2 * time.Hour))})

	brussels, _ := time.LoadLocation("Europe/Brussels")
	today := time.Now().In(brussels).Format("2006-01-02")
	due := time.Now().In(brussels).AddDate(0, 0, 7).Format("2006-01-02")
	mustRun(t, coach, chromedp.EmulateViewport(360, 800))
	s.step(t, coach, id, "gezinsplan", map[string]string{
		"#plan-domain": "housing", "#plan-goal-text": "Een woning zonder vocht voor de kinderen",
		"#plan-what-1": "Brief aan de huisbaas opstellen", "#plan-owner-1": "coach", "#plan-due-1": due,
		"#plan-what-2": "Foto van de vochtplekken nemen", "#plan-owner-2": "family",
		"#plan-agreed": today,
	})
	s.waitEvent(id, "plan_agreed", 1, 30*time.Second)
	var plan string
	mustRun(t, coach, chromedp.Text(`section[aria-labelledby="h-plan"]`, &plan, chromedp.ByQuery))
	for _, want := range []string{"Het gezin ging akkoord op", "Wonen", "Een woning zonder vocht voor de kinderen",
		"Brief aan de huisbaas opstellen", "de coach, Testcoach, tegen", "Foto van de vochtplekken nemen", "het gezin"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan on the page does not say %q:\n%s", want, plan)
		}
	}
	s.checkSteps(t, coach, "gezinsplan")

	// A change agreed at the next visit: a service of the network and what
	// it does, and a strength, in the fold of the form.
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#f-gezinsplan`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/gezinsplan"] details > summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#plan-other`, chromedp.ByQuery),
		chromedp.SetValue(`#plan-goal`, "g1", chromedp.ByQuery),
		chromedp.SetValue(`#plan-what-1`, "Vochtmeting in de slaapkamer", chromedp.ByQuery),
		chromedp.SetValue(`#plan-owner-1`, "service:nieuw", chromedp.ByQuery),
		chromedp.SetValue(`#plan-strengths`, "Mama houdt alle brieven goed bij", chromedp.ByQuery),
		chromedp.SetValue(`#plan-other`, "Huurdersbond", chromedp.ByQuery),
		chromedp.SetValue(`#plan-contact`, "Karim, zitdag op dinsdag", chromedp.ByQuery),
		chromedp.Click(`input[name=network_consent]`, chromedp.ByQuery),
		chromedp.SetValue(`#plan-agreed`, today, chromedp.ByQuery),
		chromedp.Submit(`#plan-agreed`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery),
	)
	if html := outerHTML(t, coach); !strings.Contains(html, `class="done outcome"`) {
		t.Fatalf("the change of the plan was not saved:\n%s", html)
	}
	s.waitEvent(id, "plan_agreed", 2, 30*time.Second)
	readmeScreenshot(t, coach, "gezinsplan", `section[aria-labelledby="h-plan"]`)
	mustRun(t, coach, chromedp.Text(`section[aria-labelledby="h-plan"]`, &plan, chromedp.ByQuery))
	for _, want := range []string{"Vochtmeting in de slaapkamer — Huurdersbond", "Mama houdt alle brieven goed bij",
		"Huurdersbond (Karim, zitdag op dinsdag)", "het gezin stemt in met delen", "Brief aan de huisbaas opstellen"} {
		if !strings.Contains(plan, want) {
			t.Errorf("after the change the plan does not say %q:\n%s", want, plan)
		}
	}

	// Review at the visit: the coach's action done, the goal reached (each
	// from the page afresh, so that the answer waited for is the step's).
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#h-plan`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/actie-gedaan"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery),
	)
	if html := outerHTML(t, coach); !strings.Contains(html, "De actie is als gedaan opgeslagen.") {
		t.Fatalf("the action was not recorded done:\n%s", html)
	}
	s.waitEvent(id, "plan_action_done", 1, 30*time.Second)
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#h-plan`, chromedp.ByQuery),
		chromedp.Click(`ul.goals details > summary`, chromedp.ByQuery),
		chromedp.Click(`input[name=status][value=reached]`, chromedp.ByQuery),
		chromedp.Submit(`input[name=status][value=reached]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery),
	)
	if html := outerHTML(t, coach); !strings.Contains(html, "De stand van het doel is opgeslagen.") {
		t.Fatalf("the goal was not recorded reached:\n%s", html)
	}
	s.waitEvent(id, "goal_reached", 1, 30*time.Second)
	mustRun(t, coach, chromedp.Text(`section[aria-labelledby="h-plan"]`, &plan, chromedp.ByQuery))
	if !strings.Contains(plan, "(bereikt)") || !strings.Contains(plan, "gedaan") {
		t.Errorf("after the review the plan says:\n%s", plan)
	}
	s.checkSteps(t, coach, "gezinsplan-besproken")

	// The supervisor sees how the plan stands and the network, read-only.
	sup := browser(t)
	s.signIn(t, sup, s.token("supervisor:test"))
	mustRun(t, sup, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#h-plan`, chromedp.ByQuery),
		chromedp.Text(`section[aria-labelledby="h-plan"]`, &plan, chromedp.ByQuery))
	for _, want := range []string{"Wonen: 0 lopend, 1 bereikt, 0 losgelaten", "Huurdersbond (Karim, zitdag op dinsdag)"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the supervisor's plan does not say %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "Een woning zonder vocht") || strings.Contains(outerHTML(t, sup), `action="/trajecten/`+id+`/gezinsplan"`) {
		t.Errorf("the supervisor sees the family's words or the plan's form:\n%s", plan)
	}
	s.checkSteps(t, sup, "gezinsplan-teamverantwoordelijke")
}
