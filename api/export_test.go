package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// exportFakeStore is the fake store with what an export reads beside the
// trajectory: consultations, the email ledger and the audit log.
type exportFakeStore struct {
	*fakeStore
	consultations map[string]store.Consultation
	emails        []store.EmailRecord
	access        []store.AuditEntry
}

func (f *exportFakeStore) Consultation(_ context.Context, id string) (store.Consultation, error) {
	c, ok := f.consultations[id]
	if !ok {
		return store.Consultation{}, fmt.Errorf("consultation %s: %w", id, store.ErrNotFound)
	}
	return c, nil
}

func (f *exportFakeStore) EmailsOf(context.Context, string) ([]store.EmailRecord, error) {
	return f.emails, nil
}

func (f *exportFakeStore) AccessLog(_ context.Context, id string) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	for _, e := range f.access {
		if e.TrajectoryID == id || strings.Contains(e.Detail["trajectories"], id) {
			out = append(out, e)
		}
	}
	return out, nil
}

// TestExportHoldsTheConsultationTheAccessLogAndTheFailures: the
// subject-access export holds the consultation the referral followed, the
// trajectory's access log (who, what, when; not the detail, which may name
// other families' trajectories) and its failed emails by recipient id,
// never an address.
func TestExportHoldsTheConsultationTheAccessLogAndTheFailures(t *testing.T) {
	var st *exportFakeStore
	f := newFixture(t, func(c *Config) {
		st = &exportFakeStore{fakeStore: c.Store.(*fakeStore), consultations: map[string]store.Consultation{}}
		c.Store = st
	})
	other := testID("go-team-mechelen", "test-partner", "ander")
	f.store.add(openID, trajectory.PhaseInSupport)
	at := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	f.store.mu.Lock()
	row := f.store.rows[openID]
	row.ConsultationID = "co-1"
	row.Events = []store.EventRow{
		{Seq: 4, Kind: trajectory.EventHandoverRequested, At: at, Detail: map[string]string{"handover": "1", "service": "caw-halle-vilvoorde"}},
		{Seq: 5, Kind: trajectory.EventEmailFailed, At: at.Add(time.Minute), Actor: "elkgezin",
			Detail: map[string]string{"kind": "handover", "step": "handover_ack-1", "to": "service:caw-halle-vilvoorde", "reason": "EmailRejected"}},
	}
	f.store.rows[openID] = row
	f.store.mu.Unlock()
	st.consultations["co-1"] = store.Consultation{ID: "co-1", ProgrammeID: "test-seconds", RecordedAt: at, Situation: "Alleenstaande ouder, schulden", Advice: "Doorverwijzen"}
	st.emails = []store.EmailRecord{{Key: openID + "/handover-1", Recipient: "onthaal@caw.example", Subject: "Overdracht 1", Status: store.EmailStatus("unconfirmed")}}
	st.access = []store.AuditEntry{
		{At: at, Actor: "coach:test-coach", Action: "read_trajectory", TrajectoryID: openID, Outcome: store.OutcomeOK, Detail: map[string]string{"token_id": "tok_coachaaa"}},
		{At: at, Actor: "supervisor:sup-vilvoorde", Action: "decode_payloads", TrajectoryID: other, Outcome: store.OutcomeDenied,
			Detail: map[string]string{"trajectories": other + "," + openID, "reason": "programme"}},
		{At: at, Actor: "coach:test-coach-2", Action: "read_trajectory", TrajectoryID: other, Outcome: store.OutcomeDenied},
	}

	res := f.do(http.MethodGet, "/v1/trajectories/"+openID+"/export", nil, authHeader, asCoach)
	res.want(t, http.StatusOK)
	var out Export
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Consultation == nil || out.Consultation.Situation != "Alleenstaande ouder, schulden" || out.Consultation.Advice != "Doorverwijzen" {
		t.Errorf("consultation %+v, want the one the referral followed", out.Consultation)
	}
	if len(out.EmailFailures) != 1 || out.EmailFailures[0] != (ExportEmailFailure{At: at.Add(time.Minute), Kind: "handover", Step: "handover_ack-1",
		To: "service:caw-halle-vilvoorde", Reason: "rejected"}) {
		t.Errorf("email failures %+v", out.EmailFailures)
	}
	failures, _ := json.Marshal(out.EmailFailures)
	if strings.Contains(string(failures), "@") {
		t.Errorf("the email failures hold an address: %s", failures)
	}
	if len(out.AccessLog) != 2 || out.AccessLog[0].Actor != "coach:test-coach" || out.AccessLog[1].Action != "decode_payloads" ||
		out.AccessLog[1].Outcome != store.OutcomeDenied {
		t.Errorf("access log %+v, want the read and the decode that listed the trajectory", out.AccessLog)
	}
	if strings.Contains(string(res.body), other) || strings.Contains(string(res.body), "tok_") {
		t.Errorf("the export names another family's trajectory or a token: %s", res.body)
	}

	// A trajectory referred without a consultation has none.
	f.store.mu.Lock()
	row.ConsultationID = ""
	f.store.rows[openID] = row
	f.store.mu.Unlock()
	res = f.do(http.MethodGet, "/v1/trajectories/"+openID+"/export", nil, authHeader, asCoach)
	res.want(t, http.StatusOK)
	if strings.Contains(string(res.body), `"consultation"`) {
		t.Errorf("an export without a consultation: %s", res.body)
	}
}
