package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestUndeliverableEmailHoldsUpNothingElse: the service's mail server
// answers "try later" (451) to the handover for longer than the
// programme's delivery limit. Meanwhile the next visit's reminder and its
// alert fall due: they go out at their exact instants, not after the
// handover's retries. At the limit the handover is given up, recorded as
// email_failed (EmailNotDelivered) and reported to the supervisor, and
// held for the coach to correct.
func TestUndeliverableEmailHoldsUpNothingElse(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	// Short, so that it passes within the test environment's ten attempts.
	limit := 10 * time.Minute
	p.EmailDeliveryLimit = programme.Duration(limit)
	r := newRun(t, p)
	coach := p.Coaches[0].ID
	r.sink.RejectRecipient(cawService.Email, 451)
	visitDue := t0.Add(5 * day)
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: visitDue})
	// The handover's retries run from before the reminder's instant (day 3)
	// to after it.
	handedOver := 3*day - 5*time.Minute
	r.at(handedOver, trajectory.UpdateHandOver, trajectory.HandOver{Service: cawService, Reason: "debt counselling",
		Consent: trajectory.Consent{Given: true, RecordedOn: trajectory.DateOf(t0), Shares: []string{}}})
	r.at(9*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached})
	r.execute(referral(p))

	// The last attempt that fits in the limit: 2 s, doubling, at most 5 min apart.
	gaveUp := t0.Add(handedOver + (2+4+8+16+32+64+128+256)*time.Second)
	r.assertSent(
		r.assigned(coach, "intake", t0.Add(1*day)),
		// Due while the handover is being retried: on time.
		sent{Key: "home_visit-1/reminder", To: r.coachEmail(coach), At: visitDue.Add(-p.ReminderLead.Std())},
		sent{Key: "handover_ack-1/email_failed", To: p.SupervisorEmail, At: gaveUp},
		sent{Key: "home_visit-1/alert", To: p.SupervisorEmail, At: visitDue.Add(p.AlertGrace.Std())},
	)
	if gaveUp.After(t0.Add(handedOver + limit)) {
		t.Fatalf("the test's instant %v lies past the limit", gaveUp)
	}
	var failed []trajectory.Event
	for _, e := range r.events {
		if e.Kind == trajectory.EventEmailFailed {
			failed = append(failed, e)
		}
	}
	if len(failed) != 1 || failed[0].Detail["reason"] != trajectory.EmailNotDelivered || failed[0].Detail["kind"] != string(trajectory.HandoverNotice) ||
		!failed[0].At.Equal(gaveUp) {
		t.Errorf("email_failed events %+v, want the handover's, not delivered, at the limit", failed)
	}
	h := r.finalState().Handovers[0]
	if !h.Failed || !h.SentAt.IsZero() {
		t.Errorf("handover %+v, want it failed and held for the coach", h)
	}
	if s := r.finalState(); !s.EmailFailed || !slices.ContainsFunc(s.EmailFailures, func(f trajectory.EmailFailure) bool {
		return f.Reason == trajectory.EmailNotDelivered && f.To == "service:caw"
	}) {
		t.Errorf("state %+v, want the failure shown to supervisors", s.EmailFailures)
	}
}
