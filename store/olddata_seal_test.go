package store

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// The families of the migration test: a pregnancy that runs (erased at
// the end), a family in support that took a step after data keys came and
// whose log holds a plain cause, one closed before data keys, and one
// erased by the release before 0016, whose old events kept their detail.
var (
	oldPregnancy = oldFamily{programme: "perinatal-menen", org: "politie-jeugd-en-gezin", reference: "PV/2025/004217",
		name: "Noor Oudgezin", phone: "+32 485 11 22 33", address: "Veldstraat 12, 8930 Menen", reason: "geen inkomen sinds de zomer",
		note: "koelkast leeg, mama slaapt slecht", sibling: "Sami Oudgezin", child: "Lina Oudgezin", service: "ocmw-menen",
		email: "overdracht@ocmw-menen.example", referred: time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC),
		siblingBorn: "2019-06-02", due: "2025-03-14", born: "2025-03-09"}
	oldSupport = oldFamily{programme: "go-team-mechelen", org: "ocmw-mechelen", reference: "OCMW/2025/0199",
		name: "Sara Blijfgezin", phone: "+32 486 99 88 77", address: "Kerkstraat 3, 2800 Mechelen", reason: "dakloos na uithuiszetting",
		note: "kinderen spelen op straat", sibling: "Yara Blijfgezin", service: "caw-mechelen", email: "onthaal@caw-mechelen.example",
		referred: time.Date(2025, 2, 3, 9, 0, 0, 0, time.UTC), siblingBorn: "2016-11-23"}
	oldClosed = oldFamily{programme: "go-team-mechelen", org: "clb-mechelen", reference: "CLB-2024-88",
		name: "Adam Sluitgezin", phone: "+32 471 23 45 67", address: "Brugstraat 8, 2800 Mechelen", reason: "schulden bij de huisbaas",
		note: "vader zoekt werk", sibling: "Mila Sluitgezin", service: "schuldbemiddeling", email: "schuld@mechelen.example",
		closing: "gezin zelfstandig, huur betaald", referred: time.Date(2024, 9, 2, 9, 0, 0, 0, time.UTC), siblingBorn: "2015-04-17"}
	oldErased = oldFamily{programme: "go-team-mechelen", org: "ocmw-mechelen", reference: "OCMW/2024/0777",
		name: "Ines Weggezin", phone: "+32 479 76 54 32", address: "Nekkerspoel 40, 2800 Mechelen", reason: "verslaving van de vader",
		note: "moeder huilde tijdens het bezoek", sibling: "Noah Weggezin", service: "cgg-mechelen", email: "intake@cgg.example",
		referred: time.Date(2024, 10, 7, 9, 0, 0, 0, time.UTC), siblingBorn: "2017-08-30"}
)

// TestDataBeforeDataKeysIsSealed builds a database at the schema before
// data keys (0001..0006) with the families above as that release wrote
// them, lets the releases after it do what they did (a step under a data
// key with a plain cause, an erasure), migrates it to now and runs the
// worker's sealing: pg_dump and a search of every column then find none
// of the families' values in clear, but where a running trajectory keeps
// them until its erasure (the ledger, its next due date); every sealed
// value reads back; the trajectory that had no key is erased, leaving
// nothing; the closed one is retention's at last.
func TestDataBeforeDataKeysIsSealed(t *testing.T) {
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	pool := migrateTo(t, url, 7)
	families := []oldFamily{oldPregnancy, oldSupport, oldClosed, oldErased}
	for _, f := range families {
		insertOld(t, pool, f)
	}
	if found := whereIs(t, url, pool, oldPregnancy.values(t)); !slices.ContainsFunc(found, func(f string) bool {
		return strings.HasPrefix(f, "trajectories.family holds \"Noor Oudgezin\"")
	}) {
		t.Fatalf("before the migration the search finds %v; want the name in trajectories.family", found)
	}

	// The release between 0014 and 0015: the family in support takes a
	// step (its data key is made) and its log names an email by its
	// plain cause; the erased family is erased as that release did.
	migrateBefore(t, pool, 16)
	pk := keys.MustGenerate("test", keys.TestProgrammes...)
	then := (&Store{pool: pool}).WithKeys(pk)
	support, erased := oldSupport.id(), oldErased.id()
	step := trajectory.Event{TrajectoryID: support, Seq: 7, Cause: "update/visit-3", Kind: trajectory.EventVisitDone, Actor: "coach:an",
		At: time.Date(2025, 5, 6, 10, 0, 0, 0, time.UTC), Detail: map[string]string{"note": "nieuwe woning gevonden", "visit": "3"},
		Summary: trajectory.Summary{ProgrammeID: oldSupport.programme, ReferrerOrg: oldSupport.org, Phase: trajectory.PhaseInSupport,
			CoachID: "an", ReferredAt: oldSupport.referred}}
	record(t, then, step)
	plain := "email/" + support + "/home_visit-4@20250520T070000Z/reminder/coach:an"
	k, err := then.Vault().Key(ctx, support)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := sealDetail(k, 8, map[string]string{"step": "home_visit-4", "due_at": "2025-05-20T07:00:00Z", "to": "coach:an"})
	if _, err := pool.Exec(ctx, `INSERT INTO trajectory_events (trajectory_id, seq, cause, kind, actor, at, detail, sealed_detail)
		VALUES ($1, 8, $2, 'reminder_sent', 'elkgezin', '2025-05-19 07:00+00', '{"step": "home_visit-4", "due_month": "2025-05"}', $3),
		       ($4, 7, $5, 'reminder_sent', 'elkgezin', '2025-05-19 07:00+00', '{}', NULL)`,
		support, plain, sealed, erased, "email/"+erased+"/home_visit-4@20250520T070000Z/reminder/coach:an"); err != nil {
		t.Fatal(err)
	}
	if _, err := then.Vault().Ensure(ctx, erased, oldErased.programme); err != nil {
		t.Fatal(err)
	}
	if _, err := then.Vault().EraseWith(ctx, erased, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, clearErasedSQL, erased)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// This release: migrations, then the worker's start.
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	s := (&Store{pool: pool}).WithKeys(pk)
	cutoff := []RetentionCutoff{{ProgrammeID: oldClosed.programme, ClosedBy: time.Now()}}
	if expired, err := s.ExpiredNotErased(ctx, cutoff, "", 10); err != nil || len(expired) != 0 {
		t.Fatalf("before sealing retention finds %+v (%v); want none (no data key)", expired, err)
	}
	if n, err := s.SealClearFields(ctx); err != nil || n != 3 {
		t.Fatalf("sealing: %d (%v); want the three trajectories not erased", n, err)
	}
	for _, f := range families {
		allowed := whileItRuns
		if f.id() == erased {
			allowed = nil
		}
		for _, where := range outside(whereIs(t, url, pool, f.values(t)), allowed...) {
			t.Errorf("%s after sealing: %s", f.reference, where)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE trajectory_events SET at = at WHERE trajectory_id = $1`, support); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("the log after sealing takes an UPDATE: %v", err)
	}
	checkSealedReadsBack(t, s, oldPregnancy, oldSupport)
	var tagged bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM trajectory_events WHERE trajectory_id = $1 AND cause = $2)`,
		support, "k/"+k.Tag("cause/"+plain)).Scan(&tagged); err != nil || !tagged {
		t.Errorf("the plain cause is not its tag after sealing (%v)", err)
	}
	var plainLeft int
	var visit map[string]string
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM trajectory_events WHERE cause LIKE 'email/%'),
		(SELECT detail FROM trajectory_events WHERE trajectory_id = $1 AND kind = 'home_visit_done')`, erased).Scan(&plainLeft, &visit); err != nil ||
		plainLeft != 0 || visit["next_visit_due_month"] != "2025-01" || visit["step"] != "home_visit-2" || len(visit) != 4 {
		t.Errorf("after 0016, %d plain causes (%v); the erased trajectory's visit keeps %v, want its codes and months", plainLeft, err, visit)
	}
	if expired, err := s.ExpiredNotErased(ctx, cutoff, "", 10); err != nil || len(expired) != 1 || expired[0].ID != oldClosed.id() {
		t.Errorf("after sealing retention finds %+v (%v); want the trajectory closed before data keys", expired, err)
	}

	// The pregnancy had no data key: now it is erased, and leaves nothing.
	pregnancy := oldPregnancy.id()
	if done, err := s.EraseAudited(ctx, pregnancy, AuditEntry{Actor: "supervisor:s", Action: "erase_trajectory", TrajectoryID: pregnancy, Outcome: OutcomeOK}); err != nil || !done {
		t.Fatalf("erase the trajectory that had no key: %v, %v", done, err)
	}
	for _, where := range whereIs(t, url, pool, oldPregnancy.values(t)) {
		t.Errorf("after its erasure: %s", where)
	}
	var month time.Time
	if err := pool.QueryRow(ctx, `SELECT born_month FROM trajectories WHERE id = $1`, pregnancy).Scan(&month); err != nil ||
		!month.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after the erasure the month of birth is %s (%v); want March 2025 (reports count it)", month, err)
	}
}

// TestOldTrajectoryErasedBeforeTheWorkerSealedIt: a trajectory written
// before data keys is erased before any worker sealed it: the erasure
// seals first (making its key), and leaves nothing of the family.
func TestOldTrajectoryErasedBeforeTheWorkerSealedIt(t *testing.T) {
	url := pgtest.NewDatabase(t)
	pool := migrateTo(t, url, 7)
	id := insertOld(t, pool, oldPregnancy)
	migrateBefore(t, pool, 1<<30)
	s := (&Store{pool: pool}).WithKeys(keys.MustGenerate("test", keys.TestProgrammes...))
	if done, err := s.Erase(t.Context(), id); err != nil || !done {
		t.Fatalf("erase: %v, %v", done, err)
	}
	for _, where := range whereIs(t, url, pool, oldPregnancy.values(t)) {
		t.Errorf("after its erasure: %s", where)
	}
	if n, err := s.SealClearFields(t.Context()); err != nil || n != 0 {
		t.Errorf("sealing after the erasure: %d (%v); want nothing left to do", n, err)
	}
}

// checkSealedReadsBack: what was in clear reads back, whole, from what
// was sealed.
func checkSealedReadsBack(t *testing.T, s *Store, perinatal, support oldFamily) {
	t.Helper()
	got, err := s.Trajectory(t.Context(), perinatal.id())
	if err != nil {
		t.Fatal(err)
	}
	names := func(cs []trajectory.Child) (out []string) {
		for _, c := range cs {
			out = append(out, c.Name+" "+c.BirthDate.String())
		}
		return out
	}
	if got.Family == nil || got.Family.ContactName != perinatal.name || got.Family.Address != perinatal.address ||
		got.ReferrerReference != perinatal.reference || got.Reason != perinatal.reason ||
		got.ExpectedDueDate == nil || got.ExpectedDueDate.String() != perinatal.due || got.BornOn == nil || got.BornOn.String() != perinatal.born ||
		!slices.Equal(names(got.Children), []string{perinatal.sibling + " " + perinatal.siblingBorn, perinatal.child + " " + perinatal.born}) {
		t.Errorf("the pregnancy after sealing: %+v", got)
	}
	if len(got.Events) != 8 || got.Events[2].Detail["note"] != perinatal.note || got.Events[5].Detail["service"] != perinatal.service ||
		got.Events[4].Detail["name"] != perinatal.child {
		t.Errorf("the pregnancy's events after sealing: %+v", got.Events)
	}
	got, err = s.Trajectory(t.Context(), support.id())
	if err != nil {
		t.Fatal(err)
	}
	if got.Family == nil || got.Family.Phone != support.phone || len(got.Children) != 1 || got.Children[0].Name != support.sibling ||
		len(got.Events) != 8 || got.Events[2].Detail["note"] != support.note || got.Events[6].Detail["note"] != "nieuwe woning gevonden" ||
		got.Events[7].Detail["due_at"] != "2025-05-20T07:00:00Z" {
		t.Errorf("the family in support after sealing: %+v", got)
	}
}

// TestSealingOldDataResumesAndSealsOnce: the sealing of data written
// before data keys stops at a trajectory whose transaction fails (here a
// trigger; a worker killed mid-way is the same rollback) and leaves that
// one as it was, whole; the next run seals it and nothing else; a third
// finds nothing, and changes no byte; two runs at once seal each
// trajectory once.
func TestSealingOldDataResumesAndSealsOnce(t *testing.T) {
	ctx := t.Context()
	families := make([]oldFamily, 6)
	for i := range families {
		f := oldSupport
		f.reference = "OCMW/2025/10" + string(rune('0'+i))
		f.name = "Gezin " + string(rune('A'+i))
		families[i] = f
	}
	build := func() (*Store, []string) {
		pool := migrateTo(t, pgtest.NewDatabase(t), 7)
		var ids []string
		for _, f := range families {
			ids = append(ids, insertOld(t, pool, f))
		}
		migrateBefore(t, pool, 1<<30)
		slices.Sort(ids)
		return (&Store{pool: pool}).WithKeys(keys.MustGenerate("test", keys.TestProgrammes...)), ids
	}

	s, ids := build()
	// The third trajectory's transaction fails after its events were rewritten.
	if _, err := s.Pool().Exec(ctx, `CREATE FUNCTION fail_sealing() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'worker killed'; END $$;
		CREATE TRIGGER fail_sealing BEFORE UPDATE ON trajectories FOR EACH ROW WHEN (OLD.id = '`+ids[2]+`' AND OLD.family IS NOT NULL)
		EXECUTE FUNCTION fail_sealing()`); err != nil {
		t.Fatal(err)
	}
	n, err := s.SealClearFields(ctx)
	if err == nil || !strings.Contains(err.Error(), ids[2]) || n != 5 {
		t.Fatalf("first run: %d sealed, %v; want 5 and an error naming %s", n, err, ids[2])
	}
	if raw := rawRows(t, s, ids[2]); !strings.Contains(raw, families[0].note) || !strings.Contains(raw, families[0].phone) {
		t.Errorf("the trajectory whose sealing failed is not as it was: %s", raw)
	}
	if _, err := s.Pool().Exec(ctx, `DROP TRIGGER fail_sealing ON trajectories`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SealClearFields(ctx); err != nil || n != 1 {
		t.Fatalf("second run: %d sealed (%v); want the one left", n, err)
	}
	fingerprint := func(pool *pgxpool.Pool) string {
		var out string
		if err := pool.QueryRow(ctx, `SELECT md5(string_agg(t.id || encode(t.personal, 'hex'), ',' ORDER BY t.id)) ||
			(SELECT md5(string_agg(coalesce(encode(sealed_detail, 'hex'), '') || detail::text || coalesce(cause, ''), ',' ORDER BY pos)) FROM trajectory_events)
			FROM trajectories t`).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := fingerprint(s.Pool())
	if n, err := s.SealClearFields(ctx); err != nil || n != 0 {
		t.Fatalf("third run: %d sealed (%v); want none", n, err)
	}
	if after := fingerprint(s.Pool()); after != before {
		t.Error("a run with nothing to seal changed what was sealed")
	}
	for i, id := range ids {
		got, err := s.Trajectory(ctx, id)
		if err != nil || got.Family == nil || len(got.Children) != 1 || got.Events[2].Detail["note"] != families[0].note {
			t.Errorf("trajectory %d after the runs: %+v (%v); want its family, one child and its notes", i, got, err)
		}
		if raw := rawRows(t, s, id); strings.Contains(raw, families[0].note) || strings.Contains(raw, families[0].phone) {
			t.Errorf("trajectory %d in clear after the runs: %s", i, raw)
		}
	}

	// Two workers start at once.
	s, _ = build()
	var wg sync.WaitGroup
	counts, errs := make([]int, 2), make([]error, 2)
	for i := range 2 {
		wg.Go(func() { counts[i], errs[i] = s.SealClearFields(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil || counts[0]+counts[1] != len(families) {
		t.Errorf("two runs at once: %v sealed (%v); want %d in all", counts, err, len(families))
	}
}
