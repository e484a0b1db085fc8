package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"elkgezin/trajectory"
)

// TestEventOfALostWorkflowTaskIsSuperseded: a workflow task wrote event 3
// (a coach's visit) and was lost with its worker; its retry handled the
// birth first, as event 3, and the visit as event 4. The log ends with
// the retry's events once each, the read model is the retry's, the birth's
// child is stored once, and a late write of the lost task changes nothing.
func TestEventOfALostWorkflowTaskIsSuperseded(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	at := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Microsecond)
	referred := referredEvent("p1", "cpas", "ref-lost", at)
	assigned := nextEvent(referred, trajectory.EventCoachAssigned, func(sum *trajectory.Summary) {
		sum.Phase, sum.CoachID = trajectory.PhaseCoachAssigned, "an"
	})
	assigned.Actor = "supervisor:sup"
	lostVisit := nextEvent(assigned, trajectory.EventVisitDone, func(sum *trajectory.Summary) { sum.NextStep = "lost" })
	lostVisit.Detail = map[string]string{"note": "the lost task's"}
	lostBirth := nextEvent(lostVisit, trajectory.EventBirthRecorded, func(sum *trajectory.Summary) { sum.Phase = trajectory.PhasePostnatal })
	lostBirth.Detail = map[string]string{"born_on": "2026-11-20", "name": "Baby"}
	lostBirth.At = lostVisit.At // one workflow task: one time

	// The retry started later, so its events carry a later time.
	birth := lostBirth
	birth.Seq, birth.At, birth.Actor = 3, lostVisit.At.Add(time.Minute), "coach:an"
	visit := lostVisit
	visit.Seq, visit.At = 4, birth.At
	visit.Summary.Phase, visit.Summary.NextStep = trajectory.PhasePostnatal, "home_visit-2"
	visit.Detail = map[string]string{"note": "the retry's"}

	record(t, s, referred, assigned, lostVisit, lostBirth)
	record(t, s, birth, visit)
	record(t, s, birth, visit) // retried writes of the retry's events
	record(t, s, lostVisit)    // a stalled worker's late write

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
		"4 home_visit_done coach:an the retry's",
	}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Errorf("event log\n%q\nwant\n%q", log, want)
	}
	if !got.Events[2].At.Equal(birth.At) {
		t.Errorf("event 3 at %v, want the retry's %v", got.Events[2].At, birth.At)
	}
	if got.Phase != trajectory.PhasePostnatal || got.NextStep != "home_visit-2" || !got.UpdatedAt.Equal(visit.At) {
		t.Errorf("read model is not the retry's last event: %+v", got.TrajectorySummary)
	}
	if len(got.Children) != 1 || got.Children[0].Name != "Baby" {
		t.Errorf("children %+v, want the baby once", got.Children)
	}

	// The audit log keeps the lost task's entries (those writes happened)
	// and adds the retry's actions under their numbers, each once.
	entries, err := s.AuditEntries(t.Context(), referred.TrajectoryID, 0)
	if err != nil {
		t.Fatal(err)
	}
	audit := eventAuditLines(entries)
	wantAudit := []string{
		"partner:cpas event:referred 1",
		"supervisor:sup event:coach_assigned 2",
		"coach:an event:home_visit_done 3",
		"coach:an event:birth_recorded 4",
		"coach:an event:birth_recorded 3",
		"coach:an event:home_visit_done 4",
	}
	if fmt.Sprint(audit) != fmt.Sprint(wantAudit) {
		t.Errorf("audit log\n%q\nwant\n%q", audit, wantAudit)
	}
}

// TestReferralOfALostWorkflowTaskIsStoredOnce: the first workflow task was
// lost after it wrote the referral; its retry writes it again, later. The
// referral's children are stored once.
func TestReferralOfALostWorkflowTaskIsStoredOnce(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	lost := referredEvent("p1", "cpas", "ref-lost-first", time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond))
	lost.Referral.Children = []trajectory.Child{{Name: "Older", BirthDate: trajectory.DateOf(time.Date(2023, 6, 15, 0, 0, 0, 0, time.UTC))}}
	retry := lost
	retry.At = lost.At.Add(10 * time.Second)
	record(t, s, lost, retry)
	got, err := s.Trajectory(t.Context(), lost.TrajectoryID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 || !got.Events[0].At.Equal(retry.At) {
		t.Errorf("events %+v, want the retry's referral", got.Events)
	}
	if len(got.Children) != 1 || got.ReferrerReference != "ref-lost-first" {
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
