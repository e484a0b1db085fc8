package store

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/trajectory"
)

// The family plan in the report: the share of the families referred in the
// period whose plan was agreed with them by its end, and the goals set and
// reached per life domain in the period. Both come from the event log's
// clear detail, which names goals by their id and life domain only
// (trajectory.PlanClearDetailKeys); the family's words are in the sealed
// detail.

// DomainGoals are the goals of one life domain (its code in the programme
// file): Set are those first agreed in the period, Reached those reached in
// it (also at closure), whenever they were set.
type DomainGoals struct {
	Domain  string `json:"domain"`
	Set     Count  `json:"set"`
	Reached Count  `json:"reached"`
}

// fillPlan fills r.PlanAgreed and r.Goals.
func fillPlan(ctx context.Context, tx pgx.Tx, r *ProgrammeReport) error {
	var referred, agreed int
	if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE EXISTS (
			SELECT 1 FROM trajectory_events e WHERE e.trajectory_id = c.id AND e.kind = '`+trajectory.EventPlanAgreed+`' AND e.at < $3))
		FROM (`+cohortSQL+`) c`, r.ProgrammeID, r.From, r.To).Scan(&referred, &agreed); err != nil {
		return err
	}
	r.PlanAgreed = share(agreed, referred)

	set, reached := map[string]int{}, map[string]int{}
	// A goal is set when a plan that lists it is first agreed: a later
	// change to the plan lists it again, and counts only its new goals.
	seen := map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT e.trajectory_id, e.at, coalesce(e.detail->>'`+trajectory.DetailGoals+`', '') FROM trajectories t
		CROSS JOIN LATERAL (SELECT e.trajectory_id, e.seq, e.at, e.detail FROM trajectory_events e
			WHERE e.trajectory_id = t.id AND e.kind = '`+trajectory.EventPlanAgreed+`' AND e.at < $2 OFFSET 0) e
		WHERE t.programme_id = $1 ORDER BY e.trajectory_id, e.seq`, r.ProgrammeID, r.To)
	if err != nil {
		return err
	}
	var id, goals string
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &at, &goals}, func() error {
		for _, g := range trajectory.ParseGoalCodes(goals) {
			key := id + "\x00" + g.ID
			if seen[key] {
				continue
			}
			seen[key] = true
			if !at.Before(r.From) {
				set[string(g.Domain)]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Each reaching counts, like each milestone reached, so that a year's
	// count is its quarters' added up (report_hierarchy.go).
	if err := rowsEach(ctx, tx, `SELECT detail->>'`+trajectory.DetailDomain+`'
		FROM (`+periodEventsSQL+`) x WHERE kind = '`+trajectory.EventGoalReached+`' AND detail ? '`+trajectory.DetailDomain+`'`, r, func(row pgx.CollectableRow) error {
		var domain string
		if err := row.Scan(&domain); err != nil {
			return err
		}
		reached[domain]++
		return nil
	}); err != nil {
		return err
	}
	r.Goals = domainGoals(set, reached)
	return nil
}

// domainGoals are the domains with goals set or reached, by code.
func domainGoals(set, reached map[string]int) []DomainGoals {
	domains := map[string]bool{}
	for d := range set {
		domains[d] = true
	}
	for d := range reached {
		domains[d] = true
	}
	out := []DomainGoals{}
	for _, d := range slices.Sorted(maps.Keys(domains)) {
		out = append(out, DomainGoals{Domain: d, Set: count(set[d]), Reached: count(reached[d])})
	}
	return out
}
