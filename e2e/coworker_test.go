package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
)

// coWorkerProgramme is test-seconds with a bridge figure beside its
// coaches, who gets a copy of every reminder to the coach.
const coWorkerProgramme = `co_workers:
  - id: test-brugfiguur
    name: Brugfiguur 1
    email: brugfiguur@test.example
    role: brugfiguur
copy_reminders_to: [brugfiguur]
co_worker_roles:
  - role: brugfiguur
    name: Brugfiguur
    steps: [bezoek, consultatie]
`

// TestBridgeFigureSignsInAndRecordsAVisit: a bridge figure gets a token of
// their own from `elkgezin token create`, signs in on the pages, finds the
// family a supervisor assigned them to under "Mijn gezinnen", and records
// a visit there, which the log names as theirs; a step their role is not
// given is refused, a family not theirs is answered as none; the copy of
// the next reminder greets them by name and says in which role.
func TestBridgeFigureSignsInAndRecordsAVisit(t *testing.T) {
	dir := t.TempDir()
	base, err := os.ReadFile("../deploy/programmes/test-seconds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test-seconds.yaml"), append(base, coWorkerProgramme...), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStackWith(t, dir)
	const supervisor, coach, brug = "supervisor:test", "coach:test-coach", "co_worker:test-brugfiguur"
	id := s.referPlain("BRUG-1", "Bea Brugfamilie")
	other := s.referPlain("BRUG-2", "Olaf Anderfamilie")
	for _, tr := range []string{id, other} {
		s.mustStep(supervisor, tr, "assignment", map[string]any{"coach": "test-coach"})
		s.mustStep(coach, tr, "intake", map[string]any{"note": "kennismaking"})
	}
	s.mustStep(supervisor, id, "co-workers", map[string]any{"co_worker": "test-brugfiguur", "role": "brugfiguur"})

	cookie, csrf := s.formSession(t, s.token(brug))
	status, body := s.page(cookie, "GET", "/gezinnen", nil, nil)
	if status != http.StatusOK || !strings.Contains(body, "Mijn gezinnen") || !strings.Contains(body, "Bea Brugfamilie") || strings.Contains(body, "Olaf Anderfamilie") {
		t.Fatalf("the bridge figure's families: %d, want the assigned family only:\n%s", status, body)
	}
	status, body = s.page(cookie, "GET", "/trajecten/"+id, nil, nil)
	if status != http.StatusOK || !strings.Contains(body, `action="/trajecten/`+id+`/bezoek"`) || strings.Contains(body, `/afsluiting"`) {
		t.Fatalf("the assigned family's page: %d, want the visit form and no closure:\n%s", status, body)
	}
	next := local(time.Now().Add(20 * time.Second))
	form := url.Values{"csrf": {csrf}, "key": {"brug-visit-1"}, "note": {"contact aan de schoolpoort"}, "next_visit_due": {next}}
	if status, body := s.page(cookie, "POST", "/trajecten/"+id+"/bezoek", form, nil); status != http.StatusSeeOther {
		t.Fatalf("the bridge figure records a visit: %d\n%s\nlogs:\n%s", status, body, s.Logs())
	}
	view := s.waitFor(brug, id, func(m map[string]any) bool { return doneBy(m, brug) })
	if cw, _ := view["co_workers"].([]any); len(cw) == 0 {
		t.Errorf("the bridge figure's view of the trajectory lacks its co-workers: %v", view)
	}
	if status, _ := s.page(cookie, "POST", "/trajecten/"+id+"/afsluiting", url.Values{"csrf": {csrf}, "key": {"brug-close"}, "reason": {"goals_reached"}}, nil); status != http.StatusForbidden {
		t.Errorf("the bridge figure closes the trajectory: %d, want 403", status)
	}
	if status, _ := s.page(cookie, "POST", "/trajecten/"+other+"/bezoek", url.Values{"csrf": {csrf}, "key": {"brug-visit-2"}, "note": {"x"}}, nil); status != http.StatusNotFound {
		t.Errorf("the bridge figure records a visit of a family not theirs: %d, want 404", status)
	}
	if status, _ := s.call(brug, "POST", "/v1/trajectories/"+id+"/birth", map[string]any{"birth_date": time.Now().Format("2006-01-02")}, nil); status != http.StatusForbidden {
		t.Errorf("the bridge figure records a birth over the API: %d, want 403", status)
	}

	copyOf := s.smtp.WaitFor(t, func(m smtpsink.Received) bool {
		return len(m.To) == 1 && m.To[0] == "brugfiguur@test.example" && strings.HasPrefix(m.Subject, "Herinnering: huisbezoek")
	}, 60*time.Second)
	body = strings.ReplaceAll(copyOf.Body, "\r\n", "\n")
	if !strings.HasPrefix(body, "Beste Brugfiguur 1,\n") || !strings.Contains(body, "als brugfiguur naast de coach") || strings.Contains(body, "Beste coach") {
		t.Errorf("the bridge figure's copy of the reminder:\n%s", body)
	}
}

// doneBy says whether the trajectory's log holds a visit by actor.
func doneBy(view map[string]any, actor string) bool {
	events, _ := view["events"].([]any)
	for _, e := range events {
		if m, ok := e.(map[string]any); ok && m["kind"] == "home_visit_done" && m["actor"] == actor {
			return true
		}
	}
	return false
}
