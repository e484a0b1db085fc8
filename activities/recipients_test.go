package activities_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Each kind of notification goes to the person the workflow names, at the
// address the programme's file gives now, with no data of the family.
func TestNotificationRecipientsAndTexts(t *testing.T) {
	coach := trajectory.Recipient{Role: trajectory.RoleCoach, CoachID: "go-coach-2"}
	supervisor := trajectory.Recipient{Role: trajectory.RoleSupervisor}
	intake := trajectory.Step{Kind: trajectory.StepIntake, DueAt: due}
	for _, tc := range []struct {
		name    string
		n       trajectory.Notification
		to      string
		subject string
		body    []string // lines the body holds
	}{
		{"reminder to a coach added later",
			trajectory.Notification{Kind: trajectory.Reminder, Step: intake, Recipient: coach},
			"bram.claes@ocmw.example", "Herinnering: intake vervalt op 03-07-2026 16:30 (traject tr-abc)",
			[]string{"Beste coach,", `In traject tr-abc van GO-team Mechelen vervalt de stap "intake" op 03-07-2026 16:30.`}},
		{"alert to the supervisor",
			trajectory.Notification{Kind: trajectory.Alert, Step: intake, Recipient: supervisor},
			supervisorAddress, "Escalatie: intake is te laat sinds 03-07-2026 16:30 (traject tr-abc)",
			[]string{"Beste,", `In traject tr-abc van GO-team Mechelen is de stap "intake" te laat: die verviel op 03-07-2026 16:30.`}},
		{"alert to the manager",
			trajectory.Notification{Kind: trajectory.Alert, Step: intake, Recipient: trajectory.Recipient{Role: trajectory.RoleManager}},
			"directie@mechelen.example", "Escalatie: intake is te laat sinds 03-07-2026 16:30 (traject tr-abc)",
			[]string{"Beste,", `In traject tr-abc van GO-team Mechelen is de stap "intake" te laat: die verviel op 03-07-2026 16:30.`,
				"De teamverantwoordelijke werd eerder verwittigd en de stap is nog altijd niet gezet."}},
		{"unacknowledged handover, to the supervisor",
			trajectory.Notification{Kind: trajectory.Alert, Step: trajectory.Step{Kind: trajectory.StepHandoverAck, Number: 2, DueAt: due}, Recipient: supervisor},
			supervisorAddress, "Escalatie: bevestiging van overdracht 2 is te laat sinds 03-07-2026 16:30 (traject tr-abc)",
			[]string{"Beste,", "In traject tr-abc van GO-team Mechelen heeft de dienst overdracht 2 nog niet bevestigd; dat werd verwacht tegen 03-07-2026 16:30.",
				"Gelieve met de coach na te gaan of de overdracht goed is aangekomen."}},
		{"unacknowledged handover, to the coach (runs from before)",
			trajectory.Notification{Kind: trajectory.Alert, Step: trajectory.Step{Kind: trajectory.StepHandoverAck, Number: 2, DueAt: due}, Recipient: coach},
			"bram.claes@ocmw.example", "Escalatie: bevestiging van overdracht 2 is te laat sinds 03-07-2026 16:30 (traject tr-abc)",
			[]string{"Beste coach,", "Neem contact op met de dienst om na te gaan of de overdracht goed is aangekomen."}},
		{"assignment notice",
			trajectory.Notification{Kind: trajectory.AssignmentNotice, Step: intake, Recipient: coach},
			"bram.claes@ocmw.example", "Nieuw gezin toegewezen: traject tr-abc, intake vervalt op 03-07-2026 16:30",
			[]string{"Beste coach,",
				"In GO-team Mechelen werd traject tr-abc aan jou toegewezen: jij bent nu de vaste contactpersoon van dit gezin.",
				`De eerstvolgende stap is "intake"; die vervalt op 03-07-2026 16:30. Je krijgt nog een herinnering voor die datum.`}},
		{"assignment notice without an open step",
			trajectory.Notification{Kind: trajectory.AssignmentNotice, Recipient: coach},
			"bram.claes@ocmw.example", "Nieuw gezin toegewezen: traject tr-abc",
			[]string{"Er staat nu geen stap open."}},
		{"email failed, to the supervisor",
			trajectory.Notification{Kind: trajectory.EmailFailedNotice, Step: intake, Recipient: supervisor,
				Failed: &trajectory.EmailFailure{At: due, Kind: trajectory.HandoverNotice, Step: "handover_ack-2",
					To: "service:kg-menen", Reason: activities.ErrTypeEmailRejected}},
			supervisorAddress, "E-mail niet afgeleverd: overdracht in traject tr-abc",
			[]string{"Beste,", "In traject tr-abc van GO-team Mechelen kon een e-mail niet worden afgeleverd:",
				"- soort: overdracht", "- over de stap: bevestiging van overdracht 2", "- aan: service:kg-menen",
				"- reden: EmailRejected",
				"Het traject loopt gewoon verder. Kijk na of het adres van deze ontvanger klopt in de programmagegevens of de lijst van diensten, en laat de e-mail zo nodig opnieuw versturen (een overdracht verstuurt de coach opnieuw)."}},
		{"email in doubt, to the supervisor",
			trajectory.Notification{Kind: trajectory.EmailFailedNotice, Step: intake, Recipient: supervisor,
				Failed: &trajectory.EmailFailure{At: due, Kind: trajectory.AssignmentNotice, Step: "intake",
					To: "coach:go-coach-2", Reason: activities.ErrTypeEmailInDoubt}},
			supervisorAddress, "E-mail mogelijk niet afgeleverd: bericht van toewijzing in traject tr-abc",
			[]string{"Beste,", "In traject tr-abc van GO-team Mechelen is een e-mail mogelijk niet aangekomen:",
				"- soort: bericht van toewijzing", "- over de stap: intake", "- aan: coach:go-coach-2", "- reden: EmailInDoubt",
				"De mailserver was de e-mail aan het aannemen toen de verzending werd onderbroken. Ze wordt niet opnieuw verstuurd, want dan kan ze twee keer aankomen. Het traject loopt gewoon verder. Vraag de ontvanger of de e-mail aankwam, en bezorg de inhoud zo nodig zelf (een overdracht wordt daarnaast nog aan de ontvangstbevestiging herinnerd)."}},
		{"copy of a reminder to a co-worker, by name and role",
			trajectory.Notification{Kind: trajectory.Reminder, Step: trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 2, DueAt: due},
				Recipient: trajectory.Recipient{Role: trajectory.RoleCoWorker, CoWorkerID: "go-brug-1"}},
			"brug1@mechelen.example", "Herinnering: huisbezoek 2 vervalt op 03-07-2026 16:30 (traject tr-abc)",
			[]string{"Beste Brugfiguur 1,", `In traject tr-abc van GO-team Mechelen vervalt de stap "huisbezoek 2" op 03-07-2026 16:30.`,
				"Je krijgt deze e-mail als brugfiguur naast de coach van dit gezin."}},
		{"legacy address in To",
			trajectory.Notification{Kind: trajectory.Reminder, Step: intake, To: "oud@example.org"},
			"oud@example.org", "Herinnering: intake vervalt op 03-07-2026 16:30 (traject tr-abc)",
			[]string{"Beste coach,"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			n := tc.n
			n.TrajectoryID, n.ProgrammeID = "tr-abc", "go-team-mechelen"
			if tc.name != "assignment notice without an open step" {
				n.ProgrammeName = "GO-team Mechelen" // the other falls back on the file's name
			}
			n.Key = trajectory.EmailKey(n.TrajectoryID, n.Step, n.Kind, n.Recipient)
			if _, err := f.env().ExecuteActivity(f.a.SendNotification, n); err != nil {
				t.Fatal(err)
			}
			got := f.sink.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second)
			if len(got.To) != 1 || got.To[0] != tc.to {
				t.Errorf("sent to %v, want %s", got.To, tc.to)
			}
			if got.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", got.Subject, tc.subject)
			}
			body := strings.ReplaceAll(got.Body, "\r\n", "\n")
			lines := strings.Split(body, "\n")
			for _, want := range append(tc.body, "Bekijk het traject: http://localhost:8080/trajecten/tr-abc") {
				if !containsLine(lines, want) {
					t.Errorf("body lacks the line %q:\n%s", want, body)
				}
			}
			// No family data, and no address, in what a coach or supervisor gets.
			all := got.Subject + "\n" + body
			for _, p := range personal {
				// Mechelen is the family's town and the programme's.
				if p != "Mechelen" && strings.Contains(all, p) {
					t.Errorf("the email holds %q:\n%s", p, all)
				}
			}
			if a := emailAddress.FindString(all); a != "" {
				t.Errorf("the email holds the address %s:\n%s", a, all)
			}
			if r := f.status(t, n.Key); r.Status != store.EmailSent {
				t.Errorf("ledger = %+v", r)
			}
		})
	}
}

var emailAddress = regexp.MustCompile(`[\w.+-]+@[\w-]+\.[\w.]+`)

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// A recipient the programme files do not know fails for good, before the
// ledger or the mail server hear of it, and the error names no address.
func TestUnknownRecipientIsInvalidNotification(t *testing.T) {
	f := setup(t)
	env := f.env()
	intake := trajectory.Step{Kind: trajectory.StepIntake, DueAt: due}
	for _, tc := range []struct {
		name      string
		programme string
		to        trajectory.Recipient
		failed    *trajectory.EmailFailure
		kind      trajectory.NotificationKind
	}{
		{"unknown coach", "go-team-mechelen", trajectory.Recipient{Role: trajectory.RoleCoach, CoachID: "gone"}, nil, trajectory.Reminder},
		{"coach without address", "go-team-mechelen", trajectory.Recipient{Role: trajectory.RoleCoach, CoachID: "go-coach-mute"}, nil, trajectory.AssignmentNotice},
		{"unknown programme", "elders", trajectory.Recipient{Role: trajectory.RoleSupervisor}, nil, trajectory.Alert},
		{"no programme", "", trajectory.Recipient{Role: trajectory.RoleCoach, CoachID: "go-coach-1"}, nil, trajectory.Reminder},
		{"a service", "go-team-mechelen", trajectory.Recipient{Role: trajectory.RoleService, ServiceID: "kg-menen"}, nil, trajectory.Reminder},
		{"no role", "go-team-mechelen", trajectory.Recipient{}, nil, trajectory.Alert},
		{"email failed without the failure", "go-team-mechelen", trajectory.Recipient{Role: trajectory.RoleSupervisor}, nil, trajectory.EmailFailedNotice},
		{"unknown kind", "go-team-mechelen", trajectory.Recipient{Role: trajectory.RoleSupervisor}, nil, "postcard"},
	} {
		n := trajectory.Notification{Kind: tc.kind, TrajectoryID: "tr-abc", ProgrammeID: tc.programme, Step: intake, Recipient: tc.to, Failed: tc.failed}
		n.Key = trajectory.EmailKey(n.TrajectoryID, n.Step, n.Kind, n.Recipient)
		_, err := env.ExecuteActivity(f.a.SendNotification, n)
		if !nonRetryable(err, activities.ErrTypeInvalidNotification) {
			t.Errorf("%s: err = %v, want a non-retryable %s", tc.name, err, activities.ErrTypeInvalidNotification)
			continue
		}
		if emailAddress.MatchString(err.Error()) {
			t.Errorf("%s: the error names an address: %v", tc.name, err)
		}
		if _, err := f.store.Email(t.Context(), n.Key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: the ledger has the email (%v)", tc.name, err)
		}
	}
	if c := f.sink.Count(nil); c != 0 {
		t.Errorf("%d emails arrived", c)
	}
}

// The handover names the coach by id: name and address come from the
// programme's current file; a run from before that named them itself.
func TestHandoverCoachLookedUpById(t *testing.T) {
	for _, tc := range []struct {
		name           string
		edit           func(*trajectory.HandoverEmail)
		coach, replyTo string
		invalid        bool
	}{
		{"by id", func(e *trajectory.HandoverEmail) { e.CoachID = "go-coach-2" }, "Bram Claes", "bram.claes@ocmw.example", false},
		{"legacy name and address", func(e *trajectory.HandoverEmail) {
			e.CoachID, e.ProgrammeID, e.CoachName, e.CoachEmail = "", "", "Oude Coach", "oud@ocmw.example"
		}, "Oude Coach", "oud@ocmw.example", false},
		{"unknown coach", func(e *trajectory.HandoverEmail) { e.CoachID = "gone" }, "", "", true},
		{"unknown programme", func(e *trajectory.HandoverEmail) { e.ProgrammeID = "elders" }, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			e := handover(trajectory.HandoverNotice, shared())
			tc.edit(&e)
			_, err := f.env().ExecuteActivity(f.a.SendHandover, e)
			if tc.invalid {
				if !nonRetryable(err, activities.ErrTypeInvalidNotification) {
					t.Fatalf("err = %v, want a non-retryable %s", err, activities.ErrTypeInvalidNotification)
				}
				if c := f.sink.Count(nil); c != 0 {
					t.Errorf("%d emails arrived", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := f.sink.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second)
			if rt, err := got.Header.AddressList("Reply-To"); err != nil || len(rt) != 1 || rt[0].Address != tc.replyTo {
				t.Errorf("Reply-To = %v (%v), want %s", rt, err, tc.replyTo)
			}
			body := strings.ReplaceAll(got.Body, "\r\n", "\n")
			if want := fmt.Sprintf("%s, %s (Perinatale werking Menen).", tc.coach, tc.replyTo); !strings.Contains(body, want) {
				t.Errorf("body lacks %q:\n%s", want, body)
			}
		})
	}
}

type failingEvents struct{ err error }

func (e failingEvents) RecordEvent(context.Context, trajectory.Event) error { return e.err }
func (e failingEvents) RecordEvents(context.Context, []trajectory.Event) ([]error, error) {
	return nil, e.err
}

// An event the store refuses fails for good; a database that is away is
// retried.
func TestRecordEventInvalidIsNonRetryable(t *testing.T) {
	f := setup(t)
	f.a.Events = f.store
	bad := trajectory.Event{TrajectoryID: "tr-abc", Seq: 1, Kind: trajectory.EventCoachAssigned, At: due} // no summary
	if _, err := f.env().ExecuteActivity(f.a.RecordEvent, bad); !nonRetryable(err, activities.ErrTypeInvalidEvent) {
		t.Fatalf("invalid event: err = %v, want a non-retryable %s", err, activities.ErrTypeInvalidEvent)
	}
	f.a.Events = failingEvents{errDatabaseGone}
	if _, err := f.env().ExecuteActivity(f.a.RecordEvent, bad); !retryable(err) {
		t.Fatalf("database gone: err = %v, want a retryable error", err)
	}
}

// Of the events a workflow hands over at once, one the store refuses is
// skipped and the others written; a database that is away is retried.
func TestRecordEventsSkipsOnlyTheInvalid(t *testing.T) {
	f := setup(t)
	f.a.Events = f.store
	p := trajectory.Referral{ProgrammeID: "go-team-mechelen", Referrer: trajectory.Referrer{Organisation: "politie", Reference: "R-1"},
		Family: trajectory.Family{ContactName: "Gezin", Phone: "+32 470 00 00 00"}, Reason: "test"}
	referred := trajectory.ReferredEvent("tr-batch", "go-team-mechelen", trajectory.Timings{}, p, due.Add(-time.Hour))
	bad := trajectory.Event{TrajectoryID: "tr-batch", Seq: 2, Cause: "bad", Kind: trajectory.EventCoachAssigned, At: due} // no summary
	closed := referred
	closed.Seq, closed.Cause, closed.Kind, closed.Referral = 3, "closed/update/1", trajectory.EventClosed, nil
	closed.Summary.Phase = trajectory.PhaseClosed
	if _, err := f.env().ExecuteActivity(f.a.RecordEvents, []trajectory.Event{referred, bad, closed}); err != nil {
		t.Fatalf("RecordEvents: %v, want the valid events written", err)
	}
	for kind, want := range map[string]int{trajectory.EventReferred: 1, trajectory.EventCoachAssigned: 0, trajectory.EventClosed: 1} {
		if n, err := f.store.CountEvents(t.Context(), "tr-batch", kind); err != nil || n != want {
			t.Errorf("%s: %d events (%v), want %d", kind, n, err, want)
		}
	}
	f.a.Events = failingEvents{errDatabaseGone}
	if _, err := f.env().ExecuteActivity(f.a.RecordEvents, []trajectory.Event{closed}); !retryable(err) {
		t.Fatalf("database gone: err = %v, want a retryable error", err)
	}
}
