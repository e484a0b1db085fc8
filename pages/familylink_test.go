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

	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

type memLinks struct {
	mu    sync.Mutex
	links map[string]store.FamilyLink
}

func (m *memLinks) IssueFamilyLink(_ context.Context, l store.FamilyLink) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[l.ID] = l
	return nil
}

func (m *memLinks) FamilyLink(_ context.Context, id string) (store.FamilyLink, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[id]
	if !ok {
		return l, store.ErrNotFound
	}
	return l, nil
}

func (m *memLinks) MarkFamilyLinkEmailed(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.links[id]
	l.Emailed = true
	m.links[id] = l
	return nil
}

func (m *memLinks) RevokeFamilyLinks(_ context.Context, trajectoryID, by string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, any := time.Now(), false
	for id, l := range m.links {
		if l.TrajectoryID == trajectoryID && l.RevokedAt == nil {
			l.RevokedAt, l.RevokedBy, any = &now, by, true
			m.links[id] = l
		}
	}
	return any, nil
}

type sentLinks struct{ to []string }

func (s *sentLinks) SendLink(_ context.Context, m familylink.LinkMessage) error {
	s.to = append(s.to, m.To)
	return nil
}
func (s *sentLinks) SendDateRequest(context.Context, familylink.DateRequestMessage) error { return nil }

func newFamilyLinkPages(t *testing.T, phase trajectory.Phase) (*stepFixture, *memLinks, *sentLinks) {
	t.Helper()
	return newFamilyLinkPagesOf(t, phase, trajectory.Family{ContactName: "Gezin Peeters", Language: "Turks"}, nil)
}

// newFamilyLinkPagesOf is newFamilyLinkPages for family, with texter
// sending its SMS (nil: no SMS gateway).
func newFamilyLinkPagesOf(t *testing.T, phase trajectory.Phase, family trajectory.Family, texter *familylink.Texter) (*stepFixture, *memLinks, *sentLinks) {
	t.Helper()
	f := newStepFixture(t, phase, trajectory.State{})
	st := &fakeStore{rows: map[string]store.Trajectory{stepTrajectory: {TrajectorySummary: store.TrajectorySummary{
		ID: stepTrajectory, ProgrammeID: "test-seconds", CoachID: "test-coach", Phase: phase},
		Family: &family}}}
	sessions := subjectSessions{
		"coach":      {ID: "tok_coach", Kind: store.TokenCoach, Subject: "test-coach", Programmes: []string{"test-seconds"}},
		"supervisor": {ID: "tok_super", Kind: store.TokenSupervisor, Subject: "sup-vilvoorde", Programmes: []string{"test-seconds"}},
	}
	signer, err := familylink.NewSigner(handoverlink.Key{ID: "t1", Secret: []byte("cqe1f9GZDwLfsCVpAa2eTGDCd9gRC7/kfNqvMH2ILOQ=")})
	if err != nil {
		t.Fatal(err)
	}
	links, sent := &memLinks{links: map[string]store.FamilyLink{}}, &sentLinks{}
	f.h = New(Config{Cases: usecase.Cases{Store: st, Audit: f.audit, Temporal: f.temporal, Programmes: stepProgramme(),
		Logger: slog.New(slog.DiscardHandler)},
		Services: programme.Services{},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler),
		FamilyLinks: &familylink.Issuer{Links: links, Signer: signer, Mail: sent, SMS: texter, BaseURL: "https://elkgezin.example"}})
	return f, links, sent
}

// The coach makes the family's link with its consent and sees it; the
// page offers the family's language first; a supervisor only revokes.
func TestFamilyLinkPage(t *testing.T) {
	f, links, sent := newFamilyLinkPages(t, trajectory.PhaseInSupport)
	body := f.get("coach", "/gezinslink/"+stepTrajectory).Body.String()
	for _, want := range []string{`id="f-gezinslink"`, `<option value="tr" lang="tr" selected>`, `id="consent_on"`, `id="f-gezinslink-intrekken"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the coach's page lacks %q", want)
		}
	}
	if body := f.get("supervisor", "/gezinslink/"+stepTrajectory).Body.String(); strings.Contains(body, `id="f-gezinslink"`) || !strings.Contains(body, `id="f-gezinslink-intrekken"`) {
		t.Errorf("the supervisor's page: want only the revocation")
	}

	future := time.Now().Add(72 * time.Hour).Format("2006-01-02")
	rec := f.post("coach", "/gezinslink/"+stepTrajectory, url.Values{"consent_on": {future}, "channel": {"in_person"}, "language": {"ar"}})
	if rec.Code != http.StatusBadRequest || len(links.links) != 0 {
		t.Errorf("consent in the future: %d, %d links", rec.Code, len(links.links))
	}
	rec = f.post("coach", "/gezinslink/"+stepTrajectory, url.Values{"consent_on": {today()}, "channel": {"phone"}, "language": {"ar"},
		"email": {"gezin@voorbeeld.be"}})
	body = rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `id="gezinslink" readonly value="https://elkgezin.example/v1/family/f1.t1.`) ||
		!strings.Contains(body, `id="gemaild"`) {
		t.Fatalf("the issued link: %d\n%s", rec.Code, visibleText(body))
	}
	if len(links.links) != 1 || len(sent.to) != 1 || sent.to[0] != "gezin@voorbeeld.be" {
		t.Errorf("links %v, emails to %v", links.links, sent.to)
	}
	for _, l := range links.links {
		if l.Language != "ar" || l.ConsentChannel != "phone" || l.IssuedBy != "coach:test-coach" {
			t.Errorf("the link's row: %+v", l)
		}
	}
	if action, outcome := f.lastAction(); action != usecase.ActionIssueFamilyLink || outcome != "ok" {
		t.Errorf("audit: %s %s", action, outcome)
	}

	rec = f.post("supervisor", "/gezinslink/"+stepTrajectory+"/intrekken", url.Values{})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Link ingetrokken") {
		t.Errorf("revoke: %d", rec.Code)
	}
	for _, l := range links.links {
		if l.RevokedAt == nil || l.RevokedBy != "supervisor:sup-vilvoorde" {
			t.Errorf("after revocation: %+v", l)
		}
	}
	if action, _ := f.lastAction(); action != usecase.ActionRevokeFamilyLink {
		t.Errorf("audit of the revocation: %s", action)
	}
}

// A closed trajectory gets no new link.
func TestFamilyLinkPageClosed(t *testing.T) {
	f, links, _ := newFamilyLinkPages(t, trajectory.PhaseClosed)
	if body := f.get("coach", "/gezinslink/"+stepTrajectory).Body.String(); strings.Contains(body, `id="f-gezinslink"`) {
		t.Error("a closed trajectory offers a new link")
	}
	f.post("coach", "/gezinslink/"+stepTrajectory, url.Values{"consent_on": {today()}, "channel": {"phone"}, "language": {"nl"}})
	if len(links.links) != 0 {
		t.Errorf("a link for a closed trajectory: %v", links.links)
	}
}

// TestTrajectoryPageLinksTheFamilyLink: the coach and the supervisor reach
// the family link's page from the trajectory's; a closed trajectory has
// none to give.
func TestTrajectoryPageLinksTheFamilyLink(t *testing.T) {
	f, _, _ := newFamilyLinkPages(t, trajectory.PhaseInSupport)
	for _, who := range []string{"coach", "supervisor"} {
		if body := f.get(who, "/trajecten/"+stepTrajectory).Body.String(); !strings.Contains(body, `href="/gezinslink/`+stepTrajectory+`"`) {
			t.Errorf("the %s's trajectory page has no link to the family link's page", who)
		}
	}
	closed, _, _ := newFamilyLinkPages(t, trajectory.PhaseClosed)
	if body := closed.get("coach", "/trajecten/"+stepTrajectory).Body.String(); strings.Contains(body, `href="/gezinslink/`) {
		t.Error("a closed trajectory's page links to the family link's page")
	}
}
