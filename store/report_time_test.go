package store

import (
	"testing"
	"time"
)

// realisticStoreSQL fills a store as twenty programmes would over five
// years (2021 to 2025), 200 families each a year: 20,000 trajectories and
// about 190,000 events, written straight into the tables the reports read
// (RecordEvent would take minutes). Every family is referred by one of
// seven organisations and gets a coach (a quarter of them late, and the
// supervisor alerted), an intake and four home visits; some are handed
// over, reach a milestone, attend an activity, have a child, or close.
const realisticStoreSQL = `
INSERT INTO trajectories (id, programme_id, referrer_org, phase, referred_at, updated_at, version, born_month)
SELECT 'tr-' || p || '-' || n, 'prog-' || lpad(p::text, 2, '0'), 'org-' || (n % 7),
	CASE WHEN n % 3 = 0 THEN 'closed' ELSE 'in_support' END, r, r, 12,
	CASE WHEN n % 4 = 1 THEN date_trunc('month', r - interval '2 months')::date END
FROM generate_series(1, 20) p, generate_series(1, 1000) n,
	LATERAL (SELECT timestamptz '2021-01-01 08:00+00' + ((n * 7919) % 1826) * interval '1 day' + (n % 10) * interval '1 hour' AS r) x;

INSERT INTO trajectory_events (trajectory_id, seq, kind, actor, at, detail)
SELECT t.id, e.seq, e.kind, 'test', t.referred_at + e.after, e.detail
FROM (SELECT id, referred_at, split_part(id, '-', 3)::int AS n FROM trajectories) t
CROSS JOIN LATERAL (VALUES
	(1, 'referred', interval '0', '{}'::jsonb, true),
	(2, 'birth_recorded', interval '1 hour', '{}', t.n % 4 = 1),
	(3, 'alert_sent', interval '5 days', jsonb_build_object('step', 'assignment', 'to', 'supervisor',
		'due_month', to_char(t.referred_at + interval '5 days', 'YYYY-MM')), t.n % 4 = 0),
	(4, 'coach_assigned', (3 + t.n % 5) * interval '1 day', jsonb_build_object('coach', 'c', 'step', 'assignment',
		'step_due_month', to_char(t.referred_at + interval '5 days', 'YYYY-MM')) || CASE WHEN t.n % 4 = 0 THEN '{"late": "true"}'::jsonb ELSE '{}'::jsonb END, true),
	(5, 'intake_done', interval '12 days', jsonb_build_object('step', 'intake', 'step_due_month', to_char(t.referred_at + interval '14 days', 'YYYY-MM'),
		'next_visit_due_month', to_char(t.referred_at + interval '26 days', 'YYYY-MM')), true),
	(6, 'home_visit_done', interval '26 days', jsonb_build_object('step', 'home_visit-1', 'visit', '1',
		'next_visit_due_month', to_char(t.referred_at + interval '54 days', 'YYYY-MM')), true),
	(7, 'home_visit_done', interval '54 days', jsonb_build_object('step', 'home_visit-2', 'visit', '2',
		'next_visit_due_month', to_char(t.referred_at + interval '82 days', 'YYYY-MM')), true),
	(8, 'home_visit_done', interval '82 days', jsonb_build_object('step', 'home_visit-3', 'visit', '3',
		'next_visit_due_month', to_char(t.referred_at + interval '110 days', 'YYYY-MM')), t.n % 3 <> 0),
	(9, 'home_visit_done', interval '110 days', jsonb_build_object('step', 'home_visit-4', 'visit', '4'), t.n % 3 <> 0),
	(10, 'handover_requested', interval '40 days', '{"handover": "1"}', t.n % 5 = 0),
	(11, 'handover_acknowledged', interval '42 days', '{"handover": "1"}', t.n % 10 = 0),
	(12, 'milestone_reached', interval '60 days', '{"milestone": "opleiding_gestart", "step": "milestone-opleiding_gestart"}', t.n % 3 = 1),
	(13, 'activity_attended', interval '70 days', '{"activity": "ac-1"}', t.n % 6 = 0),
	(14, 'closed', interval '100 days', '{"reason": "goals_reached"}', t.n % 3 = 0)
) e(seq, kind, after, detail, keep)
WHERE e.keep;

INSERT INTO handover_counts (programme_id, month, service, made, acknowledged)
SELECT t.programme_id, date_trunc('month', e.at AT TIME ZONE 'UTC')::date, 'ocmw',
	count(*) FILTER (WHERE e.kind = 'handover_requested'), count(*) FILTER (WHERE e.kind = 'handover_acknowledged')
FROM trajectory_events e JOIN trajectories t ON t.id = e.trajectory_id
WHERE e.kind IN ('handover_requested', 'handover_acknowledged')
GROUP BY 1, 2;

ANALYZE trajectories, trajectory_events, handover_counts;
`

// TestReportOfAYearOnARealisticStore times the reports of 2025 on a store
// of five years of twenty programmes: a year's report computes and
// protects its quarters' too, five reports' queries where a quarter's has
// one. The times are logged (go test -v): on two busy cores a programme's
// year took 0.1 to 0.25 s and the fund's export 2 to 4 s, which took 25 s
// while each query scanned the whole event log.
func TestReportOfAYearOnARealisticStore(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	start := time.Now()
	if _, err := s.Pool().Exec(ctx, realisticStoreSQL); err != nil {
		t.Fatal(err)
	}
	var trajectories, events int
	if err := s.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM trajectories), (SELECT count(*) FROM trajectory_events)`).Scan(&trajectories, &events); err != nil {
		t.Fatal(err)
	}
	t.Logf("store: %d trajectories, %d events, written in %v", trajectories, events, time.Since(start).Round(time.Millisecond))
	for _, c := range []struct {
		name       string
		programmes []string
		period     Period
	}{
		{"a programme's first quarter", []string{"prog-07"}, year2025.quarters()[0]},
		{"a programme's year", []string{"prog-07"}, year2025},
		{"a programme's last quarter", []string{"prog-07"}, year2025.quarters()[3]},
		{"the fund's year of every programme", nil, year2025},
	} {
		start := time.Now()
		reports, err := s.Report(ctx, c.programmes, c.period, nil)
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		// Logged, not asserted: times on a shared machine are noise.
		t.Logf("%s: %d reports in %v", c.name, len(reports), took.Round(time.Millisecond))
		if reports[0].Referred.N == 0 || reports[0].Referred.Suppressed {
			t.Errorf("%s: %+v, want the families referred", c.name, reports[0].Referred)
		}
	}
}
