package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestEventIsWrittenOncePerCause: the API writes a step's event from the
// Update's answer and the workflow's activity writes it again, perhaps
// after a retry: the log holds it once, as first written, with its audit
// entry once; the birth's child is stored once. An event of another cause
// under the same number (only events from before causes can meet one) is
// kept beside it, never written over.
func TestEventIsWrittenOncePerCause(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	at := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Microsecond)
	referred := referredEvent("p1", "cpas", "ref-cause", at)
	assigned := nextEvent(referred, trajectory.EventCoachAssigned, func(sum *trajectory.Summary) {
		sum.Phase, sum.CoachID = trajectory.PhaseCoachAssigned, "an"
	})
	assigned.Actor = "supervisor:sup"
	birth := nextEvent(assigned, trajectory.EventBirthRecorded, func(sum *trajectory.Summary) { sum.Phase = trajectory.PhasePostnatal })
	birth.Detail = map[string]string{"born_on": "2026-11-20", "name": "Baby"}
	visit := nextEvent(birth, trajectory.EventVisitDone, func(sum *trajectory.Summary) { sum.NextStep = "home_visit-2" })
	visit.Detail = map[string]string{"note": "first"}

	record(t, s, referred, assigned, birth, visit)
	again := visit
	again.At, again.Detail = visit.At.Add(time.Minute), map[string]string{"note": "a retried write"}
	if refused, err := s.RecordEvents(t.Context(), []trajectory.Event{birth, again}); err != nil || len(refused) > 0 {
		t.Fatalf("RecordEvents: refused %v, %v", refused, err)
	}
	other := visit
	other.Cause, other.Kind, other.Detail = "reminder_sent/email/k", trajectory.EventReminderSent, nil
	record(t, s, other)

	got, err := s.Trajectory(t.Context(), referred.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	for _, e := range got.Events {
		log = append(log, fmt.Sprintf("%d %s %s %s", e.Seq, e.Kind, e.Actor, e.Detail["note"]))
	}
	want := []string{
		"1 referred partner:cpas ",
		"2 coach_assigned supervisor:sup ",
		"3 birth_recorded coach:an ",
		"4 home_visit_done coach:an first",
		"4 reminder_sent coach:an ",
	}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Errorf("event log\n%q\nwant\n%q", log, want)
	}
	if !got.Events[3].At.Equal(visit.At) {
		t.Errorf("visit at %v, want the first write's %v", got.Events[3].At, visit.At)
	}
	if len(got.Children) != 1 || got.Children[0].Name != "Baby" {
		t.Errorf("children %+v, want the baby once", got.Children)
	}
	entries, err := s.AuditEntries(t.Context(), referred.TrajectoryID, 0)
	if err != nil {
		t.Fatal(err)
	}
	audit := eventAuditLines(entries)
	wantAudit := []string{
		"partner:cpas event:referred 1",
		"supervisor:sup event:coach_assigned 2",
		"coach:an event:birth_recorded 3",
		"coach:an event:home_visit_done 4",
		"coach:an event:reminder_sent 4",
	}
	if fmt.Sprint(audit) != fmt.Sprint(wantAudit) {
		t.Errorf("audit log\n%q\nwant\n%q", audit, wantAudit)
	}
}

// TestEventOfAnotherRunIsRefused: a workflow started again under the id of
// a trajectory Temporal no longer holds numbers its events from the start;
// none of them enters the log, and the read model stays the trajectory's.
func TestEventOfAnotherRunIsRefused(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	at := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Microsecond)
	referred := referredEvent("p1", "cpas", "ref-run", at)
	referred.FirstRunID = "run-1"
	closed := nextEvent(referred, trajectory.EventClosed, func(sum *trajectory.Summary) { sum.Phase = trajectory.PhaseClosed })
	closed.FirstRunID = "run-1"
	record(t, s, referred, closed)

	stranger := nextEvent(referred, trajectory.EventCoachAssigned, func(sum *trajectory.Summary) { sum.Phase = trajectory.PhaseCoachAssigned })
	stranger.FirstRunID, stranger.At = "run-2", closed.At.Add(time.Hour)
	if err := s.RecordEvent(t.Context(), stranger); !errors.Is(err, ErrForeignRun) || !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("RecordEvent of another run: %v, want ErrForeignRun", err)
	}
	refused, err := s.RecordEvents(t.Context(), []trajectory.Event{stranger})
	if err != nil || len(refused) != 1 || !errors.Is(refused[0], ErrForeignRun) {
		t.Errorf("RecordEvents of another run: refused %v, %v; want it refused", refused, err)
	}
	got, err := s.Trajectory(t.Context(), referred.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 2 || got.Phase != trajectory.PhaseClosed {
		t.Errorf("log %+v, phase %s; want the closed trajectory's two events", got.Events, got.Phase)
	}
}

// TestEventFromBeforeCausesIsWrittenOnce: an activity scheduled by a
// workflow older than causes, retried now, names its event by number only:
// a second write of that number changes nothing.
func TestEventFromBeforeCausesIsWrittenOnce(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	referred := referredEvent("p1", "cpas", "ref-old", time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond))
	old := nextEvent(referred, trajectory.EventCoachAssigned, nil)
	old.Cause = ""
	record(t, s, referred, old, old)
	if n, err := s.CountEvents(t.Context(), referred.TrajectoryID, trajectory.EventCoachAssigned); err != nil || n != 1 {
		t.Errorf("CountEvents = %d, %v; want 1", n, err)
	}
}

// TestReferralWrittenTwiceIsStoredOnce: the API lists the referral and the
// workflow's first task writes it again (a retried first task too): the
// referral's children are stored once, with the first write's time.
func TestReferralWrittenTwiceIsStoredOnce(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	first := referredEvent("p1", "cpas", "ref-twice", time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond))
	first.Referral.Children = []trajectory.Child{{Name: "Older", BirthDate: trajectory.DateOf(time.Date(2023, 6, 15, 0, 0, 0, 0, time.UTC))}}
	second := first
	second.At = first.At.Add(10 * time.Second)
	record(t, s, first, second)
	got, err := s.Trajectory(t.Context(), first.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 || !got.Events[0].At.Equal(first.At) {
		t.Errorf("events %+v, want the first referral's", got.Events)
	}
	if len(got.Children) != 1 || got.ReferrerReference != "ref-twice" {
		t.Errorf("children %+v, reference %q: want the referral's once", got.Children, got.ReferrerReference)
	}
}

// TestReferralSentAgainChangesNothing: the API lists a referral before the
// workflow writes it; the same referral sent again days later is answered
// from the log, whose referred event keeps its time. Only a referral is
// listed this way.
func TestReferralSentAgainChangesNothing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	listed := referredEvent("p1", "cpas", "ref-again", time.Now().Add(-72*time.Hour).UTC().Truncate(time.Microsecond))
	if err := s.ListReferral(t.Context(), listed); err != nil {
		t.Fatal(err)
	}
	again := listed
	again.At = listed.At.Add(72 * time.Hour)
	again.Summary.ReferredAt = again.At
	if err := s.ListReferral(t.Context(), again); err != nil {
		t.Fatal(err)
	}
	got, err := s.Trajectory(t.Context(), listed.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 || !got.Events[0].At.Equal(listed.At) || !got.ReferredAt.Equal(listed.At) {
		t.Errorf("referred at %v (event %+v), want the first listing's %v", got.ReferredAt, got.Events, listed.At)
	}
	visit := nextEvent(listed, trajectory.EventVisitDone, nil)
	if err := s.ListReferral(t.Context(), visit); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("ListReferral of a visit: %v, want ErrInvalidEvent", err)
	}
}
