package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestErasureClearsWhatStaysInClear: a trajectory that followed a
// consultation, took part in a group activity and was emailed about is
// erased; its consultation's text (sealed since the referral), its emails'
// recipients, subjects and keys, its place in the activity and its
// read model's next step are gone with its key, in one transaction; what
// reports count stays. No email of it is begun again.
func TestErasureClearsWhatStaysInClear(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	consultation, err := s.CreateConsultation(ctx, Consultation{ProgrammeID: "p1", RecordedBy: "partner:org",
		Situation: "moeder alleen met drie kinderen", Advice: "verwijzen naar het team"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	ref := referredEvent("p1", "org", "ERASE-ALL", at)
	ref.Referral.ConsultationID = consultation.ID
	due := at.Add(48 * time.Hour)
	ref.Summary.NextStep, ref.Summary.NextDueAt = "assignment", &due
	record(t, s, ref)
	id := ref.TrajectoryID

	var situation *string
	if err := s.Pool().QueryRow(ctx, `SELECT situation FROM consultations WHERE id = $1`, consultation.ID).Scan(&situation); err != nil || situation != nil {
		t.Errorf("a linked consultation's situation in clear: %v (%v)", situation, err)
	}
	if c, err := s.Consultation(ctx, consultation.ID); err != nil || c.Situation != consultation.Situation || c.TrajectoryID != id {
		t.Errorf("linked consultation: %+v (%v); want its text opened with the trajectory's key", c, err)
	}
	if _, err := s.RecordCollectiveActivity(ctx, CollectiveActivity{ID: "ac-1", ProgrammeID: "p1", Kind: "groep",
		HeldOn: trajectory.DateOf(at), RecordedBy: "coach:an", Trajectories: []string{id, "tr-other"}}); err != nil {
		t.Fatal(err)
	}
	for i, key := range []string{id + "/birth@20270317T080000Z/reminder/coach:an", id + "/handover-1@20270110T080000Z/handover/service:caw"} {
		if _, _, err := s.BeginEmail(ctx, key, "<m"+string(rune('1'+i))+"@elkgezin>", "onthaal@caw.example", "Overdracht 1 van traject "+id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkEmailCommitting(ctx, id+"/birth@20270317T080000Z/reminder/coach:an", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEmailUnconfirmed(ctx, id+"/birth@20270317T080000Z/reminder/coach:an"); err != nil {
		t.Fatal(err)
	}

	if erased, err := s.Erase(ctx, id); err != nil || !erased {
		t.Fatalf("erase: %v, %v", erased, err)
	}
	var raw string
	if err := s.Pool().QueryRow(ctx, `SELECT
		(SELECT row_to_json(t)::text FROM trajectories t WHERE id = $1) ||
		(SELECT json_agg(c)::text FROM consultations c) ||
		(SELECT json_agg(a)::text FROM collective_activities a) ||
		(SELECT json_agg(m)::text FROM outbound_emails m)`, id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"moeder", "verwijzen", "caw", "Overdracht", "20270317", "<m1@", id + `"]`, `"personal":"`, `"next_due_at":"`} {
		if strings.Contains(raw, gone) {
			t.Errorf("after erasure PostgreSQL holds %q: %s", gone, raw)
		}
	}
	for _, kept := range []string{`"phase":"referred"`, `"erased":true`, `"trajectories":["tr-other"]`, id + `/erased/1`, id + `/erased/2`, `"recorded_by":"partner:org"`} {
		if !strings.Contains(raw, kept) {
			t.Errorf("after erasure PostgreSQL lacks %s: %s", kept, raw)
		}
	}
	if c, err := s.Consultation(ctx, consultation.ID); err != nil || c.Situation != "" || c.Advice != "" {
		t.Errorf("consultation after erasure: %+v (%v)", c, err)
	}
	if doubt, err := s.EmailsInDoubt(ctx, time.Now(), 10); err != nil || len(doubt) != 0 {
		t.Errorf("emails in doubt after erasure: %+v (%v); want none of an erased trajectory", doubt, err)
	}
	if _, _, err := s.BeginEmail(ctx, id+"/home_visit-1@20270120T080000Z/reminder/coach:an", "<m3@elkgezin>", "coach@example.org", "s"); !errors.Is(err, keys.ErrErased) {
		t.Errorf("an email begun after the erasure: %v; want ErrErased", err)
	}
	if emails, err := s.EmailsOf(ctx, id); err != nil || len(emails) != 2 {
		t.Errorf("ledger rows after erasure: %+v (%v); want the two, emptied", emails, err)
	}
}

// TestSealClearFieldsSealsWhatTheMigrationLeft: a due date and a linked
// consultation's text that a release before 0015 wrote in clear are
// sealed under the trajectory's data key, once; a trajectory without a
// data key gets one, and its are sealed under it.
func TestSealClearFieldsSealsWhatTheMigrationLeft(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	ref := referredEvent("p1", "org", "OLD-DUE", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	record(t, s, ref)
	id := ref.TrajectoryID
	for _, sql := range []string{
		`UPDATE trajectories SET expected_due_date = '2027-03-14' WHERE id = $1`,
		`INSERT INTO consultations (id, programme_id, recorded_by, situation, advice, trajectory_id)
		VALUES ('co-old', 'p1', 'partner:org', 'vader werkloos', 'doorverwijzen', $1), ('co-legacy', 'p1', 'partner:org', 'oud', 'oud', 'tr-legacy')`,
		`INSERT INTO trajectories (id, programme_id, referrer_org, phase, referred_at, updated_at, version, expected_due_date)
		VALUES ('tr-legacy', 'p1', 'org', 'referred', now(), now(), 1, '2027-05-01')`,
	} {
		args := []any{id}
		if !strings.Contains(sql, "$1") {
			args = nil
		}
		if _, err := s.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []int{4, 0} {
		if n, err := s.SealClearFields(ctx); err != nil || n != want {
			t.Fatalf("call %d: %d sealed (%v), want %d", i+1, n, err, want)
		}
	}
	var raw string
	if err := s.Pool().QueryRow(ctx, `SELECT (SELECT row_to_json(t)::text FROM trajectories t WHERE id = $1) ||
		(SELECT row_to_json(c)::text FROM consultations c WHERE id = 'co-old')`, id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "2027-03-14") || strings.Contains(raw, "werkloos") {
		t.Errorf("in clear after sealing: %s", raw)
	}
	if got, err := s.Trajectory(ctx, id); err != nil || got.ExpectedDueDate == nil || got.ExpectedDueDate.String() != "2027-03-14" {
		t.Errorf("due date after sealing: %+v (%v)", got.ExpectedDueDate, err)
	}
	if c, err := s.Consultation(ctx, "co-old"); err != nil || c.Situation != "vader werkloos" || c.Advice != "doorverwijzen" {
		t.Errorf("consultation after sealing: %+v (%v)", c, err)
	}
	if c, err := s.Consultation(ctx, "co-legacy"); err != nil || c.Situation != "oud" {
		t.Errorf("a consultation of a trajectory that had no key: %+v (%v)", c, err)
	}
	if raw := rawRows(t, s, "tr-legacy"); strings.Contains(raw, "2027-05-01") {
		t.Errorf("a trajectory that had no key, in clear after sealing: %s", raw)
	}
	if got, err := s.Trajectory(ctx, "tr-legacy"); err != nil || got.ExpectedDueDate == nil || got.ExpectedDueDate.String() != "2027-05-01" {
		t.Errorf("due date of a trajectory that had no key, after sealing: %+v (%v)", got.ExpectedDueDate, err)
	}
}
