package store

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Consultation is an anonymous question about a family's situation, asked
// before any referral. It holds no personal data, until it becomes a
// referral: then its text is the family's, sealed under the data key of
// the trajectory it became and erased with it.
type Consultation struct {
	ID           string     `json:"id"`
	ProgrammeID  string     `json:"programme"`
	RecordedBy   string     `json:"recorded_by"`
	Organisation string     `json:"organisation,omitempty"`
	Situation    string     `json:"situation"`
	Advice       string     `json:"advice"`
	RecordedAt   time.Time  `json:"recorded_at"`
	TrajectoryID string     `json:"trajectory_id,omitempty"`
	ReferredAt   *time.Time `json:"referred_at,omitempty"`
}

// CollectiveActivity is a group activity of a team and the trajectories
// whose families took part.
type CollectiveActivity struct {
	ID           string          `json:"id"`
	ProgrammeID  string          `json:"programme"`
	Kind         string          `json:"kind"`
	HeldOn       trajectory.Date `json:"held_on"`
	RecordedBy   string          `json:"recorded_by"`
	RecordedAt   time.Time       `json:"recorded_at"`
	Trajectories []string        `json:"trajectories"`
}

// NewID is a random id with a prefix ("co", "ac"): ids never carry data.
func NewID(prefix string) string {
	b := make([]byte, 15)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return prefix + "-" + strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// CreateConsultation stores a consultation under a new id.
func (s *Store) CreateConsultation(ctx context.Context, c Consultation) (Consultation, error) {
	c.ID = NewID("co")
	err := s.pool.QueryRow(ctx, `INSERT INTO consultations (id, programme_id, recorded_by, organisation, situation, advice)
		VALUES ($1, $2, $3, nullif($4, ''), $5, $6) RETURNING recorded_at`,
		c.ID, c.ProgrammeID, c.RecordedBy, c.Organisation, c.Situation, c.Advice).Scan(&c.RecordedAt)
	if err != nil {
		return Consultation{}, fmt.Errorf("store consultation: %w", err)
	}
	return c, nil
}

// NameConsultationPartner sets the partner a consultation concerns, when
// it names none (the team recorded it before a partner was required) and
// has not become a referral; false when it named one or was referred
// meanwhile. A partner once named is not changed: it may have referred.
func (s *Store) NameConsultationPartner(ctx context.Context, id, organisation string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE consultations SET organisation = $2 WHERE id = $1 AND organisation IS NULL AND trajectory_id IS NULL`, id, organisation)
	if err != nil {
		return false, fmt.Errorf("name the partner of consultation %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Consultation reads one consultation, or an error wrapping ErrNotFound.
// The text of one that became a trajectory is opened with the
// trajectory's data key; it is empty once the trajectory is erased.
func (s *Store) Consultation(ctx context.Context, id string) (Consultation, error) {
	var c Consultation
	var situation, advice *string
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT id, programme_id, recorded_by, coalesce(organisation, ''), situation, advice, sealed_text,
		recorded_at, coalesce(trajectory_id, ''), referred_at FROM consultations WHERE id = $1`, id).Scan(
		&c.ID, &c.ProgrammeID, &c.RecordedBy, &c.Organisation, &situation, &advice, &sealed, &c.RecordedAt, &c.TrajectoryID, &c.ReferredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Consultation{}, fmt.Errorf("consultation %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Consultation{}, fmt.Errorf("consultation %s: %w", id, err)
	}
	if situation != nil && advice != nil {
		c.Situation, c.Advice = *situation, *advice
	}
	if sealed != nil {
		text, err := s.openConsultation(ctx, c.TrajectoryID, c.ID, sealed)
		if err != nil {
			return Consultation{}, fmt.Errorf("consultation %s: %w", id, err)
		}
		c.Situation, c.Advice = text.Situation, text.Advice
	}
	return c, nil
}

// consultationText is a consultation's text as it is sealed.
type consultationText struct {
	Situation string `json:"situation"`
	Advice    string `json:"advice"`
}

func aadConsultation(id string) string { return "consultations.text/" + id }

// openConsultation opens a linked consultation's text; empty when the
// trajectory was erased.
func (s *Store) openConsultation(ctx context.Context, trajectoryID, id string, sealed []byte) (consultationText, error) {
	var text consultationText
	k, err := s.openKey(ctx, trajectoryID)
	if err != nil || k == nil {
		return text, err
	}
	plain, err := k.Open(sealed, aadConsultation(id))
	if err != nil {
		return text, err
	}
	err = json.Unmarshal(plain, &text)
	clear(plain)
	return text, err
}

// sealConsultationText seals a consultation's text under the data key of
// the trajectory it became.
func sealConsultationText(k *keys.DataKey, consultationID string, text consultationText) ([]byte, error) {
	plain, err := json.Marshal(text)
	if err != nil {
		return nil, err
	}
	sealed := k.Seal(plain, aadConsultation(consultationID))
	clear(plain)
	return sealed, nil
}

// queueLinkConsultation links a referral to the anonymous consultation it
// followed, in a pipelined batch, and seals the consultation's text (read
// when found, unlinked) under the trajectory's data key: from now on it is
// about a family.
func queueLinkConsultation(b *pgx.Batch, k *keys.DataKey, consultationID string, text consultationText, found bool, at time.Time) error {
	b.Queue(`UPDATE trajectories SET consultation_id = $2 WHERE id = $1`, k.TrajectoryID, consultationID)
	if !found {
		return nil
	}
	sealed, err := sealConsultationText(k, consultationID, text)
	if err != nil {
		return err
	}
	b.Queue(`UPDATE consultations SET trajectory_id = $2, referred_at = $3, situation = NULL, advice = NULL, sealed_text = $4
		WHERE id = $1 AND trajectory_id IS NULL`, consultationID, k.TrajectoryID, at, sealed)
	return nil
}

// RecordCollectiveActivity stores an activity. The id is the caller's
// (from the request's idempotency key), so a retried request finds the
// activity it stored before and returns that one.
func (s *Store) RecordCollectiveActivity(ctx context.Context, a CollectiveActivity) (CollectiveActivity, error) {
	_, err := s.pool.Exec(ctx, `INSERT INTO collective_activities (id, programme_id, kind, held_on, recorded_by, trajectories)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		a.ID, a.ProgrammeID, a.Kind, a.HeldOn.Time, a.RecordedBy, a.Trajectories)
	if err != nil {
		return CollectiveActivity{}, fmt.Errorf("store collective activity: %w", err)
	}
	var held time.Time
	err = s.pool.QueryRow(ctx, `SELECT id, programme_id, kind, held_on, recorded_by, recorded_at, trajectories
		FROM collective_activities WHERE id = $1`, a.ID).Scan(&a.ID, &a.ProgrammeID, &a.Kind, &held, &a.RecordedBy, &a.RecordedAt, &a.Trajectories)
	if err != nil {
		return CollectiveActivity{}, fmt.Errorf("read collective activity: %w", err)
	}
	a.HeldOn = trajectory.DateOf(held)
	return a, nil
}

// CollectiveActivity reads one activity, or an error wrapping ErrNotFound.
func (s *Store) CollectiveActivity(ctx context.Context, id string) (CollectiveActivity, error) {
	var a CollectiveActivity
	var held time.Time
	err := s.pool.QueryRow(ctx, `SELECT id, programme_id, kind, held_on, recorded_by, recorded_at, trajectories
		FROM collective_activities WHERE id = $1`, id).Scan(&a.ID, &a.ProgrammeID, &a.Kind, &held, &a.RecordedBy, &a.RecordedAt, &a.Trajectories)
	if errors.Is(err, pgx.ErrNoRows) {
		return CollectiveActivity{}, fmt.Errorf("collective activity %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return CollectiveActivity{}, fmt.Errorf("collective activity %s: %w", id, err)
	}
	a.HeldOn = trajectory.DateOf(held)
	return a, nil
}

func coWorkers(sum trajectory.Summary) []string {
	if sum.CoWorkers == nil {
		return []string{}
	}
	return sum.CoWorkers
}
