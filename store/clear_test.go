package store

import (
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// pregnancy records a perinatal trajectory referred at `at` with a due
// date, a handover to a service and a birth, each event's instants in
// its detail as the workflow writes them.
func pregnancy(t *testing.T, s *Store, reference string, at time.Time, due, born string) trajectory.Event {
	t.Helper()
	ref := referredEvent("p1", "org", reference, at)
	d, err := trajectory.ParseDate(due)
	if err != nil {
		t.Fatal(err)
	}
	ref.Referral.ExpectedDueDate = d
	birthStep := trajectory.MorningOf(d.AddDate(0, 0, 3)).UTC().Format(time.RFC3339)
	handover := nextEvent(ref, trajectory.EventHandoverRequested, nil)
	handover.Detail = map[string]string{"handover": "1", "service": "ocmw-sociale-dienst", "shares": "contact",
		"consent_recorded_on": born, "reason": "huur"}
	reminder := nextEvent(handover, trajectory.EventReminderSent, nil)
	reminder.Detail = map[string]string{"step": "birth", "due_at": birthStep, "to": "coach:an"}
	ack := nextEvent(reminder, trajectory.EventReminderSent, nil)
	ack.Detail = map[string]string{"step": "handover-1", "due_at": birthStep, "to": "service:ocmw-sociale-dienst"}
	birth := nextEvent(ack, trajectory.EventBirthRecorded, func(sum *trajectory.Summary) { sum.Phase = trajectory.PhasePostnatal })
	birth.Detail = map[string]string{"born_on": born, "name": "Amira", "step": "birth", "step_due_at": birthStep,
		"follow_up_end": trajectory.MorningOf(d.AddDate(0, 6, 0)).UTC().Format(time.RFC3339)}
	visit := nextEvent(birth, trajectory.EventVisitDone, nil)
	visit.Detail = map[string]string{"done_at": birthStep, "next_visit_due": birthStep, "visit": "2", "step": "home_visit-2", "step_due_at": birthStep}
	record(t, s, ref, handover, reminder, ack, birth, visit)
	return ref
}

// TestDatesAndServicesStayOutOfTheClear: the clear columns of a pregnancy
// with a birth and a handover hold no date of the family, nor the service
// it was handed over to: the read model keeps the month of birth, the
// event log codes and months; all of it reads back in full with the key.
func TestDatesAndServicesStayOutOfTheClear(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ref := pregnancy(t, s, "PREG-1", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "2027-03-14", "2027-03-09")

	raw := rawRows(t, s, ref.TrajectoryID)
	for _, secret := range []string{"2027-03-14", "2027-03-09", "2027-03-17", "20270317", "ocmw", "Amira", "huur", "2027-09-14"} {
		if strings.Contains(raw, secret) {
			t.Errorf("PostgreSQL holds %q in the clear: %s", secret, raw)
		}
	}
	var bornMonth time.Time
	var detail map[string]string
	if err := s.Pool().QueryRow(ctx, `SELECT born_month, (SELECT detail FROM trajectory_events WHERE trajectory_id = $1 AND kind = 'birth_recorded')
		FROM trajectories WHERE id = $1`, ref.TrajectoryID).Scan(&bornMonth, &detail); err != nil {
		t.Fatal(err)
	}
	if !bornMonth.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) || detail["step_due_month"] != "2027-03" || detail["step"] != "birth" || len(detail) != 2 {
		t.Errorf("clear: born_month %s, birth detail %v; want March 2027, the step and its month", bornMonth, detail)
	}
	got, err := s.Trajectory(ctx, ref.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExpectedDueDate == nil || got.ExpectedDueDate.String() != "2027-03-14" || got.BornOn == nil || got.BornOn.String() != "2027-03-09" ||
		got.Events[1].Detail["service"] != "ocmw-sociale-dienst" || got.Events[3].Detail["to"] != "service:ocmw-sociale-dienst" {
		t.Errorf("with the key: due %v, born %v, handover %v, reminder %v", got.ExpectedDueDate, got.BornOn, got.Events[1].Detail, got.Events[3].Detail)
	}
	var service string
	var month time.Time
	var made int
	if err := s.Pool().QueryRow(ctx, `SELECT service, month, made FROM handover_counts WHERE programme_id = 'p1'`).Scan(&service, &month, &made); err != nil {
		t.Fatal(err)
	}
	if service != "ocmw-sociale-dienst" || !month.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) || made != 1 {
		t.Errorf("handover counted as %s in %s: %d; want ocmw-sociale-dienst, January 2027, 1", service, month, made)
	}
	// Written again (a retried activity): counted once.
	record(t, s, ref, nextEvent(ref, trajectory.EventHandoverRequested, nil))
	if err := s.Pool().QueryRow(ctx, `SELECT made FROM handover_counts`).Scan(&made); err != nil || made != 1 {
		t.Errorf("after a repeated write: %d handovers (%v), want 1", made, err)
	}
}

func TestReportableDetailKeepsCodesAndMonths(t *testing.T) {
	detail := map[string]string{"step": "home_visit-3", "late": "true", "step_due_at": "2027-03-31T22:30:00Z",
		"due_at": "2027-04-01T07:00:00+02:00", "next_visit_due": "bad", "done_at": "2027-03-30T10:00:00Z",
		"to": "service:caw", "service": "caw", "note": "n", "reason": "r", "born_on": "2027-03-09", "shares": "contact"}
	for kind, want := range map[string]string{
		trajectory.EventVisitDone:  "late=true step=home_visit-3 step_due_month=2027-03 due_month=2027-04 to=service",
		trajectory.EventIntakeDone: "late=true step=home_visit-3 step_due_month=2027-03 due_month=2027-04 to=service done_at=2027-03-30T10:00:00Z",
		trajectory.EventClosed:     "late=true step=home_visit-3 step_due_month=2027-03 due_month=2027-04 to=service reason=r",
	} {
		got := reportableDetail(kind, detail)
		for _, kv := range strings.Fields(want) {
			k, v, _ := strings.Cut(kv, "=")
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", kind, k, got[k], v)
			}
		}
		if len(got) != len(strings.Fields(want)) {
			t.Errorf("%s: %v; want only %s", kind, got, want)
		}
	}
	if got := reportableDetail(trajectory.EventCoachAssigned, map[string]string{"to": "coach:an", "coach": "an"}); got["to"] != "coach:an" || got["coach"] != "an" {
		t.Errorf("staff ids: %v; want them kept", got)
	}
}

// TestCausesAreTaggedUnderTheDataKey: an email's cause holds the instant
// its step is due, so the log keeps a tag of it; a second write is the
// same row, and so is a write of an event the log kept under its plain
// cause before causes were tagged.
func TestCausesAreTaggedUnderTheDataKey(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ref := referredEvent("p1", "org", "CAUSE-1", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	reminder := nextEvent(ref, trajectory.EventReminderSent, nil)
	reminder.Cause = "email/" + ref.TrajectoryID + "/birth@20270317T080000Z/reminder/coach:an"
	record(t, s, ref, reminder, reminder)
	if raw := rawRows(t, s, ref.TrajectoryID); strings.Contains(raw, "20270317") || strings.Contains(raw, "birth@") {
		t.Errorf("the log holds the email's key: %s", raw)
	}
	var stored string
	if err := s.Pool().QueryRow(ctx, `SELECT cause FROM trajectory_events WHERE trajectory_id = $1 AND seq = 2`, ref.TrajectoryID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want, err := s.StoredCause(ctx, ref.TrajectoryID, reminder.Cause); err != nil || stored != want || !strings.HasPrefix(stored, "k/") {
		t.Errorf("cause %q, StoredCause %q (%v)", stored, want, err)
	}
	if c, err := s.StoredCause(ctx, ref.TrajectoryID, trajectory.CauseReferred); err != nil || c != trajectory.CauseReferred {
		t.Errorf("the referral's cause is %q (%v); want it as it is", c, err)
	}
	// Logged by a release before tags, under its plain cause: not again.
	old := nextEvent(reminder, trajectory.EventAlertSent, nil)
	if _, err := s.Pool().Exec(ctx, `INSERT INTO trajectory_events (trajectory_id, seq, cause, kind, actor, at)
		VALUES ($1, $2, $3, $4, $5, $6)`, old.TrajectoryID, old.Seq, old.Cause, old.Kind, old.Actor, old.At); err != nil {
		t.Fatal(err)
	}
	record(t, s, old)
	if n, err := s.CountEvents(ctx, ref.TrajectoryID, ""); err != nil || n != 3 {
		t.Errorf("%d events (%v); want 3, each once", n, err)
	}
}
