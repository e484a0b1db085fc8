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

	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// referralStore lists the referrals started, as store.ListReferral does.
type referralStore struct {
	mu     sync.Mutex
	listed []trajectory.Event
}

func (s *referralStore) ListReferral(_ context.Context, e trajectory.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listed = append(s.listed, e)
	return nil
}

func (s *referralStore) ReferredTrajectory(_ context.Context, id string) (store.Referred, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.listed {
		if e.TrajectoryID == id {
			return store.Referred{ProgrammeID: e.Summary.ProgrammeID, Phase: trajectory.PhaseReferred}, nil
		}
	}
	return store.Referred{}, store.ErrNotFound
}

// startTemporal records the workflows started.
type startTemporal struct {
	*stepTemporal
	started []client.StartWorkflowOptions
	inputs  []trajectory.Start
}

func (f *startTemporal) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, opts)
	f.inputs = append(f.inputs, args[0].(trajectory.Start))
	return nil, nil
}

// TestTurnAConsultationIntoAReferral: a coach turns a consultation that
// names its partner into a referral on the partner's behalf: the form
// asks the family's consent and data; without consent, or without a way
// to reach the family, it is refused in Dutch at that consultation (the
// page after the redirect, what was typed kept); with them the
// trajectory starts with the partner as referrer, the consultation's id,
// the coach as who referred, and the audit log names the coach. A
// co-worker gets no form; a consultation without a partner has none.
func TestTurnAConsultationIntoAReferral(t *testing.T) {
	_, st := newTeamFixture(t)
	st.consultations = []store.Consultation{
		{ID: "co-metpartner", ProgrammeID: "test-seconds", RecordedBy: "co_worker:ervaring-1", Organisation: "test-partner",
			Situation: "Mama zoekt opvang.", Advice: "Doorverwijzen naar het team.", RecordedAt: time.Now()},
		{ID: "co-zonder", ProgrammeID: "test-seconds", RecordedBy: "coach:test-coach", Situation: "Vraag.", Advice: "Advies.", RecordedAt: time.Now()},
	}
	cat := stepProgramme()
	prog := cat["test-seconds"]
	prog.Referrers = []programme.Organisation{{ID: "test-partner", Name: "Kind en Gezin Vilvoorde"}}
	cat["test-seconds"] = prog
	sessions := subjectSessions{
		"coach":    {ID: "tok_coach", Kind: store.TokenCoach, Subject: "test-coach", Programmes: []string{"test-seconds"}},
		"ervaring": {ID: "tok_erv", Kind: store.TokenCoWorker, Subject: "ervaring-1", Programmes: []string{"test-seconds"}},
	}
	temporal := &startTemporal{stepTemporal: &stepTemporal{}}
	key, err := trajectory.NewIDKey([]byte("pages-test-key: 0123456789abcdefghijklmnopqrstuvwxyz"))
	if err != nil {
		t.Fatal(err)
	}
	referrals := &referralStore{}
	f := &stepFixture{temporal: temporal.stepTemporal, audit: &fakeAudit{}}
	cases := usecase.Cases{Store: st, Audit: f.audit, Temporal: temporal, Programmes: cat, Logger: slog.New(slog.DiscardHandler)}
	f.h = New(Config{Cases: cases, Referrals: &usecase.Referrals{Cases: cases, IDKey: key, Store: referrals},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler)})

	action := `action="/consultaties/co-metpartner/consultatie-doorverwijzing"`
	page := f.get("coach", "/consultaties").Body.String()
	if !strings.Contains(page, action) || strings.Contains(page, `action="/consultaties/co-zonder/consultatie-doorverwijzing"`) ||
		!strings.Contains(visibleText(page), "Doorverwijzen namens Kind en Gezin Vilvoorde") {
		t.Fatalf("the referral form:\n%s", visibleText(page))
	}
	for _, field := range []string{`name="consent" value="ja" required`, `name="contact_name"`, `name="phone"`, `name="address"`, `name="reason"`, `name="child_born"`, `name="due_date"`} {
		if !strings.Contains(page, field) {
			t.Errorf("the referral form has no %s", field)
		}
	}
	if strings.Contains(f.get("ervaring", "/consultaties").Body.String(), action) {
		t.Errorf("a co-worker is offered the referral form")
	}

	today := trajectory.Today(time.Now()).Format("2006-01-02")
	born := trajectory.Today(time.Now()).AddDate(-2, 0, 0).Format("2006-01-02")
	form := func(consent bool, phone string) url.Values {
		v := url.Values{"consent_on": {today}, "contact_name": {"Yasmina Poort"}, "phone": {phone}, "reason": {"Zoekt opvang en steun."},
			"child_name": {"Amira", ""}, "child_born": {born, ""}, "key": {"form-ref-1"}}
		if consent {
			v.Set("consent", "ja")
		}
		return v
	}
	loc := "/consultaties?consultatie=co-metpartner&geweigerd=consultatie-doorverwijzing&programma=test-seconds"
	rec := f.post("coach", "/consultaties/co-metpartner/consultatie-doorverwijzing", form(false, "+32 470 11 22 33"))
	f.refusedOnPage(t, "coach", rec, loc, "Vink aan dat het gezin toestemming gaf", `value="Yasmina Poort"`, `value="form-ref-1"`,
		`<details class="step" open>`, `<a href="#f-consultatie-doorverwijzing-co-metpartner">`)
	rec = f.post("coach", "/consultaties/co-metpartner/consultatie-doorverwijzing", form(true, ""))
	f.refusedOnPage(t, "coach", rec, loc, "Vul een adres of een telefoonnummer in", "Zoekt opvang en steun.</textarea>", `value="`+born+`"`)
	if len(temporal.started) != 0 {
		t.Fatalf("a refused referral started %d workflows", len(temporal.started))
	}

	rec = f.post("coach", "/consultaties/co-metpartner/consultatie-doorverwijzing", form(true, "+32 470 11 22 33"))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/consultaties?gedaan=consultatie-doorverwijzing&programma=test-seconds" {
		t.Fatalf("the referral: %d %s\n%s", rec.Code, rec.Header().Get("Location"), visibleText(rec.Body.String()))
	}
	if len(temporal.inputs) != 1 || len(referrals.listed) != 1 {
		t.Fatalf("%d workflows started, %d listed", len(temporal.inputs), len(referrals.listed))
	}
	in := temporal.inputs[0]
	ref := in.Referral
	if in.ProgrammeID != "test-seconds" || ref.Referrer.Organisation != "test-partner" || ref.Referrer.Reference != "consultatie/co-metpartner" ||
		ref.ConsultationID != "co-metpartner" || ref.ReferredBy != "coach:test-coach" || ref.Family.ContactName != "Yasmina Poort" ||
		ref.Family.Phone != "+32 470 11 22 33" || len(ref.Children) != 1 || ref.Children[0].Name != "Amira" || ref.Children[0].BirthDate.Format("2006-01-02") != born {
		t.Errorf("the trajectory started with %+v", in)
	}
	if e := referrals.listed[0]; e.Actor != "coach:test-coach" || e.TrajectoryID != in.TrajectoryID {
		t.Errorf("the referred event: actor %q, trajectory %q", e.Actor, e.TrajectoryID)
	}
	if id := trajectory.ID(key, "test-seconds", "test-partner", "consultatie/co-metpartner"); in.TrajectoryID != id {
		t.Errorf("the trajectory id %q is not the referral's", in.TrajectoryID)
	}
	f.audit.mu.Lock()
	last := f.audit.entries[len(f.audit.entries)-1]
	f.audit.mu.Unlock()
	if last.Action != usecase.ActionReferConsultation || last.Actor != "coach:test-coach" || last.Outcome != store.OutcomeOK ||
		last.TrajectoryID != in.TrajectoryID || last.Detail["consent_recorded_month"] != today[:7] {
		t.Errorf("audit %+v", last)
	}
	if body := f.get("coach", rec.Header().Get("Location")).Body.String(); !strings.Contains(body, "Het gezin is doorverwezen.") || strings.Contains(body, "Yasmina") {
		t.Errorf("the page after the referral:\n%s", visibleText(body))
	}
	// The family's data stays out of the audit log.
	f.audit.mu.Lock()
	for _, e := range f.audit.entries {
		for _, v := range e.Detail {
			if strings.Contains(v, "Yasmina") || strings.Contains(v, "470") {
				t.Errorf("the audit log holds the family's data: %+v", e)
			}
		}
	}
	f.audit.mu.Unlock()
	if rec := f.post("ervaring", "/consultaties/co-metpartner/consultatie-doorverwijzing", form(true, "+32 470 11 22 33")); rec.Code != http.StatusForbidden {
		t.Errorf("a co-worker's referral: %d", rec.Code)
	}
}
