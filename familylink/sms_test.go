package familylink

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/mailer/ledger/ledgertest"
	"github.com/elkgezin/elkgezin/sms"
	"github.com/elkgezin/elkgezin/trajectory"
)

type fakeFamilies map[string]trajectory.Family

func (f fakeFamilies) FamilyContact(_ context.Context, id string) (trajectory.Family, error) {
	return f[id], nil
}

// TestLinkBySMS: a family that agreed to SMS gets its link once, in the
// link's language with its first name, however often the coach sends the
// request; a family that did not gets none, and the coach is told why.
func TestLinkBySMS(t *testing.T) {
	var mu sync.Mutex
	var texts []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		texts = append(texts, r.URL.Query().Get("to")+" "+r.URL.Query().Get("text"))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer gw.Close()
	consent := &trajectory.SMSConsent{RecordedOn: trajectory.DateOf(time.Now()), Channel: "phone"}
	texter := &Texter{Families: fakeFamilies{
		"tr-a": {ContactName: "Nadia Benali", Phone: "0470 11 22 33", SMSConsent: consent},
		"tr-b": {ContactName: "Jan Peeters", Phone: "0470 44 55 66"},
	}, Ledger: &ledgertest.Memory{},
		Gateway: sms.New(sms.Config{URL: gw.URL}), ReportSecret: []byte("s")}
	i := Issuer{SMS: texter}
	fr, _ := LanguageOf("fr")
	link := LinkMessage{TrajectoryID: "tr-a", LinkID: "l1", Language: fr, URL: "https://elkgezin.example/v1/family/tok"}
	for range 2 {
		if sent, problem := i.text(context.Background(), link); !sent || problem != "" {
			t.Fatalf("link by SMS: %v %q", sent, problem)
		}
	}
	if len(texts) != 1 || texts[0] != "+32470112233 Bonjour Nadia, voici votre page : https://elkgezin.example/v1/family/tok" {
		t.Errorf("texts %q; want one, in French, with the first name and the link", texts)
	}
	link.TrajectoryID = "tr-b"
	if sent, problem := i.text(context.Background(), link); sent || !strings.Contains(problem, "did not agree to SMS") {
		t.Errorf("a family without consent: %v %q", sent, problem)
	}
	if sent, problem := (Issuer{}).text(context.Background(), link); sent || !strings.Contains(problem, "no SMS gateway") {
		t.Errorf("no gateway: %v %q", sent, problem)
	}
	if len(texts) != 1 {
		t.Errorf("texts %q after refusals", texts)
	}
}
