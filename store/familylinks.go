package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// FamilyLink is one personal link to a family's own page (package
// familylink): who issued it, with which consent, in which language.
type FamilyLink struct {
	ID           string
	TrajectoryID string
	Language     string
	// ConsentOn and ConsentChannel record the family's agreement to the
	// link: the date, and how it was given (FamilyLinkChannels).
	ConsentOn      time.Time
	ConsentChannel string
	IssuedBy       string
	IssuedAt       time.Time
	ExpiresAt      time.Time
	Emailed        bool
	RevokedAt      *time.Time
	RevokedBy      string
}

// FamilyLinkChannels are how a family can give its consent to a link.
var FamilyLinkChannels = []string{"in_person", "phone", "email", "letter"}

// Revokers of a family link besides a person: the trajectory's erasure.
const RevokedByErasure = "erasure"

// IssueFamilyLink records a new link; the trajectory's earlier link, if
// one works, is revoked by the same person in the same transaction, so a
// family has one working link at a time.
func (s *Store) IssueFamilyLink(ctx context.Context, l FamilyLink) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE family_links SET revoked_at = now(), revoked_by = $2
			WHERE trajectory_id = $1 AND revoked_at IS NULL`, l.TrajectoryID, l.IssuedBy); err != nil {
			return fmt.Errorf("revoke the earlier family link: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO family_links (id, trajectory_id, language, consent_on, consent_channel,
			issued_by, expires_at, emailed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			l.ID, l.TrajectoryID, l.Language, l.ConsentOn, l.ConsentChannel, l.IssuedBy, l.ExpiresAt, l.Emailed)
		if err != nil {
			return fmt.Errorf("record family link: %w", err)
		}
		return nil
	})
}

// MarkFamilyLinkEmailed records that the link went out by email.
func (s *Store) MarkFamilyLinkEmailed(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE family_links SET emailed = true WHERE id = $1`, id)
	return err
}

// FamilyLink reads one link; an error wrapping ErrNotFound if unknown.
func (s *Store) FamilyLink(ctx context.Context, id string) (FamilyLink, error) {
	var l FamilyLink
	var revokedBy *string
	err := s.pool.QueryRow(ctx, `SELECT id, trajectory_id, language, consent_on, consent_channel, issued_by,
		issued_at, expires_at, emailed, revoked_at, revoked_by FROM family_links WHERE id = $1`, id).Scan(
		&l.ID, &l.TrajectoryID, &l.Language, &l.ConsentOn, &l.ConsentChannel, &l.IssuedBy,
		&l.IssuedAt, &l.ExpiresAt, &l.Emailed, &l.RevokedAt, &revokedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("family link: %w", ErrNotFound)
	}
	if revokedBy != nil {
		l.RevokedBy = *revokedBy
	}
	return l, err
}

// RevokeFamilyLinks revokes the trajectory's working link, and says
// whether there was one.
func (s *Store) RevokeFamilyLinks(ctx context.Context, trajectoryID, by string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE family_links SET revoked_at = now(), revoked_by = $2
		WHERE trajectory_id = $1 AND revoked_at IS NULL`, trajectoryID, by)
	if err != nil {
		return false, fmt.Errorf("revoke family link: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
