package api

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

func TestGetTrajectory(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseCoachAssigned)
	f.temporal.state.Phase = trajectory.PhaseCoachAssigned

	res := f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach)
	res.want(t, http.StatusOK)
	var row Trajectory
	res.decode(t, &row)
	if row.ID != openID || row.Phase != trajectory.PhaseCoachAssigned || row.Programme != "test-seconds" {
		t.Errorf("row %+v", row)
	}
	if !strings.Contains(string(res.body), `"events":[]`) || !strings.Contains(string(res.body), `"children":[]`) {
		t.Errorf("events or children is not an empty list: %s", res.body)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store for personal data", cc)
	}

	if e := f.audit.last(t); e.Actor != "coach:test-coach" || e.Action != "read_trajectory" || e.TrajectoryID != openID ||
		e.Outcome != store.OutcomeOK || e.Detail["token_id"] != "tok_coachaaa" {
		t.Errorf("audit entry %+v", e)
	}

	res = f.do(http.MethodGet, "/v1/trajectories/"+testID("a", "b", "c"), nil, authHeader, asCoach)
	res.want(t, http.StatusNotFound)
	if res.err.Code != CodeTrajectoryNotFound {
		t.Errorf("error %+v", res.err)
	}
	if e := f.audit.last(t); e.Outcome != store.OutcomeNotFound || e.TrajectoryID != testID("a", "b", "c") {
		t.Errorf("audit entry %+v", e)
	}
	bad := f.do(http.MethodGet, "/v1/trajectories/TR-BAD", nil, authHeader, asCoach)
	bad.want(t, http.StatusNotFound)
	if string(bad.body) != string(res.body) {
		t.Errorf("a malformed id answered %s, an unknown one %s", bad.body, res.body)
	}
	if e := f.audit.last(t); e.Outcome != store.OutcomeNotFound || e.TrajectoryID != "" {
		t.Errorf("audit entry %+v", e)
	}

	f.store.readErr = errors.New("trajectory x: failed to connect to `host=db user=elkgezin database=elkgezin`: password authentication failed")
	res = f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach)
	res.want(t, http.StatusServiceUnavailable)
	if !strings.Contains(res.err.Detail, "PostgreSQL") || strings.Contains(string(res.body), "host=db") {
		t.Errorf("store error answered %s", res.body)
	}
}

func TestListTrajectoriesValidatesQuery(t *testing.T) {
	cases := []struct {
		query string
		field string
	}{
		{"phase=waiting", "phase"},
		{"overdue=yes", "overdue"},
		{"overdue=1", "overdue"},
		{"email_failed=yes", "email_failed"},
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"limit=ten", "limit"},
		{"programme=no-such-programme", "programme"},
		{"programm=test-seconds", "programm"},
		{"phase=referred&phase=closed", "phase"},
		{"coach=" + strings.Repeat("c", 65), "coach"},
		{"escalated=yes", "escalated"},
		{"referrer=Kind%20en%20Gezin", "referrer"},
		{"updated_since=2025-03-01", "updated_since"},
		{"updated_since=yesterday", "updated_since"},
		{"sort=phase", "sort"},
		{"sort=%2Bupdated_at", "sort"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			f := newFixture(t)
			res := f.do(http.MethodGet, "/v1/trajectories?"+tc.query, nil, authHeader, asSupervisor)
			res.want(t, http.StatusBadRequest)
			if _, ok := res.fields[tc.field]; !ok || !strings.Contains(res.err.Detail, tc.field+": ") {
				t.Errorf("%s not named: %s", tc.field, res.body)
			}
			if len(f.store.filters) != 0 {
				t.Error("an invalid query reached the store")
			}
		})
	}
	f := newFixture(t)
	res := f.do(http.MethodGet, "/v1/trajectories?phase=waiting&limit=0&overdue=maybe", nil, authHeader, asSupervisor)
	res.want(t, http.StatusBadRequest)
	if len(res.fields) != 3 {
		t.Errorf("not every bad parameter is named: %s", res.body)
	}
}

func TestListTrajectories(t *testing.T) {
	f := newFixture(t)
	due := time.Date(2025, 3, 2, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	referred := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	f.store.page = store.Page{
		Items: []store.TrajectorySummary{{ID: openID, ProgrammeID: "test-seconds", Phase: trajectory.PhaseIntakeDone,
			NextStep: "home_visit-2", NextDueAt: &due, Overdue: true, ReferredAt: referred, UpdatedAt: referred}},
		NextCursor: "abc",
	}
	query := "/v1/trajectories?programme=test-seconds&coach=test-coach&phase=intake_done&overdue=true&limit=10"
	res := f.do(http.MethodGet, query, nil, authHeader, asSupervisor)
	res.want(t, http.StatusOK)
	var page ListResponse
	res.decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != openID || !page.Items[0].Overdue || page.Next == nil {
		t.Fatalf("page %s", res.body)
	}
	if n := page.Items[0].NextStep; n == nil || n.Key != "home_visit-2" || n.Kind != trajectory.StepHomeVisit || n.Number == nil || *n.Number != 2 ||
		!n.DueAt.Equal(due) {
		t.Errorf("next step %+v", n)
	}
	next := *page.Next
	if link := res.header.Get("Link"); link != "<"+next+`>; rel="next"` {
		t.Errorf("Link %q, next %q", link, next)
	}
	if strings.Contains(next, "abc") || !strings.HasPrefix(next, "/v1/trajectories?") || !strings.Contains(next, "coach=test-coach") {
		t.Errorf("next %q: not the same list with a sealed cursor", next)
	}
	f.do(http.MethodGet, next, nil, authHeader, asSupervisor).want(t, http.StatusOK)
	flt := f.store.filters[1]
	if flt.ProgrammeID != "test-seconds" || flt.CoachID != "test-coach" || flt.Phase != trajectory.PhaseIntakeDone ||
		flt.Overdue == nil || !*flt.Overdue || flt.Limit != 10 || flt.Cursor != "abc" || strings.Join(flt.ProgrammeIDs, ",") != "test-seconds" {
		t.Errorf("filter %+v", flt)
	}
	e := f.audit.last(t)
	want := map[string]string{"status": "200", "token_id": "tok_supervis", "programme": "test-seconds", "programmes": "test-seconds",
		"coach": "test-coach", "phase": "intake_done", "overdue": "true", "limit": "10", "cursor": "given", "items": "1"}
	if e.Action != "list_trajectories" || e.Actor != "supervisor:sup-vilvoorde" || e.Outcome != store.OutcomeOK || !maps.Equal(e.Detail, want) {
		t.Errorf("audit entry %+v, want detail %v", e, want)
	}
	f.store.filters = nil
	// The cursor is of this list: with another filter, another order, or
	// by another caller it is refused, as is one changed by a byte.
	u, _ := url.Parse(next)
	cursor := u.Query().Get("cursor")
	for _, tc := range []struct{ query, auth, detail string }{
		{strings.Replace(next, "phase=intake_done", "phase=in_support", 1), asSupervisor, "other filters"},
		{next + "&sort=-referred_at", asSupervisor, "other filters"},
		{next, asCoach, "other filters"},
		{strings.Replace(next, cursor, cursor[:len(cursor)-2]+"AA", 1), asSupervisor, "not a cursor this API handed out"},
		{"/v1/trajectories?cursor=xyz", asSupervisor, "not a cursor this API handed out"},
	} {
		if tc.auth == asCoach {
			tc.query = strings.Replace(tc.query, "&coach=test-coach", "", 1)
		}
		res := f.do(http.MethodGet, tc.query, nil, authHeader, tc.auth)
		res.want(t, http.StatusBadRequest)
		if !strings.Contains(res.err.Detail, tc.detail) {
			t.Errorf("%s: detail %q, want it to say %q", tc.query, res.err.Detail, tc.detail)
		}
	}
	if len(f.store.filters) != 0 {
		t.Errorf("a refused cursor reached the store: %+v", f.store.filters)
	}

	// The filters and orders of a partner's mirror.
	res = f.do(http.MethodGet, "/v1/trajectories?escalated=true&referrer=kind-en-gezin&updated_since=2025-03-01T10:00:00%2B01:00&sort=-updated_at",
		nil, authHeader, asSupervisor)
	res.want(t, http.StatusOK)
	flt = f.store.filters[0]
	if flt.Escalated == nil || !*flt.Escalated || flt.ReferrerOrg != "kind-en-gezin" || flt.UpdatedSince == nil ||
		!flt.UpdatedSince.Equal(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)) || flt.Sort != store.SortUpdatedAt || !flt.Descending {
		t.Errorf("filter %+v", flt)
	}
	if e := f.audit.last(t); e.Detail["referrer"] != "kind-en-gezin" || e.Detail["sort"] != "-updated_at" || e.Detail["escalated"] != "true" {
		t.Errorf("audit detail %v", e.Detail)
	}
	f.store.filters = nil

	f.store.page = store.Page{}
	res = f.do(http.MethodGet, "/v1/trajectories?overdue=false", nil, authHeader, asSupervisor)
	res.want(t, http.StatusOK)
	if got := strings.TrimSpace(string(res.body)); got != `{"items":[],"next":null}` {
		t.Errorf("empty page %s", got)
	}
	if flt := f.store.filters[0]; flt.Overdue == nil || *flt.Overdue || flt.Limit != 0 {
		t.Errorf("filter %+v", flt)
	}

	// Supervisors find the trajectories whose emails failed.
	res = f.do(http.MethodGet, "/v1/trajectories?email_failed=true", nil, authHeader, asSupervisor)
	res.want(t, http.StatusOK)
	if flt := f.store.filters[1]; flt.EmailFailed == nil || !*flt.EmailFailed || flt.Overdue != nil {
		t.Errorf("filter %+v", flt)
	}
	if e := f.audit.last(t); e.Detail["email_failed"] != "true" {
		t.Errorf("audit detail %v", e.Detail)
	}

	f.store.listErr = fmt.Errorf("list: %w: not base64", store.ErrBadCursor)
	res = f.do(http.MethodGet, "/v1/trajectories", nil, authHeader, asSupervisor)
	res.want(t, http.StatusBadRequest)
	if _, ok := res.fields["cursor"]; !ok {
		t.Errorf("cursor not named: %s", res.body)
	}

	f.store.listErr = errors.New("list trajectories: conn closed")
	res = f.do(http.MethodGet, "/v1/trajectories", nil, authHeader, asSupervisor)
	res.want(t, http.StatusServiceUnavailable)
	if !strings.Contains(res.err.Detail, "PostgreSQL") {
		t.Errorf("detail %q", res.err.Detail)
	}
}
