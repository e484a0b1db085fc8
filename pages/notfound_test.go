package pages

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// fakeStore holds trajectories in memory; reads counts the whole reads.
type fakeStore struct {
	mu    sync.Mutex
	rows  map[string]store.Trajectory
	reads int
}

func (f *fakeStore) TrajectoryAccess(_ context.Context, id string) (store.TrajectorySummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	row, ok := f.rows[id]
	if !ok {
		return store.TrajectorySummary{}, fmt.Errorf("trajectory: %w", store.ErrNotFound)
	}
	return row.TrajectorySummary, nil
}

func (f *fakeStore) Trajectory(_ context.Context, id string) (store.Trajectory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	row, ok := f.rows[id]
	if !ok {
		return store.Trajectory{}, fmt.Errorf("trajectory: %w", store.ErrNotFound)
	}
	return row, nil
}

// ListTrajectories keeps the rows the filter's caller scope keeps
// (programmes, coach, co-worker), in no particular order.
func (f *fakeStore) ListTrajectories(_ context.Context, filter store.Filter) (store.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var page store.Page
	for _, row := range f.rows {
		switch {
		case filter.ProgrammeIDs != nil && !slices.Contains(filter.ProgrammeIDs, row.ProgrammeID),
			filter.CoachID != "" && row.CoachID != filter.CoachID,
			filter.CoWorkerID != "" && !slices.Contains(row.CoWorkers, filter.CoWorkerID):
			continue
		}
		page.Items = append(page.Items, row.TrajectorySummary)
	}
	return page, nil
}

func (f *fakeStore) RecordEvents(context.Context, []trajectory.Event) ([]error, error) {
	return nil, nil
}

// subjectSessions knows one session per token, named after its subject.
type subjectSessions map[string]store.TokenInfo

func (f subjectSessions) CreateSession(context.Context, string, time.Duration) (string, error) {
	return "", fmt.Errorf("not in this test")
}

func (f subjectSessions) Session(_ context.Context, id string, _ time.Duration) (store.SessionInfo, error) {
	info, ok := f[id]
	if !ok {
		return store.SessionInfo{}, store.ErrSessionInvalid
	}
	return store.SessionInfo{Token: info, CSRFToken: "csrf-" + id}, nil
}

func (f subjectSessions) RevokeSession(context.Context, string) error { return nil }

func (f subjectSessions) AuthenticateToken(context.Context, string) (store.TokenInfo, error) {
	return store.TokenInfo{}, store.ErrTokenInvalid
}

// TestAnotherOnesTrajectoryIsAnsweredAsNone: a page or a step's form
// about a trajectory that is not the caller's (another coach's in the
// programme, another programme's) gets the very answer, status, headers
// and body, of a trajectory that does not exist, after the same work: it
// reads nothing of the family, and each writes one audit entry (denied,
// not_found), so neither answers sooner.
func TestAnotherOnesTrajectoryIsAnsweredAsNone(t *testing.T) {
	mine, colleague := "tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", "tr-bbbbbbbbbbbbbbbbbbbbbbbbbb"
	mechelen, nobody := "tr-cccccccccccccccccccccccccc", "tr-dddddddddddddddddddddddddd"
	row := func(id, prog, coach string) store.Trajectory {
		return store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: id, ProgrammeID: prog, CoachID: coach,
			Phase: trajectory.PhaseInSupport, ReferredAt: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)},
			Family: &trajectory.Family{ContactName: "Gezin " + id}}
	}
	st := &fakeStore{rows: map[string]store.Trajectory{
		mine:      row(mine, "test-seconds", "test-coach"),
		colleague: row(colleague, "test-seconds", "test-coach-2"),
		mechelen:  row(mechelen, "go-team-mechelen", "test-coach"),
	}}
	sessions := subjectSessions{
		"coach":      {ID: "tok_coach", Kind: store.TokenCoach, Subject: "test-coach", Programmes: []string{"test-seconds"}},
		"supervisor": {ID: "tok_super", Kind: store.TokenSupervisor, Subject: "sup-vilvoorde", Programmes: []string{"test-seconds"}},
	}
	audit := &fakeAudit{}
	h := New(Config{Cases: usecase.Cases{Store: st, Audit: audit, Logger: slog.New(slog.DiscardHandler)},
		Sessions: &session.Manager{Store: sessions, Insecure: true}, Tokens: sessions, Logger: slog.New(slog.DiscardHandler)})

	type answer struct {
		status int
		header http.Header
		body   string
	}
	ask := func(who, method, id string) answer {
		var req *http.Request
		if method == http.MethodGet {
			req = httptest.NewRequest(method, "/trajecten/"+id, nil)
		} else {
			form := url.Values{"csrf": {"csrf-" + who}, "key": {"form-1"}, "reden": {"goals_reached"}}
			req = httptest.NewRequest(method, "/trajecten/"+id+"/afsluiting", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "http://example.com")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		req.AddCookie(&http.Cookie{Name: session.InsecureCookieName, Value: who})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return answer{rec.Code, rec.Header(), rec.Body.String()}
	}
	audited := func() (n int, outcome string) {
		audit.mu.Lock()
		defer audit.mu.Unlock()
		if len(audit.entries) > 0 {
			outcome = audit.entries[len(audit.entries)-1].Outcome
		}
		return len(audit.entries), outcome
	}
	for _, who := range []string{"coach", "supervisor"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			before, _ := audited()
			none := ask(who, method, nobody)
			if none.status != http.StatusNotFound {
				t.Fatalf("%s %s of a trajectory that does not exist: %d %s", who, method, none.status, none.body)
			}
			if n, outcome := audited(); n != before+1 || outcome != store.OutcomeNotFound {
				t.Errorf("%s %s of a trajectory that does not exist: %d audit entries (%s), want one not_found", who, method, n-before, outcome)
			}
			others := []string{mechelen}
			if who == "coach" {
				others = append(others, colleague)
			}
			for _, id := range others {
				st.reads = 0
				before, _ := audited()
				got := ask(who, method, id)
				if n, outcome := audited(); n != before+1 || outcome != store.OutcomeDenied {
					t.Errorf("%s %s of %s: %d audit entries (%s), want one denied", who, method, id, n-before, outcome)
				}
				if got.status != none.status || got.body != none.body || fmt.Sprint(got.header) != fmt.Sprint(none.header) {
					t.Errorf("%s %s of %s: %d %v\n%s\nwant the answer of none: %d %v\n%s", who, method, id,
						got.status, got.header, got.body, none.status, none.header, none.body)
				}
				if st.reads != 0 || strings.Contains(got.body, "Gezin") {
					t.Errorf("%s %s of %s: the trajectory was read (%d reads)", who, method, id, st.reads)
				}
			}
		}
		if got := ask(who, http.MethodGet, mine); got.status != http.StatusOK || !bytes.Contains([]byte(got.body), []byte("Gezin "+mine)) {
			t.Errorf("%s's own trajectory: %d", who, got.status)
		}
	}
}
