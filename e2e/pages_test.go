package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/elkgezin/elkgezin/apiclient"
)

// TestPagesInBrowser drives one whole trajectory through the pages in a
// real headless Chromium, as a supervisor and a coach: sign in, assign,
// intake, a visit, a late visit first on "Mijn gezinnen", a handover with
// consent, closure; with screenshots at phone and desktop width, and an
// axe-core check of each page.
func TestPagesInBrowser(t *testing.T) {
	s := startStack(t)
	late := s.referPlain("BROWSER-LATE", "Lotte Laatgezin")
	calm := s.referPlain("BROWSER-CALM", "Chris Rustgezin")

	// The supervisor signs in and assigns both families from the team page.
	sup := browser(t)
	s.signIn(t, sup, s.token("supervisor:test"))
	mustRun(t, sup, chromedp.WaitVisible(`#wachtend`, chromedp.ByQuery))
	s.checkPage(t, sup, "team")
	// A coach with no family yet is on the list too.
	if html := outerHTML(t, sup); !strings.Contains(html, "<td>Testcoach 2</td>") || !strings.Contains(html, "Lotte Laatgezin") {
		t.Error("/team does not list every coach, or names a family by its id")
	}
	for _, id := range []string{late, calm} {
		var where, title, focused string
		mustRun(t, sup,
			chromedp.Navigate(s.apiURL+"/team"),
			chromedp.SetValue(`#coach-`+id, "test-coach", chromedp.ByQuery),
			chromedp.Submit(`#coach-`+id, chromedp.ByQuery),
			chromedp.WaitVisible(`#uitkomst.done`, chromedp.ByQuery),
			chromedp.Location(&where), chromedp.Title(&title),
			chromedp.Evaluate(`document.activeElement.id`, &focused),
		)
		// Back on the list, the outcome first, focused and in the title.
		if !strings.Contains(where, "/team?") || !strings.HasPrefix(title, "Opgeslagen: ") || focused != "uitkomst" {
			t.Errorf("after assigning: at %s, title %q, focus on %q", where, title, focused)
		}
	}
	s.checkPage(t, sup, "team-assigned")
	mustRun(t, sup, chromedp.Navigate(s.apiURL+"/trajecten/"+late), chromedp.WaitVisible(`dl.status`, chromedp.ByQuery))
	s.checkPage(t, sup, "trajectory-supervisor")
	if html := outerHTML(t, sup); !strings.Contains(html, "Dit traject in de Temporal UI") {
		t.Error("the supervisor's trajectory page has no link to the Temporal UI")
	}

	// The coach does both intakes; the calm family's next visit is far off.
	// The calm family's from another device while the intake form is open
	// in the browser: the second intake sent from it is refused, in Dutch.
	coach := browser(t)
	s.signIn(t, coach, s.token("coach:test-coach"))
	s.secondIntakeRefused(t, coach, calm)
	s.step(t, coach, late, "intake", map[string]string{"#intake-next": local(time.Now().Add(24 * time.Hour))})
	// A visit whose next visit is due in seconds: soon late.
	s.step(t, coach, late, "bezoek", map[string]string{
		"#bezoek-next": local(time.Now().Add(3 * time.Second)), "#bezoek-note": "koelkast leeg, slaapt slecht"})
	s.waitFor("coach:test-coach", late, func(m map[string]any) bool { return m["overdue"] == true })
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/gezinnen"), chromedp.WaitVisible(`ul.families`, chromedp.ByQuery))
	var first string
	mustRun(t, coach, chromedp.Text(`ul.families li:first-child`, &first, chromedp.ByQuery))
	if !strings.Contains(first, "Lotte Laatgezin") || !strings.Contains(first, "te laat") {
		t.Errorf("the late family is not first on Mijn gezinnen: %q", first)
	}
	s.checkPage(t, coach, "mijn-gezinnen")

	// Handover with consent, then closure.
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+late), chromedp.WaitVisible(`#f-overdracht`, chromedp.ByQuery))
	s.checkPage(t, coach, "trajectory-coach")
	mustRun(t, coach,
		chromedp.SetValue(`#service`, "test-service", chromedp.ByQuery),
		chromedp.Click(`input[name=consent_given]`, chromedp.ByQuery),
		chromedp.SetValue(`#recorded_on`, time.Now().Format("2006-01-02"), chromedp.ByQuery),
		chromedp.Click(`input[name=shares][value=contact]`, chromedp.ByQuery),
		chromedp.SetValue(`#handover_reason`, "hulp bij kinderopvang", chromedp.ByQuery),
		chromedp.Submit(`#handover_reason`, chromedp.ByQuery),
		chromedp.WaitVisible(`.done`, chromedp.ByQuery),
	)
	s.waitEvent(late, "handover_sent", 1, time.Minute)
	s.step(t, coach, late, "afsluiting", map[string]string{"#close_reason": "goals_reached", "#close_text": "doelen bereikt", "#close_confirm": checked})
	s.waitFor("coach:test-coach", late, func(m map[string]any) bool { return m["phase"] == "closed" })
	s.checkPage(t, coach, "trajectory-closed")

	s.pagesRefuse(t, calm)

	// A page that says something went wrong fits the phone too.
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/tr-bestaatniet"), chromedp.WaitVisible(`h1`, chromedp.ByQuery))
	s.checkPage(t, coach, "niet-gevonden")
}

// secondIntakeRefused records the intake of id from a second session
// while the browser shows its intake form; then the browser sends that
// form too. The workflow refuses the second intake; the page says why in
// Dutch, with the first intake's moment in Belgian time, and not in the
// API's English.
func (s *stack) secondIntakeRefused(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	mustRun(t, ctx, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#intake-next`, chromedp.ByQuery))
	other, csrf := s.formSession(t, s.token("coach:test-coach"))
	form := url.Values{"csrf": {csrf}, "key": {"other-device"}, "next_visit_due": {local(time.Now().Add(48 * time.Hour))}}
	if status, body := s.page(other, "POST", "/trajecten/"+id+"/intake", form, nil); status != http.StatusSeeOther {
		t.Fatalf("intake from the other device: %d %s", status, body)
	}
	var refused, where, title, focused string
	mustRun(t, ctx,
		chromedp.SetValue(`#intake-next`, local(time.Now().Add(50*time.Hour)), chromedp.ByQuery),
		chromedp.Submit(`#intake-next`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-intake ~ .error`, chromedp.ByQuery),
		chromedp.Text(`#f-intake ~ .error`, &refused, chromedp.ByQuery),
		chromedp.Location(&where), chromedp.Title(&title),
		chromedp.Evaluate(`document.activeElement.id`, &focused),
	)
	// Answered by a redirect (a reload sends nothing), the refusal first,
	// focused, and in the title.
	if !strings.HasSuffix(where, "?geweigerd=intake") || !strings.HasPrefix(title, "Geweigerd: ") || focused != "uitkomst" {
		t.Errorf("the refused intake: at %s, title %q, focus on %q", where, title, focused)
	}
	belgian := regexp.MustCompile(`^Niet opgeslagen: De intake werd al opgeslagen, op (ma|di|wo|do|vr|za|zo) \d\d-\d\d-\d{4} \d\d:\d\d\.$`)
	if !belgian.MatchString(refused) || strings.Contains(outerHTML(t, ctx), "already recorded") {
		t.Errorf("the second intake is refused with %q, want the Dutch sentence", refused)
	}
	s.checkPage(t, ctx, "trajectory-refused")
	// Reloading shows the same refusal and the typed value, and records nothing.
	var again string
	mustRun(t, ctx, chromedp.Reload(), chromedp.WaitVisible(`#uitkomst.error`, chromedp.ByQuery),
		chromedp.Value(`#intake-next`, &again, chromedp.ByQuery))
	if again == "" {
		t.Error("the reloaded refused form lost what was typed")
	}
}

// pagesRefuse: another coach gets 404 for a family not theirs, to see or
// to post to; a form posted from another site is refused.
func (s *stack) pagesRefuse(t *testing.T, id string) {
	other, otherCSRF := s.formSession(t, s.token("coach:test-coach-2"))
	status, body := s.page(other, "GET", "/trajecten/"+id, nil, nil)
	if status != http.StatusNotFound || strings.Contains(body, "Chris Rustgezin") {
		t.Errorf("another coach sees the family: %d", status)
	}
	form := url.Values{"csrf": {otherCSRF}, "key": {"k1"}, "note": {"x"}}
	if status, _ := s.page(other, "POST", "/trajecten/"+id+"/bezoek", form, nil); status != http.StatusNotFound {
		t.Errorf("another coach posts a visit: %d, want 404", status)
	}
	own, csrf := s.formSession(t, s.token("coach:test-coach"))
	form = url.Values{"csrf": {csrf}, "key": {"k2"}, "note": {"x"}}
	for _, h := range []map[string]string{{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
		if status, _ := s.page(own, "POST", "/trajecten/"+id+"/bezoek", form, h); status != http.StatusForbidden {
			t.Errorf("a cross-site post (%v): %d, want 403", h, status)
		}
	}
	if status, _ := s.page(own, "POST", "/trajecten/"+id+"/bezoek", url.Values{"csrf": {"wrong"}, "key": {"k3"}}, nil); status != http.StatusForbidden {
		t.Errorf("a post without the session's CSRF secret: %d, want 403", status)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formSession signs in over HTTP and returns the session cookie and the CSRF secret.
func (s *stack) formSession(t *testing.T, token string) (*http.Cookie, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(s.apiURL+"/aanmelden", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "elkgezin_session" {
			cookie = ck
		}
	}
	if cookie == nil {
		t.Fatalf("sign-in: %d, no cookie", resp.StatusCode)
	}
	_, body := s.page(cookie, "GET", "/gezinnen", nil, nil)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF secret on the page: %s", body)
	}
	return cookie, m[1]
}

func (s *stack) page(cookie *http.Cookie, method, path string, form url.Values, header map[string]string) (int, string) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.apiURL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.AddCookie(cookie)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *stack) referPlain(reference, name string) string {
	s.t.Helper()
	return s.refer("partner:test-partner", apiclient.Referral{
		Programme: "test-seconds",
		Referrer:  apiclient.Referrer{Organisation: "test-partner", Reference: reference},
		Family:    apiclient.Family{ContactName: name, Phone: ptr("+32 470 11 22 33")},
		Reason:    "jonge moeder, alleen",
	})
}

func (s *stack) signIn(t *testing.T, ctx context.Context, token string) {
	t.Helper()
	mustRun(t, ctx,
		chromedp.Navigate(s.apiURL+"/aanmelden"),
		chromedp.WaitVisible(`#token`, chromedp.ByQuery),
	)
	s.checkPage(t, ctx, "aanmelden")
	mustRun(t, ctx,
		chromedp.SetValue(`#token`, token, chromedp.ByQuery),
		chromedp.Submit(`#token`, chromedp.ByQuery),
		chromedp.WaitVisible(`header nav`, chromedp.ByQuery),
	)
}

// step fills a step's form on the trajectory page and sends it.
func (s *stack) step(t *testing.T, ctx context.Context, id, step string, fields map[string]string) {
	t.Helper()
	actions := []chromedp.Action{chromedp.Navigate(s.apiURL + "/trajecten/" + id), chromedp.WaitVisible(`#f-`+step, chromedp.ByQuery)}
	var last string
	for sel, v := range fields {
		if v == checked {
			actions = append(actions, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery))
		} else {
			actions = append(actions, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.SetValue(sel, v, chromedp.ByQuery))
		}
		last = sel
	}
	actions = append(actions, chromedp.Submit(last, chromedp.ByQuery), chromedp.WaitVisible(`.done, .error`, chromedp.ByQuery))
	mustRun(t, ctx, actions...)
	if html := outerHTML(t, ctx); !strings.Contains(html, `class="done outcome"`) {
		_, msg, _ := strings.Cut(html, `class="error`)
		msg, _, _ = strings.Cut(msg, "</div>")
		t.Fatalf("%s on %s was not recorded: %s", step, id, msg)
	}
}

// checked in step's fields ticks a checkbox.
const checked = "\x00checked"

// Words no page shows: a step key ("home_visit-1") or an actor id ("coach:test-coach").
var (
	stepKeyText = regexp.MustCompile(`[a-z_]+[-:][0-9]`)
	actorIDText = regexp.MustCompile(`\b(coach|partner|supervisor|co_worker):`)
)

// checkPage saves screenshots of the page at phone and desktop width,
// checks that nothing is wider than the window at either and that no
// text is a step key or an actor id, and runs axe-core on it.
func (s *stack) checkPage(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	screenshots(t, ctx, name)
	for _, w := range []int64{360, 1280} {
		var wide struct {
			Scroll, Inner int64
		}
		mustRun(t, ctx, chromedp.EmulateViewport(w, 800),
			chromedp.Evaluate(`({Scroll: document.documentElement.scrollWidth, Inner: window.innerWidth})`, &wide))
		if wide.Scroll > wide.Inner {
			var culprits []string
			mustRun(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth).slice(-5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))`, &culprits))
			t.Errorf("%s at %d px: the page is %d px wide: %v", name, w, wide.Scroll, culprits)
		}
	}
	var text string
	mustRun(t, ctx, chromedp.Evaluate(`document.title + "\n" + document.body.innerText`, &text))
	if m := stepKeyText.FindString(text); m != "" {
		t.Errorf("%s shows a step key: %q", name, m)
	}
	if m := actorIDText.FindString(text); m != "" {
		t.Errorf("%s shows an actor id: %q", name, m)
	}
	if v := axeViolations(t, ctx); len(v) > 0 {
		t.Errorf("%s: serious accessibility violations:\n%s", name, strings.Join(v, "\n"))
	}
}

func outerHTML(t *testing.T, ctx context.Context) string {
	t.Helper()
	var html string
	mustRun(t, ctx, chromedp.OuterHTML(`html`, &html, chromedp.ByQuery))
	return html
}

func mustRun(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// local is a datetime-local value in Belgian time, with seconds (whole
// seconds, not :00, which the browser writes without them).
func local(at time.Time) string {
	loc, _ := time.LoadLocation("Europe/Brussels")
	at = at.Truncate(time.Second)
	if at.Second() == 0 {
		at = at.Add(time.Second)
	}
	return at.In(loc).Format("2006-01-02T15:04:05")
}
