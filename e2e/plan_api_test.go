package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// planProgramme is test-seconds with a bridge figure whose role may record
// an action of the family plan done.
const planProgramme = `co_workers:
  - id: test-brugfiguur
    name: Brugfiguur 1
    email: brugfiguur@test.example
    role: brugfiguur
co_worker_roles:
  - role: brugfiguur
    name: Brugfiguur
    steps: [bezoek, actie-gedaan]
`

// TestFamilyPlanOverHTTP: the coach agrees a family plan with the family
// over the API (goals in two life domains, actions owed by the family, the
// coach, the bridge figure and a service of the network); the bridge
// figure records their action done, but may not mark a goal; the coach
// marks one goal reached and lets the other go; the closure records each
// goal's outcome. The supervisor reads the plan in the trajectory; the
// event log keeps the plan's words sealed and its codes (domains, statuses)
// in clear, which the fund's report counts; the report answers with its
// plan figures; no word of the plan is in the logs.
func TestFamilyPlanOverHTTP(t *testing.T) {
	dir := t.TempDir()
	base, err := os.ReadFile("../deploy/programmes/test-seconds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test-seconds.yaml"), append(base, planProgramme...), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStackWith(t, dir)
	const supervisor, coach, brug = "supervisor:test", "coach:test-coach", "co_worker:test-brugfiguur"
	id := s.referPlain("PLAN-1", "Yasmine Plangezin")
	s.mustStep(supervisor, id, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep(coach, id, "intake", map[string]any{"note": "kennismaking", "next_visit_due_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	s.mustStep(supervisor, id, "co-workers", map[string]any{"co_worker": "test-brugfiguur", "role": "brugfiguur"})

	const goalWords, contact = "Een woning met een tuin voor de kinderen", "Mevrouw Peeters, 015 12 34 56"
	later := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	plan := map[string]any{
		"agreed_on": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		"strengths": []string{"Mama kookt graag en goed"},
		"goals": []any{
			map[string]any{"domain": "housing", "text": goalWords, "actions": []any{
				map[string]any{"what": "Inschrijven bij de sociale huisvesting", "owner": map[string]any{"role": "family"}, "due": later},
				map[string]any{"what": "Huurprijzen opzoeken met het gezin", "owner": map[string]any{"role": "co_worker", "id": "test-brugfiguur"}, "due": later},
				map[string]any{"what": "Afspraak maken met het OCMW", "owner": map[string]any{"role": "coach"}, "due": later},
			}},
			map[string]any{"domain": "health", "text": "Naar de tandarts gaan", "actions": []any{
				map[string]any{"what": "Een tandarts zoeken", "owner": map[string]any{"role": "service", "id": "n1"}},
			}},
		},
		"network": []any{map[string]any{"service": "OCMW Mechelen", "contact": contact, "consent_to_share": true}},
	}
	status, state := s.call(coach, "PUT", "/v1/trajectories/"+id+"/plan", plan, map[string]string{"Idempotency-Key": "plan-agreed-1"})
	if status != http.StatusOK {
		t.Fatalf("agree the plan: %d %v\n%s", status, state, s.Logs())
	}
	goals := state["plan"].(map[string]any)["goals"].([]any)
	if len(goals) != 2 || goals[0].(map[string]any)["id"] != "g1" || goals[1].(map[string]any)["id"] != "g2" {
		t.Fatalf("the agreed plan's goals: %v", goals)
	}
	// A plan without the date the family agreed it is the caller's mistake.
	delete(plan, "agreed_on")
	if status, refused := s.call(coach, "PUT", "/v1/trajectories/"+id+"/plan", plan, nil); status != http.StatusBadRequest ||
		problemFields(refused)["/agreed_on"] == "" {
		t.Errorf("a plan without agreed_on: %d %v, want 400 naming /agreed_on", status, refused)
	}

	// The supervisor reads the plan, with its network.
	status, view := s.call(supervisor, "GET", "/v1/trajectories/"+id, nil, nil)
	if status != http.StatusOK || view["plan"] == nil {
		t.Fatalf("the supervisor's view: %d, no plan: %v", status, view)
	}
	network := view["plan"].(map[string]any)["network"].([]any)
	if len(network) != 1 || network[0].(map[string]any)["contact"] != contact || network[0].(map[string]any)["consent_to_share"] != true {
		t.Errorf("the plan's network as the supervisor reads it: %v", network)
	}

	// The bridge figure records their action done; a goal is not theirs to mark.
	s.mustStep(brug, id, "plan/goals/g1/actions/a2/done", map[string]any{})
	if status, _ := s.call(brug, "POST", "/v1/trajectories/"+id+"/plan/goals/g1/status", map[string]any{"status": "reached"}, nil); status != http.StatusForbidden {
		t.Errorf("the bridge figure marks a goal: %d, want 403", status)
	}
	if status, refused := s.call(coach, "POST", "/v1/trajectories/"+id+"/plan/goals/g1/actions/a2/done", map[string]any{}, nil); status != http.StatusConflict ||
		refused["code"] != "plan_action_already_done" {
		t.Errorf("an action done twice: %d %v, want 409 plan_action_already_done", status, refused)
	}
	s.mustStep(coach, id, "plan/goals/g1/actions/a3/done", map[string]any{})
	s.mustStep(coach, id, "plan/goals/g1/status", map[string]any{"status": "reached"})
	s.mustStep(coach, id, "plan/goals/g2/status", map[string]any{"status": "let_go", "reason": "Geregeld via de huisarts"})
	if status, refused := s.call(coach, "POST", "/v1/trajectories/"+id+"/plan/goals/g9/status", map[string]any{"status": "reached"}, nil); status != http.StatusConflict ||
		refused["code"] != "goal_unknown" {
		t.Errorf("a goal the plan does not have: %d %v, want 409 goal_unknown", status, refused)
	}
	s.mustStep(coach, id, "closure", map[string]any{"reason": "goals_reached",
		"outcomes": map[string]any{"g1": "Verhuisd naar een sociale woning", "g2": "Loopt via de huisarts"}})

	// The log: the plan's codes in clear, its words sealed.
	db := s.db()
	defer db.Close(context.Background())
	rows, err := db.Query(context.Background(), `SELECT kind, detail::text, sealed_detail IS NOT NULL FROM trajectory_events
		WHERE trajectory_id = $1 AND kind IN ('plan_agreed', 'plan_action_done', 'goal_reached', 'goal_let_go', 'closed') ORDER BY seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for rows.Next() {
		var kind, clear string
		var sealed bool
		if err := rows.Scan(&kind, &clear, &sealed); err != nil {
			t.Fatal(err)
		}
		kinds[kind] += clear
		for _, words := range []string{goalWords, "Peeters", "huisarts", "sociale woning", "tandarts", "OCMW"} {
			if strings.Contains(clear, words) {
				t.Errorf("%s: the clear detail holds the plan's words %q: %s", kind, words, clear)
			}
		}
		if !sealed {
			t.Errorf("%s: no sealed detail", kind)
		}
	}
	if !strings.Contains(kinds["plan_agreed"], `"goals": "g1:housing:open,g2:health:open"`) ||
		!strings.Contains(kinds["goal_reached"], `"domain": "housing"`) || !strings.Contains(kinds["goal_let_go"], `"domain": "health"`) ||
		!strings.Contains(kinds["closed"], `"goals": "g1:housing:reached,g2:health:let_go"`) {
		t.Errorf("the clear detail the report counts: %v", kinds)
	}
	// The closure's outcomes are in the family's log, for those who may read it.
	view = s.waitFor(coach, id, func(v map[string]any) bool { return v["phase"] == "closed" })
	var outcomes string
	for _, e := range view["events"].([]any) {
		if ev := e.(map[string]any); ev["kind"] == "closed" {
			d, _ := ev["detail"].(map[string]any)
			outcomes, _ = d["goal:g1:outcome"].(string)
		}
	}
	if outcomes != "Verhuisd naar een sociale woning" {
		t.Errorf("the closure's outcome of g1 in the log: %q", outcomes)
	}
	// The closed trajectory's plan, as its workflow ended it.
	if p, _ := view["plan"].(map[string]any); p == nil {
		t.Errorf("the closed trajectory has no plan: %v", view)
	} else {
		g := p["goals"].([]any)
		g1, g2 := g[0].(map[string]any), g[1].(map[string]any)
		if g1["status"] != "reached" || g1["outcome"] != "Verhuisd naar een sociale woning" || g2["status"] != "let_go" ||
			g2["let_go_reason"] != "Geregeld via de huisarts" || g1["actions"].([]any)[1].(map[string]any)["done"] == nil {
			t.Errorf("the closed trajectory's plan: %v", p)
		}
	}

	// The fund's report has the plan's figures (of the last quarter that ended).
	now := time.Now().UTC()
	start := time.Date(now.Year(), time.Month((int(now.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	from, to := start.AddDate(0, -3, 0).Format(time.DateOnly), start.AddDate(0, 0, -1).Format(time.DateOnly)
	status, report := s.call(supervisor, "GET", "/v1/reports/programmes/test-seconds?from="+from+"&to="+to, nil, nil)
	if status != http.StatusOK || report["plan_agreed"] == nil || report["goals"] == nil {
		t.Errorf("the programme's report: %d %v, want plan_agreed and goals", status, report)
	}

	for _, words := range []string{goalWords, "Peeters", "Geregeld via de huisarts", "sociale woning"} {
		if strings.Contains(s.Logs(), words) {
			t.Errorf("the logs hold the plan's words %q", words)
		}
	}
}
