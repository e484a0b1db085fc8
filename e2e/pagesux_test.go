package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
)

// TestTeamChartsInBrowser: six families referred this month, five of them
// with a coach and an intake: the team page's charts, from PostgreSQL,
// show the six and the medians, and the coach with no family yet; the
// coach with fewer than five families has no number. At 360 and 1280 px,
// axe-core clean, nothing wider than the window.
func TestTeamChartsInBrowser(t *testing.T) {
	s := startStack(t)
	var ids []string
	for i := range 6 {
		ids = append(ids, s.referPlain(fmt.Sprintf("CHART-%d", i), fmt.Sprintf("Gezin Grafiek %d", i)))
	}
	for _, id := range ids[:5] {
		s.mustStep("supervisor:test", id, "assignment", map[string]any{"coach": "test-coach"})
		s.mustStep("coach:test-coach", id, "intake", map[string]any{"next_visit_due_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"note": "eerste gesprek, alles goed"})
	}
	sup := browser(t)
	s.signIn(t, sup, s.token("supervisor:test"))
	mustRun(t, sup, chromedp.Navigate(s.apiURL+"/team"), chromedp.WaitVisible(`#cijfers`, chromedp.ByQuery))
	var referred, days, coaches string
	mustRun(t, sup,
		chromedp.InnerHTML(`#cijfers ~ figure:nth-of-type(1) table tbody`, &referred, chromedp.ByQuery),
		chromedp.InnerHTML(`#cijfers ~ figure:nth-of-type(2) table tbody`, &days, chromedp.ByQuery),
		chromedp.InnerHTML(`#cijfers ~ figure:nth-of-type(3) table tbody`, &coaches, chromedp.ByQuery),
	)
	rows := strings.Split(referred, "</tr>")
	if len(rows) < 12 || !strings.Contains(rows[11], "<td>6</td>") {
		t.Errorf("referrals per month: this month is not six:\n%s", referred)
	}
	if r := strings.Split(days, "</tr>"); len(r) < 12 || strings.Count(r[11], " d</td>") != 2 {
		t.Errorf("days to coach and intake: this month has no medians:\n%s", days)
	}
	if !strings.Contains(coaches, "<th scope=\"row\">Testcoach</th><td>5</td>") || !strings.Contains(coaches, "<th scope=\"row\">Testcoach 2</th><td>0</td>") {
		t.Errorf("open per coach:\n%s", coaches)
	}
	s.checkPage(t, sup, "team-charts")
	readmeScreenshot(t, sup, "team-charts", `#cijfers`)

	coach := browser(t)
	s.signIn(t, coach, s.token("coach:test-coach"))
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+ids[0]), chromedp.WaitVisible(`#notas`, chromedp.ByQuery))
	var notes string
	mustRun(t, coach, chromedp.Text(`ul.notes`, &notes, chromedp.ByQuery))
	if !strings.Contains(notes, "eerste gesprek, alles goed") {
		t.Errorf("the intake's note is not shown back: %q", notes)
	}
	s.checkPage(t, coach, "trajectory-notes")
	readmeScreenshot(t, coach, "trajectory", "")
}

// TestHandoverLinkInBrowser: the service opens the handover link on a
// phone, confirms, and opens it again and confirms again: each answer a
// page in Dutch at phone width; an API client still gets JSON; an
// invalid link a Dutch page too.
func TestHandoverLinkInBrowser(t *testing.T) {
	s := startStack(t)
	id := s.referWithChildren("E2E-LINK-BROWSER")
	s.mustStep("coach:test-coach", id, "handovers", handover("children"))
	mail := s.smtp.WaitFor(t, func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 1") }, 20*time.Second)
	link := linkPattern.FindString(mail.Body)
	if link == "" {
		t.Fatalf("no acknowledgement link in:\n%s", mail.Body)
	}
	service := browser(t)
	for i, want := range []string{"Bedankt", "Bedankt"} {
		var h1 string
		mustRun(t, service, chromedp.EmulateViewport(360, 780), chromedp.Navigate(link), chromedp.WaitVisible(`button`, chromedp.ByQuery))
		s.checkPage(t, service, fmt.Sprintf("handover-link-%d", i))
		mustRun(t, service, chromedp.Click(`button`, chromedp.ByQuery), chromedp.WaitNotPresent(`button`, chromedp.ByQuery),
			chromedp.WaitVisible(`h1`, chromedp.ByQuery), chromedp.Text(`h1`, &h1, chromedp.ByQuery))
		if h1 != want {
			t.Errorf("confirming, time %d: %q, want %q", i+1, h1, want)
		}
		s.checkPage(t, service, fmt.Sprintf("handover-link-answer-%d", i))
		if html := outerHTML(t, service); strings.Contains(html, `"acknowledged"`) || strings.Contains(html, `/problems/`) {
			t.Errorf("confirming, time %d: JSON in the browser", i+1)
		}
	}
	status, again := s.call("", "POST", strings.TrimPrefix(link, s.apiURL)+"/acknowledgement", nil, nil)
	if status != http.StatusOK || again["acknowledged"] != true {
		t.Errorf("an API client: %d %v, want JSON", status, again)
	}
	var h1 string
	mustRun(t, service, chromedp.Navigate(link+"x"), chromedp.WaitVisible(`h1`, chromedp.ByQuery), chromedp.Text(`h1`, &h1, chromedp.ByQuery))
	if h1 != "Link niet gevonden" {
		t.Errorf("an invalid link in the browser: %q", h1)
	}
	s.checkPage(t, service, "handover-link-invalid")
}

// readmeScreenshot writes a phone screenshot (360 px) of the page, or of
// the element selected and what follows it, to ELKGEZIN_SCREENSHOTS (the
// docs/screenshots, shown by the README and docs/pages.md) when it is set.
func readmeScreenshot(t *testing.T, ctx context.Context, name, from string) {
	t.Helper()
	dir := os.Getenv("ELKGEZIN_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	actions := []chromedp.Action{chromedp.EmulateViewport(360, 780)}
	if from != "" {
		// Only the part from the element on: hide what comes before it.
		actions = append(actions, chromedp.Evaluate(`(() => { const el = document.querySelector('`+from+`');
			for (let n = el.previousElementSibling; n; n = n.previousElementSibling) n.style.display = 'none'; })()`, nil))
	}
	actions = append(actions, chromedp.FullScreenshot(&png, 100))
	mustRun(t, ctx, actions...)
	if err := os.WriteFile(filepath.Join(dir, name+"-phone.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
