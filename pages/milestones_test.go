package pages

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// stepTemporal answers the state query and records each Update; refuse
// makes the workflow's validator refuse the next ones.
type stepTemporal struct {
	client.Client
	mu      sync.Mutex
	state   trajectory.State
	updates []client.UpdateWorkflowOptions
	refuse  error
}

func (f *stepTemporal) QueryWorkflow(_ context.Context, id, _, name string, _ ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name != trajectory.QueryState {
		panic("unexpected query " + name)
	}
	return stateValue{f.state}, nil
}

func (f *stepTemporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, opts)
	return stepHandle{opts: opts, state: f.state, err: f.refuse}, nil
}

func (f *stepTemporal) sent() []client.UpdateWorkflowOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]client.UpdateWorkflowOptions(nil), f.updates...)
}

type stateValue struct{ s trajectory.State }

func (v stateValue) HasValue() bool { return true }
func (v stateValue) Get(ptr any) error {
	*(ptr.(*trajectory.State)) = v.s
	return nil
}

type stepHandle struct {
	opts  client.UpdateWorkflowOptions
	state trajectory.State
	err   error
}

func (h stepHandle) WorkflowID() string { return h.opts.WorkflowID }
func (h stepHandle) RunID() string      { return "run" }
func (h stepHandle) UpdateID() string   { return h.opts.UpdateID }
func (h stepHandle) Get(_ context.Context, ptr any) error {
	if h.err != nil {
		return h.err
	}
	ptr.(*trajectory.StepResult).State = h.state
	return nil
}

const stepTrajectory = "tr-aaaaaaaaaaaaaaaaaaaaaaaaaa"

// stepProgramme has milestones and co-workers, as Gent's and Leuven's files do.
func stepProgramme() programme.Catalogue {
	return programme.Catalogue{"test-seconds": {ID: "test-seconds", Name: "Testprogramma",
		Coaches: []programme.Coach{{ID: "test-coach", Name: "An Coach"}},
		Milestones: []programme.Milestone{
			{ID: "opleiding_gestart", Name: "Opleiding gestart", After: "referral"},
			{ID: "stage_gevonden", Name: "Stageplaats gevonden", After: "opleiding_gestart"},
		},
		CoWorkers: []programme.CoWorker{
			{ID: "brugfiguur-lampeke-1", Name: "Fatma Brug", Role: "brugfiguur"},
			{ID: "ervaring-1", Name: "Els Ervaring", Role: "ervaringsdeskundige"},
		}}}
}

type stepFixture struct {
	h        http.Handler
	temporal *stepTemporal
	audit    *fakeAudit
	// cookies are the flash cookie each person's browser keeps.
	cookies map[string]*http.Cookie
}

func newStepFixture(t *testing.T, phase trajectory.Phase, state trajectory.State) *stepFixture {
	t.Helper()
	st := &fakeStore{rows: map[string]store.Trajectory{stepTrajectory: {TrajectorySummary: store.TrajectorySummary{
		ID: stepTrajectory, ProgrammeID: "test-seconds", CoachID: "test-coach", Phase: phase,
		ReferredAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, Family: &trajectory.Family{ContactName: "Gezin Peeters"}}}}
	sessions := subjectSessions{
		"coach":      {ID: "tok_coach", Kind: store.TokenCoach, Subject: "test-coach", Programmes: []string{"test-seconds"}},
		"supervisor": {ID: "tok_super", Kind: store.TokenSupervisor, Subject: "sup-vilvoorde", Programmes: []string{"test-seconds"}},
	}
	f := &stepFixture{temporal: &stepTemporal{state: state}, audit: &fakeAudit{}}
	f.h = New(Config{Cases: usecase.Cases{Store: st, Audit: f.audit, Temporal: f.temporal, Programmes: stepProgramme(),
		Logger: slog.New(slog.DiscardHandler)},
		Services: programme.Services{"kinderopvang-noord": {ID: "kinderopvang-noord", Name: "Kinderopvang Noord", Email: "noord@example.org"}},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler)})
	return f
}

func (f *stepFixture) get(who, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	return f.serve(who, req)
}

// serve sends the request as who, with and keeping the flash cookie as a browser would.
func (f *stepFixture) serve(who string, req *http.Request) *httptest.ResponseRecorder {
	if f.cookies == nil {
		f.cookies = map[string]*http.Cookie{}
	}
	req.AddCookie(&http.Cookie{Name: session.InsecureCookieName, Value: who})
	if c := f.cookies[who]; c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == flashCookie {
			if c.MaxAge < 0 {
				delete(f.cookies, who)
			} else {
				f.cookies[who] = c
			}
		}
	}
	return rec
}

// refusedOnPage checks the answer to a refused form (POST-redirect-GET):
// a 303 to loc (the page with ?geweigerd=<step>), no new Update; the page
// there, loaded and reloaded, says the refusal first, focused and in its
// title, holds the words of want (the Dutch refusal, what was typed), and
// sends nothing again. It returns the page's visible text.
func (f *stepFixture) refusedOnPage(t *testing.T, who string, rec *httptest.ResponseRecorder, loc string, want ...string) string {
	t.Helper()
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != loc {
		t.Errorf("a refused form answers %d to %q, want 303 to %q\n%s", rec.Code, rec.Header().Get("Location"), loc, visibleText(rec.Body.String()))
		return ""
	}
	n := len(f.temporal.sent())
	var text string
	for i := range 2 { // the page, and the page reloaded
		page := f.get(who, loc)
		body := page.Body.String()
		if page.Code != http.StatusOK {
			t.Errorf("load %d of %s: %d", i, loc, page.Code)
			return ""
		}
		_, main, _ := strings.Cut(body, `<main id="inhoud">`)
		if !strings.HasPrefix(strings.TrimSpace(main), `<div id="uitkomst" class="error outcome" role="alert" tabindex="-1" autofocus><p><strong>Niet opgeslagen.</strong>`) {
			t.Errorf("load %d of %s: the refusal is not the first thing on the page:\n%.300s", i, loc, main)
		}
		if !strings.Contains(body, "<title>Geweigerd: ") {
			t.Errorf("load %d of %s: the title does not say the step was refused", i, loc)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("load %d of %s: the page does not hold %q:\n%s", i, loc, w, visibleText(body))
			}
		}
		text = visibleText(body)
	}
	if got := len(f.temporal.sent()); got != n {
		t.Errorf("following the refusal sent %d Updates", got-n)
	}
	return text
}

func (f *stepFixture) post(who, path string, form url.Values) *httptest.ResponseRecorder {
	form.Set("csrf", "csrf-"+who)
	if form.Get("key") == "" {
		form.Set("key", "form-test")
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://example.com")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return f.serve(who, req)
}

// lastAction is the last audit entry's action and outcome.
func (f *stepFixture) lastAction() (string, string) {
	f.audit.mu.Lock()
	defer f.audit.mu.Unlock()
	e := f.audit.entries[len(f.audit.entries)-1]
	return e.Action, e.Outcome
}

// codeLike is what no page may show: a step key or an actor id.
var codeLike = regexp.MustCompile(`(?:home_visit|milestone|handover_ack)-[0-9a-z_]+|(?:coach|partner|supervisor|co_worker):[a-z0-9-]+|opleiding_gestart|stage_gevonden`)

func visibleText(body string) string {
	body = regexp.MustCompile(`(?s)<(?:script|style)[^>]*>.*?</(?:script|style)>`).ReplaceAllString(body, "")
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, " ")
}

func milestoneState() trajectory.State {
	due := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	return trajectory.State{TrajectoryID: stepTrajectory, Phase: trajectory.PhaseInSupport,
		Milestones:        []*trajectory.Step{{Kind: trajectory.StepMilestone, Milestone: "stage_gevonden", DueAt: due, PastDue: true}},
		MilestonesReached: []trajectory.ReachedMilestone{{ID: "opleiding_gestart", At: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), By: "coach:test-coach"}}}
}

// TestMilestonesOnThePage: the page lists the open milestones by their
// names in the programme file with their due dates, and the reached
// ones; the coach records one with its form (an Update record-milestone,
// then back to the page), a refusal is said in Dutch on the page, and a
// supervisor may not take the step.
func TestMilestonesOnThePage(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, milestoneState())
	page := f.get("coach", "/trajecten/"+stepTrajectory)
	text := visibleText(page.Body.String())
	for _, want := range []string{"Mijlpalen", "Stageplaats gevonden: tegen wo 15-04-2026 12:00", "te laat", "Opleiding gestart: di 10-03-2026 10:00", "Mijlpaal bereikt"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q:\n%s", want, text)
		}
	}
	if m := codeLike.FindString(text); m != "" {
		t.Errorf("the page shows the code %q", m)
	}

	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/mijlpaal", url.Values{"milestone": {"stage_gevonden"}, "done_at": {"2026-03-20T10:00"}, "note": {"stage in de crèche"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/trajecten/"+stepTrajectory+"?gedaan=mijlpaal" {
		t.Fatalf("record a milestone: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	ups := f.temporal.sent()
	if len(ups) != 1 || ups[0].UpdateName != trajectory.UpdateRecordMilestone {
		t.Fatalf("updates %+v", ups)
	}
	req := ups[0].Args[0].(trajectory.RecordMilestone)
	if req.Milestone != "stage_gevonden" || req.By != "coach:test-coach" || req.Note != "stage in de crèche" ||
		!req.DoneAt.Equal(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("request %+v", req)
	}
	if action, outcome := f.lastAction(); action != usecase.ActionRecordMilestone || outcome != store.OutcomeOK {
		t.Errorf("audit %s %s", action, outcome)
	}
	if done := f.get("coach", "/trajecten/"+stepTrajectory+"?gedaan=mijlpaal"); !strings.Contains(done.Body.String(), "De mijlpaal is opgeslagen.") {
		t.Errorf("after the step the page does not say it was recorded")
	}

	f.temporal.refuse = trajectory.Refused("milestone stage_gevonden was already reached",
		trajectory.Refusal{Code: trajectory.CodeMilestoneAlreadyReached, Args: map[string]string{trajectory.ArgMilestone: "stage_gevonden"}})
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/mijlpaal", url.Values{"milestone": {"stage_gevonden"}, "note": {"stage bij Het Nestje"}, "key": {"form-ms-2"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=mijlpaal", "werd al bereikt", "stage bij Het Nestje</textarea>", `value="form-ms-2"`)
	if n := len(f.temporal.sent()); n != 2 {
		t.Errorf("%d Updates after a refused milestone, want 2", n)
	}
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/mijlpaal", url.Values{"milestone": {"stage_gevonden"}, "done_at": {"2099-01-01T10:00"}, "key": {"form-ms-3"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=mijlpaal", `value="2099-01-01T10:00"`, `value="form-ms-3"`)
	if n := len(f.temporal.sent()); n != 2 {
		t.Errorf("a milestone in the future was sent: %d Updates", n)
	}

	n := len(f.temporal.sent())
	rec = f.post("supervisor", "/trajecten/"+stepTrajectory+"/mijlpaal", url.Values{"milestone": {"stage_gevonden"}})
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "niet voor uw rol") || len(f.temporal.sent()) != n {
		t.Errorf("a supervisor's milestone: %d, %d updates", rec.Code, len(f.temporal.sent())-n)
	}
	if strings.Contains(f.get("supervisor", "/trajecten/"+stepTrajectory).Body.String(), `action="/trajecten/`+stepTrajectory+`/mijlpaal"`) {
		t.Errorf("the supervisor is shown the milestone form")
	}
}

// TestCoWorkersOnThePage: a supervisor sees the assigned co-workers by name
// and role, assigns one of the programme's (with the role its file gives)
// and takes one off; a coach may do neither.
func TestCoWorkersOnThePage(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, trajectory.State{TrajectoryID: stepTrajectory,
		CoWorkers: []trajectory.CoWorker{{ID: "ervaring-1", Role: "ervaringsdeskundige"}}})
	text := visibleText(f.get("supervisor", "/trajecten/"+stepTrajectory).Body.String())
	for _, want := range []string{"Els Ervaring (Ervaringsdeskundige)", "Els Ervaring weghalen", "Medewerker toewijzen", "Fatma Brug (Brugfiguur)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "brugfiguur-lampeke-1") || strings.Contains(text, "ervaring-1") {
		t.Errorf("the page shows a co-worker's id")
	}
	rec := f.post("supervisor", "/trajecten/"+stepTrajectory+"/medewerker", url.Values{"co_worker": {"brugfiguur-lampeke-1"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	rec = f.post("supervisor", "/trajecten/"+stepTrajectory+"/medewerker", url.Values{"co_worker": {"ervaring-1"}, "remove": {"ja"}, "key": {"form-2"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", rec.Code)
	}
	ups := f.temporal.sent()
	if len(ups) != 2 {
		t.Fatalf("%d updates", len(ups))
	}
	if a := ups[0].Args[0].(trajectory.AssignCoWorker); ups[0].UpdateName != trajectory.UpdateAssignCoWorker || a.CoWorkerID != "brugfiguur-lampeke-1" || a.Role != "brugfiguur" || a.Remove || a.By != "supervisor:sup-vilvoorde" {
		t.Errorf("assign %s %+v", ups[0].UpdateName, a)
	}
	if a := ups[1].Args[0].(trajectory.AssignCoWorker); a.CoWorkerID != "ervaring-1" || !a.Remove {
		t.Errorf("remove %+v", a)
	}
	rec = f.post("supervisor", "/trajecten/"+stepTrajectory+"/medewerker", url.Values{"co_worker": {"iemand-anders"}})
	f.refusedOnPage(t, "supervisor", rec, "/trajecten/"+stepTrajectory+"?geweigerd=medewerker", "Kies een medewerker van het programma.")
	if len(f.temporal.sent()) != 2 {
		t.Errorf("an unknown co-worker was sent")
	}
	f.temporal.refuse = trajectory.Refused("already assigned", trajectory.Refusal{Code: trajectory.CodeCoWorkerAlreadyAssigned,
		Args: map[string]string{trajectory.ArgCoWorker: "brugfiguur-lampeke-1", trajectory.ArgRole: "brugfiguur"}})
	rec = f.post("supervisor", "/trajecten/"+stepTrajectory+"/medewerker", url.Values{"co_worker": {"brugfiguur-lampeke-1"}, "key": {"form-3"}})
	f.refusedOnPage(t, "supervisor", rec, "/trajecten/"+stepTrajectory+"?geweigerd=medewerker", `value="form-3"`, `<option value="brugfiguur-lampeke-1" selected>`)
	if rec := f.post("coach", "/trajecten/"+stepTrajectory+"/medewerker", url.Values{"co_worker": {"brugfiguur-lampeke-1"}}); rec.Code != http.StatusForbidden {
		t.Errorf("a coach assigns a co-worker: %d", rec.Code)
	}
}

// TestHandoverStatusAndResend: the page says where each handover is (sent
// and waiting, acknowledged, link expired, email failed); a failed one has
// a button that sends it again to the service as the directory has it now.
func TestHandoverStatusAndResend(t *testing.T) {
	svc := trajectory.Service{ID: "kinderopvang-noord", Name: "Kinderopvang Noord", Email: "oud@example.org"}
	sent := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := newStepFixture(t, trajectory.PhaseInSupport, trajectory.State{TrajectoryID: stepTrajectory, Handovers: []trajectory.Handover{
		{Number: 1, Service: svc, SentAt: sent, AcknowledgedAt: sent.Add(time.Hour)},
		{Number: 2, Service: svc, SentAt: sent, LinkExpiresAt: sent.Add(24 * time.Hour)},
		{Number: 3, Service: svc, SentAt: sent, LinkExpiresAt: time.Now().Add(24 * time.Hour)},
		{Number: 4, Service: svc, Failed: true},
	}})
	text := visibleText(f.get("coach", "/trajecten/"+stepTrajectory).Body.String())
	for _, want := range []string{"Overdracht 1 naar Kinderopvang Noord: bevestigd door de dienst op ma 02-03-2026 11:00",
		"Overdracht 2 naar Kinderopvang Noord: verstuurd op ma 02-03-2026 10:00; de link is verlopen",
		"Overdracht 3 naar Kinderopvang Noord: verstuurd op ma 02-03-2026 10:00; wacht op bevestiging",
		"Overdracht 4 naar Kinderopvang Noord: de e-mail kon niet worden afgeleverd", "Opnieuw versturen naar Kinderopvang Noord"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "Opnieuw versturen") != 1 {
		t.Errorf("a resend button for a handover that did not fail")
	}
	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/overdracht-opnieuw", url.Values{"number": {"4"}, "service": {"kinderopvang-noord"}})
	if rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "?gedaan=overdracht-opnieuw") {
		t.Fatalf("resend: %d", rec.Code)
	}
	ups := f.temporal.sent()
	if r := ups[0].Args[0].(trajectory.ResendHandover); ups[0].UpdateName != trajectory.UpdateResendHandover || r.Number != 4 || r.Service.Email != "noord@example.org" || r.By != "coach:test-coach" {
		t.Errorf("resend %s %+v", ups[0].UpdateName, r)
	}
	if action, _ := f.lastAction(); action != usecase.ActionResend {
		t.Errorf("audit action %s", action)
	}
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/overdracht-opnieuw", url.Values{"number": {"4"}, "service": {"weg"}, "key": {"form-resend-2"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=overdracht-opnieuw", "staat niet meer in de lijst van diensten")
	if len(f.temporal.sent()) != 1 {
		t.Errorf("a resend to a service no longer listed was sent")
	}
	if rec := f.post("supervisor", "/trajecten/"+stepTrajectory+"/overdracht-opnieuw", url.Values{"number": {"4"}, "service": {"kinderopvang-noord"}}); rec.Code != http.StatusForbidden {
		t.Errorf("a supervisor resends: %d", rec.Code)
	}
}

// TestAdoptTimingsOnThePage: a supervisor moves a trajectory to the
// timings its programme's file has now, with a reason; the timings come
// from the file, never from the form; a coach may not.
func TestAdoptTimingsOnThePage(t *testing.T) {
	f := newStepFixture(t, trajectory.PhaseInSupport, trajectory.State{TrajectoryID: stepTrajectory})
	if !strings.Contains(f.get("supervisor", "/trajecten/"+stepTrajectory).Body.String(), `action="/trajecten/`+stepTrajectory+`/termijnen"`) {
		t.Errorf("the supervisor has no form to adopt the programme's timings")
	}
	if strings.Contains(f.get("coach", "/trajecten/"+stepTrajectory).Body.String(), "/termijnen") {
		t.Errorf("the coach is shown the timings form")
	}
	rec := f.post("supervisor", "/trajecten/"+stepTrajectory+"/termijnen", url.Values{"reason": {"nieuwe termijnen van het team"}, "timings": {"mine"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("adopt timings: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	ups := f.temporal.sent()
	a := ups[0].Args[0].(trajectory.AdoptTimings)
	if ups[0].UpdateName != trajectory.UpdateAdoptTimings || a.Reason != "nieuwe termijnen van het team" || a.By != "supervisor:sup-vilvoorde" ||
		len(a.Timings.Milestones) != 2 || a.Timings.Milestones[1].ID != "stage_gevonden" {
		t.Errorf("adopt %s %+v", ups[0].UpdateName, a)
	}
	rec = f.post("supervisor", "/trajecten/"+stepTrajectory+"/termijnen", url.Values{"key": {"form-2"}})
	f.refusedOnPage(t, "supervisor", rec, "/trajecten/"+stepTrajectory+"?geweigerd=termijnen", "De reden is verplicht.", `value="form-2"`)
	if len(f.temporal.sent()) != 1 {
		t.Errorf("timings adopted without a reason")
	}
	if rec := f.post("coach", "/trajecten/"+stepTrajectory+"/termijnen", url.Values{"reason": {"x"}}); rec.Code != http.StatusForbidden {
		t.Errorf("a coach adopts timings: %d", rec.Code)
	}
}
