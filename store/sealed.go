package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// ErrNoKeys is returned when personal data is to be written or read and
// the Store was opened without programme keys (WithKeys).
var ErrNoKeys = errors.New("store: no programme keys (PROGRAMME_KEYS) to encrypt or decrypt personal data")

// WithKeys returns a Store on the same pool that seals personal fields
// under each trajectory's data key (package keys), made on first use.
func (s *Store) WithKeys(pk *keys.ProgrammeKeys) *Store {
	return &Store{pool: s.pool, vault: keys.NewVault(s.pool, pk), tokens: s.tokens}
}

// Vault is the data keys of the trajectories; nil without WithKeys.
func (s *Store) Vault() *keys.Vault { return s.vault }

// personal is the read model's personal data, sealed in one column.
type personal struct {
	ReferrerReference string             `json:"referrer_reference,omitempty"`
	Family            *trajectory.Family `json:"family,omitempty"`
	Reason            string             `json:"reason,omitempty"`
	Children          []trajectory.Child `json:"children,omitempty"`
	ExpectedDueDate   *trajectory.Date   `json:"expected_due_date,omitempty"`
}

// Additional data of each sealed column: a ciphertext moved elsewhere does not open.
const aadPersonal = "trajectories.personal"

func aadEvent(seq int64) string { return "trajectory_events.detail/" + strconv.FormatInt(seq, 10) }

// eventKey is the data key that seals e's personal data, made at the
// trajectory's first event. nil (and no error) for a trajectory erased
// already: its late events are logged without their personal data.
func (s *Store) eventKey(ctx context.Context, e trajectory.Event) (*keys.DataKey, error) {
	if s.vault == nil {
		return nil, ErrNoKeys
	}
	k, err := s.vault.Ensure(ctx, e.TrajectoryID, e.Summary.ProgrammeID)
	if errors.Is(err, keys.ErrErased) {
		return nil, nil
	}
	return k, err
}

// sealDetail seals an event's detail; nil when there is none or no key.
func sealDetail(k *keys.DataKey, seq int64, detail map[string]string) ([]byte, error) {
	if k == nil || len(detail) == 0 {
		return nil, nil
	}
	plain, err := json.Marshal(detail)
	if err != nil {
		return nil, err
	}
	return k.Seal(plain, aadEvent(seq)), nil
}

// updatePersonal reads the row's sealed personal data (locked), lets
// change alter it and seals it back.
func updatePersonal(ctx context.Context, tx pgx.Tx, k *keys.DataKey, id string, change func(*personal)) error {
	if k == nil {
		return nil
	}
	var sealed []byte
	if err := tx.QueryRow(ctx, `SELECT personal FROM trajectories WHERE id = $1 FOR UPDATE`, id).Scan(&sealed); err != nil {
		return fmt.Errorf("read personal data: %w", err)
	}
	resealed, err := changePersonal(k, id, sealed, change)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE trajectories SET personal = $2 WHERE id = $1`, id, resealed); err != nil {
		return fmt.Errorf("write personal data: %w", err)
	}
	return nil
}

// changePersonal opens sealed personal data (nil: none yet), lets change
// alter it and seals it again.
func changePersonal(k *keys.DataKey, id string, sealed []byte, change func(*personal)) ([]byte, error) {
	var p personal
	if sealed != nil {
		plain, err := k.Open(sealed, aadPersonal)
		if err != nil {
			return nil, err
		}
		err = json.Unmarshal(plain, &p)
		clear(plain)
		if err != nil {
			return nil, fmt.Errorf("personal data of %s: %w", id, err)
		}
	}
	change(&p)
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	resealed := k.Seal(plain, aadPersonal)
	clear(plain)
	return resealed, nil
}

// openKey is the data key to read a trajectory's sealed data with; nil
// when it was erased (what was sealed is gone for good).
func (s *Store) openKey(ctx context.Context, id string) (*keys.DataKey, error) {
	if s.vault == nil {
		return nil, ErrNoKeys
	}
	k, err := s.vault.Key(ctx, id)
	if errors.Is(err, keys.ErrErased) {
		return nil, nil
	}
	return k, err
}

// unsealTrajectory fills t's personal fields from the sealed column, or
// marks t erased.
func (s *Store) unsealTrajectory(ctx context.Context, t *Trajectory, sealed []byte, sealedEvents [][]byte) error {
	anySealed := sealed != nil
	for _, se := range sealedEvents {
		anySealed = anySealed || se != nil
	}
	if s.vault == nil && !anySealed {
		return nil
	}
	k, err := s.openKey(ctx, t.ID)
	if errors.Is(err, keys.ErrNoKey) && !anySealed {
		return nil // written before envelope encryption: all in the clear columns
	}
	if err != nil {
		return err
	}
	if k == nil {
		t.Erased = true
		for i := range t.Events {
			t.Events[i].Detail = nil
		}
		return nil
	}
	if sealed != nil {
		plain, err := k.Open(sealed, aadPersonal)
		if err != nil {
			return err
		}
		var p personal
		err = json.Unmarshal(plain, &p)
		clear(plain)
		if err != nil {
			return fmt.Errorf("personal data of %s: %w", t.ID, err)
		}
		t.ReferrerReference, t.Family, t.Reason = p.ReferrerReference, p.Family, p.Reason
		t.Children = append(p.Children, t.Children...)
		if p.ExpectedDueDate != nil {
			t.ExpectedDueDate = p.ExpectedDueDate
		}
	}
	for i, se := range sealedEvents {
		if se == nil {
			continue
		}
		plain, err := k.Open(se, aadEvent(t.Events[i].Seq))
		if err != nil {
			return err
		}
		err = json.Unmarshal(plain, &t.Events[i].Detail)
		clear(plain)
		if err != nil {
			return fmt.Errorf("event %d of %s: %w", t.Events[i].Seq, t.ID, err)
		}
	}
	return nil
}

// The clear copy of an event's detail (the detail column) is what reports
// count without a key, also after an erasure. It holds codes (steps,
// flags, milestones, handover and visit numbers, staff ids, reasons that
// are codes) and months, never a family's dates or services: a step's due
// instant is, for a pregnancy, the due date or the birth plus a known
// delay, and a handover's service is a place the family can be found.
// Free text (notes, a closure's text, a handover's reason), names, dates
// of birth, visits and milestones and the services are in the sealed
// detail only.

// clearKeys stay as they are; so do the months of monthKeys, so that a
// detail cut twice (an erased trajectory's, see sealEvents) keeps them.
var clearKeys = []string{"step", "late", "milestone", "handover", "visit", "coach", "previous_coach", "notice",
	"step_due_month", "due_month", "next_visit_due_month", trajectory.DetailBornMonth}

// kindKeys stay as they are for these kinds only: codes here, free text
// elsewhere; and the intake's date, which the time to intake is counted
// from (a date of elkgezin's work with the family, not one the family is
// known by).
var kindKeys = map[string][]string{
	// A closure keeps the plan's goals as codes: each goal's status at
	// the end (its outcome in words is sealed).
	trajectory.EventClosed:      {"reason", trajectory.DetailGoals},
	trajectory.EventEmailFailed: {"reason", "kind"},
	trajectory.EventIntakeDone:  {"done_at"},
	// Which SMS to the family, and why one failed: codes.
	trajectory.EventSMSSent:   {"sms"},
	trajectory.EventSMSFailed: {"sms", "reason"},
	// The plan's goals and actions by id, life domain, owner and status
	// (report_plan.go); the family's words are in the plan, sealed.
	trajectory.EventPlanAgreed:    trajectory.PlanClearDetailKeys,
	trajectory.EventActionDone:    trajectory.PlanClearDetailKeys,
	trajectory.EventGoalReached:   trajectory.PlanClearDetailKeys,
	trajectory.EventGoalLetGo:     trajectory.PlanClearDetailKeys,
	trajectory.EventGoalReopened:  trajectory.PlanClearDetailKeys,
	trajectory.EventGoalsReviewed: trajectory.PlanClearDetailKeys,
}

// monthKeys are instants kept as their month (UTC, "2006-01") under
// another key: a report counts visits that fell due and alerts about a
// step by the month.
var monthKeys = map[string]string{"step_due_at": "step_due_month", "due_at": "due_month", "next_visit_due": "next_visit_due_month"}

// reportableDetail is the part of detail that stays in clear.
func reportableDetail(kind string, detail map[string]string) map[string]string {
	clear := map[string]string{}
	for k, v := range detail {
		switch {
		case slices.Contains(clearKeys, k) || slices.Contains(kindKeys[kind], k):
			clear[k] = v
		case k == "to":
			// A recipient is staff (an id) or a service, which is kept
			// as its role only.
			if role, _, _ := strings.Cut(v, ":"); role == string(trajectory.RoleService) {
				v = role
			}
			clear[k] = v
		case monthKeys[k] != "":
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				clear[monthKeys[k]] = t.UTC().Format(monthLayout)
			}
		}
	}
	return clear
}

// monthLayout is how the clear detail writes a month.
const monthLayout = "2006-01"

// handoverService is the service of a handover event, which its
// programme's count of handovers by month and service takes; "" for
// other events.
func handoverService(e trajectory.Event) string {
	if e.Kind == trajectory.EventHandoverRequested || e.Kind == trajectory.EventHandoverAcknowledged {
		return e.Detail["service"]
	}
	return ""
}
