package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// programmeWithOwnSteps is test-seconds with milestones and a co-worker,
// as Gent's and Leuven's programme files have them.
const programmeWithOwnSteps = `
milestones:
  - id: opleiding_gestart
    name: Opleiding gestart
    after: referral
    deadline: 1h
  - id: stage_gevonden
    name: Stageplaats gevonden
    after: opleiding_gestart
    deadline: 2h
co_workers:
  - id: brugfiguur-test-1
    name: Fatma Brugfiguur
    email: brug@test.example
    role: brugfiguur
`

// codeOnPage is what no page may show: a step key or an actor id.
var codeOnPage = regexp.MustCompile(`\b(?:home_visit|milestone|handover_ack|follow_up_end|plan_action)-[0-9a-z_]+|\b(?:coach|partner|supervisor|co_worker|service):[a-z0-9-]+|\bopleiding_gestart\b|\bstage_gevonden\b|\bbrugfiguur-test-1\b`)

// TestProgrammeStepsInBrowser: in a real headless Chromium, a supervisor
// assigns a co-worker, and a coach records a milestone (named as the
// programme file names it), moves the planned visit, records a visit
// that did not take place, records an anonymous consultation at the
// school gate (which the partner it is about turns into a referral with
// the family's consent) and another that the coach turns into a referral
// on the page on the partner's behalf, records a collective activity with the families
// present, and sends again a handover whose email was refused; every page
// at 360 px and 1280 px, axe-core clean, no step key or actor id in its
// text, and each step in the trajectory's log.
func TestProgrammeStepsInBrowser(t *testing.T) {
	dir := t.TempDir()
	src, _ := filepath.Abs("../deploy/programmes")
	files, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "test-seconds.yaml" {
			b = append(b, programmeWithOwnSteps...)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startStackWith(t, dir)
	id := s.referPlain("BROWSER-STEPS", "Sara Stappengezin")
	other := s.referPlain("BROWSER-STEPS-2", "Omar Tweedegezin")
	for _, tr := range []string{id, other} {
		s.mustStep("supervisor:test", tr, "assignment", map[string]any{"coach": "test-coach"})
	}

	// The supervisor assigns the bridge figure.
	sup := browser(t)
	s.signIn(t, sup, s.token("supervisor:test"))
	s.step(t, sup, id, "medewerker", map[string]string{"#co_worker": "brugfiguur-test-1"})
	if html := outerHTML(t, sup); !strings.Contains(html, "Fatma Brugfiguur (Brugfiguur)") {
		t.Error("the assigned co-worker is not shown by name and role")
	}
	s.checkSteps(t, sup, "stappen-medewerker")
	s.waitEvent(id, "co_worker_assigned", 1, 30*time.Second)

	coach := browser(t)
	s.signIn(t, coach, s.token("coach:test-coach"))
	for _, tr := range []string{id, other} {
		s.step(t, coach, tr, "intake", map[string]string{"#intake-next": local(time.Now().Add(2 * time.Hour))})
	}

	// The open milestone by its name and due date, then recorded.
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#f-mijlpaal`, chromedp.ByQuery))
	var milestones string
	mustRun(t, coach, chromedp.Text(`ul.milestones`, &milestones, chromedp.ByQuery))
	if !regexp.MustCompile(`Opleiding gestart: tegen (ma|di|wo|do|vr|za|zo) \d\d-\d\d-\d{4} \d\d:\d\d`).MatchString(milestones) {
		t.Errorf("the open milestones say %q", milestones)
	}
	s.checkSteps(t, coach, "stappen-mijlpalen")
	readmeScreenshot(t, coach, "mijlpalen", `section[aria-labelledby="h-mijlpalen"]`)
	s.step(t, coach, id, "mijlpaal", map[string]string{"#milestone-note": "start opleiding kinderbegeleider"})
	s.waitEvent(id, "milestone_reached", 1, 30*time.Second)

	// The family asks to postpone the visit; later one does not take place.
	s.step(t, coach, id, "verplaatsen", map[string]string{"#move-to": local(time.Now().Add(26 * time.Hour)), "#move-reason": "ziek kind"})
	s.waitEvent(id, "visit_moved", 1, 30*time.Second)
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#f-gemist`, chromedp.ByQuery),
		chromedp.Click(`input[name=reason][value=not_home]`, chromedp.ByQuery),
		chromedp.SetValue(`#missed-next`, local(time.Now().Add(50*time.Hour)), chromedp.ByQuery),
		chromedp.SetValue(`#missed-note`, "briefje in de bus gelaten", chromedp.ByQuery),
		chromedp.Submit(`#missed-next`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery),
	)
	if html := outerHTML(t, coach); !strings.Contains(html, "Het gemiste huisbezoek en de nieuwe afspraak zijn opgeslagen.") {
		t.Fatalf("the missed visit was not recorded:\n%s", html)
	}
	s.waitEvent(id, "visit_missed", 1, 30*time.Second)
	s.checkSteps(t, coach, "stappen-bezoek")

	// A consultation at the school gate, about the partner; the partner
	// turns it into a referral with the family's consent.
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/consultaties"), chromedp.WaitVisible(`#situation`, chromedp.ByQuery),
		chromedp.SetValue(`#situation`, "Mama zoekt opvang zodat ze de opleiding kan volgen.", chromedp.ByQuery),
		chromedp.SetValue(`#advice`, "Samen naar het Huis van het Kind.", chromedp.ByQuery),
		chromedp.SetValue(`#organisation`, "test-partner", chromedp.ByQuery),
		chromedp.Submit(`#advice`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done`, chromedp.ByQuery),
	)
	s.checkSteps(t, coach, "stappen-consultaties")
	readmeScreenshot(t, coach, "consultaties", "")
	var consultation string
	db := s.db()
	if err := db.QueryRow(context.Background(), `SELECT id FROM consultations WHERE programme_id = 'test-seconds' AND recorded_by = 'coach:test-coach'`).Scan(&consultation); err != nil {
		t.Fatal(err)
	}
	db.Close(context.Background())
	status, referred := s.call("partner:test-partner", "POST", "/v1/consultations/"+consultation+"/referral", map[string]any{
		"referrer": map[string]any{"organisation": "test-partner", "reference": "BROWSER-CONSULT"},
		"family":   map[string]any{"contact_name": "Nadia Consultgezin", "phone": "+32 470 44 55 66"},
		"reason":   "opvang en opleiding",
		"consent":  map[string]any{"given": true, "recorded_on": time.Now().Format("2006-01-02")},
	}, nil)
	if status != http.StatusCreated {
		t.Fatalf("the consultation's referral: %d %v", status, referred)
	}
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/consultaties"), chromedp.WaitVisible(`ul.consultations`, chromedp.ByQuery))
	var list string
	mustRun(t, coach, chromedp.Text(`ul.consultations`, &list, chromedp.ByQuery))
	if !strings.Contains(list, "Doorverwezen") || !strings.Contains(list, "over Testpartner") || strings.Contains(list, "Mama zoekt opvang") {
		t.Errorf("the referred consultation is listed as %q", list)
	}

	// Another consultation, which the coach turns into a referral on the
	// page, on the partner's behalf, with the family's consent: the
	// trajectory's referrer is the partner, its referred event names the coach.
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/consultaties"), chromedp.WaitVisible(`#situation`, chromedp.ByQuery),
		chromedp.SetValue(`#situation`, "Papa vraagt hulp bij de opvoeding.", chromedp.ByQuery),
		chromedp.SetValue(`#advice`, "Een coach van het team komt langs.", chromedp.ByQuery),
		chromedp.SetValue(`#organisation`, "test-partner", chromedp.ByQuery),
		chromedp.Submit(`#advice`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done`, chromedp.ByQuery),
	)
	var second string
	db = s.db()
	if err := db.QueryRow(context.Background(), `SELECT id FROM consultations WHERE programme_id = 'test-seconds' AND trajectory_id IS NULL`).Scan(&second); err != nil {
		t.Fatal(err)
	}
	referForm := `form[action="/consultaties/` + second + `/consultatie-doorverwijzing"]`
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/consultaties"), chromedp.WaitReady(referForm, chromedp.ByQuery),
		chromedp.Click(`details:has(`+referForm+`) summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#contact_name-`+second, chromedp.ByQuery),
		chromedp.Click(referForm+` input[name=consent]`, chromedp.ByQuery),
		chromedp.SetValue(`#contact_name-`+second, "Karim Schoolpoort", chromedp.ByQuery),
		chromedp.SetValue(`#phone-`+second, "+32 470 77 88 99", chromedp.ByQuery),
		chromedp.SetValue(`#reason-`+second, "hulp bij de opvoeding", chromedp.ByQuery),
		chromedp.SetValue(`#child_born-`+second+`-0`, time.Now().AddDate(-3, 0, 0).Format("2006-01-02"), chromedp.ByQuery),
		chromedp.Submit(`#reason-`+second, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery),
	)
	if html := outerHTML(t, coach); !strings.Contains(html, "Het gezin is doorverwezen.") {
		t.Fatalf("the coach's referral after the consultation:\n%s", html)
	}
	s.checkSteps(t, coach, "stappen-consultatie-doorverwijzing")
	var started, referrer, actor string
	if err := db.QueryRow(context.Background(), `SELECT id, referrer_org FROM trajectories WHERE consultation_id = $1`, second).Scan(&started, &referrer); err != nil || referrer != "test-partner" {
		t.Fatalf("the trajectory of the coach's referral: %q %q (%v)", started, referrer, err)
	}
	if err := db.QueryRow(context.Background(), `SELECT actor FROM trajectory_events WHERE trajectory_id = $1 AND seq = 1`, started).Scan(&actor); err != nil || actor != "coach:test-coach" {
		t.Errorf("the referred event of the coach's referral names %q (%v)", actor, err)
	}
	db.Close(context.Background())

	// A group activity: both families were there.
	mustRun(t, coach,
		chromedp.Navigate(s.apiURL+"/activiteiten"), chromedp.WaitVisible(`#kind`, chromedp.ByQuery),
		chromedp.SetValue(`#held_on`, time.Now().Format("2006-01-02"), chromedp.ByQuery),
		chromedp.SetValue(`#kind`, "babymassage", chromedp.ByQuery),
		chromedp.Click(`input[name=trajectories][value=`+id+`]`, chromedp.ByQuery),
		chromedp.Click(`input[name=trajectories][value=`+other+`]`, chromedp.ByQuery),
		chromedp.Submit(`#kind`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery),
	)
	var done string
	mustRun(t, coach, chromedp.Text(`main`, &done, chromedp.ByQuery))
	if !strings.Contains(done, "De activiteit is opgeslagen bij 2 gezinnen.") {
		t.Fatalf("the activity: %s", done)
	}
	s.checkSteps(t, coach, "stappen-activiteit")
	s.waitEvent(id, "activity_attended", 1, 30*time.Second)
	s.waitEvent(other, "activity_attended", 1, 30*time.Second)

	// A handover whose email the service's server refuses; once the
	// address works again, the coach sends it again from the page.
	s.smtp.RejectRecipient("service@test.example", 550)
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#f-overdracht`, chromedp.ByQuery),
		chromedp.SetValue(`#service`, "test-service", chromedp.ByQuery),
		chromedp.Click(`input[name=consent_given]`, chromedp.ByQuery),
		chromedp.SetValue(`#recorded_on`, time.Now().Format("2006-01-02"), chromedp.ByQuery),
		chromedp.Click(`input[name=shares][value=contact]`, chromedp.ByQuery),
		chromedp.SetValue(`#handover_reason`, "hulp bij kinderopvang", chromedp.ByQuery),
		chromedp.Submit(`#handover_reason`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done`, chromedp.ByQuery),
	)
	s.waitEvent(id, "email_failed", 1, time.Minute)
	s.smtp.RejectRecipient("service@test.example", 0)
	resend := `form[action$="/overdracht-opnieuw"] button`
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(resend, chromedp.ByQuery))
	var handovers string
	mustRun(t, coach, chromedp.Text(`ul.handovers`, &handovers, chromedp.ByQuery))
	if !strings.Contains(handovers, "Overdracht 1 naar Testdienst: de e-mail kon niet worden afgeleverd") {
		t.Errorf("the handover's status says %q", handovers)
	}
	s.checkSteps(t, coach, "stappen-overdracht-mislukt")
	mustRun(t, coach, chromedp.Click(resend, chromedp.ByQuery), chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	if html := outerHTML(t, coach); !strings.Contains(html, "De overdracht is opnieuw verstuurd.") {
		t.Fatalf("the resend was not recorded")
	}
	s.waitEvent(id, "handover_sent", 1, time.Minute)
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`ul.handovers`, chromedp.ByQuery),
		chromedp.Text(`ul.handovers`, &handovers, chromedp.ByQuery))
	if !strings.Contains(handovers, "wacht op bevestiging door de dienst") {
		t.Errorf("after the resend the handover's status says %q", handovers)
	}
	s.checkSteps(t, coach, "stappen-overdracht-opnieuw")
}

// checkSteps checks the page at 360 px and at 1280 px: axe-core clean,
// none of the programme's own sections wider than the screen, and no step
// key or actor id in their text (of a trajectory page, the sections of the
// programme's own steps); with screenshots.
func (s *stack) checkSteps(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	s.checkPage(t, ctx, name)
	for _, w := range []int64{360, 1280} {
		var text string
		var wide []string
		// On a trajectory page, the sections of the programme's own steps.
		mustRun(t, ctx, chromedp.EmulateViewport(w, 800),
			chromedp.Evaluate(`[...(document.querySelectorAll('main section').length ? document.querySelectorAll('main section') : document.querySelectorAll('main'))]
				.map(e => e.innerText).join('\n')`, &text),
			// A page of its own (consultations, activities) as a whole.
			chromedp.Evaluate(`[...document.querySelectorAll('main section, main form.step, main ul')]
				.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
				.map(e => (e.id || e.className || e.tagName) + ' ' + Math.round(e.getBoundingClientRect().right))
				.concat(!document.querySelector('main section') && document.documentElement.scrollWidth > window.innerWidth
					? ['the page ' + document.documentElement.scrollWidth] : [])`, &wide))
		if len(wide) > 0 {
			t.Errorf("%s at %d px: wider than the screen: %v", name, w, wide)
		}
		if m := codeOnPage.FindString(text); m != "" {
			t.Errorf("%s at %d px shows the code %q", name, w, m)
		}
		if v := axeViolations(t, ctx); len(v) > 0 {
			t.Errorf("%s at %d px: serious accessibility violations:\n%s", name, w, strings.Join(v, "\n"))
		}
	}
}
