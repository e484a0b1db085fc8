package pages

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// updatesTemporal records the Updates the pages send and answers each.
type updatesTemporal struct {
	client.Client
	updates []client.UpdateWorkflowOptions
}

func (f *updatesTemporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.updates = append(f.updates, opts)
	return answeredUpdate{opts}, nil
}

// QueryWorkflow answers the trajectory page's state query: nothing open.
func (f *updatesTemporal) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	return stateValue{}, nil
}

type answeredUpdate struct{ opts client.UpdateWorkflowOptions }

func (h answeredUpdate) WorkflowID() string             { return h.opts.WorkflowID }
func (h answeredUpdate) RunID() string                  { return "run" }
func (h answeredUpdate) UpdateID() string               { return h.opts.UpdateID }
func (h answeredUpdate) Get(context.Context, any) error { return nil }

// TestCoWorkerOnThePages: a bridge figure signs in with a co-worker token
// of their own; "Mijn gezinnen" lists the trajectories they are assigned
// to and no other; on one of them they get the forms of the steps their
// role is given and record a home visit as themselves; another step is
// refused (403), and a trajectory they are not assigned to is answered as
// one that does not exist (404).
func TestCoWorkerOnThePages(t *testing.T) {
	assigned, other := "tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", "tr-bbbbbbbbbbbbbbbbbbbbbbbbbb"
	row := func(id string, coWorkers ...string) store.Trajectory {
		return store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: id, ProgrammeID: "test-seconds", CoachID: "test-coach",
			CoWorkers: coWorkers, Phase: trajectory.PhaseInSupport, ReferredAt: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)},
			Family: &trajectory.Family{ContactName: "Gezin " + id[len(id)-1:]}}
	}
	st := &fakeStore{rows: map[string]store.Trajectory{assigned: row(assigned, "test-brugfiguur"), other: row(other)}}
	sessions := subjectSessions{
		"brug": {ID: "tok_brugbrug", Kind: store.TokenCoWorker, Subject: "test-brugfiguur", Programmes: []string{"test-seconds"}},
	}
	catalogue := programme.Catalogue{"test-seconds": {ID: "test-seconds", Name: "Testprogramma",
		Coaches:   []programme.Coach{{ID: "test-coach", Name: "Testcoach", Email: "coach@test.example"}},
		CoWorkers: []programme.CoWorker{{ID: "test-brugfiguur", Name: "Brugfiguur 1", Email: "brug@test.example", Role: "brugfiguur"}}}}
	temporal := &updatesTemporal{}
	audit := &fakeAudit{}
	h := New(Config{Cases: usecase.Cases{Programmes: catalogue, Temporal: temporal, Store: st, Audit: audit, Logger: slog.New(slog.DiscardHandler)},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler)})
	do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		var req *http.Request
		if method == http.MethodGet {
			req = httptest.NewRequest(method, path, nil)
		} else {
			form.Set("csrf", "csrf-brug")
			req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "http://example.com")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		req.AddCookie(&http.Cookie{Name: session.InsecureCookieName, Value: "brug"})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	if rec := do(http.MethodGet, "/", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/gezinnen" {
		t.Errorf("home of a co-worker: %d to %q, want their families", rec.Code, rec.Header().Get("Location"))
	}
	rec := do(http.MethodGet, "/gezinnen", nil)
	if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, "Mijn gezinnen") || !strings.Contains(body, assigned) || strings.Contains(body, other) {
		t.Errorf("the co-worker's families: %d, want 200 with the assigned trajectory only:\n%s", rec.Code, body)
	}
	rec = do(http.MethodGet, "/trajecten/"+assigned, nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `action="/trajecten/`+assigned+`/bezoek"`) {
		t.Errorf("the assigned trajectory: %d, want 200 with the visit form:\n%s", rec.Code, body)
	}
	for _, step := range []string{"afsluiting", "overdracht", "geboorte", "toewijzing"} {
		if strings.Contains(body, `action="/trajecten/`+assigned+`/`+step+`"`) {
			t.Errorf("the co-worker is shown the form %s, which their role does not give them", step)
		}
	}

	visit := url.Values{"key": {"form-1"}, "note": {"Contact aan de schoolpoort."}}
	if rec := do(http.MethodPost, "/trajecten/"+assigned+"/bezoek", visit); rec.Code != http.StatusSeeOther {
		t.Fatalf("the co-worker records a visit: %d %s", rec.Code, rec.Body)
	}
	if len(temporal.updates) != 1 {
		t.Fatalf("%d Updates sent, want 1", len(temporal.updates))
	}
	if u := temporal.updates[0]; u.UpdateName != trajectory.UpdateRecordVisit || u.Args[0].(trajectory.RecordVisit).By != "co_worker:test-brugfiguur" {
		t.Errorf("the visit's Update %s %+v, want record-visit by co_worker:test-brugfiguur", u.UpdateName, u.Args[0])
	}
	if rec := do(http.MethodPost, "/trajecten/"+assigned+"/afsluiting", url.Values{"key": {"form-2"}, "reason": {"goals_reached"}}); rec.Code != http.StatusForbidden {
		t.Errorf("the co-worker closes the trajectory: %d, want 403", rec.Code)
	}
	if rec := do(http.MethodPost, "/trajecten/"+assigned+"/mijlpaal", url.Values{"key": {"form-3"}}); rec.Code != http.StatusForbidden ||
		!strings.Contains(rec.Body.String(), "Als brugfiguur kunt u deze stap (mijlpaal registreren) niet zetten; wel: huisbezoek registreren, consultatie registreren.") {
		t.Errorf("the co-worker records a milestone their role is not given: %d, want 403 saying what their role may do:\n%s", rec.Code, rec.Body)
	}
	if rec := do(http.MethodPost, "/trajecten/"+other+"/bezoek", url.Values{"key": {"form-4"}}); rec.Code != http.StatusNotFound {
		t.Errorf("the co-worker records a visit on a trajectory they are not assigned to: %d, want 404", rec.Code)
	}
	if rec := do(http.MethodGet, "/trajecten/"+other, nil); rec.Code != http.StatusNotFound {
		t.Errorf("the co-worker opens a trajectory they are not assigned to: %d, want 404", rec.Code)
	}
	if len(temporal.updates) != 1 {
		t.Errorf("%d Updates sent, want only the visit", len(temporal.updates))
	}
	audit.mu.Lock()
	defer audit.mu.Unlock()
	for _, e := range audit.entries {
		if e.Actor != "co_worker:test-brugfiguur" {
			t.Errorf("audit entry by %q, want co_worker:test-brugfiguur", e.Actor)
		}
	}
}
