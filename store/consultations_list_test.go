package store

import (
	"testing"
	"time"
)

// TestListConsultations: the team's list holds the consultations of its
// programmes only, newest first; one that became a referral is listed
// without its text (the family's now, sealed under the trajectory's key).
func TestListConsultations(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	first, err := s.CreateConsultation(ctx, Consultation{ProgrammeID: "p1", RecordedBy: "coach:an", Situation: "vraag over de crèche", Advice: "loket"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConsultation(ctx, Consultation{ProgrammeID: "p2", RecordedBy: "coach:bo", Situation: "ander team", Advice: "x"}); err != nil {
		t.Fatal(err)
	}
	referred, err := s.CreateConsultation(ctx, Consultation{ProgrammeID: "p1", RecordedBy: "partner:org", Organisation: "org",
		Situation: "moeder alleen met drie kinderen", Advice: "verwijzen"})
	if err != nil {
		t.Fatal(err)
	}
	ref := referredEvent("p1", "org", "LIST-CONSULT", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	ref.Referral.ConsultationID = referred.ID
	record(t, s, ref)

	list, err := s.ListConsultations(ctx, []string{"p1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != referred.ID || list[1].ID != first.ID {
		t.Fatalf("list %+v; want the referred then the first, of p1 only", list)
	}
	if list[0].TrajectoryID != ref.TrajectoryID || list[0].Situation != "" || list[0].Advice != "" || list[0].ReferredAt == nil || list[0].Organisation != "org" {
		t.Errorf("the referred consultation is listed as %+v", list[0])
	}
	if list[1].Situation != "vraag over de crèche" || list[1].Advice != "loket" || list[1].RecordedBy != "coach:an" {
		t.Errorf("the open consultation is listed as %+v", list[1])
	}
	if none, err := s.ListConsultations(ctx, []string{}, 0); err != nil || len(none) != 0 {
		t.Errorf("no programmes lists %v (%v)", none, err)
	}
}
