package store

import (
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/webhook"
)

// TestReferralStatusFollowsTheLog: the status is the phase's, its instant
// the first event of that status (a reassignment changes neither), and
// the reference is opened from the sealed personal data.
func TestReferralStatusFollowsTheLog(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	referred := referredEvent("p1", "police", "PV-77", at)
	id := referred.TrajectoryID
	want := func(status string, changed time.Time) {
		t.Helper()
		got, err := s.ReferralStatus(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status || !got.StatusChangedAt.Equal(changed) || got.StatusChangedAt.Location() != time.UTC ||
			got.Reference != "PV-77" || got.ProgrammeID != "p1" || got.ReferrerOrg != "police" {
			t.Errorf("status %+v, want %s at %s", got, status, changed)
		}
	}
	if err := s.RecordEvent(ctx, referred); err != nil {
		t.Fatal(err)
	}
	want(webhook.StatusReceived, at)
	assigned := nextEvent(referred, trajectory.EventCoachAssigned, func(m *trajectory.Summary) {
		m.Phase, m.CoachID = trajectory.PhaseCoachAssigned, "an"
	})
	reassigned := nextEvent(assigned, trajectory.EventCoachAssigned, func(m *trajectory.Summary) { m.CoachID = "bo" })
	for _, e := range []trajectory.Event{assigned, reassigned} {
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	want(webhook.StatusCoachAssigned, assigned.At)
	intake := nextEvent(reassigned, trajectory.EventIntakeDone, func(m *trajectory.Summary) { m.Phase = trajectory.PhaseIntakeDone })
	if err := s.RecordEvent(ctx, intake); err != nil {
		t.Fatal(err)
	}
	want(webhook.StatusInSupport, intake.At)
	closed := nextEvent(intake, trajectory.EventClosed, func(m *trajectory.Summary) { m.Phase = trajectory.PhaseClosed })
	if err := s.RecordEvent(ctx, closed); err != nil {
		t.Fatal(err)
	}
	want(webhook.StatusClosed, closed.At)

	if _, err := s.Erase(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReferralStatus(ctx, id); err != nil || got.Reference != "" || got.Status != webhook.StatusClosed {
		t.Errorf("after erasure: %+v, %v", got, err)
	}
	if _, err := s.ReferralStatus(ctx, "tr-unknown"); err == nil {
		t.Error("an unknown referral has a status")
	}
}

// TestWebhookDeliveryLog: each attempt counts until one is answered 2xx;
// after that nothing is posted again.
func TestWebhookDeliveryLog(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	e := webhook.NewEvent("tr-1", webhook.StatusClosed, time.Now())
	for i, code := range []int{500, 0, 204} {
		if delivered, err := s.BeginWebhookDelivery(ctx, e, "police"); err != nil || delivered {
			t.Fatalf("attempt %d: delivered %v, %v", i+1, delivered, err)
		}
		if err := s.EndWebhookDelivery(ctx, e.ID, code); err != nil {
			t.Fatal(err)
		}
	}
	if delivered, err := s.BeginWebhookDelivery(ctx, e, "police"); err != nil || !delivered {
		t.Fatalf("after a 204: delivered %v, %v", delivered, err)
	}
	log, err := s.WebhookDeliveries(ctx, "tr-1")
	if err != nil || len(log) != 1 {
		t.Fatalf("%v %v", log, err)
	}
	if d := log[0]; d.Attempts != 3 || d.LastStatusCode != 204 || d.DeliveredAt == nil || d.Status != webhook.StatusClosed || d.Organisation != "police" {
		t.Errorf("log %+v", d)
	}
}
