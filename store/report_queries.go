package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// The queries of a report. $1 is the programme, $2 and $3 the period.
// They read no family's dates: a birth is known by its month
// (trajectories.born_month), a visit that fell due by its month, and
// handovers are counted per month and service (handover_counts); a figure
// counted by months counts those that begin in the period.
const (
	// cohortSQL: the trajectories referred in the period.
	cohortSQL = `SELECT id, referrer_org, referred_at, born_month, consultation_id FROM trajectories
		WHERE programme_id = $1 AND referred_at >= $2 AND referred_at < $3`
	// monthSQL is the first instant (UTC) of a month the clear detail
	// names by key.
	monthSQL = `((%s->>'%s') || '-01')::timestamp AT TIME ZONE 'UTC'`
	// periodEventsSQL: the events of the programme's trajectories in the
	// period, read trajectory by trajectory through the event log's index.
	periodEventsSQL = `SELECT e.trajectory_id, e.kind, e.at, e.detail FROM trajectories t
		CROSS JOIN LATERAL (SELECT e.trajectory_id, e.kind, e.at, e.detail FROM trajectory_events e
			WHERE e.trajectory_id = t.id AND e.at >= $2 AND e.at < $3 OFFSET 0) e
		WHERE t.programme_id = $1`
)

// The event log has no index by instant, and PostgreSQL, left to itself,
// reads a programme's events (and their closures and alerts) by scanning
// the whole log: a report of one programme among twenty then costs as much
// as the store is large, and the fund's export, of every programme, that
// again per programme and per quarter. OFFSET 0 in a subquery keeps it
// from being merged into the query around it, so that it is read through
// the index on trajectory_id, for the programme's trajectories only.

// completionKinds are the events that complete a step; their detail names
// the step, when it was due and whether it was late (events written
// before milestones existed may lack it).
var completionKinds = []string{"coach_assigned", "intake_done", "home_visit_done", "birth_recorded", "milestone_reached"}

func fillReport(ctx context.Context, tx pgx.Tx, r *ProgrammeReport) error {
	referredBy := map[string]int{}
	var referred, fromConsultation int
	if err := rowsEach(ctx, tx, `SELECT referrer_org, consultation_id IS NOT NULL FROM (`+cohortSQL+`) c`, r, func(row pgx.CollectableRow) error {
		var org string
		var consulted bool
		if err := row.Scan(&org, &consulted); err != nil {
			return err
		}
		referred++
		referredBy[org]++
		if consulted {
			fromConsultation++
		}
		return nil
	}); err != nil {
		return err
	}
	r.Referred, r.ReferredBy, r.FromConsultation = count(referred), buckets(referredBy), count(fromConsultation)

	var err error
	// The first assignment and the intake as done (done_at), in days; each
	// as recorded before the period ended, so that the report of a period
	// that has ended never changes (a later one would tell by subtraction
	// who got a coach since).
	if r.ToCoach, err = durations(ctx, tx, r, `SELECT min(e.at) FROM trajectory_events e
		WHERE e.trajectory_id = c.id AND e.kind = 'coach_assigned' AND e.at < $3`); err != nil {
		return err
	}
	if r.ToIntake, err = durations(ctx, tx, r, `SELECT min(coalesce((e.detail->>'done_at')::timestamptz, e.at)) FROM trajectory_events e
		WHERE e.trajectory_id = c.id AND e.kind = 'intake_done' AND e.at < $3`); err != nil {
		return err
	}
	if err := fillWork(ctx, tx, r); err != nil {
		return err
	}
	if err := fillPlan(ctx, tx, r); err != nil {
		return err
	}
	return fillPerinatal(ctx, tx, r)
}

// durations: days from the referral to the instant firstSQL selects (per
// cohort trajectory c), over those that reached it.
func durations(ctx context.Context, tx pgx.Tx, r *ProgrammeReport, firstSQL string) (Durations, error) {
	var n int
	var median, p90 *float64
	err := tx.QueryRow(ctx, `SELECT count(d), percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d)
		FROM (SELECT extract(epoch FROM ((`+firstSQL+`) - c.referred_at)) / 86400 AS d FROM (`+cohortSQL+`) c) x WHERE d IS NOT NULL`,
		r.ProgrammeID, r.From, r.To).Scan(&n, &median, &p90)
	if err != nil {
		return Durations{}, err
	}
	d := Durations{Count: count(n)}
	if n >= SuppressBelow {
		m, p := round2(*median), round2(*p90)
		d.MedianDay, d.P90Day = &m, &p
	}
	return d, nil
}

// fillWork counts what happened in the period, from the event log.
func fillWork(ctx context.Context, tx pgx.Tx, r *ProgrammeReport) error {
	var done, intakes, planned, attended, completed, late int
	closures, milestones := map[string]int{}, map[string]int{}
	err := rowsEach(ctx, tx, periodEventsSQL, r, func(row pgx.CollectableRow) error {
		var id, kind string
		var at time.Time
		var detail map[string]string
		if err := row.Scan(&id, &kind, &at, &detail); err != nil {
			return err
		}
		if slices.Contains(completionKinds, kind) && detail["step"] != "" {
			completed++
			if detail["late"] == "true" {
				late++
			}
		}
		switch kind {
		case "intake_done":
			done++
			intakes++
		case "home_visit_done":
			done++
		case "closed":
			closures[detail["reason"]]++
		case "milestone_reached":
			milestones[detail["milestone"]]++
		case "activity_attended":
			attended++
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A visit planned counts when the month it fell due in began in the
	// period and before now, and the trajectory had not closed before.
	due := fmt.Sprintf(monthSQL, "e.detail", "next_visit_due_month")
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM trajectories t
		CROSS JOIN LATERAL (SELECT e.trajectory_id, e.detail FROM trajectory_events e WHERE e.trajectory_id = t.id
			AND e.kind IN ('intake_done', 'home_visit_done') AND e.detail ? 'next_visit_due_month' OFFSET 0) e
		WHERE t.programme_id = $1 AND `+due+` >= $2 AND `+due+` < least($3, now())
		AND NOT EXISTS (SELECT 1 FROM trajectory_events c WHERE c.trajectory_id = e.trajectory_id AND c.kind = 'closed'
			AND c.at < `+due+` OFFSET 0)`, r.ProgrammeID, r.From, r.To).Scan(&planned); err != nil {
		return err
	}
	// A step done was escalated when the supervisor was alerted about it,
	// as due in that month.
	var escalated int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (`+periodEventsSQL+`) x WHERE kind = ANY($4) AND detail ? 'step'
		AND EXISTS (SELECT 1 FROM trajectory_events a WHERE a.trajectory_id = x.trajectory_id AND a.kind = 'alert_sent'
			AND a.detail->>'step' = x.detail->>'step' AND a.detail->>'due_month' = x.detail->>'step_due_month' AND a.detail->>'to' = 'supervisor' OFFSET 0)`,
		r.ProgrammeID, r.From, r.To, completionKinds).Scan(&escalated); err != nil {
		return err
	}
	r.VisitsDone, r.VisitsPlanned = count(done), count(planned+intakes)
	r.StepsLate, r.StepsEscalated = share(late, completed), share(escalated, completed)
	r.ClosureReasons, r.Milestones, r.ActivitiesAttended = buckets(closures), buckets(milestones), count(attended)
	if err := fillHandovers(ctx, tx, r); err != nil {
		return err
	}
	var consultations int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM consultations WHERE programme_id = $1 AND recorded_at >= $2 AND recorded_at < $3`,
		r.ProgrammeID, r.From, r.To).Scan(&consultations); err != nil {
		return err
	}
	r.Consultations = count(consultations)
	return nil
}

// fillHandovers counts the handovers made to each service, and those
// acknowledged, in the months that begin in the period; a service appears
// when handovers were made to it or acknowledged by it, so that a year's
// figures are its quarters' added up (report_hierarchy.go) even for a
// quarter in which a service only acknowledged.
func fillHandovers(ctx context.Context, tx pgx.Tx, r *ProgrammeReport) error {
	r.Handovers = []ServiceHandovers{}
	return rowsEach(ctx, tx, `SELECT service, sum(made), sum(acknowledged) FROM handover_counts
		WHERE programme_id = $1 AND month::timestamp AT TIME ZONE 'UTC' >= $2 AND month::timestamp AT TIME ZONE 'UTC' < $3
		GROUP BY service HAVING sum(made) > 0 OR sum(acknowledged) > 0 ORDER BY service`, r, func(row pgx.CollectableRow) error {
		var h ServiceHandovers
		var made, acked int
		if err := row.Scan(&h.Service, &made, &acked); err != nil {
			return err
		}
		h.Made, h.Acknowledged = count(made), count(acked)
		r.Handovers = append(r.Handovers, h)
		return nil
	})
}

// fillPerinatal: of the children born in the cohort who reached the
// programme's follow-up age (r.FollowUpMonths: six months in Menen, three
// years in Sint-Truiden) by the end of the period, those whose trajectory
// was not closed before. A birth is known by its month: a child reaches
// the age of N months in the Nth month after it, counts once that month is
// over, and was followed unless its trajectory closed before that month.
// A birth counts when it was recorded before the period ended, or known at
// the referral (a family referred after the birth is followed from it). A
// programme without a follow-up age has no such figure.
func fillPerinatal(ctx context.Context, tx pgx.Tx, r *ProgrammeReport) error {
	if r.FollowUpMonths <= 0 {
		return nil
	}
	var born, reached, followed int
	err := tx.QueryRow(ctx, `SELECT count(born_month),
			count(*) FILTER (WHERE (born_month + make_interval(months => $4 + 1)) AT TIME ZONE 'UTC' <= $3),
			count(*) FILTER (WHERE (born_month + make_interval(months => $4 + 1)) AT TIME ZONE 'UTC' <= $3 AND NOT EXISTS (
				SELECT 1 FROM trajectory_events e WHERE e.trajectory_id = c.id AND e.kind = 'closed'
				AND e.at < (c.born_month + make_interval(months => $4)) AT TIME ZONE 'UTC'))
		FROM (`+cohortSQL+`) c WHERE born_month IS NOT NULL AND EXISTS (
			SELECT 1 FROM trajectory_events b WHERE b.trajectory_id = c.id AND b.at < $3
			AND (b.kind = 'birth_recorded' OR b.kind = 'referred' AND b.detail ? 'born_month'))`,
		r.ProgrammeID, r.From, r.To, r.FollowUpMonths).Scan(&born, &reached, &followed)
	if err != nil || born == 0 {
		return err
	}
	s := share(followed, reached)
	r.FollowedToFollowUpAge = &s
	return nil
}

func rowsEach(ctx context.Context, tx pgx.Tx, sql string, r *ProgrammeReport, each func(pgx.CollectableRow) error) error {
	rows, err := tx.Query(ctx, sql, r.ProgrammeID, r.From, r.To)
	if err != nil {
		return err
	}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) { return struct{}{}, each(row) })
	return err
}
