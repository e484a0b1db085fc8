package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

// apiError is the problem of a refusal, with its fields by name.
type apiError struct {
	Problem
	Fields map[string]string
}

func decodeError(t *testing.T, body []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e.Problem); err != nil {
		t.Fatalf("refusal %s is not JSON: %v", body, err)
	}
	e.Fields, _ = problemFields(e.Problem)
	return e
}

// TestPartnerActsOnlyInProgrammesThatListIt: the police of Mechelen are a
// referrer of the GO-team only. Naming test-seconds, which does not list
// them, a referral, a consultation and a referral after a consultation
// about them (recorded while test-seconds listed them) are all refused
// alike: 403 `referrer not allowed`, saying which programme does accept
// them; a programme that does not exist is 404 on every route.
func TestPartnerActsOnlyInProgrammesThatListIt(t *testing.T) {
	w := newWorld(t)
	old, err := w.store.CreateConsultation(t.Context(), store.Consultation{ProgrammeID: "test-seconds", RecordedBy: "coach:test-coach",
		Organisation: "politie-mechelen", Situation: "Een ouder vraagt raad.", Advice: "Langs het OCMW."})
	if err != nil {
		t.Fatal(err)
	}
	referral := func(programme string) string {
		return `{"programme":"` + programme + `","referrer":{"organisation":"politie-mechelen","reference":"PV-1"},"family":{"contact_name":"Gezin","phone":"+32 470 00 00 00"},` +
			`"reason":"raad gevraagd","consent":{"given":true,"recorded_on":"2026-11-30"}}`
	}
	plain := func(programme string) string { // a referral has no consent
		return strings.Replace(referral(programme), `,"consent":{"given":true,"recorded_on":"2026-11-30"}`, "", 1)
	}
	consultation := func(programme string) string {
		return `{"programme":"` + programme + `","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`
	}
	for _, c := range []struct {
		name, path, body, what string
	}{
		{"referral", pathReferrals, plain("test-seconds"), "referrals"},
		{"consultation", pathConsultations, consultation("test-seconds"), "consultations"},
		{"referral after a consultation", "/v1/consultations/" + old.ID + "/referral", referral("test-seconds"), "referrals"},
	} {
		status, body := w.do(t, "partner-other", http.MethodPost, c.path, c.body)
		e := decodeError(t, body)
		want := "programme test-seconds does not accept " + c.what + " from your organisation (politie-mechelen); the programmes that accept your referrals are: go-team-mechelen"
		if status != http.StatusForbidden || e.Code != CodeReferrerNotAllowed || e.Detail != want {
			t.Errorf("%s to a programme that does not list the partner: %d %s, want 403 referrer not allowed: %s", c.name, status, body, want)
		}
	}
	for _, c := range []struct{ name, path, body string }{
		{"referral", pathReferrals, plain("no-such-programme")},
		{"consultation", pathConsultations, consultation("no-such-programme")},
	} {
		status, body := w.do(t, "partner-other", http.MethodPost, c.path, c.body)
		if e := decodeError(t, body); status != http.StatusNotFound || e.Code != CodeProgrammeNotFound || !strings.Contains(e.Detail, "go-team-mechelen") {
			t.Errorf("%s to an unknown programme: %d %s, want 404 unknown programme naming go-team-mechelen", c.name, status, body)
		}
	}
	var n int
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT (SELECT count(*) FROM consultations) + (SELECT count(*) FROM trajectories WHERE referrer_org = 'politie-mechelen')`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d consultations and trajectories (%v), want only the consultation made beforehand", n, err)
	}
}

// TestTandemConsultationBecomesTheNamedPartnersReferral: a coach at the
// school gate records a consultation; it must name the partner it
// concerns, one of the programme's referrers. That partner, and only it,
// then turns it into a referral with the family's consent; the rows say so.
func TestTandemConsultationBecomesTheNamedPartnersReferral(t *testing.T) {
	w := newWorld(t)
	body := func(org string) string {
		return `{"programme":"test-seconds",` + org + `"situation":"Een ouder vraagt aan de schoolpoort raad over een brief.","advice":"Samen naar het OCMW."}`
	}
	for _, c := range []struct{ name, org, says string }{
		{"without a partner", "", "is required: name the partner the consultation concerns (test-partner"},
		{"naming a partner the programme does not list", `"organisation":"politie-mechelen",`, "is not a partner that may refer to test-seconds; one of: test-partner"},
	} {
		status, answer := w.do(t, "coach-a", http.MethodPost, pathConsultations, body(c.org))
		if e := decodeError(t, answer); status != http.StatusBadRequest || !strings.Contains(e.Fields["organisation"], c.says) {
			t.Errorf("a consultation %s: %d %s, want 400 whose organisation %q", c.name, status, answer, c.says)
		}
	}
	var n int
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM consultations`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d consultations stored (%v) after refusals, want none", n, err)
	}

	status, created := w.do(t, "coach-a", http.MethodPost, pathConsultations, body(`"organisation":"test-partner",`))
	var c struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(created, &c); status != http.StatusCreated || err != nil || c.ID == "" {
		t.Fatalf("consultation naming test-partner: %d %s", status, created)
	}
	var org, by string
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT organisation, recorded_by FROM consultations WHERE id = $1`, c.ID).Scan(&org, &by); err != nil ||
		org != "test-partner" || by != "coach:test-coach" {
		t.Errorf("consultation row: organisation %q, recorded by %q (%v); want test-partner, coach:test-coach", org, by, err)
	}
	referral := `{"referrer":{"organisation":"test-partner","reference":"SCHOOL-7"},"family":{"contact_name":"Gezin Schoolpoort","phone":"+32 470 00 00 01"},` +
		`"reason":"raad gevraagd aan de schoolpoort","consent":{"given":true,"recorded_on":"2026-11-30"}}`
	if status, answer := w.do(t, "partner", http.MethodPost, "/v1/consultations/"+c.ID+"/referral", referral); status != http.StatusCreated {
		t.Fatalf("the partner's referral after the consultation: %d %s", status, answer)
	}
	var consultation string
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT coalesce(consultation_id, '') FROM trajectories WHERE referrer_org = 'test-partner' AND consultation_id IS NOT NULL`).Scan(&consultation); err != nil || consultation != c.ID {
		t.Errorf("trajectory row names consultation %q (%v), want %s", consultation, err, c.ID)
	}
}

// TestTeamNamesThePartnerOfAnOldConsultation: a consultation the tandem
// recorded before a partner was required names none, and no partner can
// turn it into a referral. A coach of its programme names the partner it
// concerns, once; then that partner refers the family.
func TestTeamNamesThePartnerOfAnOldConsultation(t *testing.T) {
	w := newWorld(t)
	old, err := w.store.CreateConsultation(t.Context(), store.Consultation{ProgrammeID: "test-seconds", RecordedBy: "coach:test-coach",
		Situation: "Een ouder vraagt aan de schoolpoort raad.", Advice: "Samen naar het OCMW."})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/consultations/" + old.ID
	referral := `{"referrer":{"organisation":"test-partner","reference":"SCHOOL-8"},"family":{"contact_name":"Gezin Schoolpoort","phone":"+32 470 00 00 02"},` +
		`"reason":"raad gevraagd aan de schoolpoort","consent":{"given":true,"recorded_on":"2026-11-30"}}`
	if status, body := w.do(t, "partner", http.MethodPost, path+"/referral", referral); status != http.StatusNotFound {
		t.Errorf("a referral after a consultation that names no partner: %d %s, want 404", status, body)
	}
	if status, body := w.do(t, "supervisor-other", http.MethodPost, path+"/organisation", `{"organisation":"test-partner"}`); status != http.StatusNotFound {
		t.Errorf("a supervisor of another programme names the partner: %d %s, want 404", status, body)
	}
	status, body := w.do(t, "coach-a", http.MethodPost, path+"/organisation", `{"organisation":"politie-mechelen"}`)
	if e := decodeError(t, body); status != http.StatusBadRequest || !strings.Contains(e.Fields["organisation"], "is not a partner that may refer to test-seconds") {
		t.Errorf("naming a partner the programme does not list: %d %s, want 400", status, body)
	}
	if status, body := w.do(t, "coach-a", http.MethodPost, path+"/organisation", `{"organisation":"test-partner"}`); status != http.StatusOK {
		t.Fatalf("naming the partner: %d %s", status, body)
	}
	var org string
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT coalesce(organisation, '') FROM consultations WHERE id = $1`, old.ID).Scan(&org); err != nil || org != "test-partner" {
		t.Errorf("consultation row names %q (%v), want test-partner", org, err)
	}
	if status, body := w.do(t, "coach-b", http.MethodPost, path+"/organisation", `{"organisation":"test-partner"}`); status != http.StatusConflict {
		t.Errorf("naming the partner again: %d %s, want 409", status, body)
	}
	if status, body := w.do(t, "partner", http.MethodPost, path+"/referral", referral); status != http.StatusCreated {
		t.Errorf("the named partner's referral: %d %s, want 201", status, body)
	}
}

// TestTeamRefersAConsultationForItsPartner: a coach of the consultation's
// programme turns it into a referral on behalf of the partner it
// concerns, with the family's consent: the trajectory's referrer is that
// partner, the consultation is linked, and the referred event and the
// audit log name the coach. Another partner as referrer is refused, as is
// a referral without consent; a supervisor of another programme does not
// find the consultation.
func TestTeamRefersAConsultationForItsPartner(t *testing.T) {
	w := newWorld(t)
	c, err := w.store.CreateConsultation(t.Context(), store.Consultation{ProgrammeID: "test-seconds", RecordedBy: "coach:test-coach",
		Organisation: "test-partner", Situation: "Een ouder vraagt aan de schoolpoort raad.", Advice: "Samen naar het OCMW."})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/consultations/" + c.ID + "/referral"
	referral := func(org string, consent bool) string {
		b, _ := json.Marshal(map[string]any{"referrer": map[string]string{"organisation": org, "reference": "SCHOOL-9"},
			"family": map[string]string{"contact_name": "Gezin Schoolpoort", "phone": "+32 470 00 00 03"}, "reason": "raad gevraagd aan de schoolpoort",
			"children": []map[string]string{{"birth_date": inMonths(-30)}},
			"consent":  map[string]any{"given": consent, "recorded_on": inDays(0)}})
		return string(b)
	}
	if status, body := w.do(t, "supervisor-other", http.MethodPost, path, referral("test-partner", true)); status != http.StatusNotFound {
		t.Errorf("a supervisor of another programme: %d %s, want 404", status, body)
	}
	if status, body := w.do(t, "coach-a", http.MethodPost, path, referral("politie-mechelen", true)); status != http.StatusForbidden {
		t.Errorf("on behalf of another partner: %d %s, want 403", status, body)
	}
	if status, body := w.do(t, "coach-a", http.MethodPost, path, referral("test-partner", false)); status != http.StatusBadRequest ||
		!strings.Contains(decodeError(t, body).Fields["consent.given"], "consent") {
		t.Errorf("without consent: %d %s, want 400", status, body)
	}
	status, body := w.do(t, "coach-a", http.MethodPost, path, referral("test-partner", true))
	var answer ReferralResponse
	if err := json.Unmarshal(body, &answer); status != http.StatusCreated || err != nil || answer.ID == "" {
		t.Fatalf("the coach's referral: %d %s, want 201", status, body)
	}
	var org, consultation, actor string
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT referrer_org, coalesce(consultation_id, '') FROM trajectories WHERE id = $1`, answer.ID).Scan(&org, &consultation); err != nil ||
		org != "test-partner" || consultation != c.ID {
		t.Errorf("trajectory row: referrer %q, consultation %q (%v)", org, consultation, err)
	}
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT actor FROM trajectory_events WHERE trajectory_id = $1 AND seq = 1`, answer.ID).Scan(&actor); err != nil || actor != "coach:test-coach" {
		t.Errorf("the referred event's actor: %q (%v), want coach:test-coach", actor, err)
	}
	entries, err := w.store.AuditEntries(t.Context(), answer.ID, 0)
	found := false
	for _, e := range entries {
		found = found || e.Action == usecase.ActionReferConsultation && e.Actor == "coach:test-coach" && e.Outcome == store.OutcomeOK
	}
	if err != nil || !found {
		t.Errorf("no audit entry of the coach's referral: %+v (%v)", entries, err)
	}
	// The same referral sent again answers its trajectory; another
	// reference is another referral, which the consultation cannot become;
	// the same reference saying something else is refused.
	if status, body := w.do(t, "supervisor", http.MethodPost, path, referral("test-partner", true)); status != http.StatusOK ||
		!strings.Contains(string(body), answer.ID) {
		t.Errorf("the consultation referred again: %d %s, want 200 with %s", status, body, answer.ID)
	}
	other := strings.Replace(referral("test-partner", true), "SCHOOL-9", "SCHOOL-10", 1)
	if status, body := w.do(t, "supervisor", http.MethodPost, path, other); status != http.StatusConflict {
		t.Errorf("another referral of the consultation: %d %s, want 409", status, body)
	}
	changed := strings.Replace(referral("test-partner", true), "aan de schoolpoort", "aan de schoolpoort, dringend", 1)
	status, body = w.do(t, "supervisor", http.MethodPost, path, changed)
	if status != http.StatusConflict || !strings.Contains(string(body), `"`+string(CodeReferralExists)+`"`) {
		t.Errorf("the referral changed: %d %s, want 409 %s", status, body, CodeReferralExists)
	}
}
