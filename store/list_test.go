package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// seedForFilters records five trajectories and returns their ids by name.
func seedForFilters(t *testing.T, s *Store) map[string]string {
	t.Helper()
	now := time.Now()
	past, future := now.Add(-24*time.Hour), now.Add(24*time.Hour)
	type spec struct {
		programme string
		coach     string
		phase     trajectory.Phase
		due       *time.Time
	}
	specs := []struct {
		name string
		spec
	}{
		{"a", spec{"p1", "c1", trajectory.PhaseCoachAssigned, &future}},
		{"b", spec{"p1", "c2", trajectory.PhaseInSupport, &past}}, // overdue
		{"c", spec{"p2", "", trajectory.PhaseReferred, &past}},    // overdue
		{"d", spec{"p1", "c1", trajectory.PhaseClosed, &past}},    // closed: never overdue
		{"e", spec{"p2", "c1", trajectory.PhaseIntakeDone, nil}},  // nothing due
	}
	ids := map[string]string{}
	for i, sp := range specs {
		referred := referredEvent(sp.programme, "cpas", sp.name, now.Add(time.Duration(i-10)*time.Hour))
		later := nextEvent(referred, "changed", func(s *trajectory.Summary) {
			s.CoachID, s.Phase, s.NextDueAt = sp.coach, sp.phase, sp.due
		})
		record(t, s, referred, later)
		ids[sp.name] = referred.TrajectoryID
	}
	return ids
}

func listIDs(t *testing.T, s *Store, f Filter) []string {
	t.Helper()
	page, err := s.ListTrajectories(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, item := range page.Items {
		ids = append(ids, item.ID)
	}
	return ids
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ids := seedForFilters(t, s)
	yes, no := true, false
	for _, tc := range []struct {
		name   string
		filter Filter
		want   string // names, in referral order
	}{
		{"everything", Filter{}, "abcde"},
		{"programme", Filter{ProgrammeID: "p1"}, "abd"},
		{"coach", Filter{CoachID: "c1"}, "ade"},
		{"phase", Filter{Phase: trajectory.PhaseInSupport}, "b"},
		{"overdue", Filter{Overdue: &yes}, "bc"},
		{"not overdue", Filter{Overdue: &no}, "ade"},
		{"programme and coach", Filter{ProgrammeID: "p2", CoachID: "c1"}, "e"},
		{"programme and overdue", Filter{ProgrammeID: "p1", Overdue: &yes}, "b"},
		{"no match", Filter{ProgrammeID: "p3"}, ""},
		{"programmes", Filter{ProgrammeIDs: []string{"p2", "p3"}}, "ce"},
		{"programmes and coach", Filter{ProgrammeIDs: []string{"p1", "p2"}, CoachID: "c1"}, "ade"},
		{"programme within programmes", Filter{ProgrammeID: "p1", ProgrammeIDs: []string{"p1"}, CoachID: "c1"}, "ad"},
		{"programme outside programmes", Filter{ProgrammeID: "p1", ProgrammeIDs: []string{"p2"}}, ""},
		{"no programmes at all", Filter{ProgrammeIDs: []string{}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := []string{}
			for _, name := range tc.want {
				want = append(want, ids[string(name)])
			}
			if got := listIDs(t, s, tc.filter); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v (names %q)", got, want, tc.want)
			}
		})
	}
}

func TestListPagesWithCursor(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	at := time.Now().Add(-time.Hour)
	var want []string
	for i := range 8 {
		// Pairs share a referral time: the id breaks the tie.
		e := referredEvent("p1", "cpas", string(rune('a'+i)), at.Add(time.Duration(i/2)*time.Minute))
		record(t, s, e)
		want = append(want, e.TrajectoryID)
	}
	// Referral order, ties by id, as ListTrajectories promises.
	for i := 0; i < len(want); i += 2 {
		if want[i] > want[i+1] {
			want[i], want[i+1] = want[i+1], want[i]
		}
	}

	var got []string
	var sizes []int
	f := Filter{ProgrammeID: "p1", Limit: 3}
	for {
		page, err := s.ListTrajectories(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Items))
		for _, item := range page.Items {
			got = append(got, item.ID)
		}
		if page.NextCursor == "" {
			break
		}
		if len(sizes) > 3 {
			t.Fatalf("more than 3 pages: %v", sizes)
		}
		f.Cursor = page.NextCursor
	}
	if !reflect.DeepEqual(sizes, []int{3, 3, 2}) {
		t.Errorf("page sizes %v, want [3 3 2]", sizes)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ids across pages\n got %v\nwant %v", got, want)
	}
}

func TestListPageSize(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	at := time.Now().Add(-time.Hour)
	for i := range 3 {
		record(t, s, referredEvent("p1", "cpas", string(rune('a'+i)), at))
	}
	for _, tc := range []struct {
		limit, want int
		more        bool
	}{
		{limit: 0, want: 3}, // default 50
		{limit: -1, want: 3},
		{limit: 2, want: 2, more: true},
		{limit: 3, want: 3},
		{limit: 1000, want: 3}, // capped at 200
	} {
		page, err := s.ListTrajectories(t.Context(), Filter{Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != tc.want || (page.NextCursor != "") != tc.more {
			t.Errorf("limit %d: %d items, next cursor %q; want %d items, more %v", tc.limit, len(page.Items), page.NextCursor, tc.want, tc.more)
		}
	}
}

func TestListBadCursor(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	b64 := base64.RawURLEncoding.EncodeToString
	for name, cursor := range map[string]string{
		"not base64":   "%%%",
		"no separator": b64([]byte("2025-03-01T09:00:00Z")),
		"no id":        b64([]byte("2025-03-01T09:00:00Z|")),
		"no time":      b64([]byte("yesterday|tr-abc")),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.ListTrajectories(t.Context(), Filter{Cursor: cursor})
			if !errors.Is(err, ErrBadCursor) {
				t.Errorf("err = %v, want ErrBadCursor", err)
			}
		})
	}
}

func TestListShowsNoPersonalData(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	e := referredEvent("p1", "cpas", "case-4711", time.Now())
	record(t, s, e)
	page, err := s.ListTrajectories(t.Context(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, personal := range []string{"case-4711", e.Referral.Family.Phone, e.Referral.Reason} {
		if strings.Contains(string(out), personal) {
			t.Errorf("list shows %q: %s", personal, out)
		}
	}
}
