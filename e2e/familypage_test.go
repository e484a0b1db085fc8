package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestFamilyPageInBrowser: the coach agrees a plan with the family and
// makes its personal link on the pages (emailed to the family too); the
// family opens it on a phone in Arabic, then in French, sees its plan and
// next appointment, and asks for another date; the coach sees the request
// on the trajectory's timeline (and it is an event in the database). The
// link stops working once revoked, and a new one once the trajectory is
// closed.
func TestFamilyPageInBrowser(t *testing.T) {
	s := startStack(t)
	id := s.referWithChildren("E2E-FAMILY-PAGE")
	c := s.codecClient()
	due := time.Now().Add(14 * 24 * time.Hour)
	s.update(c, id, trajectory.UpdateAgreePlan, trajectory.AgreePlan{By: "coach:test-coach", Plan: trajectory.Plan{
		AgreedOn: time.Now(), Strengths: []string{"Wij helpen elkaar"},
		Goals: []trajectory.Goal{{Domain: trajectory.DomainHousing, Text: "Een droge slaapkamer voor Yusuf", Actions: []trajectory.Action{
			{What: "De huisbaas bellen over het vocht", Owner: trajectory.ActionOwner{Role: trajectory.OwnerFamily}, Due: &due},
		}}},
	}})

	// The coach makes the link with the family's consent, on the pages.
	coach := browser(t)
	s.signIn(t, coach, s.token("coach:test-coach"))
	mustRun(t, coach, chromedp.EmulateViewport(360, 780), chromedp.Navigate(s.apiURL+"/gezinslink/"+id),
		chromedp.WaitVisible(`#f-gezinslink`, chromedp.ByQuery))
	s.checkPage(t, coach, "family-link-form")
	var link string
	mustRun(t, coach,
		chromedp.SetValue(`#language`, "ar", chromedp.ByQuery),
		chromedp.SetValue(`#email`, "gezin@voorbeeld.be", chromedp.ByQuery),
		chromedp.Submit(`#email`, chromedp.ByQuery),
		chromedp.WaitVisible(`#gezinslink`, chromedp.ByQuery),
		chromedp.Value(`#gezinslink`, &link, chromedp.ByQuery))
	// The API was started on a free port before its address was known, so
	// its PUBLIC_BASE_URL is the default: the path is what counts.
	shown := link
	link = s.onAPI(t, link)
	s.checkPage(t, coach, "family-link-issued")
	mail := s.smtp.WaitFor(t, func(m smtpsink.Received) bool {
		return len(m.To) == 1 && m.To[0] == "gezin@voorbeeld.be"
	}, 20*time.Second)
	if !strings.Contains(mail.Body, shown) || mail.Subject != "خطتكم مع المرشد" {
		t.Errorf("the family's email: %q\n%s", mail.Subject, mail.Body)
	}

	// The family, on a phone, in Arabic.
	family := browser(t)
	var lang, dir, body string
	mustRun(t, family, chromedp.EmulateViewport(360, 780), chromedp.Navigate(link), chromedp.WaitVisible(`#next`, chromedp.ByQuery),
		chromedp.AttributeValue(`html`, "lang", &lang, nil, chromedp.ByQuery),
		chromedp.AttributeValue(`html`, "dir", &dir, nil, chromedp.ByQuery),
		chromedp.Text(`body`, &body, chromedp.ByQuery))
	if lang != "ar" || dir != "rtl" {
		t.Errorf("the page is lang=%q dir=%q, want ar rtl", lang, dir)
	}
	for _, want := range []string{"خطتنا", "Een droge slaapkamer voor Yusuf", "De huisbaas bellen over het vocht", "السكن", "Testcoach", "الموعد القادم", "الساعة"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Arabic page lacks %q:\n%s", want, body)
		}
	}
	for _, never := range []string{"Amina", "Kerkstraat", "young mother", id} {
		if strings.Contains(body, never) {
			t.Errorf("the family page shows %q", never)
		}
	}
	s.checkPage(t, family, "family-page-ar")

	// In French, through the switch on the page; then asks for another date.
	mustRun(t, family, chromedp.EmulateViewport(360, 780), chromedp.Click(`a[hreflang="fr"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`html[lang="fr"]`, chromedp.ByQuery), chromedp.Text(`body`, &body, chromedp.ByQuery))
	for _, want := range []string{"Notre plan", "Logement", "Prochain rendez-vous", "Demander une autre date"} {
		if !strings.Contains(body, want) {
			t.Errorf("the French page lacks %q", want)
		}
	}
	s.checkPage(t, family, "family-page-fr")
	mustRun(t, family,
		chromedp.SetValue(`#message`, "Mardi je travaille", chromedp.ByQuery),
		chromedp.Click(`form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#asked`, chromedp.ByQuery),
		chromedp.AttributeValue(`html`, "lang", &lang, nil, chromedp.ByQuery))
	if lang != "fr" {
		t.Errorf("after the request the page is in %q, want fr", lang)
	}
	s.checkPage(t, family, "family-page-asked")

	// The coach sees the request: an event in the database, on the timeline.
	s.waitEvent(id, trajectory.EventNewDateRequested, 1, 30*time.Second)
	told := s.smtp.WaitFor(t, func(m smtpsink.Received) bool {
		return strings.HasPrefix(m.Subject, "Een gezin vraagt een andere datum")
	}, 20*time.Second)
	if len(told.To) != 1 || told.To[0] != "coach@test.example" || strings.Contains(told.Body, "Mardi") {
		t.Errorf("the coach's email: to %v\n%s", told.To, told.Body)
	}
	var actor string
	db := s.db()
	defer db.Close(context.Background())
	if err := db.QueryRow(context.Background(), `SELECT actor FROM trajectory_events WHERE trajectory_id = $1 AND kind = $2`,
		id, trajectory.EventNewDateRequested).Scan(&actor); err != nil || actor != "family" {
		t.Errorf("the request's event: actor %q (%v)", actor, err)
	}
	var opens int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE trajectory_id = $1 AND action = 'open_family_page' AND actor = 'family'`,
		id).Scan(&opens); err != nil || opens < 2 {
		t.Errorf("audited opens of the family page: %d (%v)", opens, err)
	}
	var timeline string
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`main`, chromedp.ByQuery),
		chromedp.Text(`main`, &timeline, chromedp.ByQuery))
	if !strings.Contains(timeline, "Gezin vraagt een andere datum") {
		t.Errorf("the coach's trajectory page does not show the request:\n%s", timeline)
	}

	// Revoked: the link stops working, in the family's language.
	status, revoked := s.call("coach:test-coach", http.MethodDelete, "/v1/trajectories/"+id+"/family-link", nil, nil)
	if status != http.StatusOK || revoked["revoked"] != true {
		t.Fatalf("revoke: %d %v", status, revoked)
	}
	var h1 string
	mustRun(t, family, chromedp.Navigate(link), chromedp.WaitVisible(`h1`, chromedp.ByQuery), chromedp.Text(`h1`, &h1, chromedp.ByQuery))
	if h1 != "الرابط لم يعد يعمل" {
		t.Errorf("after revocation: %q", h1)
	}
	s.checkPage(t, family, "family-page-revoked")

	// A new link works until the trajectory is closed.
	status, issued := s.call("coach:test-coach", http.MethodPost, "/v1/trajectories/"+id+"/family-link", map[string]any{
		"consent": map[string]any{"given": true, "recorded_on": time.Now().Format("2006-01-02"), "channel": "phone"}, "language": "fr"}, nil)
	if status != http.StatusCreated {
		t.Fatalf("a new link: %d %v", status, issued)
	}
	second := s.onAPI(t, issued["url"].(string))
	mustRun(t, family, chromedp.Navigate(second), chromedp.WaitVisible(`#next`, chromedp.ByQuery))
	s.mustStep("coach:test-coach", id, "closure", map[string]any{"reason": "goals_reached"})
	mustRun(t, family, chromedp.Navigate(second), chromedp.WaitVisible(`h1`, chromedp.ByQuery), chromedp.Text(`h1`, &h1, chromedp.ByQuery))
	if h1 != "Le lien ne marche plus" {
		t.Errorf("after closure: %q", h1)
	}
}

// onAPI is a family link's path on the stack's API.
func (s *stack) onAPI(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/v1/family/f1.") {
		t.Fatalf("a family link: %q", link)
	}
	return s.apiURL + u.Path
}
