package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/trajectory"
)

// SuppressBelow: a count from 1 to SuppressBelow-1 could point at a family,
// so reports suppress it, and a median or share computed from so few; and
// then whatever would give it back by arithmetic (report_protect.go).
const SuppressBelow = 5

// Suppressed is how CSV writes a suppressed figure (JSON writes null): the
// same for a small count and for a larger one suppressed beside it, so
// that neither says which it is.
const Suppressed = "suppressed"

// Count is a number of families or steps in a report; Suppressed when it
// is small enough to point at a family, or would give such a count back.
type Count struct {
	N          int
	Suppressed bool
}

func count(n int) Count { return Count{N: n, Suppressed: n > 0 && n < SuppressBelow} }

// MarshalJSON writes the number, or null when suppressed.
func (c Count) MarshalJSON() ([]byte, error) {
	if c.Suppressed {
		return []byte("null"), nil
	}
	return json.Marshal(c.N)
}

func (c Count) String() string {
	if c.Suppressed {
		return Suppressed
	}
	return fmt.Sprint(c.N)
}

// Bucket is a count by a key: a referring organisation, a closure reason,
// a milestone.
type Bucket struct {
	Key   string `json:"key"`
	Count Count  `json:"count"`
}

// Durations are the days from the referral to a step, over the
// trajectories that reached it: median and 90th percentile, nil when
// fewer than SuppressBelow trajectories reached it.
type Durations struct {
	Count     Count    `json:"count"`
	MedianDay *float64 `json:"median_days"`
	P90Day    *float64 `json:"p90_days"`
}

// Share is part of a whole; Value is nil unless both are published (a
// share beside a published whole gives its part back).
type Share struct {
	Part  Count    `json:"part"`
	Whole Count    `json:"whole"`
	Value *float64 `json:"share"`
}

func share(part, whole int) Share { return Share{Part: count(part), Whole: count(whole)} }

// publish sets the share's value once its part and whole are final.
func (s *Share) publish() {
	s.Value = nil
	if s.Whole.N > 0 && !s.Part.Suppressed && !s.Whole.Suppressed {
		v := round2(float64(s.Part.N) / float64(s.Whole.N))
		s.Value = &v
	}
}

// ServiceHandovers are the handovers to one regular service.
type ServiceHandovers struct {
	Service      string `json:"service"`
	Made         Count  `json:"made"`
	Acknowledged Count  `json:"acknowledged"`
}

// ProgrammeReport is what one programme achieved in a period, without
// personal data and without counts small enough to point at a family.
//
// Figures about families (referred, time to coach and intake, perinatal
// follow-up) are over the trajectories referred in the period; figures
// about work (visits, steps, handovers, closures, milestones, activities)
// count what happened in the period. All come from the read model and the
// event log in PostgreSQL.
type ProgrammeReport struct {
	ProgrammeID string `json:"programme"`
	// From and To are the period's instants, [From, To); the answer says
	// its days as they were asked (MarshalJSON).
	From       time.Time `json:"-"`
	To         time.Time `json:"-"`
	Referred   Count     `json:"referred"`
	ReferredBy []Bucket  `json:"referred_by"`
	// FromConsultation: referrals that followed an anonymous consultation.
	FromConsultation Count     `json:"referred_from_consultation"`
	ToCoach          Durations `json:"referral_to_coach"`
	ToIntake         Durations `json:"referral_to_intake"`
	// VisitsDone are intakes and home visits done; VisitsPlanned the
	// intakes done plus the visits that fell due (before any closure).
	VisitsDone    Count `json:"visits_done"`
	VisitsPlanned Count `json:"visits_planned"`
	// Steps done in the period (assignment, intake, visits, birth,
	// milestones): the share done after their due instant, and the share
	// for which the supervisor was alerted.
	StepsLate      Share              `json:"steps_late"`
	StepsEscalated Share              `json:"steps_escalated"`
	Handovers      []ServiceHandovers `json:"handovers"`
	ClosureReasons []Bucket           `json:"closure_reasons"`
	// FollowedToFollowUpAge: of the children born in trajectories referred
	// in the period who reached the programme's follow-up age
	// (FollowUpMonths, its perinatal.follow_up_months) by its end, those
	// whose trajectory was still open then. Nil when the programme has no
	// perinatal follow-up or no birth was recorded.
	FollowedToFollowUpAge *Share   `json:"followed_to_follow_up_age,omitempty"`
	FollowUpMonths        int      `json:"follow_up_months,omitempty"`
	Milestones            []Bucket `json:"milestones_reached"`
	ActivitiesAttended    Count    `json:"activities_attended"`
	Consultations         Count    `json:"consultations"`
	// PlanAgreed: of the families referred in the period, those whose
	// family plan was agreed with them by its end.
	PlanAgreed Share `json:"plan_agreed"`
	// Goals are the plans' goals set and reached in the period per life
	// domain (report_plan.go).
	Goals []DomainGoals `json:"goals"`
}

// FollowUpAges are the follow-up ages, in months, of the programmes with
// a perinatal follow-up, by programme id (programme.Catalogue.FollowUpAges).
type FollowUpAges map[string]int

// Report computes a report per programme (programmeIDs nil: every
// programme with a trajectory or consultation in the store) over the
// period, which must be a quarter or a year that has ended (ReportPeriod);
// the children born are counted at each programme's follow-up age in ages.
// Where the period ends with its year, the reports of the year and of its
// quarters are computed and protected together (report_hierarchy.go).
func (s *Store) Report(ctx context.Context, programmeIDs []string, p Period, ages FollowUpAges) ([]ProgrammeReport, error) {
	if e := p.problems(time.Now()); len(e) > 0 {
		return nil, e
	}
	periods := p.joint()
	asked := slices.IndexFunc(periods, func(q Period) bool { return q.From.Equal(p.From) && q.To.Equal(p.To) })
	var reports []ProgrammeReport
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		ids := programmeIDs
		if ids == nil {
			rows, err := tx.Query(ctx, `SELECT programme_id FROM trajectories UNION SELECT programme_id FROM consultations ORDER BY 1`)
			if err != nil {
				return err
			}
			if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return err
			}
		}
		for _, id := range ids {
			joint := make([]*ProgrammeReport, len(periods))
			for i, q := range periods {
				joint[i] = &ProgrammeReport{ProgrammeID: id, From: q.From, To: q.To, FollowUpMonths: ages[id]}
				if err := fillReport(ctx, tx, joint[i]); err != nil {
					return fmt.Errorf("programme %s, %s to %s: %w", id, q.From.Format(time.DateOnly), q.last(), err)
				}
			}
			protectReports(joint)
			reports = append(reports, *joint[asked])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report %s to %s: %w", p.From.Format(time.DateOnly), p.last(), err)
	}
	return reports, nil
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// buckets turns counts by key into buckets ordered by key.
func buckets(m map[string]int) []Bucket {
	out := []Bucket{}
	for k, n := range m {
		out = append(out, Bucket{Key: k, Count: count(n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// FirstDay is the period's first day, as `from` asks for it.
func (r ProgrammeReport) FirstDay() trajectory.Date { return trajectory.DateOf(r.From) }

// LastDay is the period's last day, as `to` asks for it (included): the
// day before the period's exclusive end.
func (r ProgrammeReport) LastDay() trajectory.Date { return trajectory.DateOf(r.To.AddDate(0, 0, -1)) }

// MarshalJSON writes the report with its period as the dates it was
// asked for (YYYY-MM-DD, both included), first.
func (r ProgrammeReport) MarshalJSON() ([]byte, error) {
	type fields ProgrammeReport // without this method
	return json.Marshal(struct {
		ProgrammeID string          `json:"programme"`
		From        trajectory.Date `json:"from"`
		To          trajectory.Date `json:"to"`
		fields
	}{r.ProgrammeID, r.FirstDay(), r.LastDay(), fields(r)})
}
