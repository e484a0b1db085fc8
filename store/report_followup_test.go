package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestReportFollowsEachProgrammeToItsOwnAge: the same twenty families,
// referred in the first quarter of 2026 to Sint-Truiden (follow-up until
// the child is three), to Menen (six months) and to Gent (no perinatal
// follow-up): ten children born in March 2023, three years old in March
// 2026, five of whose trajectories closed in February; ten born in August
// 2025. Sint-Truiden counts the ten three-year-olds, five followed, and
// five more whose families it took in after the birth, all followed; Menen
// all twenty six-month-olds, all followed (the closures came long after six
// months); Gent has no such figure.
func TestReportFollowsEachProgrammeToItsOwnAge(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	programmes := []string{"ocmw-sint-truiden", "perinatal-menen", "stad-gent-kinderopvang-naar-werk"}
	for _, id := range programmes {
		for i := range 20 {
			g := &gen{t: t, s: s, id: fmt.Sprintf("%s-%02d", id, i), refAt: time.Date(2026, 1, 5, 9+i%8, 0, 0, 0, time.UTC).AddDate(0, 0, i), org: "ocmw", programmeID: id}
			ref := trajectory.Referral{ProgrammeID: id, Referrer: trajectory.Referrer{Organisation: g.org, Reference: g.id}}
			g.seq++
			if err := s.RecordEvent(ctx, trajectory.Event{TrajectoryID: g.id, Seq: 1, Kind: trajectory.EventReferred, Actor: "partner", At: g.refAt, Referral: &ref,
				Summary: trajectory.Summary{ProgrammeID: id, ReferrerOrg: g.org, Phase: trajectory.PhaseReferred, ReferredAt: g.refAt}}); err != nil {
				t.Fatal(err)
			}
			born := "2025-08-01"
			if i < 10 {
				born = "2023-03-01"
			}
			g.event(trajectory.EventBirthRecorded, g.refAt.Add(time.Hour), map[string]string{"born_on": born})
			if i < 5 {
				g.event(trajectory.EventClosed, time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC), map[string]string{"reason": "moved_away"})
			}
		}
	}
	// Five more families are referred to Sint-Truiden after the birth (in
	// March 2023): followed from it, the birth known at the referral (the
	// referred event, as the API and the workflow write it), never recorded.
	stTruiden := programme.Programme{ID: "ocmw-sint-truiden", AssignmentLimit: programme.Duration(5 * 24 * time.Hour),
		Perinatal: &programme.Perinatal{FollowUpMonths: 36}}
	for i := range 5 {
		id := fmt.Sprintf("ocmw-sint-truiden-born-%02d", i)
		ref := trajectory.Referral{ProgrammeID: stTruiden.ID, Referrer: trajectory.Referrer{Organisation: "ocmw", Reference: id},
			Children: []trajectory.Child{{Name: "Kind", BirthDate: trajectory.DateOf(time.Date(2023, 3, 10, 0, 0, 0, 0, time.UTC))}}}
		if err := s.RecordEvent(ctx, trajectory.ReferredEvent(id, stTruiden.ID, stTruiden.Timings(), ref, time.Date(2026, 2, 2, 9+i, 0, 0, 0, time.UTC))); err != nil {
			t.Fatal(err)
		}
	}
	var months int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM trajectories WHERE programme_id = $1 AND born_month = '2023-03-01'`, programmes[0]).Scan(&months); err != nil || months != 15 {
		t.Fatalf("%d rows born in March 2023 (%v), want 15", months, err)
	}
	reports, err := s.Report(ctx, programmes, reportPeriod, FollowUpAges{"ocmw-sint-truiden": 36, "perinatal-menen": 6})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ocmw-sint-truiden":                `"followed_to_follow_up_age":{"part":10,"whole":15,"share":0.67},"follow_up_months":36`,
		"perinatal-menen":                  `"followed_to_follow_up_age":{"part":20,"whole":20,"share":1},"follow_up_months":6`,
		"stad-gent-kinderopvang-naar-werk": "",
	}
	for _, r := range reports {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got := string(b)
		if w := want[r.ProgrammeID]; w == "" && (strings.Contains(got, "followed_to") || strings.Contains(got, "follow_up_months")) || !strings.Contains(got, w) {
			t.Errorf("%s: report %s\nwant %q", r.ProgrammeID, got, w)
		}
	}
	if len(reports) != 3 {
		t.Errorf("%d reports, want 3", len(reports))
	}
}
