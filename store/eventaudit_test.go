package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestEventsAuditTheirActions: an event a person caused appends the
// action's audit entry in the same statement, exactly once however often
// the event is written again; elkgezin's own events append none.
func TestEventsAuditTheirActions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ref := referredEvent("test-seconds", "test-partner", "AUDIT-1", time.Now().UTC().Truncate(time.Microsecond))
	assigned := nextEvent(ref, trajectory.EventCoachAssigned, func(sum *trajectory.Summary) { sum.CoachID = "an" })
	assigned.Actor = "supervisor:sup"
	visit := nextEvent(assigned, trajectory.EventVisitDone, nil)
	reminder := nextEvent(visit, trajectory.EventReminderSent, nil)
	reminder.Actor = "elkgezin"
	ack := nextEvent(reminder, trajectory.EventHandoverAcknowledged, nil)
	ack.Actor = "service"
	// Written twice each, as a retried activity and the API both do.
	record(t, s, ref, ref, assigned, visit, visit, reminder, ack, assigned)

	entries, err := s.AuditEntries(t.Context(), ref.TrajectoryID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Outcome != OutcomeOK || e.Detail["source"] != "event" {
			t.Errorf("entry %+v", e)
		}
	}
	got := eventAuditLines(entries)
	want := []string{
		"partner:test-partner event:referred 1",
		"supervisor:sup event:coach_assigned 2",
		"coach:an event:home_visit_done 3",
		"service event:handover_acknowledged 5",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit log\n%q\nwant\n%q", got, want)
	}
}

// eventAuditLines writes the event entries of a trajectory's audit log
// (newest first, as AuditEntries gives them) oldest first, one
// "actor action seq" each.
func eventAuditLines(entries []AuditEntry) []string {
	var lines []string
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		lines = append(lines, fmt.Sprintf("%s %s %s", e.Actor, e.Action, e.Detail["seq"]))
	}
	return lines
}
