package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

type fakeFamilyLinks struct {
	mu    sync.Mutex
	links map[string]store.FamilyLink
}

func (f *fakeFamilyLinks) IssueFamilyLink(ctx context.Context, l store.FamilyLink) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for id, o := range f.links {
		if o.TrajectoryID == l.TrajectoryID && o.RevokedAt == nil {
			o.RevokedAt, o.RevokedBy = &now, l.IssuedBy
			f.links[id] = o
		}
	}
	f.links[l.ID] = l
	return nil
}

func (f *fakeFamilyLinks) FamilyLink(ctx context.Context, id string) (store.FamilyLink, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.links[id]
	if !ok {
		return l, store.ErrNotFound
	}
	return l, nil
}

func (f *fakeFamilyLinks) MarkFamilyLinkEmailed(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.links[id]
	l.Emailed = true
	f.links[id] = l
	return nil
}

func (f *fakeFamilyLinks) RevokeFamilyLinks(ctx context.Context, trajectoryID, by string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now, any := time.Now(), false
	for id, l := range f.links {
		if l.TrajectoryID == trajectoryID && l.RevokedAt == nil {
			l.RevokedAt, l.RevokedBy, any = &now, by, true
			f.links[id] = l
		}
	}
	return any, nil
}

type fakeNotifier struct {
	mu    sync.Mutex
	sent  []familylink.LinkMessage
	coach []familylink.DateRequestMessage
}

func (n *fakeNotifier) SendDateRequest(ctx context.Context, m familylink.DateRequestMessage) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.coach = append(n.coach, m)
	return nil
}

func (n *fakeNotifier) SendLink(ctx context.Context, m familylink.LinkMessage) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, m)
	return nil
}

func testFamilySigner() *familylink.Signer {
	s, err := familylink.NewSigner(handoverlink.Key{ID: "t1", Secret: []byte("cqe1f9GZDwLfsCVpAa2eTGDCd9gRC7/kfNqvMH2ILOQ=")})
	if err != nil {
		panic(err)
	}
	return s
}

type familyFixture struct {
	*fixture
	links *fakeFamilyLinks
	mail  *fakeNotifier
}

func newFamilyFixture(t *testing.T) familyFixture {
	links, mail := &fakeFamilyLinks{links: map[string]store.FamilyLink{}}, &fakeNotifier{}
	f := newFixture(t, func(c *Config) {
		c.FamilyLinks, c.FamilySigner, c.FamilyMail, c.PublicBaseURL = links, testFamilySigner(), mail, "https://elkgezin.example"
	})
	f.store.add(openID, trajectory.PhaseInSupport)
	next := time.Date(2031, 5, 6, 8, 30, 0, 0, time.UTC)
	due := time.Date(2031, 5, 20, 0, 0, 0, 0, time.UTC)
	f.temporal.state.Next = &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 2, DueAt: next}
	f.temporal.state.Plan = &trajectory.Plan{AgreedOn: time.Date(2031, 4, 1, 0, 0, 0, 0, time.UTC),
		Strengths: []string{"Wij koken graag samen"},
		Goals: []trajectory.Goal{{ID: "g1", Domain: trajectory.DomainHousing, Text: "Een droge slaapkamer voor de kinderen", Status: trajectory.GoalOpen,
			LetGoReason: "NOTA VAN DE COACH", Outcome: "UITKOMST VAN DE COACH",
			Actions: []trajectory.Action{{ID: "a1", What: "De huisbaas bellen", Owner: trajectory.ActionOwner{Role: trajectory.OwnerFamily}, Due: &due}}}},
		Network: []trajectory.NetworkMember{{ID: "n1", Service: "GEHEIME DIENST", Contact: "CONTACTPERSOON"}}}
	return familyFixture{f, links, mail}
}

// page sends a request as a family's browser and reads the answer.
func (f familyFixture) page(method, path string, form url.Values) (int, http.Header, string) {
	var body io.Reader
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

func (f familyFixture) issue(t *testing.T, key string, body map[string]any) FamilyLinkResponse {
	t.Helper()
	res := f.do(http.MethodPost, "/v1/trajectories/"+openID+"/family-link", body, authHeader, asCoach, IdempotencyKeyHeader, key)
	res.want(t, http.StatusCreated)
	var out FamilyLinkResponse
	res.decode(t, &out)
	return out
}

func consentBodyToday(lang string) map[string]any {
	b := map[string]any{"consent": map[string]any{"given": true, "recorded_on": time.Now().Format("2006-01-02"), "channel": "in_person"}}
	if lang != "" {
		b["language"] = lang
	}
	return b
}

func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/v1/family/f1.") {
		t.Fatalf("link %q", link)
	}
	return u.Path
}

// The coach issues the link; the family opens it in Arabic and sees its
// own plan, its coach and the next appointment, and nothing else; it asks
// for another date; the coach revokes the link, and it stops working.
func TestFamilyPage(t *testing.T) {
	f := newFamilyFixture(t)
	body := consentBodyToday("ar")
	body["email"] = "gezin@example.be"
	link := f.issue(t, "k-1", body)
	if link.Language != "ar" || !link.Emailed || !strings.HasPrefix(link.URL, "https://elkgezin.example/v1/family/f1.") {
		t.Fatalf("issued %+v", link)
	}
	if again := f.issue(t, "k-1", body); again.URL != link.URL || len(f.mail.sent) != 1 {
		t.Errorf("the same request again: %+v, %d emails; want the same link, one email", again, len(f.mail.sent))
	}
	if m := f.mail.sent[0]; m.To != "gezin@example.be" || m.URL != link.URL || m.Language.Code != "ar" {
		t.Errorf("email %+v", m)
	}
	path := pathOf(t, link.URL)

	status, h, page := f.page(http.MethodGet, path, nil)
	if status != http.StatusOK {
		t.Fatalf("open: %d %s", status, page)
	}
	for _, want := range []string{`<html lang="ar" dir="rtl">`, "Een droge slaapkamer voor de kinderen", "De huisbaas bellen", "20-05-2031",
		"السكن", "Wij koken graag samen", "Testcoach", "06-05-2031 الساعة 10:30", "01-04-2031"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, never := range []string{openID, "NOTA VAN DE COACH", "UITKOMST VAN DE COACH", "GEHEIME DIENST", "CONTACTPERSOON", "test-coach", "coach@test.example"} {
		if strings.Contains(page, never) {
			t.Errorf("the page shows %q", never)
		}
	}
	if h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("headers %v", h)
	}
	if e := f.audit.last(t); e.Action != usecase.ActionOpenFamilyPage || e.Actor != ActorFamily || e.TrajectoryID != openID {
		t.Errorf("audit of an open: %+v", e)
	}
	_, _, fr := f.page(http.MethodGet, path+"?lang=fr", nil)
	if !strings.Contains(fr, `<html lang="fr" dir="ltr">`) || !strings.Contains(fr, "Logement") {
		t.Errorf("in French: %.400s", fr)
	}

	status, _, page = f.page(http.MethodPost, path+"/date-request", url.Values{"message": {"Dinsdag kan ik niet"}, "lang": {"fr"}})
	if status != http.StatusOK || !strings.Contains(page, "Votre demande est envoyée") {
		t.Errorf("ask another date: %d %.600s", status, page)
	}
	// The same form sent twice is one request.
	f.page(http.MethodPost, path+"/date-request", url.Values{"message": {"Dinsdag kan ik niet"}, "key": {"abcdefghijklmnop2345"}})
	f.page(http.MethodPost, path+"/date-request", url.Values{"message": {"Dinsdag kan ik niet"}, "key": {"abcdefghijklmnop2345"}})
	if a, b := f.temporal.updates[len(f.temporal.updates)-2].UpdateID, f.temporal.updates[len(f.temporal.updates)-1].UpdateID; a != b {
		t.Errorf("a double press: Updates %s and %s, want one", a, b)
	}
	u := f.temporal.updates[len(f.temporal.updates)-3]
	if u.UpdateName != trajectory.UpdateRequestNewDate || u.WorkflowID != openID {
		t.Errorf("update %+v", u)
	}
	if req, ok := u.Args[0].(trajectory.RequestNewDate); !ok || req.Message != "Dinsdag kan ik niet" || req.By != ActorFamily {
		t.Errorf("request %+v", u.Args[0])
	}
	if len(f.mail.coach) != 3 || f.mail.coach[0].To != "coach@test.example" || f.mail.coach[0].TrajectoryID != openID {
		t.Errorf("the coach's emails: %+v", f.mail.coach)
	}
	if e := f.audit.last(t); e.Action != usecase.ActionRequestNewDate || e.Actor != ActorFamily {
		t.Errorf("audit of a request: %+v", e)
	}

	res := f.do(http.MethodDelete, "/v1/trajectories/"+openID+"/family-link", nil, authHeader, asCoach)
	res.want(t, http.StatusOK)
	if status, _, page := f.page(http.MethodGet, path, nil); status != http.StatusGone || !strings.Contains(page, `dir="rtl"`) {
		t.Errorf("after revocation: %d %.300s", status, page)
	}
	if status, _, _ := f.page(http.MethodPost, path+"/date-request", url.Values{"message": {"x"}}); status != http.StatusGone {
		t.Errorf("a request after revocation: %d", status)
	}
}

// A link stops working once the trajectory is closed or erased.
func TestFamilyPageAfterClosure(t *testing.T) {
	f := newFamilyFixture(t)
	path := pathOf(t, f.issue(t, "k-1", consentBodyToday("fr")).URL)
	f.store.add(openID, trajectory.PhaseClosed)
	if status, _, page := f.page(http.MethodGet, path, nil); status != http.StatusGone || !strings.Contains(page, "Ce lien ne marche plus") {
		t.Errorf("after closure: %d %.300s", status, page)
	}
	f.store.add(openID, trajectory.PhaseInSupport)
	f.store.mu.Lock()
	row := f.store.rows[openID]
	row.Erased = true
	f.store.rows[openID] = row
	f.store.mu.Unlock()
	if status, _, _ := f.page(http.MethodGet, path, nil); status != http.StatusGone {
		t.Errorf("after erasure: %d", status)
	}
	f.store.add(openID, trajectory.PhaseInSupport)
	f.temporal.updateErr = usecase.ErrClosed
	if status, _, _ := f.page(http.MethodGet, path, nil); status == http.StatusOK {
		t.Errorf("with the workflow closed: %d", status)
	}
}

// A handover link never opens a family page, nor a family link a
// handover; a forged one gets the page of a link that does not work.
func TestFamilyPageTokens(t *testing.T) {
	f := newFamilyFixture(t)
	path := pathOf(t, f.issue(t, "k-1", consentBodyToday("nl")).URL)
	familyToken := strings.TrimPrefix(path, "/v1/family/")
	handover := testSigner().Token(handoverlink.Claims{TrajectoryID: openID, Number: 1, ExpiresAt: time.Now().Add(time.Hour)})
	if status, _, page := f.page(http.MethodGet, "/v1/family/"+handover, nil); status != http.StatusNotFound || !strings.Contains(page, "Deze link werkt niet") {
		t.Errorf("a handover token as a family link: %d", status)
	}
	if status, _, _ := f.page(http.MethodGet, "/v1/handovers/"+familyToken, nil); status != http.StatusNotFound {
		t.Errorf("a family token as a handover link: %d", status)
	}
	if status, _, _ := f.page(http.MethodGet, "/v1/family/f1.t1.forged", nil); status != http.StatusNotFound {
		t.Errorf("a forged token: %d", status)
	}
	// A second link revokes the first.
	second := pathOf(t, f.issue(t, "k-2", consentBodyToday("nl")).URL)
	if status, _, _ := f.page(http.MethodGet, path, nil); status != http.StatusGone {
		t.Errorf("the first link after a second: %d", status)
	}
	if status, _, _ := f.page(http.MethodGet, second, nil); status != http.StatusOK {
		t.Errorf("the second link: %d", status)
	}
}

// The family's agreement is required and recorded; a wrong field is a 400.
func TestFamilyLinkNeedsConsent(t *testing.T) {
	f := newFamilyFixture(t)
	post := func(body any, auth string) response {
		return f.do(http.MethodPost, "/v1/trajectories/"+openID+"/family-link", body, authHeader, auth, IdempotencyKeyHeader, "k-x")
	}
	post(map[string]any{"language": "nl"}, asCoach).want(t, http.StatusUnprocessableEntity)
	refused := consentBodyToday("nl")
	refused["consent"].(map[string]any)["given"] = false
	post(refused, asCoach).want(t, http.StatusUnprocessableEntity)
	bad := consentBodyToday("xx")
	bad["consent"].(map[string]any)["channel"] = "pigeon"
	bad["email"] = "not an address"
	checkFields(t, post(bad, asCoach), "invalid family link", []string{"consent.channel", "language", "email"})
	post(consentBodyToday("nl"), asSupervisor).want(t, http.StatusForbidden)
	if len(f.links.links) != 0 {
		t.Errorf("links made: %v", f.links.links)
	}
}

// A family asks a few times per link, then is asked to wait.
func TestFamilyRequestsAreLimited(t *testing.T) {
	f := newFamilyFixture(t)
	path := pathOf(t, f.issue(t, "k-1", consentBodyToday("en")).URL)
	var last string
	for range 6 {
		_, _, last = f.page(http.MethodPost, path+"/date-request", url.Values{})
	}
	if !strings.Contains(last, "You have sent many questions already") {
		t.Errorf("the sixth request: %.500s", last)
	}
}
