package store

import (
	"context"
	"fmt"
)

// MaxConsultationsListed bounds a list of consultations.
const MaxConsultationsListed = 200

// ListConsultations lists the consultations of the programmes, newest
// first, at most limit (MaxConsultationsListed when 0 or more). The text of
// one that became a referral is the family's and sealed: it is left out
// (read it through Consultation, or on its trajectory).
func (s *Store) ListConsultations(ctx context.Context, programmeIDs []string, limit int) ([]Consultation, error) {
	if limit <= 0 || limit > MaxConsultationsListed {
		limit = MaxConsultationsListed
	}
	rows, err := s.pool.Query(ctx, `SELECT id, programme_id, recorded_by, coalesce(organisation, ''), coalesce(situation, ''),
		coalesce(advice, ''), recorded_at, coalesce(trajectory_id, ''), referred_at
		FROM consultations WHERE programme_id = ANY($1) ORDER BY recorded_at DESC, id LIMIT $2`, programmeIDs, limit)
	if err != nil {
		return nil, fmt.Errorf("list consultations: %w", err)
	}
	defer rows.Close()
	out := []Consultation{}
	for rows.Next() {
		var c Consultation
		if err := rows.Scan(&c.ID, &c.ProgrammeID, &c.RecordedBy, &c.Organisation, &c.Situation, &c.Advice,
			&c.RecordedAt, &c.TrajectoryID, &c.ReferredAt); err != nil {
			return nil, fmt.Errorf("list consultations: %w", err)
		}
		if c.TrajectoryID != "" {
			c.Situation, c.Advice = "", ""
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list consultations: %w", err)
	}
	return out, nil
}
