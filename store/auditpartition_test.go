package store

import (
	"slices"
	"testing"
	"time"
)

// TestAuditLogPartitionedByMonth: entries land in monthly partitions, a
// month without one gets it on the first write, rows stay append-only,
// and retention drops whole months.
func TestAuditLogPartitionedByMonth(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	if err := s.Audit(ctx, AuditEntry{Actor: "admin:root", Action: "test", Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	// Entries of a month far ahead: its partition is made on demand.
	later := time.Now().AddDate(0, 8, 0)
	if _, err := s.pool.Exec(ctx, `SET TIME ZONE 'UTC'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `SELECT audit_log_partitions($1, 0)`, later); err != nil {
		t.Fatal(err)
	}
	var part string
	if err := s.pool.QueryRow(ctx, `INSERT INTO audit_log (at, actor, action, outcome) VALUES ($1, 'a', 'b', 'ok') RETURNING tableoid::regclass::text`, later).Scan(&part); err != nil {
		t.Fatal(err)
	}
	if want := "audit_log_" + later.UTC().Format("y2006m01"); part != want {
		t.Errorf("an entry of %s went to %s, want %s", later.Format("2006-01"), part, want)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM audit_log`); err == nil {
		t.Error("audit_log allowed a DELETE")
	}
	if _, err := s.pool.Exec(ctx, `TRUNCATE `+part); err == nil {
		t.Error("a partition allowed a TRUNCATE")
	}

	// Retention: everything before the start of the month after next is
	// dropped, month by month; the later month stays.
	cutoff := time.Now().AddDate(0, 3, 0)
	dropped, err := s.DropAuditBefore(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dropped, "audit_log_before") || slices.Contains(dropped, part) {
		t.Errorf("dropped %v: want the first partition, not %s", dropped, part)
	}
	entries, err := s.AuditEntries(ctx, "", 10)
	if err != nil || len(entries) != 1 || entries[0].Actor != "a" {
		t.Errorf("after retention: %+v %v, want only the later entry", entries, err)
	}
	// A write after the current month's partition was dropped makes it again.
	if err := s.Audit(ctx, AuditEntry{Actor: "admin:root", Action: "test", Outcome: OutcomeOK}); err != nil {
		t.Errorf("an audit write after retention: %v", err)
	}
}

// TestAccessLogOfOneTrajectory: a trajectory's access log holds the
// entries that name it and the decodes that list it among others, oldest
// first, and nothing about another trajectory.
func TestAccessLogOfOneTrajectory(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	for _, e := range []AuditEntry{
		{Actor: "coach:c1", Action: "read_trajectory", TrajectoryID: "tr-a", Outcome: OutcomeOK},
		{Actor: "coach:c2", Action: "read_trajectory", TrajectoryID: "tr-b", Outcome: OutcomeDenied},
		{Actor: "supervisor:s1", Action: "decode_payloads", TrajectoryID: "tr-b", Outcome: OutcomeOK, Detail: map[string]string{"trajectories": "tr-b,tr-a"}},
		{Actor: "supervisor:s1", Action: "decode_payloads", TrajectoryID: "tr-b", Outcome: OutcomeOK, Detail: map[string]string{"trajectories": "tr-b,tr-aa"}},
		{Actor: "supervisor:s1", Action: "export_trajectory", TrajectoryID: "tr-a", Outcome: OutcomeOK},
	} {
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	log, err := s.AccessLog(ctx, "tr-a")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.Actor+" "+e.Action)
	}
	if want := []string{"coach:c1 read_trajectory", "supervisor:s1 decode_payloads", "supervisor:s1 export_trajectory"}; !slices.Equal(got, want) {
		t.Errorf("access log of tr-a: %v, want %v", got, want)
	}
}
