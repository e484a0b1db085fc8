package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// ErrInvalidEvent is returned by RecordEvent for an event that lacks what
// the log and read model need. Retrying such a write cannot succeed.
var ErrInvalidEvent = errors.New("invalid event")

// TrajectorySummary is a trajectory as lists show it. It holds no personal
// data, so a list can be shown to anyone who may see the programme.
type TrajectorySummary struct {
	ID          string           `json:"id"`
	ProgrammeID string           `json:"programme"`
	ReferrerOrg string           `json:"referrer_organisation"`
	Phase       trajectory.Phase `json:"phase"`
	CoachID     string           `json:"coach,omitempty"`
	NextStep    string           `json:"next_step,omitempty"`
	NextDueAt   *time.Time       `json:"next_due_at,omitempty"`
	Overdue     bool             `json:"overdue"` // next_due_at has passed and the trajectory is open
	Escalated   bool             `json:"escalated"`
	// EmailFailed: an email of the trajectory failed for good (a bounced
	// handover, an unknown coach); supervisors should look.
	EmailFailed bool                   `json:"email_failed"`
	CloseReason trajectory.CloseReason `json:"close_reason,omitempty"`
	ReferredAt  time.Time              `json:"referred_at"`
	UpdatedAt   time.Time              `json:"updated_at"` // time of the last event applied
	// CoWorkers are the ids of the co-workers beside the coach.
	CoWorkers []string `json:"co_workers,omitempty"`
	// ReadBy are the coaches and co-workers of the trajectories that
	// follow this one (a family referred again): they may read it. Only
	// TrajectoryAccess fills it.
	ReadBy []string `json:"-"`
}

// Trajectory is one trajectory in full, for the people who work on it:
// the summary, the personal data of the referral and the event log.
type Trajectory struct {
	TrajectorySummary
	ReferrerReference string             `json:"referrer_reference,omitempty"`
	Family            *trajectory.Family `json:"family,omitempty"` // nil until the referred event is recorded
	Reason            string             `json:"reason,omitempty"`
	ExpectedDueDate   *trajectory.Date   `json:"expected_due_date,omitempty"`
	BornOn            *trajectory.Date   `json:"born_on,omitempty"`
	Children          []trajectory.Child `json:"children"`
	// ConsultationID is the anonymous consultation the referral followed.
	ConsultationID string `json:"consultation_id,omitempty"`
	// PreviousTrajectoryID is the family's earlier trajectory, when the
	// same partner referred the family again after it closed.
	PreviousTrajectoryID string     `json:"previous_trajectory_id,omitempty"`
	Events               []EventRow `json:"events"`
	// Erased: the trajectory's data key was destroyed; its personal data
	// (family, reason, children, the events' details) is gone for good.
	Erased bool `json:"erased,omitempty"`
}

// EventRow is one entry of a trajectory's event log.
type EventRow struct {
	Seq    int64             `json:"seq"`
	Kind   string            `json:"kind"`
	Actor  string            `json:"actor"`
	At     time.Time         `json:"at"`
	Detail map[string]string `json:"detail,omitempty"`
}

// overdueSQL is the one definition of "overdue", shared by reads and filters.
const overdueSQL = `(coalesce(next_due_at < now(), false) AND phase <> 'closed')`

// summaryColumns are selected in the order summaryTargets scans them.
const summaryColumns = `id, programme_id, referrer_org, phase, coalesce(coach_id, ''), coalesce(next_step, ''),
	next_due_at, ` + overdueSQL + `, escalated, email_failed, coalesce(close_reason, ''), referred_at, updated_at, co_workers`

func (t *TrajectorySummary) summaryTargets() []any {
	return []any{&t.ID, &t.ProgrammeID, &t.ReferrerOrg, &t.Phase, &t.CoachID, &t.NextStep,
		&t.NextDueAt, &t.Overdue, &t.Escalated, &t.EmailFailed, &t.CloseReason, &t.ReferredAt, &t.UpdatedAt, &t.CoWorkers}
}

// RecordEvent appends e to the event log and applies e.Summary to the read
// model, in one transaction. An event is identified by its cause, so a
// retried or repeated write (the API's and the workflow's of the same
// step) is the same row and changes nothing; no row is ever rewritten. The
// read model never moves back (a summary older than the row's version is
// not applied). The referred event also stores the referral's personal
// data, a birth the child. An event of another run than the trajectory's
// is refused (ErrForeignRun).
func (s *Store) RecordEvent(ctx context.Context, e trajectory.Event) error {
	_, err := s.recordEvent(ctx, e)
	return err
}

// RecordEvents writes events in order, as RecordEvent does. An event that
// can never be written (invalid, or of another run) is skipped and
// returned in refused; the others are written. err is a failure of the
// database, after which the whole batch may be written again.
func (s *Store) RecordEvents(ctx context.Context, events []trajectory.Event) (refused []error, err error) {
	for _, e := range events {
		if _, err := s.recordEvent(ctx, e); errors.Is(err, ErrInvalidEvent) {
			refused = append(refused, err)
		} else if err != nil {
			return refused, err
		}
	}
	return refused, nil
}

// ListReferral writes a referral's referred event as the API does, before
// the workflow's own write of it, so the referral is listed at once. A
// referral sent again (days later, say) finds its event and changes
// nothing.
func (s *Store) ListReferral(ctx context.Context, e trajectory.Event) error {
	if e.Kind != trajectory.EventReferred || e.Referral == nil {
		return fmt.Errorf("%w %d (%s) of %q: the API lists only a referral", ErrInvalidEvent, e.Seq, e.Kind, e.TrajectoryID)
	}
	_, err := s.recordEvent(ctx, e)
	return err
}

// ErrForeignRun is an event of another workflow run than the one whose log
// the trajectory holds: a workflow started again under the id of a
// trajectory Temporal no longer holds. Its events never enter the log.
var ErrForeignRun = fmt.Errorf("%w: of another workflow run than the trajectory's", ErrInvalidEvent)

// recordEvent is RecordEvent; written says whether e was new to the log.
func (s *Store) recordEvent(ctx context.Context, e trajectory.Event) (written bool, err error) {
	if err := checkEvent(e); err != nil {
		return false, err
	}
	// The detail and the referral are personal data: sealed under the
	// trajectory's data key, the clear detail column stays empty.
	k, err := s.eventKey(ctx, e)
	if err != nil {
		return false, fmt.Errorf("record event %d (%s) of %s: %w", e.Seq, e.Kind, e.TrajectoryID, err)
	}
	sealed, err := sealDetail(k, e.Seq, e.Detail)
	if err != nil {
		return false, fmt.Errorf("record event %d (%s) of %s: seal detail: %w", e.Seq, e.Kind, e.TrajectoryID, err)
	}
	sum := e.Summary
	if k == nil {
		// A late event of an erased trajectory counts, but plans nothing:
		// its next step would be a date of the family again.
		sum.NextStep, sum.NextDueAt = "", nil
	}
	// An email_failed event marks the trajectory even when its summary
	// (written by a workflow that predates the flag) does not.
	emailFailed := sum.EmailFailed || e.Kind == trajectory.EventEmailFailed
	cause, plain, legacy := causeOf(k, e)
	var previous string
	if e.Referral != nil {
		previous = e.Referral.PreviousTrajectoryID
	}
	args := []any{e.TrajectoryID, e.Seq, e.Kind, e.Actor, e.At, reportableDetail(e.Kind, e.Detail), sealed,
		sum.ProgrammeID, sum.ReferrerOrg, string(sum.Phase), sum.CoachID, sum.NextStep,
		sum.NextDueAt, sum.Escalated, string(sum.CloseReason), sum.ReferredAt, emailFailed, coWorkers(sum),
		actedByPerson(e.Actor), cause, legacy, e.FirstRunID, previous, handoverService(e), plain}
	var foreign bool
	switch {
	case e.Referral != nil:
		err = s.withAuditPartition(ctx, func() error {
			var err error
			written, foreign, err = s.recordReferral(ctx, e, k, args)
			return err
		})
	case e.Kind == trajectory.EventBirthRecorded:
		err = s.withAuditPartition(ctx, func() error {
			return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				if err := tx.QueryRow(ctx, recordEventSQL, args...).Scan(&written, &foreign); err != nil {
					return fmt.Errorf("insert event: %w", err)
				}
				if !written {
					return nil
				}
				return storeBirth(ctx, tx, k, e)
			})
		})
	default:
		// Most events touch nothing else: one statement, one round trip,
		// atomic without a transaction of its own.
		err = s.withAuditPartition(ctx, func() error {
			return s.pool.QueryRow(ctx, recordEventSQL, args...).Scan(&written, &foreign)
		})
	}
	switch {
	case err != nil:
		return false, fmt.Errorf("record event %d (%s) of %s: %w", e.Seq, e.Kind, e.TrajectoryID, err)
	case foreign:
		return false, fmt.Errorf("record event %d (%s) of %s: %w", e.Seq, e.Kind, e.TrajectoryID, ErrForeignRun)
	}
	return written, nil
}

// storeBirth keeps a recorded birth with the trajectory: the child among
// the family's children (sealed; the date is the birth event's too), and
// the month of birth in clear for reports.
func storeBirth(ctx context.Context, tx pgx.Tx, k *keys.DataKey, e trajectory.Event) error {
	born, err := trajectory.ParseDate(e.Detail["born_on"])
	if err != nil {
		// The date stays out of the error: it is personal data.
		return fmt.Errorf("%w %d (%s) of %q: born_on is not a date", ErrInvalidEvent, e.Seq, e.Kind, e.TrajectoryID)
	}
	month := time.Date(born.Year(), born.Month(), 1, 0, 0, 0, 0, time.UTC)
	if _, err := tx.Exec(ctx, `UPDATE trajectories SET born_month = $2 WHERE id = $1`, e.TrajectoryID, month); err != nil {
		return fmt.Errorf("store birth: %w", err)
	}
	err = updatePersonal(ctx, tx, k, e.TrajectoryID, func(p *personal) {
		p.Children = append(p.Children, trajectory.Child{Name: e.Detail["name"], BirthDate: born})
	})
	if err != nil {
		return fmt.Errorf("store birth: %w", err)
	}
	return nil
}

// recordReferral is RecordEvent for a referred event in two round trips
// instead of one per statement: the event, its read-model row, its audit
// entry and a lock on the row's personal data go in one pipelined batch
// that opens the transaction; the referral's personal data and the commit
// in a second.
func (s *Store) recordReferral(ctx context.Context, e trajectory.Event, k *keys.DataKey, args []any) (written, foreign bool, err error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, false, err
	}
	// A connection given back inside a transaction (an error below) is
	// closed by the pool, never reused: nothing half-done can commit.
	defer c.Release()
	var (
		sealed   []byte
		consult  consultationText
		consults bool
		first    pgx.Batch
	)
	first.Queue("BEGIN")
	first.Queue(recordEventSQL, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&written, &foreign) })
	first.Queue(`SELECT personal FROM trajectories WHERE id = $1 FOR UPDATE`, e.TrajectoryID).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&sealed); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	if id := e.Referral.ConsultationID; id != "" && k != nil {
		first.Queue(`SELECT situation, advice FROM consultations WHERE id = $1 AND trajectory_id IS NULL FOR UPDATE`, id).QueryRow(func(row pgx.Row) error {
			err := row.Scan(&consult.Situation, &consult.Advice)
			consults = err == nil
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		})
	}
	if err := c.SendBatch(ctx, &first).Close(); err != nil {
		return false, false, fmt.Errorf("insert event: %w", err)
	}
	var second pgx.Batch
	if written && k != nil {
		// Logged now (not before): store the referral with it, sealed.
		// (An erased trajectory's referral keeps none of it.)
		r := e.Referral
		family := r.Family
		sealedNew, err := changePersonal(k, e.TrajectoryID, sealed, func(p *personal) {
			p.ReferrerReference, p.Family, p.Reason = r.Referrer.Reference, &family, r.Reason
			p.Children = append(slices.Clone(r.Children), p.Children...)
			if !r.ExpectedDueDate.IsZero() {
				due := r.ExpectedDueDate
				p.ExpectedDueDate = &due
			}
		})
		if err != nil {
			return false, false, fmt.Errorf("store referral: %w", err)
		}
		second.Queue(`UPDATE trajectories SET personal = $2 WHERE id = $1`, e.TrajectoryID, sealedNew)
		if m := e.Detail[trajectory.DetailBornMonth]; m != "" {
			// The birth the trajectory follows from the referral on, by
			// its month, in clear for reports (as storeBirth does).
			month, err := time.Parse("2006-01", m)
			if err != nil {
				return false, false, fmt.Errorf("%w %d (%s) of %q: %s is not a month", ErrInvalidEvent, e.Seq, e.Kind, e.TrajectoryID, trajectory.DetailBornMonth)
			}
			second.Queue(`UPDATE trajectories SET born_month = $2 WHERE id = $1`, e.TrajectoryID, month)
		}
		if r.ConsultationID != "" {
			if err := queueLinkConsultation(&second, k, r.ConsultationID, consult, consults, e.At); err != nil {
				return false, false, fmt.Errorf("store referral: %w", err)
			}
		}
	}
	second.Queue("COMMIT")
	if err := c.SendBatch(ctx, &second).Close(); err != nil {
		return false, false, fmt.Errorf("store referral: %w", err)
	}
	return written, foreign, nil
}

// actedByPerson says whether an event's actor is someone who acted through
// the API or the pages (kind:subject, or a service through its handover
// link) rather than elkgezin itself (reminders, emails, expiries).
func actedByPerson(actor string) bool {
	return strings.Contains(actor, ":") || actor == "service"
}

// recordEventSQL appends an event unless its cause is logged already or
// it is another run's ($22); only then, in the same statement, it updates
// the read model, counts a handover ($24) and writes the audit entry of an
// action a person caused ($19). It answers whether it appended and whether
// it refused the event as another run's. Why one statement, and the audit
// guarantee it gives: docs/design/event-log.md.
const recordEventSQL = `
	WITH foreign_run AS (
		SELECT 1 FROM trajectories
		WHERE id = $1 AND $22 <> '' AND first_run_id IS NOT NULL AND first_run_id <> $22
	), ev AS (
		INSERT INTO trajectory_events AS e (trajectory_id, seq, cause, kind, actor, at, detail, sealed_detail)
		SELECT $1, $2, $20, $3, $4, $5, $6, $7
		WHERE NOT EXISTS (SELECT 1 FROM foreign_run)
			AND NOT ($21 AND EXISTS (SELECT 1 FROM trajectory_events WHERE trajectory_id = $1 AND seq = $2))
			AND NOT ($25 <> $20 AND EXISTS (SELECT 1 FROM trajectory_events WHERE trajectory_id = $1 AND cause = $25))
		ON CONFLICT (trajectory_id, cause) DO NOTHING
		RETURNING seq
	), rm AS (
		INSERT INTO trajectories AS t (id, programme_id, referrer_org, phase, coach_id, next_step,
			next_due_at, escalated, close_reason, referred_at, updated_at, version, email_failed, co_workers,
			first_run_id, previous_trajectory_id)
		SELECT $1, $8, $9, $10, nullif($11, ''), nullif($12, ''), $13, $14, nullif($15, ''), $16, $5, $2, $17, $18,
			nullif($22, ''), nullif($23, '')
		WHERE EXISTS (SELECT 1 FROM ev)
		ON CONFLICT (id) DO UPDATE SET
			programme_id = excluded.programme_id,
			referrer_org = excluded.referrer_org,
			phase        = excluded.phase,
			coach_id     = excluded.coach_id,
			next_step    = excluded.next_step,
			next_due_at  = excluded.next_due_at,
			escalated    = excluded.escalated,
			close_reason = excluded.close_reason,
			referred_at  = excluded.referred_at,
			updated_at   = excluded.updated_at,
			version      = excluded.version,
			email_failed = excluded.email_failed,
			co_workers   = excluded.co_workers,
			first_run_id = coalesce(t.first_run_id, excluded.first_run_id),
			previous_trajectory_id = coalesce(t.previous_trajectory_id, excluded.previous_trajectory_id)
		WHERE NOT t.erased AND (t.version, t.updated_at) < (excluded.version, excluded.updated_at)
		RETURNING 1
	), hc AS (
		INSERT INTO handover_counts AS h (programme_id, month, service, made, acknowledged)
		SELECT $8, date_trunc('month', $5::timestamptz AT TIME ZONE 'UTC')::date, $24,
			($3 = 'handover_requested')::int, ($3 = 'handover_acknowledged')::int
		WHERE $24 <> '' AND EXISTS (SELECT 1 FROM ev)
		ON CONFLICT (programme_id, month, service) DO UPDATE SET
			made = h.made + excluded.made, acknowledged = h.acknowledged + excluded.acknowledged
		RETURNING 1
	), au AS (
		INSERT INTO audit_log (actor, action, trajectory_id, outcome, detail)
		SELECT $4, 'event:' || $3, $1, 'ok', jsonb_build_object('seq', $2::text, 'source', 'event')
		WHERE $19 AND EXISTS (SELECT 1 FROM ev)
		RETURNING 1
	)
	SELECT EXISTS (SELECT 1 FROM ev), EXISTS (SELECT 1 FROM foreign_run)`

// checkEvent refuses an event that would leave a hole in the log or the
// read model; such an event is a bug in the caller.
func checkEvent(e trajectory.Event) error {
	var missing string
	switch {
	case e.TrajectoryID == "":
		missing = "trajectory id"
	case e.Seq <= 0:
		missing = "seq (from 1)"
	case e.Kind == "":
		missing = "kind"
	case e.At.IsZero():
		missing = "time"
	case e.Summary.ProgrammeID == "":
		missing = "summary programme"
	case e.Summary.Phase == "":
		missing = "summary phase"
	case e.Summary.ReferredAt.IsZero():
		missing = "summary referred_at"
	default:
		return nil
	}
	return fmt.Errorf("%w %d (%s) of %q: no %s", ErrInvalidEvent, e.Seq, e.Kind, e.TrajectoryID, missing)
}

// TrajectoryAccess reads only what decides who may see a trajectory: its
// programme, coach and co-workers, and who works on the trajectories that
// follow it; an error wrapping ErrNotFound if unknown. Checking access with it before Trajectory makes "not yours" as
// cheap as "not there": neither unwraps a key nor decrypts anything, so the
// time of a 404 does not tell which it was.
func (s *Store) TrajectoryAccess(ctx context.Context, id string) (TrajectorySummary, error) {
	t := TrajectorySummary{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT programme_id, coalesce(coach_id, ''), co_workers,
			coalesce((SELECT array_agg(r) FROM trajectories n, unnest(array_append(n.co_workers, n.coach_id)) r
				WHERE n.previous_trajectory_id = t.id AND r IS NOT NULL), '{}')
		FROM trajectories t WHERE id = $1`, id).
		Scan(&t.ProgrammeID, &t.CoachID, &t.CoWorkers, &t.ReadBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return TrajectorySummary{}, fmt.Errorf("trajectory %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return TrajectorySummary{}, fmt.Errorf("read access of trajectory %s: %w", id, err)
	}
	return t, nil
}

// Trajectory returns one trajectory with its events in order, or an error
// wrapping ErrNotFound. Row and events are read from one snapshot, so the
// events are exactly those the row reflects (plus any late older ones).
func (s *Store) Trajectory(ctx context.Context, id string) (Trajectory, error) {
	var t Trajectory
	var sealed []byte
	var sealedEvents [][]byte
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// due and born are in clear columns only for trajectories the
		// store has not sealed (see migration 0015); personal and the
		// birth event hold them otherwise.
		var due, born *time.Time
		targets := append(t.summaryTargets(), &t.ReferrerReference, &t.Family, &t.Reason, &due, &born, &t.Children, &t.ConsultationID,
			&t.PreviousTrajectoryID, &sealed)
		err := tx.QueryRow(ctx, `SELECT `+summaryColumns+`, coalesce(referrer_reference, ''), family, coalesce(reason, ''),
			expected_due_date, born_on, children, coalesce(consultation_id, ''), coalesce(previous_trajectory_id, ''), personal
			FROM trajectories WHERE id = $1`, id).Scan(targets...)
		if due != nil {
			t.ExpectedDueDate = &trajectory.Date{Time: due.UTC()}
		}
		if born != nil {
			t.BornOn = &trajectory.Date{Time: born.UTC()}
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT seq, kind, actor, at, detail, sealed_detail FROM trajectory_events
			WHERE trajectory_id = $1 ORDER BY seq, pos`, id)
		if err != nil {
			return err
		}
		t.Events, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (EventRow, error) {
			var e EventRow
			var se []byte
			err := row.Scan(&e.Seq, &e.Kind, &e.Actor, &e.At, &e.Detail, &se)
			sealedEvents = append(sealedEvents, se)
			if len(e.Detail) == 0 {
				e.Detail = nil
			}
			return e, err
		})
		return err
	})
	if err == nil {
		err = s.unsealTrajectory(ctx, &t, sealed, sealedEvents)
	}
	if err != nil {
		return Trajectory{}, fmt.Errorf("trajectory %s: %w", id, err)
	}
	if born := bornOn(t.Events); born != nil {
		t.BornOn = born
	}
	return t, nil
}

// bornOn is the birth date the log's birth event records, if it is
// readable (nil after an erasure).
func bornOn(events []EventRow) *trajectory.Date {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind != trajectory.EventBirthRecorded {
			continue
		}
		if d, err := trajectory.ParseDate(events[i].Detail["born_on"]); err == nil {
			return &d
		}
	}
	return nil
}

// Referred is what a referral sent again is answered with: the
// trajectory's programme, referring organisation and phase as elkgezin
// records them, whether or not Temporal still holds its workflow.
type Referred struct {
	ProgrammeID string
	ReferrerOrg string
	Phase       trajectory.Phase
}

// ReferredTrajectory reads what Referred holds of the trajectory id, or an
// error wrapping ErrNotFound if elkgezin never recorded it.
func (s *Store) ReferredTrajectory(ctx context.Context, id string) (Referred, error) {
	var r Referred
	err := s.pool.QueryRow(ctx, `SELECT programme_id, referrer_org, phase FROM trajectories WHERE id = $1`, id).
		Scan(&r.ProgrammeID, &r.ReferrerOrg, &r.Phase)
	if errors.Is(err, pgx.ErrNoRows) {
		return Referred{}, fmt.Errorf("trajectory %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Referred{}, fmt.Errorf("read trajectory %s: %w", id, err)
	}
	return r, nil
}

// CountEvents counts a trajectory's events of one kind, or of every kind
// when kind is "". Tests use it to check that retries logged nothing twice.
func (s *Store) CountEvents(ctx context.Context, trajectoryID, kind string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM trajectory_events
		WHERE trajectory_id = $1 AND ($2 = '' OR kind = $2)`, trajectoryID, kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count events of %s: %w", trajectoryID, err)
	}
	return n, nil
}
