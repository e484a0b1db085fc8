package store

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elkgezin/elkgezin/internal/pgtest"
)

// migrateTo applies the migrations before version to the empty database
// at url, as a release before it did.
func migrateTo(t *testing.T, url string, version int) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	migrateBefore(t, pool, version)
	return pool
}

// migrateBefore applies the migrations before version that the database
// has not seen, as the releases before it did: a test writes what a
// release wrote at each schema, then migrates on.
func migrateBefore(t *testing.T, pool *pgxpool.Pool, version int) {
	t.Helper()
	if err := migrateUpTo(t.Context(), pool, version-1); err != nil {
		t.Fatalf("migrate to version %d: %v", version-1, err)
	}
}

// before0015 is a database as 0014 left it: a trajectory with a data key
// (tr-live: a pregnancy, a birth, a handover, a visit), one erased
// (tr-erased: its ledger rows, its consultation, a collective activity)
// and one from before data keys (tr-old, everything in clear).
const before0015 = `
INSERT INTO trajectories (id, programme_id, referrer_org, phase, referred_at, updated_at, version, expected_due_date, born_on, personal)
VALUES ('tr-live', 'p1', 'org', 'postnatal', '2026-01-05', '2026-03-20', 5, '2026-03-14', '2026-03-09', '\x01'),
       ('tr-erased', 'p1', 'org', 'closed', '2026-01-05', '2026-03-20', 3, '2026-04-02', NULL, NULL),
       ('tr-old', 'p1', 'org', 'postnatal', '2025-01-05', '2025-03-20', 3, NULL, '2025-03-09', NULL);
UPDATE trajectories SET family = '{"contact_name": "Oud Gezin"}', reason = 'oude reden', next_step = 'home_visit-2',
    next_due_at = '2026-03-16 08:00+00' WHERE id IN ('tr-old', 'tr-erased');
INSERT INTO trajectory_keys (trajectory_id, programme_id, key_id, wrapped) VALUES ('tr-live', 'p1', 'p1/k', '\x02');
INSERT INTO trajectory_keys (trajectory_id, programme_id, erased_at) VALUES ('tr-erased', 'p1', '2026-04-01');
INSERT INTO trajectory_events (trajectory_id, seq, cause, kind, actor, at, detail, sealed_detail) VALUES
    ('tr-live', 2, 'u/2', 'handover_requested', 'coach:an', '2026-02-10', '{"handover": "1", "service": "ocmw-sociale-dienst"}', '\x03'),
    ('tr-live', 3, 'u/3', 'birth_recorded', 'coach:an', '2026-03-12', '{"step": "birth", "step_due_at": "2026-03-17T08:00:00Z"}', '\x04'),
    ('tr-live', 4, 'u/4', 'home_visit_done', 'coach:an', '2026-03-20', '{"done_at": "2026-03-16T09:00:00Z", "next_visit_due": "2026-03-23T08:00:00Z", "visit": "1"}', '\x05'),
    ('tr-live', 5, 'u/5', 'reminder_sent', 'elkgezin', '2026-03-21', '{"step": "handover-1", "due_at": "2026-03-17T08:00:00Z", "to": "service:ocmw-sociale-dienst"}', '\x06'),
    ('tr-erased', 2, 'u/2', 'handover_acknowledged', 'service', '2026-02-11', '{"handover": "1", "service": "caw"}', NULL),
    ('tr-old', 2, NULL, 'birth_recorded', 'coach:an', '2025-03-10', '{"born_on": "2025-03-09", "name": "Oud Kind", "step_due_at": "2025-03-12T08:00:00Z"}', NULL);
INSERT INTO outbound_emails (key, message_id, recipient, subject, status, attempts) VALUES
    ('tr-erased/birth@20260405T070000Z/reminder/coach:an', '<m1@elkgezin>', 'coach@example.org', 'Herinnering: geboorte vervalt op 5 april', 'sent', 1),
    ('tr-erased/handover-1@20260211T080000Z/handover/service:caw', '<m2@elkgezin>', 'onthaal@caw.example', 'Overdracht 1', 'sent', 1),
    ('tr-live/handover-1@20260211T080000Z/handover/service:ocmw', '<m3@elkgezin>', 'overdracht@ocmw.example', 'Overdracht 1', 'sent', 1);
INSERT INTO consultations (id, programme_id, recorded_by, situation, advice, trajectory_id)
VALUES ('co-1', 'p1', 'partner:org', 'moeder alleen met drie kinderen', 'verwijzen', 'tr-erased');
INSERT INTO collective_activities (id, programme_id, kind, held_on, recorded_by, trajectories)
VALUES ('ac-1', 'p1', 'groep', '2026-02-01', 'coach:an', '{tr-live,tr-erased}');
`

// TestMigration0015LeavesNoDateOrServiceOfAFamilyInClear migrates the
// database above: the erasure made before is completed, the key rows of
// erased trajectories are gone, the clear copies of keyed events hold
// codes and months, the handovers are counted; rows without a data key
// stay as they were, for a later migration.
func TestMigration0015LeavesNoDateOrServiceOfAFamilyInClear(t *testing.T) {
	url := pgtest.NewDatabase(t)
	pool := migrateTo(t, url, 15)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, before0015); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	dump := func(sql string) string {
		t.Helper()
		var out string
		if err := pool.QueryRow(ctx, sql).Scan(&out); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out
	}
	live := dump(`SELECT row_to_json(t)::text || (SELECT json_agg(e ORDER BY seq)::text FROM trajectory_events e WHERE trajectory_id = 'tr-live')
		FROM trajectories t WHERE id = 'tr-live'`)
	for _, secret := range []string{"2026-03-09", "2026-03-17", "2026-03-16", "2026-03-23", "ocmw"} {
		if strings.Contains(live, secret) {
			t.Errorf("tr-live holds %q in clear after 0015: %s", secret, live)
		}
	}
	for _, want := range []string{`"born_month":"2026-03-01"`, `"step_due_month": "2026-03"`, `"next_visit_due_month": "2026-03"`, `"to": "service"`} {
		if !strings.Contains(live, want) {
			t.Errorf("tr-live lacks %s after 0015: %s", want, live)
		}
	}
	if old := dump(`SELECT row_to_json(t)::text || (SELECT json_agg(e)::text FROM trajectory_events e WHERE trajectory_id = 'tr-old')
		FROM trajectories t WHERE id = 'tr-old'`); !strings.Contains(old, "Oud Kind") || !strings.Contains(old, `"born_on":"2025-03-09"`) {
		t.Errorf("tr-old (no data key) changed: %s", old)
	}
	if keys := dump(`SELECT string_agg(trajectory_id, ',' ORDER BY trajectory_id) FROM trajectory_keys`); keys != "tr-live" {
		t.Errorf("key rows %s; want only tr-live's", keys)
	}
	if erased := dump(`SELECT string_agg(trajectory_id || '/' || programme_id || '/' || erased_at::date, ',') FROM erased_trajectories`); erased != "tr-erased/p1/2026-04-01" {
		t.Errorf("erasures %s", erased)
	}
	if counts := dump(`SELECT string_agg(concat_ws('/', programme_id, month, service, made, acknowledged), ',' ORDER BY service) FROM handover_counts`); counts != "p1/2026-02-01/caw/0/1,p1/2026-02-01/ocmw-sociale-dienst/1/0" {
		t.Errorf("handover counts %s", counts)
	}
	erased := dump(`SELECT row_to_json(t)::text || (SELECT json_agg(e)::text FROM trajectory_events e WHERE trajectory_id = 'tr-erased')
		|| (SELECT json_agg(m ORDER BY key)::text FROM outbound_emails m) || (SELECT json_agg(c)::text FROM consultations c)
		|| (SELECT json_agg(a)::text FROM collective_activities a) FROM trajectories t WHERE id = 'tr-erased'`)
	for _, secret := range []string{"Oud Gezin", "oude reden", "2026-04-02", "2026-03-16", "caw", "20260405", "coach@example.org",
		"5 april", "<m1@", "<m2@", "moeder", "verwijzen", `"tr-erased"]`} {
		if strings.Contains(erased, secret) {
			t.Errorf("the erased trajectory's %q is in PostgreSQL after 0015: %s", secret, erased)
		}
	}
	for _, kept := range []string{`"erased":true`, `"key":"tr-erased/erased/1"`, `"key":"tr-erased/erased/2"`, "overdracht@ocmw.example", `["tr-live"]`} {
		if !strings.Contains(erased, kept) {
			t.Errorf("after 0015 PostgreSQL lacks %s: %s", kept, erased)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE trajectory_events SET at = at WHERE trajectory_id = 'tr-live'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("the log after 0015 takes an UPDATE: %v", err)
	}
}
