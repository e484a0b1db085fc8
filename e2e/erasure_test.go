package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
)

// historyPayloads collects every payload of a trajectory's raw history.
func (s *stack) historyPayloads(id string) []*commonpb.Payload {
	s.t.Helper()
	var payloads []*commonpb.Payload
	iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			s.t.Fatal(err)
		}
		payloads = append(payloads, collectPayloads(e)...)
	}
	return payloads
}

// decodeAs asks the codec endpoint to decode payloads as actor.
func (s *stack) decodeAs(actor string, payloads []*commonpb.Payload) (int, string) {
	s.t.Helper()
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	req, _ := http.NewRequest("POST", s.apiURL+"/codec/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token(actor))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, string(out)
	}
	return resp.StatusCode, decodedText(s.t, out)
}

// rawRows is everything PostgreSQL holds about a trajectory, as text:
// its read model row, its events, its email ledger rows.
func (s *stack) rawRows(id string) string {
	s.t.Helper()
	var out string
	err := s.keyedStore().Pool().QueryRow(context.Background(), `SELECT
		(SELECT coalesce(row_to_json(t)::text, '') FROM trajectories t WHERE id = $1) ||
		(SELECT coalesce(json_agg(e)::text, '') FROM trajectory_events e WHERE trajectory_id = $1) ||
		(SELECT coalesce(json_agg(m)::text, '') FROM outbound_emails m WHERE left(key, length($1) + 1) = $1 || '/')`, id).Scan(&out)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// TestErasureAndRetention: a trajectory referred, handed over and closed
// is erased through the API; afterwards nothing personal can be read from
// Temporal or PostgreSQL, it still counts, and the audit log says who
// erased it. A second one, closed, is erased by the retention schedule
// once test-seconds' retention_after_closure has passed.
func TestErasureAndRetention(t *testing.T) {
	programmes, _ := filepath.Abs("../deploy/programmes")
	s := startStackWith(t, programmes, "RETENTION_INTERVAL=2s")
	coach, supervisor := "coach:test-coach", "supervisor:test"
	status, created := s.call("partner:test-partner", "POST", "/v1/referrals", map[string]any{
		"programme": "test-seconds",
		"referrer":  map[string]any{"organisation": "test-partner", "reference": "ERASE-1"},
		"family":    map[string]any{"contact_name": "Noor Privacygezin", "address": "Veldstraat 12, 2800 Mechelen", "phone": "+32 485 11 22 33"},
		"reason":    "no income since the summer",
		"children":  []map[string]any{{"name": "Lina", "birth_date": "2023-06-15"}},
	}, nil)
	if status != http.StatusCreated {
		t.Fatalf("referral: %d %v", status, created)
	}
	id := created["id"].(string)
	s.mustStep(supervisor, id, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep(coach, id, "intake", map[string]any{"note": "slept badly, fridge empty"})
	s.mustStep(coach, id, "handovers", handover("contact", "children"))
	s.smtp.WaitFor(t, func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 1") }, 30*time.Second)
	s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "handover_sent") == 1 })
	s.mustStep(coach, id, "closure", map[string]any{"reason": "goals_reached"})

	secrets := []string{"Noor Privacygezin", "Veldstraat 12", "+32 485 11 22 33", "Lina", "no income since the summer", "slept badly, fridge empty", "ERASE-1"}
	// Before: the export holds it all, and the codec reads the history.
	status, export := s.call(supervisor, "GET", "/v1/trajectories/"+id+"/export", nil, nil)
	if status != http.StatusOK || len(export["handovers"].([]any)) < 1 || len(export["emails"].([]any)) < 1 {
		t.Fatalf("export: %d %v", status, export)
	}
	if raw := s.rawRows(id); strings.Contains(raw, "Noor") || strings.Contains(raw, "fridge") {
		t.Errorf("PostgreSQL holds personal data in the clear: %s", raw)
	}
	payloads := s.historyPayloads(id)
	if status, plain := s.decodeAs(supervisor, payloads); status != http.StatusOK || !strings.Contains(plain, "Noor Privacygezin") {
		t.Fatalf("codec before erasure: %d", status)
	}
	// A supervisor of another programme may not decode this family.
	s.tokenIn("supervisor:other", "go-team-mechelen")
	if status, _ := s.decodeAs("supervisor:other", payloads); status != http.StatusForbidden {
		t.Errorf("codec for another programme's supervisor: %d, want 403", status)
	}

	status, erased := s.call(supervisor, "POST", "/v1/trajectories/"+id+"/erasure", nil, nil)
	if status != http.StatusOK || erased["key_destroyed"] != true {
		t.Fatalf("erasure: %d %v", status, erased)
	}

	// After: nothing decodes, nothing personal is readable anywhere.
	if status, plain := s.decodeAs(supervisor, s.historyPayloads(id)); status == http.StatusOK || strings.Contains(plain, "Noor") {
		t.Errorf("codec after erasure: %d; want a failure", status)
	}
	raw := s.rawRows(id)
	for _, secret := range secrets {
		if strings.Contains(raw, secret) {
			t.Errorf("PostgreSQL holds %q after erasure", secret)
		}
	}
	status, view := s.call(supervisor, "GET", "/v1/trajectories/"+id, nil, nil)
	if status != http.StatusOK || view["erased"] != true || view["family"] != nil || view["phase"] != "closed" || view["close_reason"] != "goals_reached" {
		t.Errorf("trajectory after erasure: %d %v; want it erased, closed, counted", status, view)
	}
	if n := countEvents(view, "handover_sent"); n != 1 {
		t.Errorf("after erasure %d handovers counted, want 1", n)
	}
	entries, err := s.keyedStore().AuditEntries(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || (e.Action == "erase_trajectory" && e.Actor == supervisor && e.Outcome == "ok")
	}
	if !found {
		t.Errorf("audit log: %+v; want the erasure by %s", entries, supervisor)
	}

	// Retention: closed, and erased by the schedule (test-seconds keeps
	// personal data 20s after closure).
	status, created = s.call("partner:test-partner", "POST", "/v1/referrals", map[string]any{
		"programme": "test-seconds",
		"referrer":  map[string]any{"organisation": "test-partner", "reference": "RETAIN-1"},
		"family":    map[string]any{"contact_name": "Tijdelijk Gezin", "phone": "+32 470 00 00 01"},
		"reason":    "short stay",
	}, nil)
	if status != http.StatusCreated {
		t.Fatalf("referral: %d %v", status, created)
	}
	old := created["id"].(string)
	s.mustStep(supervisor, old, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep(supervisor, old, "closure", map[string]any{"reason": "family_declined"})
	closedAt := time.Now()
	view = s.waitFor(supervisor, old, func(v map[string]any) bool { return v["erased"] == true })
	if waited := time.Since(closedAt); waited < 15*time.Second {
		t.Errorf("erased %s after closure, before the 20s retention", waited)
	}
	if view["phase"] != "closed" || view["family"] != nil {
		t.Errorf("after retention: %v", view)
	}
	entries, _ = s.keyedStore().AuditEntries(context.Background(), old, 0)
	found = false
	for _, e := range entries {
		found = found || (e.Action == "erase_trajectory" && e.Actor == "system:retention")
	}
	if !found {
		t.Errorf("audit of the retention: %+v", entries)
	}
}
