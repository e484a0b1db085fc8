package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/webhook"
)

// ReferralStatus is what the partner that referred a family learns of it:
// ids, the partner's own reference, a status and its instant. Never the
// family's data nor who coaches it.
type ReferralStatus struct {
	ID          string
	Reference   string // "" once the trajectory is erased
	ProgrammeID string
	ReferrerOrg string
	// Status is one of webhook.StatusReceived, StatusCoachAssigned,
	// StatusInSupport, StatusClosed.
	Status          string
	StatusChangedAt time.Time // UTC
}

// StatusOfPhase is the partner's status of a trajectory's phase: every
// phase after the intake is "in support".
func StatusOfPhase(p trajectory.Phase) string {
	switch p {
	case trajectory.PhaseReferred:
		return webhook.StatusReceived
	case trajectory.PhaseCoachAssigned:
		return webhook.StatusCoachAssigned
	case trajectory.PhaseClosed:
		return webhook.StatusClosed
	}
	return webhook.StatusInSupport
}

// statusEvent is the event whose first instant is a status's change.
var statusEvent = map[string]string{
	webhook.StatusCoachAssigned: trajectory.EventCoachAssigned,
	webhook.StatusInSupport:     trajectory.EventIntakeDone,
	webhook.StatusClosed:        trajectory.EventClosed,
}

// ReferralStatus reads a referral's status from the read model and the
// event log that the worker's activities keep (never from the workflow):
// the status follows the phase, and its instant is the first event of
// that status (a reassignment changes no status). An error wraps
// ErrNotFound if elkgezin never recorded the trajectory.
func (s *Store) ReferralStatus(ctx context.Context, id string) (ReferralStatus, error) {
	r := ReferralStatus{ID: id}
	var phase trajectory.Phase
	var referredAt time.Time
	var changed *time.Time
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT programme_id, referrer_org, phase, referred_at, coalesce(referrer_reference, ''), personal,
			(SELECT min(e.at) FROM trajectory_events e WHERE e.trajectory_id = t.id AND e.kind = CASE t.phase
				WHEN 'referred' THEN '' WHEN 'coach_assigned' THEN $2 WHEN 'closed' THEN $4 ELSE $3 END)
		FROM trajectories t WHERE id = $1`, id,
		statusEvent[webhook.StatusCoachAssigned], statusEvent[webhook.StatusInSupport], statusEvent[webhook.StatusClosed]).
		Scan(&r.ProgrammeID, &r.ReferrerOrg, &phase, &referredAt, &r.Reference, &sealed, &changed)
	if errors.Is(err, pgx.ErrNoRows) {
		return ReferralStatus{}, fmt.Errorf("referral %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return ReferralStatus{}, fmt.Errorf("read referral %s: %w", id, err)
	}
	r.Status = StatusOfPhase(phase)
	r.StatusChangedAt = referredAt.UTC()
	if changed != nil {
		r.StatusChangedAt = changed.UTC()
	}
	if sealed != nil {
		if r.Reference, err = s.sealedReference(ctx, id, sealed); err != nil {
			return ReferralStatus{}, err
		}
	}
	return r, nil
}

// sealedReference opens the trajectory's personal data for the
// referrer's reference alone; "" once it is erased.
func (s *Store) sealedReference(ctx context.Context, id string, sealed []byte) (string, error) {
	k, err := s.openKey(ctx, id)
	if err != nil || k == nil {
		return "", err
	}
	plain, err := k.Open(sealed, aadPersonal)
	if err != nil {
		return "", fmt.Errorf("personal data of %s: %w", id, err)
	}
	defer clear(plain)
	var p struct {
		ReferrerReference string `json:"referrer_reference"`
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return "", fmt.Errorf("personal data of %s: %w", id, err)
	}
	return p.ReferrerReference, nil
}

// WebhookDelivery is the delivery log's row of one event.
type WebhookDelivery struct {
	EventID, TrajectoryID, Organisation, Status string
	Attempts                                    int
	LastStatusCode                              int // 0: no answer
	LastAttemptAt, DeliveredAt                  *time.Time
}

// BeginWebhookDelivery counts an attempt to post event to organisation;
// delivered says an earlier attempt was answered 2xx: then nothing is
// posted again.
func (s *Store) BeginWebhookDelivery(ctx context.Context, e webhook.Event, organisation string) (delivered bool, err error) {
	err = s.pool.QueryRow(ctx, `INSERT INTO referral_webhook_deliveries AS d
			(event_id, trajectory_id, organisation, status, attempts, last_attempt_at)
		VALUES ($1, $2, $3, $4, 1, now())
		ON CONFLICT (event_id) DO UPDATE SET
			attempts = d.attempts + CASE WHEN d.delivered_at IS NULL THEN 1 ELSE 0 END,
			last_attempt_at = CASE WHEN d.delivered_at IS NULL THEN now() ELSE d.last_attempt_at END
		RETURNING delivered_at IS NOT NULL`, e.ID, e.ReferralID, organisation, e.Status).Scan(&delivered)
	if err != nil {
		return false, fmt.Errorf("begin webhook delivery %s: %w", e.ID, err)
	}
	return delivered, nil
}

// EndWebhookDelivery records the answer to an attempt: its status code
// (0: none came), and the delivery when it was 2xx.
func (s *Store) EndWebhookDelivery(ctx context.Context, eventID string, code int) error {
	_, err := s.pool.Exec(ctx, `UPDATE referral_webhook_deliveries SET last_status_code = nullif($2, 0),
			delivered_at = CASE WHEN $2 BETWEEN 200 AND 299 THEN coalesce(delivered_at, now()) ELSE delivered_at END
		WHERE event_id = $1`, eventID, code)
	if err != nil {
		return fmt.Errorf("end webhook delivery %s: %w", eventID, err)
	}
	return nil
}

// WebhookDeliveries reads the delivery log of a trajectory, by event id.
func (s *Store) WebhookDeliveries(ctx context.Context, trajectoryID string) ([]WebhookDelivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT event_id, trajectory_id, organisation, status, attempts,
			coalesce(last_status_code, 0), last_attempt_at, delivered_at
		FROM referral_webhook_deliveries WHERE trajectory_id = $1 ORDER BY event_id`, trajectoryID)
	if err != nil {
		return nil, fmt.Errorf("read webhook deliveries of %s: %w", trajectoryID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (WebhookDelivery, error) {
		var d WebhookDelivery
		err := row.Scan(&d.EventID, &d.TrajectoryID, &d.Organisation, &d.Status, &d.Attempts, &d.LastStatusCode, &d.LastAttemptAt, &d.DeliveredAt)
		return d, err
	})
}
