package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestListSortsAndSyncs: the list filters on escalation, referring
// organisation and the last change (updated_since), orders by referral or
// by last change, either way, pages through each order with its cursor,
// and answers its times in UTC.
func TestListSortsAndSyncs(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	// Referred in the order a, b, c, d; changed last in the order c, a, d, b.
	type spec struct {
		org       string
		escalated bool
		changed   time.Duration // after base
	}
	specs := []struct {
		name string
		spec
	}{
		{"a", spec{"cpas", false, 20 * time.Hour}},
		{"b", spec{"politie", true, 40 * time.Hour}},
		{"c", spec{"cpas", true, 10 * time.Hour}},
		{"d", spec{"politie", false, 30 * time.Hour}},
	}
	ids := map[rune]string{}
	for i, sp := range specs {
		referred := referredEvent("p1", sp.org, sp.name, base.Add(time.Duration(i)*time.Hour))
		later := nextEvent(referred, "changed", func(s *trajectory.Summary) { s.Escalated = sp.escalated })
		later.At = base.Add(sp.changed)
		record(t, s, referred, later)
		ids[rune(sp.name[0])] = referred.TrajectoryID
	}
	yes, no := true, false
	since := base.Add(25 * time.Hour)
	for _, tc := range []struct {
		name   string
		filter Filter
		want   string
	}{
		{"referral order", Filter{}, "abcd"},
		{"referral order, newest first", Filter{Descending: true}, "dcba"},
		{"change order", Filter{Sort: SortUpdatedAt}, "cadb"},
		{"change order, newest first", Filter{Sort: SortUpdatedAt, Descending: true}, "bdac"},
		{"escalated", Filter{Escalated: &yes}, "bc"},
		{"not escalated", Filter{Escalated: &no}, "ad"},
		{"referrer", Filter{ReferrerOrg: "politie"}, "bd"},
		{"changed since", Filter{UpdatedSince: &since, Sort: SortUpdatedAt}, "db"},
		{"changed since, exactly then", Filter{UpdatedSince: new(base.Add(30 * time.Hour)), Sort: SortUpdatedAt}, "db"},
		{"referrer and escalated", Filter{ReferrerOrg: "cpas", Escalated: &yes}, "c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := []string{}
			for _, name := range tc.want {
				want = append(want, ids[name])
			}
			if got := listIDs(t, s, tc.filter); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v (names %q)", got, want, tc.want)
			}
			// Page by page, one row at a time, the same rows in the same order.
			f := tc.filter
			f.Limit = 1
			var paged []string
			for range 10 {
				page, err := s.ListTrajectories(t.Context(), f)
				if err != nil {
					t.Fatal(err)
				}
				for _, item := range page.Items {
					paged = append(paged, item.ID)
					if item.ReferredAt.Location() != time.UTC || item.UpdatedAt.Location() != time.UTC {
						t.Errorf("times not in UTC: %v, %v", item.ReferredAt, item.UpdatedAt)
					}
				}
				if page.NextCursor == "" {
					break
				}
				f.Cursor = page.NextCursor
			}
			if len(want) > 0 && !reflect.DeepEqual(paged, want) {
				t.Errorf("paged %v, want %v", paged, want)
			}
		})
	}
	row, err := s.Trajectory(t.Context(), ids['a'])
	if err != nil {
		t.Fatal(err)
	}
	if row.ReferredAt.Location() != time.UTC || row.Events[0].At.Location() != time.UTC {
		t.Errorf("a trajectory's times are not in UTC: %v, %v", row.ReferredAt, row.Events[0].At)
	}
}
