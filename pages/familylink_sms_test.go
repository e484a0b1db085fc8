package pages

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/mailer/ledger/ledgertest"
	"github.com/elkgezin/elkgezin/sms"
	"github.com/elkgezin/elkgezin/trajectory"
)

type smsFamilies map[string]trajectory.Family

func (f smsFamilies) FamilyContact(_ context.Context, id string) (trajectory.Family, error) {
	return f[id], nil
}

// A family that agreed to SMS can get its link by SMS from the page, in
// the link's language; a family that did not is offered no SMS.
func TestFamilyLinkPageBySMS(t *testing.T) {
	var mu sync.Mutex
	var texts []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		texts = append(texts, r.URL.Query().Get("text"))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer gw.Close()

	consenting := trajectory.Family{ContactName: "Nadia Benali", Phone: "0470 11 22 33", Language: "fr",
		SMSConsent: &trajectory.SMSConsent{RecordedOn: trajectory.DateOf(time.Now()), Channel: "phone"}}
	texter := &familylink.Texter{Families: smsFamilies{stepTrajectory: consenting},
		Ledger: &ledgertest.Memory{}, Gateway: sms.New(sms.Config{URL: gw.URL}), ReportSecret: []byte("s")}
	for _, without := range []struct {
		name   string
		family trajectory.Family
		texter *familylink.Texter
	}{
		{"no SMS gateway", consenting, nil},
		{"no consent", trajectory.Family{ContactName: "Jan Peeters", Phone: "0470 44 55 66"}, texter},
		{"no number", trajectory.Family{ContactName: "Jan Peeters", SMSConsent: consenting.SMSConsent}, texter},
	} {
		f, _, _ := newFamilyLinkPagesOf(t, trajectory.PhaseInSupport, without.family, without.texter)
		if body := f.get("coach", "/gezinslink/"+stepTrajectory).Body.String(); strings.Contains(body, `id="sms"`) {
			t.Errorf("%s: the page offers SMS", without.name)
		}
	}

	f, _, _ := newFamilyLinkPagesOf(t, trajectory.PhaseInSupport, consenting, texter)

	if body := f.get("coach", "/gezinslink/"+stepTrajectory).Body.String(); !strings.Contains(body, `id="sms"`) {
		t.Fatalf("the page of a family that agreed to SMS offers no SMS:\n%s", visibleText(body))
	}
	rec := f.post("coach", "/gezinslink/"+stepTrajectory, url.Values{"consent_on": {today()}, "channel": {"in_person"}, "language": {"fr"}, "sms": {"ja"}})
	if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, `id="gesmst"`) {
		t.Fatalf("link by SMS: %d\n%s", rec.Code, visibleText(body))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(texts) != 1 || !strings.HasPrefix(texts[0], "Bonjour Nadia") || !strings.Contains(texts[0], "https://elkgezin.example/v1/family/") {
		t.Errorf("texts %q; want one in French with the first name and the link", texts)
	}
}
