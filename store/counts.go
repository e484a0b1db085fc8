package store

import (
	"context"
	"fmt"
)

// PhaseCount is how many open trajectories of a programme are in a phase.
type PhaseCount struct {
	Programme, Phase string
	Open             int64
}

// ProgrammeCount is, per programme, how many open trajectories are overdue
// or escalated, and how many trajectories had an email fail for good.
type ProgrammeCount struct {
	Programme                        string
	Overdue, Escalated, EmailsFailed int64
}

// Counts are the business numbers operators watch: aggregates only, by
// programme, phase and email status; nothing that names a family.
type Counts struct {
	Phases     []PhaseCount
	Programmes []ProgrammeCount
	// Emails counts the email ledger by status: pending, committing, sent,
	// unconfirmed.
	Emails map[string]int64
}

// Counts reads the numbers from the read model and the email ledger.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	c := Counts{Emails: map[string]int64{}}
	rows, err := s.pool.Query(ctx, `SELECT programme_id, phase, count(*) FROM trajectories
		WHERE phase <> 'closed' GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		return c, fmt.Errorf("count trajectories by phase: %w", err)
	}
	for rows.Next() {
		var p PhaseCount
		if err := rows.Scan(&p.Programme, &p.Phase, &p.Open); err != nil {
			rows.Close()
			return c, fmt.Errorf("count trajectories by phase: %w", err)
		}
		c.Phases = append(c.Phases, p)
	}
	rows.Close()
	rows, err = s.pool.Query(ctx, `SELECT programme_id,
		count(*) FILTER (WHERE `+overdueSQL+`),
		count(*) FILTER (WHERE escalated AND phase <> 'closed'),
		count(*) FILTER (WHERE email_failed)
		FROM trajectories GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return c, fmt.Errorf("count overdue trajectories: %w", err)
	}
	for rows.Next() {
		var p ProgrammeCount
		if err := rows.Scan(&p.Programme, &p.Overdue, &p.Escalated, &p.EmailsFailed); err != nil {
			rows.Close()
			return c, fmt.Errorf("count overdue trajectories: %w", err)
		}
		c.Programmes = append(c.Programmes, p)
	}
	rows.Close()
	rows, err = s.pool.Query(ctx, `SELECT status, count(*) FROM outbound_emails GROUP BY 1`)
	if err != nil {
		return c, fmt.Errorf("count emails by status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return c, fmt.Errorf("count emails by status: %w", err)
		}
		c.Emails[status] = n
	}
	return c, rows.Err()
}
