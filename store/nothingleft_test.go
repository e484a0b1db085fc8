package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/erasurecheck"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestEveryColumnIsClassified: every column of the schema says what it
// holds of a family (erasurecheck.Columns); a new one fails here until it
// is classified.
func TestEveryColumnIsClassified(t *testing.T) {
	s := newStore(t)
	cols, err := erasurecheck.List(t.Context(), s.Pool())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range erasurecheck.Unclassified(cols) {
		t.Error(p)
	}
	// The check sees a column added later.
	if _, err := s.Pool().Exec(t.Context(), `ALTER TABLE trajectories ADD COLUMN favourite_colour text`); err != nil {
		t.Fatal(err)
	}
	cols, err = erasurecheck.List(t.Context(), s.Pool())
	if err != nil {
		t.Fatal(err)
	}
	if p := erasurecheck.Unclassified(cols); len(p) != 1 || !strings.Contains(p[0], "trajectories.favourite_colour") {
		t.Errorf("a new column: %v; want it named unclassified", p)
	}
}

// erasureFamily is a perinatal family, all of whose values the search
// looks for after its erasure.
type erasureFamily struct {
	reference, name, phone, address, reason, note, child, service, serviceEmail, situation, advice string
	due, born                                                                                      trajectory.Date
}

func (f erasureFamily) values() erasurecheck.Values {
	return erasurecheck.Values{
		Texts: []string{f.reference, f.name, f.phone, f.address, f.reason, f.note, f.child, f.service, f.serviceEmail, f.situation, f.advice},
		Dates: []time.Time{f.due.Time, f.born.Time},
	}
}

// recordFamily writes what the workflow, the API and the activities write
// of f's trajectory: a referral after a consultation, a handover whose
// email failed, a birth, a closure, their emails and audit entries.
func recordFamily(t *testing.T, s *Store, f erasureFamily, at time.Time) string {
	t.Helper()
	ctx := t.Context()
	c, err := s.CreateConsultation(ctx, Consultation{ProgrammeID: "p1", RecordedBy: "partner:org", Situation: f.situation, Advice: f.advice})
	if err != nil {
		t.Fatal(err)
	}
	r := trajectory.Referral{ProgrammeID: "p1", Referrer: trajectory.Referrer{Organisation: "org", Reference: f.reference},
		Family: trajectory.Family{ContactName: f.name, Phone: f.phone, Address: f.address}, Reason: f.reason,
		ExpectedDueDate: f.due, ConsultationID: c.ID}
	ref := trajectory.ReferredEvent(trajectory.ID(testIDKey, "p1", "org", f.reference), (programme.Programme{ID: "p1"}).ID, (programme.Programme{ID: "p1"}).Timings(), r, at)
	id := ref.TrajectoryID
	birthDue := trajectory.MorningOf(f.due.AddDate(0, 0, 3))
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	events := []trajectory.Event{ref}
	add := func(kind, cause string, detail map[string]string, change func(*trajectory.Summary)) {
		e := nextEvent(events[len(events)-1], kind, change)
		e.Cause, e.Detail = cause, detail
		events = append(events, e)
	}
	add(trajectory.EventIntakeDone, "update/intake", map[string]string{"note": f.note, "done_at": stamp(at), "next_visit_due": stamp(birthDue),
		"step": "intake", "step_due_at": stamp(at)}, func(sum *trajectory.Summary) {
		sum.Phase, sum.NextStep, sum.NextDueAt = trajectory.PhasePrenatal, "birth", &birthDue
	})
	add(trajectory.EventHandoverRequested, "update/handover", map[string]string{"handover": "1", "service": f.service,
		"shares": "contact", "consent_recorded_on": f.born.String(), "reason": f.reason}, nil)
	handoverKey := id + "/handover-1@" + birthDue.UTC().Format("20060102T150405Z") + "/handover/service:" + f.service
	add(trajectory.EventEmailFailed, "email/"+handoverKey, map[string]string{"kind": "handover", "step": "handover-1",
		"to": "service:" + f.service, "reason": "EmailRejected"}, func(sum *trajectory.Summary) { sum.EmailFailed = true })
	reminderKey := id + "/birth@" + birthDue.UTC().Format("20060102T150405Z") + "/reminder/coach:an"
	add(trajectory.EventReminderSent, "email/"+reminderKey, map[string]string{"step": "birth", "due_at": stamp(birthDue), "to": "coach:an"}, nil)
	add(trajectory.EventBirthRecorded, "update/birth", map[string]string{"born_on": f.born.String(), "name": f.child, "step": "birth",
		"step_due_at": stamp(birthDue), "follow_up_end": stamp(trajectory.MorningOf(f.born.AddDate(0, 6, 0)))}, func(sum *trajectory.Summary) {
		end := trajectory.MorningOf(f.born.AddDate(0, 6, 0))
		sum.Phase, sum.NextStep, sum.NextDueAt = trajectory.PhasePostnatal, "end_of_follow_up", &end
	})
	record(t, s, events...)
	for key, to := range map[string]string{handoverKey: f.serviceEmail, reminderKey: "coach@test.example"} {
		subject := "Herinnering: geboorte vervalt op " + f.due.Format("02-01-2006") + " (traject " + id + ")"
		if _, _, err := s.BeginEmail(ctx, key, "<"+key+">", to, subject); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RecordCollectiveActivity(ctx, CollectiveActivity{ID: fmt.Sprintf("ac-%d", at.Unix()), ProgrammeID: "p1", Kind: "groep",
		HeldOn: trajectory.DateOf(at), RecordedBy: "coach:an", Trajectories: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, AuditEntry{Actor: "coach:an", Action: "record_birth", TrajectoryID: id, Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestErasureLeavesNothingOfTheFamily: a family whose trajectory followed
// a consultation, had a handover whose email failed and a birth is
// erased; every column of every table is then searched for each of its
// values (a date in every way it is written) and holds none, while a
// family not erased is still found where its values are in clear.
func TestErasureLeavesNothingOfTheFamily(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	at := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	date := func(s string) trajectory.Date {
		d, err := trajectory.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	erased := erasureFamily{reference: "PV/2027/000731", name: "Noor Privacygezin", phone: "+32 485 11 22 33",
		address: "Veldstraat 12, 2800 Mechelen", reason: "geen inkomen sinds de zomer", note: "sliep slecht, koelkast leeg",
		child: "Lina Privacygezin", service: "ocmw-sociale-dienst", serviceEmail: "overdracht@ocmw.example",
		situation: "alleenstaande moeder, zwanger, schulden", advice: "aanmelden bij het perinataal team",
		due: date("2027-03-14"), born: date("2027-03-09")}
	kept := erasureFamily{reference: "PV/2027/000999", name: "Sara Blijfgezin", phone: "+32 486 99 88 77",
		address: "Kerkstraat 3, 2800 Mechelen", reason: "dakloos", note: "bezoek goed verlopen", child: "Adam Blijfgezin",
		service: "caw", serviceEmail: "onthaal@caw.example", situation: "vader werkloos, vijf kinderen", advice: "doorverwijzen naar CAW",
		due: date("2027-04-20"), born: date("2027-04-18")}
	id := recordFamily(t, s, erased, at)
	recordFamily(t, s, kept, at.Add(time.Hour))

	cols, err := erasurecheck.List(ctx, s.Pool())
	if err != nil {
		t.Fatal(err)
	}
	if p := erasurecheck.Unclassified(cols); len(p) > 0 {
		t.Fatalf("unclassified columns: %v", p)
	}
	// Before: the search finds what a running trajectory keeps in clear.
	before, err := erasurecheck.Find(ctx, s.Pool(), cols, erased.values())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"outbound_emails.recipient (cleared) holds \"overdracht@ocmw.example\"", "outbound_emails.subject (cleared) holds \"14-03-2027\""} {
		if !slices.Contains(before, want) {
			t.Errorf("before the erasure the search finds %v; want among it %s", before, want)
		}
	}
	for _, f := range before {
		if !strings.Contains(f, "(cleared)") {
			t.Errorf("before the erasure, outside a column the erasure clears: %s", f)
		}
	}

	if erased, err := s.EraseAudited(ctx, id, AuditEntry{Actor: "supervisor:s", Action: "erase_trajectory", TrajectoryID: id, Outcome: OutcomeOK}); err != nil || !erased {
		t.Fatalf("erase: %v, %v", erased, err)
	}
	after, err := erasurecheck.Find(ctx, s.Pool(), cols, erased.values())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range after {
		t.Errorf("after the erasure: %s", f)
	}
	// The family not erased is still found where a running trajectory
	// keeps its values in clear: the search looks where they would be.
	if found, err := erasurecheck.Find(ctx, s.Pool(), cols, kept.values()); err != nil || !slices.Contains(found, `outbound_emails.recipient (cleared) holds "onthaal@caw.example"`) {
		t.Errorf("the family not erased: %v (%v); want its service's address in the ledger", found, err)
	}
	// What reports count stays: the events, the month of birth, the handover.
	var events int
	var month time.Time
	if err := s.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM trajectory_events WHERE trajectory_id = $1), born_month
		FROM trajectories WHERE id = $1`, id).Scan(&events, &month); err != nil || events != 6 || !month.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after the erasure: %d events, born in %s (%v); want 6, March 2027", events, month, err)
	}
}
