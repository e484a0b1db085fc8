package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	enumspb "go.temporal.io/api/enums/v1"
)

// TestOfflineVisitInBrowser: in a real headless Chromium at 360 px, a
// coach opens three trajectories and loses the signal. First the server
// cannot be reached while the browser believes it is online (the service
// worker queues the visit), then the network is off by DevTools emulation
// (the page queues the next ones); each visit carries a note and shows as
// "nog niet verzonden". The browser is closed and opened again on the same
// profile, offline by emulation alone with the server up: the trajectory
// comes from the copy kept on the device (so the emulation reaches the
// service worker), still queued; "Mijn gezinnen" is not kept at all.
// Meanwhile one trajectory is closed and one reassigned. The connection
// returns, slowly: "Mijn gezinnen" marks the family whose visit is on its
// way; the visit is recorded once (event log, workflow history) at the
// moment it was typed, and its next visit's reminder follows; the other two
// come back refused in Dutch, with the typed note shown until the coach
// wipes it. A second device sending the same queued step changes nothing,
// and signing out wipes what the device kept.
func TestOfflineVisitInBrowser(t *testing.T) {
	s := startStack(t)
	id := s.referPlain("OFFLINE-VISIT", "Olga Offlinegezin")
	closing := s.referPlain("OFFLINE-CLOSED", "Cas Sluitgezin")
	moved := s.referPlain("OFFLINE-MOVED", "Mo Verhuisgezin")
	for _, tr := range []string{id, closing, moved} {
		s.mustStep("supervisor:test", tr, "assignment", map[string]any{"coach": "test-coach"})
		s.mustStep("coach:test-coach", tr, "intake", map[string]any{"next_visit_due_at": time.Now().Add(24 * time.Hour).Format(time.RFC3339)})
	}
	profile, err := os.MkdirTemp("", "elkgezin-offline-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeProfile(profile) })

	coach, closeCoach := profileBrowser(t, profile)
	s.signIn(t, coach, s.token("coach:test-coach"))
	for _, tr := range []string{id, closing, moved} {
		openControlled(t, coach, s.apiURL+"/trajecten/"+tr)
	}
	var kept int
	mustRun(t, coach, evaluate(`caches.open('elkgezin-paginas').then(c => c.keys()).then(k => k.length)`, &kept))
	if kept != 3 {
		t.Fatalf("%d trajectory pages kept on the device, want the 3 opened", kept)
	}

	// No signal: first the server cannot be reached while the browser
	// believes it is online (the service worker queues the form and shows
	// the kept page), then the network is off (the page queues it).
	s.stop(s.api)
	recorded := time.Now()
	next := time.Now().Add(3 * time.Minute)
	queueVisit(t, coach, s.apiURL+"/trajecten/"+closing, next, "gesloten deur, briefje gelaten", "?bewaard=bezoek")
	setOffline(t, coach, true)
	queueVisit(t, coach, s.apiURL+"/trajecten/"+moved, next, "verhuisdozen in de gang", "/trajecten/"+moved)
	queueVisit(t, coach, s.apiURL+"/trajecten/"+id, next, "koelkast leeg, slaapt slecht", "/trajecten/"+id)
	s.checkPage(t, coach, "offline-bewaard")
	var entries []map[string]any
	mustRun(t, coach, evaluate(`elkgezinWachtrij.all()`, &entries))
	if len(entries) != 3 {
		t.Fatalf("%d steps queued, want 3", len(entries))
	}
	var visit map[string]any // the visit as queued, for the second device
	for _, e := range entries {
		if e["trajectory"] == id {
			visit = e
		}
	}
	// "Mijn gezinnen" is not kept: the list of families is not on the device.
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/gezinnen"), chromedp.WaitVisible(`h1`, chromedp.ByQuery))
	if html := outerHTML(t, coach); !strings.Contains(html, "Geen verbinding") || strings.Contains(html, "Olga Offlinegezin") {
		t.Errorf("offline, Mijn gezinnen shows:\n%s", html)
	}
	s.checkPage(t, coach, "offline-geen-verbinding")
	closeCoach()

	// Closed meanwhile, elsewhere. The server is up again from here on:
	// the service worker is offline by the network emulation alone.
	s.restartAPI()
	s.mustStep("supervisor:test", closing, "closure", map[string]any{"reason": "moved_away"})
	s.mustStep("supervisor:test", moved, "assignment", map[string]any{"coach": "test-coach-2"})

	coach, closeCoach = profileBrowser(t, profile)
	defer closeCoach()
	setOffline(t, coach, true)
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`#wachtrij`, chromedp.ByQuery))
	var copied bool
	mustRun(t, coach, evaluate(`document.documentElement.dataset.bewaard === 'ja'`, &copied))
	if html := outerHTML(t, coach); !copied || !strings.Contains(html, "nog niet verzonden") || !strings.Contains(html, "koelkast leeg") {
		t.Fatalf("reopened offline, the trajectory (kept copy: %v) shows:\n%s", copied, html)
	}
	time.Sleep(5 * time.Second) // sent later than recorded, by enough to tell

	// The connection returns, slowly: "Mijn gezinnen" marks the family
	// whose visit is on its way.
	back := time.Now()
	setNetwork(t, coach, false, 4000)
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/gezinnen"), chromedp.WaitVisible(`ul.families .queue-mark`, chromedp.ByQuery))
	var mark string
	mustRun(t, coach, chromedp.Text(`ul.families li:has(.queue-mark)`, &mark, chromedp.ByQuery))
	if !strings.Contains(mark, "Olga Offlinegezin") || !strings.Contains(mark, "nog niet verzonden") {
		t.Errorf("Mijn gezinnen marks %q", mark)
	}
	s.checkPage(t, coach, "offline-gezinnen")
	mustRun(t, coach, chromedp.WaitNotPresent(`ul.families .queue-mark`, chromedp.ByQuery))
	setNetwork(t, coach, false, 0)

	s.waitEvent(id, "home_visit_done", 1, 30*time.Second)
	s.checkVisitOnce(t, id, recorded, back)

	// The closed trajectory's visit: refused in Dutch, the note kept until wiped.
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+closing), chromedp.WaitVisible(`#wachtrij li.error`, chromedp.ByQuery))
	var refused string
	mustRun(t, coach, evaluate(`document.getElementById('wachtrij').innerText`, &refused))
	if !strings.Contains(refused, "afgesloten") || !strings.Contains(refused, "gesloten deur, briefje gelaten") {
		t.Errorf("the refused visit shows %q", refused)
	}
	s.checkPage(t, coach, "offline-geweigerd")
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+closing), chromedp.WaitVisible(`#wachtrij li.error`, chromedp.ByQuery),
		chromedp.Click(`#wachtrij li.error button`, chromedp.ByQuery), chromedp.WaitNotPresent(`#wachtrij`, chromedp.ByQuery),
		chromedp.Navigate(s.apiURL+"/trajecten/"+closing), chromedp.WaitVisible(`h1`, chromedp.ByQuery))
	// The reassigned trajectory's visit: the page no longer shows the
	// trajectory, nor keeps its copy, but does show the refused visit.
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+moved), chromedp.WaitVisible(`#wachtrij li.error`, chromedp.ByQuery))
	mustRun(t, coach, evaluate(`document.getElementById('wachtrij').innerText`, &refused))
	if !strings.Contains(refused, "geen traject met dit nummer dat u mag zien") || !strings.Contains(refused, "verhuisdozen in de gang") {
		t.Errorf("the visit on the reassigned trajectory shows %q", refused)
	}
	mustRun(t, coach, evaluate(`caches.open('elkgezin-paginas').then(c => c.keys()).then(k => k.length)`, &kept))
	if kept != 2 {
		t.Errorf("%d trajectory pages kept, want 2: the reassigned one's copy goes", kept)
	}
	mustRun(t, coach, chromedp.Click(`#wachtrij li.error button`, chromedp.ByQuery), chromedp.WaitNotPresent(`#wachtrij`, chromedp.ByQuery))
	mustRun(t, coach, evaluate(`elkgezinWachtrij.all()`, &entries))
	if len(entries) != 0 {
		t.Errorf("after the refusals were wiped, %d steps are kept", len(entries))
	}

	// A second device sends the same queued visit (same key): nothing changes.
	other := browser(t)
	s.signIn(t, other, s.token("coach:test-coach"))
	openControlled(t, other, s.apiURL+"/trajecten/"+id)
	// Its Background Sync or a flush here sends it, whichever comes first;
	// a busy service is tried again, as the pages do.
	var kept2 []map[string]any
	mustRun(t, other, evaluateArg(`e => elkgezinWachtrij.add(e)`, visit, nil))
	for range 30 {
		mustRun(t, other, evaluate(`elkgezinWachtrij.flush().catch(() => null).then(() => elkgezinWachtrij.all())`, &kept2))
		if len(kept2) == 0 || kept2[0]["status"] != "wacht" {
			break
		}
		time.Sleep(time.Second)
	}
	// Sent, it is the same step; once its next visit is past, the pages
	// refuse the form before it reaches the workflow. Either way nothing
	// changes.
	if len(kept2) != 0 {
		t.Logf("the second device's send of the same visit was refused: %v", kept2[0]["message"])
	}
	s.checkVisitOnce(t, id, recorded, back)

	// Signing out wipes the queue and the kept pages.
	mustRun(t, coach, chromedp.Navigate(s.apiURL+"/trajecten/"+id), chromedp.WaitVisible(`header nav`, chromedp.ByQuery),
		chromedp.Click(`form[action="/afmelden"] button`, chromedp.ByQuery), chromedp.WaitVisible(`#token`, chromedp.ByQuery))
	var left []string
	mustRun(t, coach, evaluate(`Promise.all([caches.keys(), indexedDB.databases()]).then(([c, d]) =>
		c.filter(k => k !== 'elkgezin-static').concat(d.map(x => 'idb:' + x.name)))`, &left))
	if len(left) != 0 {
		t.Errorf("after signing out the device keeps %v", left)
	}

	// The reminder of the next visit the offline visit planned.
	s.waitEvent(id, "reminder_sent", 1, 5*time.Minute)
}

// profileBrowser is a headless Chromium on this profile directory, which
// outlives it: closing and opening it again is a phone's browser closed
// and opened. close ends it and waits for it to exit.
func profileBrowser(t *testing.T, profile string) (context.Context, func()) {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("no chromium on PATH")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "nl-BE"), chromedp.Flag("accept-lang", "nl-BE,nl"),
		chromedp.Env("LANGUAGE=nl-BE"), chromedp.UserDataDir(profile), chromedp.WindowSize(360, 780))
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 6*time.Minute)
	mustRun(t, ctx, chromedp.EmulateViewport(360, 780))
	closed := false
	return ctx, func() {
		if closed {
			return
		}
		closed = true
		// As a person closes it: Chromium writes its profile first.
		_ = chromedp.Cancel(ctx)
		cancelTimeout()
		cancel()
		cancelAlloc()
	}
}

func removeProfile(dir string) {
	for range 20 {
		if os.RemoveAll(dir) == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// openControlled opens a page once the service worker controls it, so
// that the worker sees (and keeps) it.
func openControlled(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	for range 20 {
		var controlled bool
		mustRun(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(`h1`, chromedp.ByQuery),
			evaluate(`navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)`, &controlled))
		if controlled {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("no service worker controls %s", url)
}

// evaluate runs a script and waits for the promise it gives.
func evaluate(script string, res any) chromedp.Action {
	return chromedp.Evaluate(script, res, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })
}

// evaluateArg calls fn (a script's function) with arg, as JSON.
func evaluateArg(fn string, arg any, res any) chromedp.Action {
	b, _ := json.Marshal(arg)
	return evaluate("("+fn+")("+string(b)+")", res)
}

func setOffline(t *testing.T, ctx context.Context, offline bool) {
	t.Helper()
	setNetwork(t, ctx, offline, 0)
}

// setNetwork switches the page's network off, or on with a latency
// (DevTools network emulation: navigator.onLine and the page's requests).
func setNetwork(t *testing.T, ctx context.Context, offline bool, latencyMS float64) {
	t.Helper()
	mustRun(t, ctx, network.Enable(), network.EmulateNetworkConditions(offline, latencyMS, -1, -1))
}

// queueVisit records a home visit on the trajectory page while offline
// and waits until the page shows it queued, at the address ending in at.
func queueVisit(t *testing.T, ctx context.Context, url string, next time.Time, note, at string) {
	t.Helper()
	mustRun(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(`#f-bezoek`, chromedp.ByQuery),
		// Whole minutes: a click checks the field's step (60 s), form.submit() does not.
		chromedp.SetValue(`#bezoek-next`, local(next)[:len("2006-01-02T15:04")], chromedp.ByQuery),
		chromedp.SetValue(`#bezoek-note`, note, chromedp.ByQuery),
		// Clicked, as a person does (chromedp.Submit calls form.submit(),
		// which skips the page's submit handler).
		chromedp.Click(`form[action$="/bezoek"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#wachtrij`, chromedp.ByQuery))
	var text, typed, where string
	mustRun(t, ctx, evaluate(`document.getElementById('wachtrij').innerText`, &text),
		chromedp.Value(`#bezoek-note`, &typed, chromedp.ByQuery), chromedp.Location(&where))
	if !strings.Contains(text, "nog niet verzonden") || !strings.Contains(text, note) || typed != "" || !strings.HasSuffix(where, at) {
		t.Fatalf("at %s (want …%s) the queued visit shows %q (the form still holds %q)", where, at, text, typed)
	}
}

// checkVisitOnce: the visit is in the event log once, done at the moment
// it was recorded offline (not when it was sent), and accepted once in the
// workflow's history.
func (s *stack) checkVisitOnce(t *testing.T, id string, recorded, sent time.Time) {
	t.Helper()
	conn := s.db()
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM trajectory_events WHERE trajectory_id = $1 AND kind = 'home_visit_done'`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d visits in the event log, want 1", n)
	}
	row, err := s.keyedStore().Trajectory(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range row.Events {
		if e.Kind != "home_visit_done" {
			continue
		}
		at, err := time.Parse(time.RFC3339, e.Detail["done_at"])
		// done_at has whole seconds; the page wrote the moment the coach sent the form.
		if err != nil || at.Before(recorded.Add(-2*time.Second)) || !at.Before(sent) {
			t.Errorf("the visit is done at %q; recorded offline at %s, sent after %s", e.Detail["done_at"], recorded, sent)
		}
	}
	visits := 0
	iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName() == "record-visit" {
			visits++
		}
	}
	if visits != 1 {
		t.Errorf("%d visits accepted in the workflow's history, want 1", visits)
	}
}

// restartAPI starts the API again on the address it had: the pages'
// origin, and so their service worker, stay the same.
func (s *stack) restartAPI() {
	s.t.Helper()
	s.api = s.launch(s.command("api"))
	s.waitReady()
}
