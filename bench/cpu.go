package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
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

// roles names the processes the bench knows: itself, the elkgezin worker
// (by pid), the API (every other elkgezin), Temporal and PostgreSQL.
func takeCPU(workerPID int) cpuSnapshot {
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
		snap[pid] = procCPU{role: role(pid, comm, workerPID), used: time.Duration(utime+stime) * clockTick}
	}
	return snap
}

func role(pid int, comm string, workerPID int) string {
	switch {
	case pid == os.Getpid():
		return "bench"
	case pid == workerPID:
		return "worker"
	case comm == "elkgezin":
		return "api"
	case strings.HasPrefix(comm, "temporal"):
		return "temporal"
	case comm == "postgres":
		return "postgres"
	}
	return "other"
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
