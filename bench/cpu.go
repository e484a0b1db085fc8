package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// CPU time of each part of the system, read from /proc: on a machine
// whose cores are all busy, a side's throughput is the cores divided by
// the CPU one call costs, so this says which part a ratio's gap is in.

// clockTick is Linux's USER_HZ, the unit of /proc/<pid>/stat's times.
const clockTick = 10 * time.Millisecond

// cpuSnapshot is every process's CPU time so far, by pid.
type cpuSnapshot map[int]procCPU

type procCPU struct {
	role string
	used time.Duration
}

// takeCPU reads every process's CPU time and names its part with roleOf.
func takeCPU(roleOf func(pid int, comm string) string) cpuSnapshot {
	snap := cpuSnapshot{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		comm, fields := s[open+1:end], strings.Fields(s[end+1:])
		if len(fields) < 13 {
			continue
		}
		// After the command: state(0) ... utime(11) stime(12).
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		snap[pid] = procCPU{role: roleOf(pid, comm), used: time.Duration(utime+stime) * clockTick}
	}
	return snap
}

// knownPIDs are the processes the stack started whose names are not
// enough: the worker, and the dev server (0 when Temporal is a server of
// its own, then known by its name).
type knownPIDs struct {
	worker, temporal int
	apis             []int
}

// role names a process: the bench itself, the stack's elkgezin worker and
// API (by pid: another stack's are not ours), Temporal, and PostgreSQL's
// backends by their database:
// elkgezin's (the stack's database) or Temporal's persistence.
func role(pid int, comm string, p knownPIDs, backends map[int]string, elkgezinDB string) string {
	// A dev server keeps its persistence in process; a server of its own
	// keeps it in PostgreSQL databases named temporal*.
	temporalServer := strings.HasPrefix(comm, "temporal") && p.temporal == 0
	temporalBackend := comm == "postgres" && strings.HasPrefix(backends[pid], "temporal") && p.temporal == 0
	switch {
	case pid == os.Getpid():
		return "bench"
	case pid == p.worker:
		return "worker"
	case slices.Contains(p.apis, pid):
		return "api"
	case pid == p.temporal, temporalServer, temporalBackend:
		return "temporal"
	case comm == "postgres" && backends[pid] == elkgezinDB:
		return "postgres"
	}
	return "other"
}

// pgBackends maps PostgreSQL's backend pids to their databases.
func pgBackends(ctx context.Context, databaseURL string) (map[int]string, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL backends: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid, coalesce(datname, '') FROM pg_stat_activity`)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL backends: %w", err)
	}
	m := map[int]string{}
	var (
		pid int
		db  string
	)
	_, err = pgx.ForEachRow(rows, []any{&pid, &db}, func() error { m[pid] = db; return nil })
	return m, err
}

// cpuNow is the system's CPU so far, each process named by role.
func (b *bencher) cpuNow(ctx context.Context) cpuSnapshot {
	backends, err := pgBackends(ctx, b.c.databaseURL)
	if err != nil {
		progress("CPU by process: %v (PostgreSQL's backends counted as other)", err)
	}
	db := ""
	if u, err := url.Parse(b.st.DatabaseURL); err == nil {
		db = strings.TrimPrefix(u.Path, "/")
	}
	known := knownPIDs{worker: b.st.WorkerPID(), temporal: b.st.TemporalPID(), apis: b.st.APIPIDs()}
	return takeCPU(func(pid int, comm string) string { return role(pid, comm, known, backends, db) })
}

// cpuRoles lists the roles in the order the table shows them.
var cpuRoles = []string{"temporal", "api", "worker", "postgres", "bench", "other"}

// cpuUse adds up CPU used between two snapshots, by role.
type cpuUse map[string]time.Duration

func (u cpuUse) add(before, after cpuSnapshot) {
	for pid, a := range after {
		u[a.role] += a.used - before[pid].used
	}
}

// perCall says the CPU a call cost, in ms, by role.
func (u cpuUse) perCall(calls int) string {
	var parts []string
	var total time.Duration
	for _, r := range cpuRoles {
		total += u[r]
		if u[r] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f", r, ms(u[r])/float64(max(calls, 1))))
		}
	}
	return fmt.Sprintf("%.1f (%s)", ms(total)/float64(max(calls, 1)), strings.Join(parts, ", "))
}

func (u cpuUse) total() time.Duration {
	var t time.Duration
	for _, d := range u {
		t += d
	}
	return t
}

// referralCeiling is the referral throughput ratio the machine could give
// at most if a referral cost the Temporal server no more than a bare start
// does: every process shares the same cores, so once they are busy the
// ratio is the bare start's CPU over the referral's, and a referral's CPU
// outside the server (the API, PostgreSQL, the worker, the caller) stays
// whatever the server does. A goal above it cannot be met by any cut to
// what the trajectory asks of Temporal. least is that referral's CPU per
// call in ms (a bare start's Temporal CPU plus the referral's outside it),
// bare a bare start's.
func referralCeiling(api, bare cpuUse, apiCalls, bareCalls int) (ceiling, least, bareTotal float64) {
	perAPI := func(d time.Duration) float64 { return ms(d) / float64(max(apiCalls, 1)) }
	perBare := func(d time.Duration) float64 { return ms(d) / float64(max(bareCalls, 1)) }
	least = perBare(bare["temporal"]) + perAPI(api.total()-api["temporal"])
	bareTotal = perBare(bare.total())
	return bareTotal / max(least, 0.001), least, bareTotal
}
