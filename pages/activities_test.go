package pages

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// teamStore is a fakeStore that lists its trajectories and keeps
// activities and consultations.
type teamStore struct {
	*fakeStore
	mu            sync.Mutex
	activities    []store.CollectiveActivity
	consultations []store.Consultation
}

func (t *teamStore) ListTrajectories(_ context.Context, f store.Filter) (store.Page, error) {
	t.fakeStore.mu.Lock()
	defer t.fakeStore.mu.Unlock()
	var pg store.Page
	for _, r := range t.rows {
		if (f.CoachID == "" || r.CoachID == f.CoachID) && (f.ProgrammeIDs == nil || contains(f.ProgrammeIDs, r.ProgrammeID)) {
			pg.Items = append(pg.Items, r.TrajectorySummary)
		}
	}
	return pg, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (t *teamStore) RecordCollectiveActivity(_ context.Context, a store.CollectiveActivity) (store.CollectiveActivity, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range t.activities {
		if b.ID == a.ID {
			return b, nil
		}
	}
	a.RecordedAt = time.Now()
	t.activities = append(t.activities, a)
	return a, nil
}

func (t *teamStore) CreateConsultation(_ context.Context, c store.Consultation) (store.Consultation, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.ID, c.RecordedAt = store.NewID("co"), time.Now()
	t.consultations = append(t.consultations, c)
	return c, nil
}

func (t *teamStore) Consultation(_ context.Context, id string) (store.Consultation, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.consultations {
		if c.ID == id {
			return c, nil
		}
	}
	return store.Consultation{}, store.ErrNotFound
}

func (t *teamStore) ListConsultations(_ context.Context, ids []string, _ int) ([]store.Consultation, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []store.Consultation
	for i := len(t.consultations) - 1; i >= 0; i-- {
		if c := t.consultations[i]; contains(ids, c.ProgrammeID) {
			if c.TrajectoryID != "" {
				c.Situation, c.Advice = "", ""
			}
			out = append(out, c)
		}
	}
	return out, nil
}

const (
	peeters  = "tr-aaaaaaaaaaaaaaaaaaaaaaaaaa"
	janssens = "tr-bbbbbbbbbbbbbbbbbbbbbbbbbb"
	anders   = "tr-cccccccccccccccccccccccccc" // another coach's
	gesloten = "tr-dddddddddddddddddddddddddd" // closed
)

func newTeamFixture(t *testing.T) (*stepFixture, *teamStore) {
	t.Helper()
	row := func(id, coach, name string, phase trajectory.Phase) store.Trajectory {
		return store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: id, ProgrammeID: "test-seconds", CoachID: coach, Phase: phase,
			ReferredAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, Family: &trajectory.Family{ContactName: name}}
	}
	st := &teamStore{fakeStore: &fakeStore{rows: map[string]store.Trajectory{
		peeters:  row(peeters, "test-coach", "Gezin Peeters", trajectory.PhaseInSupport),
		janssens: row(janssens, "test-coach", "Gezin Janssens", trajectory.PhaseIntakeDone),
		anders:   row(anders, "test-coach-2", "Gezin Anders", trajectory.PhaseInSupport),
		gesloten: row(gesloten, "test-coach", "Gezin Gesloten", trajectory.PhaseClosed),
	}}}
	sessions := subjectSessions{
		"coach":      {ID: "tok_coach", Kind: store.TokenCoach, Subject: "test-coach", Programmes: []string{"test-seconds"}},
		"supervisor": {ID: "tok_super", Kind: store.TokenSupervisor, Subject: "sup-vilvoorde", Programmes: []string{"test-seconds"}},
		"elsewhere":  {ID: "tok_else", Kind: store.TokenSupervisor, Subject: "sup-gent", Programmes: []string{"gent"}},
		"both":       {ID: "tok_both", Kind: store.TokenSupervisor, Subject: "sup-both", Programmes: []string{"test-seconds", "gent"}},
	}
	cat := stepProgramme()
	prog := cat["test-seconds"]
	prog.Referrers = []programme.Organisation{{ID: "test-partner", Name: "Kind en Gezin Vilvoorde"}}
	cat["test-seconds"] = prog
	gent := prog
	gent.ID, gent.Name = "gent", "Kinderopvang naar werk"
	gent.Referrers = []programme.Organisation{{ID: "vdab", Name: "VDAB Gent"}}
	cat["gent"] = gent
	f := &stepFixture{temporal: &stepTemporal{}, audit: &fakeAudit{}}
	f.h = New(Config{Cases: usecase.Cases{Store: st, Audit: f.audit, Temporal: f.temporal, Programmes: cat, Logger: slog.New(slog.DiscardHandler)},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler)})
	return f, st
}

// TestCollectiveActivityWithAttendance: the coach picks the families
// present from the programme's open trajectories they may act on (by
// name), and the activity is stored with each family's attendance sent
// to its workflow under the activity's id; a family the workflow refuses,
// or one the coach may not act on, is said by name in Dutch.
func TestCollectiveActivityWithAttendance(t *testing.T) {
	f, st := newTeamFixture(t)
	text := visibleText(f.get("coach", "/activiteiten").Body.String())
	if !strings.Contains(text, "Gezin Peeters") || !strings.Contains(text, "Gezin Janssens") {
		t.Errorf("the page does not offer the coach's families:\n%s", text)
	}
	if strings.Contains(text, "Gezin Anders") || strings.Contains(text, "Gezin Gesloten") || strings.Contains(text, "tr-") {
		t.Errorf("the page offers another coach's or a closed family, or shows an id:\n%s", text)
	}
	rec := f.post("coach", "/activiteiten", url.Values{"programme": {"test-seconds"}, "held_on": {"2026-03-20"}, "kind": {"babymassage"},
		"trajectories": {peeters, janssens}, "key": {"form-act1"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/activiteiten?programma=test-seconds&gedaan=2" {
		t.Fatalf("record an activity: %d %s\n%s", rec.Code, rec.Header().Get("Location"), visibleText(rec.Body.String()))
	}
	if len(st.activities) != 1 || st.activities[0].Kind != "babymassage" || len(st.activities[0].Trajectories) != 2 ||
		st.activities[0].ID != usecase.ActivityID("test-seconds", "coach:test-coach", "form-act1") {
		t.Fatalf("activities %+v", st.activities)
	}
	ups := f.temporal.sent()
	if len(ups) != 2 || ups[0].UpdateName != trajectory.UpdateRecordAttendance || ups[0].WorkflowID != peeters ||
		ups[0].UpdateID != trajectory.UpdateRecordAttendance+"/"+st.activities[0].ID || ups[1].WorkflowID != janssens {
		t.Fatalf("updates %+v", ups)
	}
	if a := ups[0].Args[0].(trajectory.RecordAttendance); a.Kind != "babymassage" || a.On.Format("2006-01-02") != "2026-03-20" || a.By != "coach:test-coach" {
		t.Errorf("attendance %+v", a)
	}
	if action, _ := f.lastAction(); action != usecase.ActionRecordCollectiveActivity {
		t.Errorf("audit action %s", action)
	}
	if !strings.Contains(f.get("coach", "/activiteiten?programma=test-seconds&gedaan=2").Body.String(), "De activiteit is opgeslagen bij 2 gezinnen.") {
		t.Errorf("the page does not say the activity was recorded")
	}

	// Another coach's family is not recorded (nor stored in the activity);
	// the page after says so first, family by family, by name.
	loc := "/activiteiten?geweigerd=activiteit&programma=test-seconds"
	rec = f.post("coach", "/activiteiten", url.Values{"programme": {"test-seconds"}, "held_on": {"2026-03-21"}, "kind": {"voorlezen"},
		"trajectories": {peeters, anders}, "key": {"form-act2"}})
	body := f.refusedOnPage(t, "coach", rec, loc, "Gezin Peeters: aanwezigheid opgeslagen",
		"niet opgeslagen: dit gezin hoort niet bij dit programma of bij u", `value="form-act2"`, `value="voorlezen"`, `value="2026-03-21"`)
	if strings.Contains(body, "Gezin Anders") {
		t.Errorf("the page names another coach's family:\n%s", body)
	}
	if got := st.activities[1].Trajectories; len(got) != 1 || got[0] != peeters {
		t.Errorf("the activity stores %v", got)
	}

	f.temporal.refuse = trajectory.Refused("closed", trajectory.Refusal{Code: trajectory.CodeTrajectoryClosed})
	rec = f.post("coach", "/activiteiten", url.Values{"programme": {"test-seconds"}, "held_on": {"2026-03-22"}, "kind": {"voorlezen"},
		"trajectories": {janssens}, "key": {"form-act3"}})
	f.refusedOnPage(t, "coach", rec, loc, "Gezin Janssens: niet opgeslagen: Dit traject is afgesloten")

	n := len(f.temporal.sent())
	rec = f.post("coach", "/activiteiten", url.Values{"programme": {"test-seconds"}, "held_on": {"2026-03-22"}, "kind": {"voorlezen"}})
	f.refusedOnPage(t, "coach", rec, loc, "Vink de gezinnen aan die erbij waren.", `value="voorlezen"`)
	rec = f.post("elsewhere", "/activiteiten", url.Values{"programme": {"test-seconds"}, "held_on": {"2026-03-22"}, "kind": {"voorlezen"}, "trajectories": {peeters}})
	f.refusedOnPage(t, "elsewhere", rec, loc, "Kies een programma waarin u werkt.")
	if len(f.temporal.sent()) != n || len(st.activities) != 3 {
		t.Errorf("a refused activity was sent: %d Updates, %d activities", len(f.temporal.sent())-n, len(st.activities))
	}
}

// TestConsultationAtTheSchoolGate: the form has two fields and a button;
// a consultation is stored anonymous, by the coach, and the team's list
// names who recorded it and about which partner, never by id; text with
// a phone number is refused in Dutch; a referred one shows no text.
func TestConsultationAtTheSchoolGate(t *testing.T) {
	f, st := newTeamFixture(t)
	page := f.get("coach", "/consultaties").Body.String()
	if !strings.Contains(page, `name="situation"`) || !strings.Contains(page, `name="advice"`) || !strings.Contains(visibleText(page), "Nog geen consultaties.") {
		t.Errorf("the consultation page:\n%s", visibleText(page))
	}
	rec := f.post("coach", "/consultaties", url.Values{"programme": {"test-seconds"}, "situation": {"Mama vraagt hulp bij de inschrijving in de crèche."},
		"advice": {"Samen naar het loket van het Huis van het Kind."}, "organisation": {"test-partner"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/consultaties?gedaan=consultatie&programma=test-seconds" {
		t.Fatalf("record a consultation: %d\n%s", rec.Code, visibleText(rec.Body.String()))
	}
	if len(st.consultations) != 1 || st.consultations[0].RecordedBy != "coach:test-coach" || st.consultations[0].Organisation != "test-partner" {
		t.Fatalf("consultations %+v", st.consultations)
	}
	if action, outcome := f.lastAction(); action != usecase.ActionRecordConsultation || outcome != store.OutcomeOK {
		t.Errorf("audit %s %s", action, outcome)
	}
	text := visibleText(f.get("supervisor", "/consultaties?gedaan=consultatie").Body.String())
	for _, want := range []string{"De consultatie is opgeslagen.", "An Coach", "over Kind en Gezin Vilvoorde", "Mama vraagt hulp bij de inschrijving", "Samen naar het loket"} {
		if !strings.Contains(text, want) {
			t.Errorf("the list does not say %q:\n%s", want, text)
		}
	}
	if m := codeLike.FindString(text); m != "" || strings.Contains(text, "test-partner") {
		t.Errorf("the list shows a code %q", m)
	}

	loc := "/consultaties?geweigerd=consultatie&programma=test-seconds"
	rec = f.post("coach", "/consultaties", url.Values{"programme": {"test-seconds"}, "situation": {"Bel mama op 0470 12 34 56."}, "advice": {"Terugbellen."},
		"organisation": {"test-partner"}, "key": {"form-co-2"}})
	f.refusedOnPage(t, "coach", rec, loc, "Een consultatie is anoniem", "Bel mama op 0470 12 34 56.</textarea>", `value="form-co-2"`,
		`<option value="test-partner" selected>`)
	rec = f.post("coach", "/consultaties", url.Values{"programme": {"test-seconds"}, "situation": {"Vraag."}, "advice": {"Advies."}, "organisation": {"iemand"}})
	f.refusedOnPage(t, "coach", rec, loc, "Kies de partner van het programma over wie de consultatie gaat")
	rec = f.post("coach", "/consultaties", url.Values{"programme": {"test-seconds"}, "situation": {"Vraag."}, "advice": {"Advies."}})
	f.refusedOnPage(t, "coach", rec, loc, "Kies de partner van het programma over wie de consultatie gaat")
	rec = f.post("elsewhere", "/consultaties", url.Values{"programme": {"test-seconds"}, "situation": {"Vraag."}, "advice": {"Advies."}, "organisation": {"test-partner"}})
	f.refusedOnPage(t, "elsewhere", rec, loc, "Kies een programma waarin u werkt.")
	if len(st.consultations) != 1 {
		t.Errorf("a refused consultation was stored: %d", len(st.consultations))
	}

	st.consultations[0].TrajectoryID = peeters
	text = visibleText(f.get("coach", "/consultaties").Body.String())
	if !strings.Contains(text, "Doorverwezen") || strings.Contains(text, "Mama vraagt") {
		t.Errorf("a referred consultation:\n%s", text)
	}
}

// TestCoWorkerAtTheSchoolGate: an expert by experience (whose role the
// programme gives consultations, not activities) records a consultation
// as themselves; the activity page offers them no form, and a posted
// activity is refused for their role.
func TestCoWorkerAtTheSchoolGate(t *testing.T) {
	_, st := newTeamFixture(t)
	sessions := subjectSessions{"ervaring": {ID: "tok_erv", Kind: store.TokenCoWorker, Subject: "ervaring-1", Programmes: []string{"test-seconds"}}}
	cat := stepProgramme()
	prog := cat["test-seconds"]
	prog.Referrers = []programme.Organisation{{ID: "test-partner", Name: "Kind en Gezin Vilvoorde"}}
	cat["test-seconds"] = prog
	gent := prog
	gent.ID, gent.Name = "gent", "Kinderopvang naar werk"
	gent.Referrers = []programme.Organisation{{ID: "vdab", Name: "VDAB Gent"}}
	cat["gent"] = gent
	f := &stepFixture{temporal: &stepTemporal{}, audit: &fakeAudit{}}
	f.h = New(Config{Cases: usecase.Cases{Store: st, Audit: f.audit, Temporal: f.temporal, Programmes: cat, Logger: slog.New(slog.DiscardHandler)},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler)})

	if body := f.get("ervaring", "/consultaties").Body.String(); !strings.Contains(body, `name="situation"`) {
		t.Errorf("the expert by experience has no consultation form:\n%s", visibleText(body))
	}
	rec := f.post("ervaring", "/consultaties", url.Values{"programme": {"test-seconds"}, "situation": {"Papa vraagt naar de speelotheek."}, "advice": {"Adres gegeven."},
		"organisation": {"test-partner"}})
	if rec.Code != http.StatusSeeOther || len(st.consultations) != 1 || st.consultations[0].RecordedBy != "co_worker:ervaring-1" {
		t.Fatalf("the expert's consultation: %d %+v", rec.Code, st.consultations)
	}
	if text := visibleText(f.get("ervaring", "/consultaties").Body.String()); !strings.Contains(text, "Els Ervaring") || strings.Contains(text, "ervaring-1") {
		t.Errorf("the list does not name the expert by name:\n%s", text)
	}
	if body := f.get("ervaring", "/activiteiten").Body.String(); strings.Contains(body, `action="/activiteiten"`) || !strings.Contains(body, "Uw rol registreert geen collectieve activiteiten") {
		t.Errorf("the expert is offered the activity form")
	}
	rec = f.post("ervaring", "/activiteiten", url.Values{"programme": {"test-seconds"}, "held_on": {"2026-03-20"}, "kind": {"x"}, "trajectories": {peeters}})
	if rec.Code != http.StatusForbidden || len(st.activities) != 0 {
		t.Errorf("the expert's activity: %d, %d stored", rec.Code, len(st.activities))
	}
}

func (t *teamStore) NameConsultationPartner(_ context.Context, id, org string) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, c := range t.consultations {
		if c.ID == id && c.Organisation == "" && c.TrajectoryID == "" {
			t.consultations[i].Organisation = org
			return true, nil
		}
	}
	return false, nil
}

// TestNameAConsultationsPartner: a consultation recorded without a
// partner has a form, for the coach, to name one of the programme's
// partners by name (once); a refusal comes back first on the page at that
// consultation; another programme's supervisor does not find it.
func TestNameAConsultationsPartner(t *testing.T) {
	f, st := newTeamFixture(t)
	st.consultations = []store.Consultation{{ID: "co-zonder", ProgrammeID: "test-seconds", RecordedBy: "coach:test-coach",
		Situation: "Vraag over de crèche.", Advice: "Samen bellen.", RecordedAt: time.Now()}}
	action := `action="/consultaties/co-zonder/consultatie-partner"`
	body := f.get("coach", "/consultaties").Body.String()
	if !strings.Contains(body, action) || !strings.Contains(body, `<option value="test-partner" >Kind en Gezin Vilvoorde</option>`) {
		t.Fatalf("no form to name the partner:\n%s", body)
	}
	rec := f.post("coach", "/consultaties/co-zonder/consultatie-partner", url.Values{"organisation": {"iemand"}, "key": {"form-p-1"}})
	text := f.refusedOnPage(t, "coach", rec, "/consultaties?consultatie=co-zonder&geweigerd=consultatie-partner&programma=test-seconds",
		"Kies de partner van het programma over wie de consultatie gaat.", `value="form-p-1"`, `<a href="#f-consultatie-partner-co-zonder">`)
	if strings.Contains(text, "iemand") {
		t.Errorf("the page shows an id")
	}
	rec = f.post("coach", "/consultaties/co-zonder/consultatie-partner", url.Values{"organisation": {"test-partner"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/consultaties?gedaan=consultatie-partner&programma=test-seconds" {
		t.Fatalf("name the partner: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if st.consultations[0].Organisation != "test-partner" {
		t.Errorf("the partner is not named: %+v", st.consultations[0])
	}
	if action, outcome := f.lastAction(); action != usecase.ActionNameConsultationPartner || outcome != store.OutcomeOK {
		t.Errorf("audit %s %s", action, outcome)
	}
	body = f.get("coach", rec.Header().Get("Location")).Body.String()
	if !strings.Contains(body, "De partner van de consultatie is aangeduid.") || strings.Contains(body, action) ||
		!strings.Contains(visibleText(body), "over Kind en Gezin Vilvoorde") {
		t.Errorf("after naming the partner:\n%s", visibleText(body))
	}
	rec = f.post("coach", "/consultaties/co-zonder/consultatie-partner", url.Values{"organisation": {"test-partner"}})
	f.refusedOnPage(t, "coach", rec, "/consultaties?consultatie=co-zonder&geweigerd=consultatie-partner&programma=test-seconds",
		"Deze consultatie noemt al een partner.")
	if rec := f.post("elsewhere", "/consultaties/co-zonder/consultatie-partner", url.Values{"organisation": {"test-partner"}}); rec.Code != http.StatusNotFound {
		t.Errorf("another programme's supervisor: %d", rec.Code)
	}
}

// TestConsultationPartnersOfTheChosenProgramme: a supervisor of two
// programmes chooses one (a GET form, no script) and the consultation
// form then offers that programme's partners only, and records for it.
func TestConsultationPartnersOfTheChosenProgramme(t *testing.T) {
	f, _ := newTeamFixture(t)
	for _, c := range []struct{ path, want, not, programme string }{
		{"/consultaties", "Kind en Gezin Vilvoorde", "VDAB Gent", "gent"},
		{"/consultaties?programma=gent", "VDAB Gent", "Kind en Gezin Vilvoorde", "gent"},
	} {
		page := f.get("both", c.path).Body.String()
		form := page[strings.Index(page, `action="/consultaties" aria-labelledby`):]
		form = form[:strings.Index(form, "</form>")]
		if !strings.Contains(form, c.want) || strings.Contains(form, c.not) {
			t.Errorf("%s: the consultation form offers\n%s", c.path, visibleText(form))
		}
		if !strings.Contains(page, `<form method="get" action="/consultaties"`) {
			t.Errorf("%s: no form to choose the programme", c.path)
		}
	}
}
