package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elkgezin/elkgezin/internal/erasurecheck"
	"github.com/elkgezin/elkgezin/trajectory"
)

// unkeyedID is a trajectory's id as the releases before
// TRAJECTORY_ID_SECRET derived it (trajectory.ID before it was keyed):
// anyone who knows the reference computes it.
func unkeyedID(programmeID, org, reference string) string {
	sum := sha256.Sum256([]byte(programmeID + "\x00" + org + "\x00" + reference))
	return "tr-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:26])
}

// oldFamily is a family as a release before data keys (schema 0006)
// recorded it: everything in clear columns and clear event details.
type oldFamily struct {
	programme, org, reference          string
	name, phone, address, reason, note string
	sibling, child, service, email     string
	closing                            string // the closure's text; "" while it runs
	referred                           time.Time
	siblingBorn, due, born             string // due and born "" when not a pregnancy
}

func (f oldFamily) id() string { return unkeyedID(f.programme, f.org, f.reference) }

// values are what the search looks for: every text and date of the
// family, and the end of follow-up its birth date gives.
func (f oldFamily) values(t *testing.T) erasurecheck.Values {
	t.Helper()
	v := erasurecheck.Values{Texts: []string{f.reference, f.name, f.phone, f.address, f.reason, f.note, f.sibling, f.service, f.email}}
	if f.child != "" {
		v.Texts = append(v.Texts, f.child)
	}
	if f.closing != "" {
		v.Texts = append(v.Texts, f.closing)
	}
	for _, d := range []string{f.siblingBorn, f.due, f.born} {
		if d == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, d)
		if err != nil {
			t.Fatal(err)
		}
		v.Dates = append(v.Dates, day)
		if d == f.born {
			v.Dates = append(v.Dates, day.AddDate(0, 6, 0))
		}
	}
	return v
}

type oldEvent struct {
	kind, actor string
	at          time.Time
	detail      map[string]string
}

// events are what the workflow of that release logged: a referral, a
// coach, an intake and a visit with notes, a handover to a service whose
// email failed, for a pregnancy a reminder and a birth, and a closure.
func (f oldFamily) events() []oldEvent {
	day := func(n int, hour int) time.Time {
		return f.referred.AddDate(0, 0, n).Add(time.Duration(hour) * time.Hour)
	}
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	ev := []oldEvent{
		{trajectory.EventReferred, "partner:" + f.org, f.referred, nil},
		{trajectory.EventCoachAssigned, "supervisor:s", day(1, 0), map[string]string{"coach": "an"}},
		{trajectory.EventIntakeDone, "coach:an", day(4, 1), map[string]string{"note": f.note, "done_at": stamp(day(4, 1)),
			"next_visit_due": stamp(day(25, -1)), "step": "intake", "step_due_at": stamp(day(7, -1))}},
	}
	if f.born != "" {
		born, _ := time.Parse(time.DateOnly, f.born)
		birthDue := day(70, -2)
		ev = append(ev,
			oldEvent{trajectory.EventReminderSent, "elkgezin", birthDue.Add(-24 * time.Hour), map[string]string{"step": "birth",
				"due_at": stamp(birthDue), "to": "coach:an"}},
			oldEvent{trajectory.EventBirthRecorded, "coach:an", born.Add(50 * time.Hour), map[string]string{"born_on": f.born, "name": f.child,
				"step": "birth", "step_due_at": stamp(birthDue), "follow_up_end": stamp(born.AddDate(0, 6, 0).Add(7 * time.Hour))}})
	}
	ev = append(ev,
		oldEvent{trajectory.EventHandoverRequested, "coach:an", day(80, 2), map[string]string{"handover": "1", "service": f.service,
			"shares": "contact", "reason": f.reason}},
		oldEvent{trajectory.EventEmailFailed, "elkgezin", day(80, 3), map[string]string{"kind": "handover", "step": "handover_ack-1",
			"to": "service:" + f.service, "reason": "EmailRejected"}},
		oldEvent{trajectory.EventVisitDone, "coach:an", day(85, 1), map[string]string{"note": f.note + " (tweede bezoek)", "done_at": stamp(day(85, 1)),
			"next_visit_due": stamp(day(99, -1)), "visit": "2", "step": "home_visit-2", "step_due_at": stamp(day(85, -1))}})
	if f.closing != "" {
		ev = append(ev, oldEvent{trajectory.EventClosed, "coach:an", day(90, 0), map[string]string{"reason": "goals_reached", "text": f.closing}})
	}
	return ev
}

// insertOld writes f as a release of schema 0006 did: the read model with
// the referral in clear, the events with their whole detail, the email
// ledger (recipients and subjects carrying the unkeyed id) and audit
// entries.
func insertOld(t *testing.T, pool *pgxpool.Pool, f oldFamily) string {
	t.Helper()
	ctx := t.Context()
	id := f.id()
	events := f.events()
	last := events[len(events)-1]
	phase, closeReason, nextStep, nextDue := "in_support", any(nil), any("home_visit-3"), any(f.referred.AddDate(0, 0, 99).Add(-time.Hour))
	if f.born != "" {
		phase = "postnatal"
	}
	if f.closing != "" {
		phase, closeReason, nextStep, nextDue = "closed", "goals_reached", nil, nil
	}
	family, _ := json.Marshal(trajectory.Family{ContactName: f.name, Phone: f.phone, Address: f.address, Language: "nl"})
	children := []map[string]string{{"name": f.sibling, "birth_date": f.siblingBorn}}
	if f.born != "" {
		children = append(children, map[string]string{"name": f.child, "birth_date": f.born})
	}
	var due, born any
	if f.due != "" {
		due, born = f.due, f.born
	}
	if _, err := pool.Exec(ctx, `INSERT INTO trajectories (id, programme_id, referrer_org, referrer_reference, family, reason, phase,
			coach_id, next_step, next_due_at, close_reason, referred_at, updated_at, version, expected_due_date, born_on, children, email_failed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'an', $8, $9, $10, $11, $12, $13, $14, $15, $16, true)`,
		id, f.programme, f.org, f.reference, family, f.reason, phase, nextStep, nextDue, closeReason, f.referred, last.at, len(events),
		due, born, children); err != nil {
		t.Fatal(err)
	}
	for i, e := range events {
		detail := e.detail
		if detail == nil {
			detail = map[string]string{}
		}
		if _, err := pool.Exec(ctx, `INSERT INTO trajectory_events (trajectory_id, seq, kind, actor, at, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, i+1, e.kind, e.actor, e.at, detail); err != nil {
			t.Fatal(err)
		}
	}
	reminder := f.referred.AddDate(0, 0, 25).Add(-time.Hour)
	for _, m := range []struct{ key, to, subject, status string }{
		{id + "/home_visit-1@" + reminder.UTC().Format("20060102T150405Z") + "/reminder/coach:an", "an@team.example",
			"Herinnering: huisbezoek 1 vervalt op " + reminder.Format("02-01-2006 15:04") + " (traject " + id + ")", "sent"},
		{id + "/handover_ack-1@20250701T070000Z/handover/service:" + f.service, f.email,
			"Overdracht 1 van traject " + id + ": " + f.programme, "pending"},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO outbound_emails (key, message_id, recipient, subject, status, attempts)
			VALUES ($1, $2, $3, $4, $5, 1)`, m.key, "<"+fmt.Sprintf("%x", sha256.Sum256([]byte(m.key)))[:32]+"@elkgezin>", m.to, m.subject, m.status); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (at, actor, action, trajectory_id, outcome, detail)
		VALUES ($1, 'supervisor:s', 'read_trajectory', $2, 'ok', '{}'), ($1, 'coach:an', 'event:intake_done', $2, 'ok', '{"seq": "3"}')`,
		f.referred.AddDate(0, 0, 5), id); err != nil {
		t.Fatal(err)
	}
	return id
}

// dump is the database's rows as pg_dump writes them (--data-only), per
// "table.column": every value in clear. bytea (ciphertext, digests) is
// left out. nil when pg_dump is not on the machine.
func dump(t *testing.T, url string) map[string][]string {
	t.Helper()
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Log("no pg_dump here: only erasurecheck's search of every column")
		return nil
	}
	out, err := exec.CommandContext(t.Context(), "pg_dump", "--data-only", "--no-owner", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	cols := map[string][]string{}
	var table string
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "COPY "):
			head, _, _ := strings.Cut(strings.TrimPrefix(line, "COPY "), " (")
			table = strings.TrimPrefix(head, "public.")
			list, _, _ := strings.Cut(line[strings.Index(line, "(")+1:], ") FROM stdin")
			names = strings.Split(list, ", ")
		case line == `\.`:
			table = ""
		case table != "":
			for i, v := range strings.Split(line, "\t") {
				if i < len(names) && v != `\N` && !strings.HasPrefix(v, `\\x`) {
					key := table + "." + strings.Trim(names[i], `"`)
					cols[key] = append(cols[key], v)
				}
			}
		}
	}
	return cols
}

// whereIs says in which columns the family's values are: in the pg_dump
// of the database at url, and by erasurecheck's search of every column
// (neither looks at the aggregates: a service there is a programme's).
func whereIs(t *testing.T, url string, pool *pgxpool.Pool, v erasurecheck.Values) []string {
	t.Helper()
	var found []string
	for col, values := range dump(t, url) {
		if erasurecheck.Columns[col] == erasurecheck.Aggregate {
			continue // a count per programme, month and service
		}
		for _, s := range v.Strings() {
			if slices.ContainsFunc(values, func(x string) bool { return strings.Contains(strings.ToLower(x), strings.ToLower(s)) }) {
				found = append(found, fmt.Sprintf("%s holds %q (pg_dump)", col, s))
			}
		}
	}
	cols, err := erasurecheck.List(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	// An older schema lacks columns the classification names; it may
	// have none the classification lacks.
	for _, p := range erasurecheck.Unclassified(cols) {
		if !strings.Contains(p, "which the database does not have") {
			t.Fatal(p)
		}
	}
	hits, err := erasurecheck.Find(t.Context(), pool, cols, v)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(found)
	return append(found, hits...)
}

// whileItRuns are the columns that keep a family's values in clear until
// its trajectory is erased, and that the erasure clears: the email
// ledger's keys (a handover's names the service), recipients and
// subjects, and when its next step is due.
var whileItRuns = []string{"outbound_emails.key", "outbound_emails.recipient", "outbound_emails.subject", "trajectories.next_due_at"}

// outside lists the places of found outside the columns allowed.
func outside(found []string, allowed ...string) []string {
	var out []string
	for _, f := range found {
		if !slices.ContainsFunc(allowed, func(col string) bool { return strings.HasPrefix(f, col+" ") }) {
			out = append(out, f)
		}
	}
	return out
}
