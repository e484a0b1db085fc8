package store

import (
	"context"
	"time"
)

// NewCount is a count as reports publish it: suppressed from 1 to
// SuppressBelow-1, the one rule for every figure shown.
func NewCount(n int) Count { return count(n) }

// MonthFigures are one month's referrals to a supervisor's programmes:
// how many, and the median days from the referral to the first coach and
// to the intake (nil when fewer than SuppressBelow trajectories got there).
// The team page charts them; no total beside them is shown, so a month's
// suppressed count cannot be given back by subtraction.
type MonthFigures struct {
	Year           int
	Month          time.Month // in Belgian time
	Referred       Count
	MedianToCoach  *float64
	MedianToIntake *float64
}

// TeamFigures are the figures per month of the trajectories of the
// programmes referred from from to to, months in order; a month without a
// referral is left out. Months are Belgian (Europe/Brussels).
func (s *Store) TeamFigures(ctx context.Context, programmeIDs []string, from, to time.Time) ([]MonthFigures, error) {
	rows, err := s.pool.Query(ctx, `SELECT date_trunc('month', t.referred_at AT TIME ZONE 'Europe/Brussels') AS m, count(*),
		count(c.d), percentile_cont(0.5) WITHIN GROUP (ORDER BY c.d),
		count(i.d), percentile_cont(0.5) WITHIN GROUP (ORDER BY i.d)
		FROM trajectories t
		LEFT JOIN LATERAL (SELECT extract(epoch FROM (min(e.at) - t.referred_at)) / 86400 AS d FROM trajectory_events e
			WHERE e.trajectory_id = t.id AND e.kind = 'coach_assigned') c ON true
		LEFT JOIN LATERAL (SELECT extract(epoch FROM (min(coalesce((e.detail->>'done_at')::timestamptz, e.at)) - t.referred_at)) / 86400 AS d
			FROM trajectory_events e WHERE e.trajectory_id = t.id AND e.kind = 'intake_done') i ON true
		WHERE t.programme_id = ANY($1) AND t.referred_at >= $2 AND t.referred_at < $3
		GROUP BY m ORDER BY m`, programmeIDs, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MonthFigures
	for rows.Next() {
		var m time.Time
		var n, nCoach, nIntake int
		var toCoach, toIntake *float64
		if err := rows.Scan(&m, &n, &nCoach, &toCoach, &nIntake, &toIntake); err != nil {
			return nil, err
		}
		f := MonthFigures{Year: m.Year(), Month: m.Month(), Referred: count(n)}
		if nCoach >= SuppressBelow && toCoach != nil {
			v := round2(*toCoach)
			f.MedianToCoach = &v
		}
		if nIntake >= SuppressBelow && toIntake != nil {
			v := round2(*toIntake)
			f.MedianToIntake = &v
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
