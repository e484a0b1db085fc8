package pages

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// listStore lists every trajectory it holds.
type listStore struct{ *fakeStore }

func (l listStore) ListTrajectories(context.Context, store.Filter) (store.Page, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var p store.Page
	for _, row := range l.rows {
		p.Items = append(p.Items, row.TrajectorySummary)
	}
	return p, nil
}

type fakeFigures []store.MonthFigures

func (f fakeFigures) TeamFigures(context.Context, []string, time.Time, time.Time) ([]store.MonthFigures, error) {
	return f, nil
}

// Words the pages never show: a step key ("home_visit-1") or an actor id ("coach:test-coach").
var (
	stepKeyText = regexp.MustCompile(`[a-z_]+[-:][0-9]`)
	actorIDText = regexp.MustCompile(`\b(coach|partner|supervisor|co_worker):`)
)

const (
	uxFamily   = "tr-uxaaaaaaaaaaaaaaaaaaaaaaaa"
	uxWaiting  = "tr-uxbbbbbbbbbbbbbbbbbbbbbbbb"
	uxProgramm = "test-seconds"
)

type uxFixture struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]*http.Cookie // the flash cookie each person's browser keeps
}

func newUX(t *testing.T, figs fakeFigures) *uxFixture {
	t.Helper()
	referred := time.Now().Add(-72 * time.Hour)
	due := time.Now().Add(48 * time.Hour)
	st := listStore{&fakeStore{rows: map[string]store.Trajectory{
		uxFamily: {TrajectorySummary: store.TrajectorySummary{ID: uxFamily, ProgrammeID: uxProgramm, ReferrerOrg: "test-partner", CoachID: "test-coach",
			Phase: trajectory.PhaseInSupport, NextStep: "home_visit-2", NextDueAt: &due, ReferredAt: referred},
			Family: &trajectory.Family{ContactName: "Lotte Laatgezin"},
			Events: []store.EventRow{
				{Seq: 1, Kind: trajectory.EventReferred, Actor: "partner:test-partner", At: referred},
				{Seq: 2, Kind: trajectory.EventCoachAssigned, Actor: "supervisor:sup", At: referred.Add(time.Hour), Detail: map[string]string{"coach": "test-coach"}},
				{Seq: 3, Kind: trajectory.EventIntakeDone, Actor: "coach:test-coach", At: referred.Add(2 * time.Hour), Detail: map[string]string{"note": "koelkast leeg, slaapt slecht"}},
				{Seq: 4, Kind: trajectory.EventReminderSent, Actor: "elkgezin", At: referred.Add(3 * time.Hour),
					Detail: map[string]string{"step": "home_visit-2", "to": "coach:test-coach"}},
				{Seq: 5, Kind: trajectory.EventAlertSent, Actor: "elkgezin", At: referred.Add(4 * time.Hour),
					Detail: map[string]string{"step": "handover_ack-1", "to": "coach:test-coach", "notice": "alert"}},
				{Seq: 6, Kind: trajectory.EventAlertSent, Actor: "elkgezin", At: referred.Add(5 * time.Hour),
					Detail: map[string]string{"step": "home_visit-1", "to": "supervisor", "notice": "alert"}},
			}},
		uxWaiting: {TrajectorySummary: store.TrajectorySummary{ID: uxWaiting, ProgrammeID: uxProgramm, ReferrerOrg: "test-partner",
			Phase: trajectory.PhaseReferred, ReferredAt: referred}, Family: &trajectory.Family{ContactName: "Chris Wachtgezin"}},
	}}}
	progs := programme.Catalogue{uxProgramm: {ID: uxProgramm, Name: "Testprogramma Seconden",
		Referrers: []programme.Organisation{{ID: "test-partner", Name: "Kind en Gezin Teststad"}},
		Coaches:   []programme.Coach{{ID: "test-coach", Name: "Ann Coach"}, {ID: "test-coach-2", Name: "Bert Zondergezin"}}}}
	sessions := subjectSessions{
		"coach":      {ID: "tok_coach", Kind: store.TokenCoach, Subject: "test-coach", Programmes: []string{uxProgramm}},
		"coach2":     {ID: "tok_coach2", Kind: store.TokenCoach, Subject: "test-coach", Programmes: []string{uxProgramm}},
		"supervisor": {ID: "tok_super", Kind: store.TokenSupervisor, Subject: "sup", Programmes: []string{uxProgramm}},
	}
	cfg := Config{Cases: usecase.Cases{Programmes: progs, Store: st, Audit: &fakeAudit{}, Logger: slog.New(slog.DiscardHandler)},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler)}
	if figs != nil {
		cfg.Figures = figs
	}
	return &uxFixture{t: t, h: New(cfg), cookies: map[string]*http.Cookie{}}
}

// do sends a request as who, keeping the flash cookie as a browser would.
func (f *uxFixture) do(who, method, path string, form url.Values) *http.Response {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", "csrf-"+who)
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://example.com")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	req.AddCookie(&http.Cookie{Name: session.InsecureCookieName, Value: who})
	if c := f.cookies[who]; c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	resp := rec.Result()
	for _, c := range resp.Cookies() {
		if c.Name == flashCookie {
			if c.MaxAge < 0 {
				delete(f.cookies, who)
			} else {
				f.cookies[who] = c
			}
		}
	}
	return resp
}

func text(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestRefusedFormIsRedirectedWithWhatWasTyped: a refused form is answered
// with a redirect (a reload never sends it again); the page it goes to
// says the refusal first, focused, with "Geweigerd" in its title, and
// the form keeps what was typed and its key, also when reloaded. Another
// session at the same browser does not get it.
func TestRefusedFormIsRedirectedWithWhatWasTyped(t *testing.T) {
	f := newUX(t, nil)
	resp := f.do("coach", http.MethodPost, "/trajecten/"+uxFamily+"/afsluiting",
		url.Values{"key": {"form-close-1"}, "reason": {string(trajectory.CloseOther)}, "text": {"verhuisd naar Gent"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refused close: %d %s, want 303", resp.StatusCode, text(t, resp))
	}
	loc := resp.Header.Get("Location")
	if loc != "/trajecten/"+uxFamily+"?geweigerd=afsluiting" {
		t.Fatalf("refused close goes to %q", loc)
	}
	if f.cookies["coach"] == nil || strings.Contains(f.cookies["coach"].Value, "verhuisd") {
		t.Fatalf("the refused form is not kept, or kept in clear: %+v", f.cookies["coach"])
	}
	for i := range 2 { // the page, and the page reloaded
		page := f.do("coach", http.MethodGet, loc, nil)
		body := text(t, page)
		if page.StatusCode != http.StatusOK {
			t.Fatalf("load %d: %d", i, page.StatusCode)
		}
		main := body[strings.Index(body, `<main id="inhoud">`):]
		if !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(main, `<main id="inhoud">`)), `<div id="uitkomst" class="error outcome" role="alert" tabindex="-1" autofocus>`) {
			t.Errorf("load %d: the refusal is not the first thing on the page:\n%.300s", i, main)
		}
		if !strings.Contains(body, "<title>Geweigerd: Lotte Laatgezin") {
			t.Errorf("load %d: the title does not say the step was refused", i)
		}
		if !strings.Contains(body, closeUnconfirmed) || !strings.Contains(body, "verhuisd naar Gent</textarea>") ||
			!strings.Contains(body, `value="form-close-1"`) || !strings.Contains(body, `<option value="other" selected>`) {
			t.Errorf("load %d: the refused form lost what was typed, its key or its reason", i)
		}
	}
	// The same browser, another session: nothing of the first one's form.
	f.cookies["coach2"] = f.cookies["coach"]
	if body := text(t, f.do("coach2", http.MethodGet, loc, nil)); strings.Contains(body, "verhuisd naar Gent") || strings.Contains(body, `id="uitkomst"`) {
		t.Error("another session reads the refused form back")
	}
	// Without ?geweigerd the page is itself.
	if body := text(t, f.do("coach", http.MethodGet, "/trajecten/"+uxFamily, nil)); strings.Contains(body, `id="uitkomst"`) {
		t.Error("the refusal shows on the page opened afresh")
	}
	// The cookie is sealed: its bytes do not unpack to the typed text.
	if raw, err := base64.RawURLEncoding.DecodeString(f.cookies["coach"].Value); err != nil || bytes.Contains(raw, []byte("verhuisd")) {
		t.Errorf("the flash cookie: %v", err)
	} else if _, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
		t.Error("the flash cookie is only compressed, not sealed")
	}
	// A form too large for a cookie is answered in place, keeping what was typed.
	const symbols = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%()*,-./:;=?@[]^_{|}~ "
	noise := make([]byte, trajectory.MaxNoteLength-10)
	_, _ = rand.Read(noise)
	for i, b := range noise {
		noise[i] = symbols[int(b)%len(symbols)]
	}
	long := "x" + strings.TrimSpace(string(noise)) + "x"
	resp = f.do("coach", http.MethodPost, "/trajecten/"+uxFamily+"/afsluiting",
		url.Values{"key": {"form-close-2"}, "reason": {string(trajectory.CloseOther)}, "text": {long}})
	if body := text(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, long) || !strings.Contains(body, `id="uitkomst" class="error outcome"`) {
		t.Errorf("a refused form too large for the cookie: %d", resp.StatusCode)
	}
	// Signing out takes the typed text out of the browser.
	f.do("coach", http.MethodPost, "/afmelden", url.Values{})
	if f.cookies["coach"] != nil {
		t.Error("the refused form outlives the session")
	}
}

// TestClosingAsksForConfirmationAndAReason: no reason is chosen
// beforehand, the form says closing cannot be undone and asks to confirm;
// without the confirmation the step is not sent, with it, it is.
func TestClosingAsksForConfirmationAndAReason(t *testing.T) {
	f := newUX(t, nil)
	body := text(t, f.do("coach", http.MethodGet, "/trajecten/"+uxFamily, nil))
	_, closeForm, _ := strings.Cut(body, `id="f-afsluiting"`)
	closeForm, _, _ = strings.Cut(closeForm, "</form>")
	if strings.Contains(closeForm, "selected") || !strings.Contains(closeForm, `<option value="">Kies een reden</option>`) {
		t.Errorf("a reason is chosen beforehand:\n%s", closeForm)
	}
	if !strings.Contains(closeForm, "niet ongedaan") || !regexp.MustCompile(`type="checkbox" id="close_confirm" name="bevestigd" value="ja" required`).MatchString(closeForm) {
		t.Errorf("the close form does not ask to confirm:\n%s", closeForm)
	}
	h := &handler{}
	row := store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: uxFamily, ProgrammeID: uxProgramm}}
	form := url.Values{"reason": {string(trajectory.CloseGoalsReached)}}
	if update, _, problem := h.buildStep("afsluiting", row, form, "coach:test-coach", time.Now()); update != "" || problem != closeUnconfirmed {
		t.Errorf("close without confirmation: %q %q", update, problem)
	}
	form.Set("bevestigd", "ja")
	if update, req, problem := h.buildStep("afsluiting", row, form, "coach:test-coach", time.Now()); update != trajectory.UpdateClose || problem != "" ||
		req.(trajectory.Close).Reason != trajectory.CloseGoalsReached {
		t.Errorf("close confirmed: %q %v %q", update, req, problem)
	}
	if _, _, problem := h.buildStep("afsluiting", row, url.Values{"bevestigd": {"ja"}}, "coach:test-coach", time.Now()); problem != sayCode(trajectory.CodeCloseReasonRequired) {
		t.Errorf("close without a reason: %q", problem)
	}
}

// TestTrajectoryPageSaysNamesNotIds: programme, partner, coach and steps
// by name; each reminder and alert says to whom and for which step (the
// alert about an unacknowledged handover to the coach is not one "aan
// verantwoordelijke"); the intake's note shown back; no id on the page.
func TestTrajectoryPageSaysNamesNotIds(t *testing.T) {
	f := newUX(t, nil)
	body := text(t, f.do("coach", http.MethodGet, "/trajecten/"+uxFamily, nil))
	for _, want := range []string{"Testprogramma Seconden", "Kind en Gezin Teststad", "Ann Coach", "huisbezoek 2",
		"Herinnering aan de coach, Ann Coach: huisbezoek 2", "Verwittiging aan de coach, Ann Coach: bevestiging van overdracht 1",
		"Verwittiging aan de teamverantwoordelijke: huisbezoek 1", "koelkast leeg, slaapt slecht", `class="note"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the trajectory page does not say %q", want)
		}
	}
	visible := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	if m := stepKeyText.FindString(visible); m != "" {
		t.Errorf("the page shows a step key: %q", m)
	}
	if m := actorIDText.FindString(visible); m != "" {
		t.Errorf("the page shows an actor id: %q", m)
	}
	if strings.Contains(visible, uxFamily) || strings.Contains(visible, "test-seconds") {
		t.Error("the page shows an id")
	}
}

// TestTeamListsEveryCoachAndReturnsAfterAssigning: /team lists a coach
// with no family; families by name; an assignment from it comes back to
// it, refused or not, with the outcome first.
func TestTeamListsEveryCoachAndReturnsAfterAssigning(t *testing.T) {
	f := newUX(t, nil)
	body := text(t, f.do("supervisor", http.MethodGet, "/team", nil))
	for _, want := range []string{"<td>Bert Zondergezin</td>", "<td>Ann Coach</td>", "Chris Wachtgezin", `name="terug" value="team"`, "Testprogramma Seconden"} {
		if !strings.Contains(body, want) {
			t.Errorf("/team does not show %q", want)
		}
	}
	visible := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	if strings.Contains(visible, uxWaiting) || actorIDText.MatchString(visible) {
		t.Error("/team shows an id")
	}
	resp := f.do("supervisor", http.MethodPost, "/trajecten/"+uxWaiting+"/toewijzing", url.Values{"key": {"assign-1"}, "coach": {"nobody"}, "terug": {"team"}})
	loc, _, _ := strings.Cut(resp.Header.Get("Location"), "#") // a browser does not send the fragment
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/team?") {
		t.Fatalf("a refused assignment from /team: %d to %q", resp.StatusCode, loc)
	}
	body = text(t, f.do("supervisor", http.MethodGet, loc, nil))
	if !strings.Contains(body, `<div id="uitkomst" class="error outcome" role="alert"`) || !strings.Contains(body, "Kies een coach van het programma.") ||
		!strings.Contains(body, "<title>Geweigerd: Team") {
		t.Errorf("/team after a refused assignment does not say so first: %s", body[strings.Index(body, "<main"):][:400])
	}
	u, _ := url.Parse(loc)
	q := u.Query()
	if q.Get("traject") != uxWaiting {
		t.Errorf("the redirect names %q", q.Get("traject"))
	}
	body = text(t, f.do("supervisor", http.MethodGet, "/team?gedaan=toewijzing&traject="+uxFamily, nil))
	if !strings.Contains(body, `<div id="uitkomst" class="done outcome" role="status" tabindex="-1" autofocus><p>Ann Coach is de coach van Lotte Laatgezin.</p>`) ||
		!strings.Contains(body, "<title>Opgeslagen: Team") {
		t.Errorf("/team after an assignment does not say so first")
	}
}

// TestTeamChartsSuppressSmallCounts: the charts are SVG with a title, a
// description and a table; a month of three referrals and a coach with
// three families show no bar and no number, as the reports suppress them.
func TestTeamChartsSuppressSmallCounts(t *testing.T) {
	now := time.Now().In(zone)
	last := now.AddDate(0, -1, 0)
	median := 3.5
	f := newUX(t, fakeFigures{
		{Year: last.Year(), Month: last.Month(), Referred: store.NewCount(12), MedianToCoach: &median},
		{Year: now.Year(), Month: now.Month(), Referred: store.NewCount(3)},
	})
	body := text(t, f.do("supervisor", http.MethodGet, "/team", nil))
	for _, want := range []string{`<svg role="img" aria-labelledby="chart-doorverwijzingen-title chart-doorverwijzingen-desc"`,
		`<title id="chart-doorverwijzingen-title">Doorverwijzingen per maand</title>`, "<caption>Open en te laat per coach</caption>",
		"<td>12</td>", "<td>3,5 d</td>", "<td>minder dan 5</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("/team's charts lack %q", want)
		}
	}
	_, charts, _ := strings.Cut(body, `id="cijfers"`)
	if strings.Contains(charts, "<td>3</td>") || strings.Contains(charts, ">3</text>") || strings.Contains(charts, "<td>1</td>") || strings.Contains(charts, ">1</text>") {
		t.Error("a count below 5 is shown in the charts")
	}
	c := coachChart([]coachLine{{Name: "Ann", Open: 3, Late: 1}, {Name: "Bert", Open: 8, Late: 6}})
	if b := c.Rows[0].Bars; b[0].W != 0 || b[0].Text != "minder dan 5" || b[1].W != 0 {
		t.Errorf("Ann's three families are drawn: %+v", b)
	}
	if b := c.Rows[1].Bars; b[0].W != chartBarMax || b[0].Text != "8" || b[1].W == 0 {
		t.Errorf("Bert's bars: %+v", b)
	}
}
