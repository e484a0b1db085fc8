package main

import (
	"crypto/sha256"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRoleOfProcess(t *testing.T) {
	const worker = 4242
	backends := map[int]string{4246: "stack_1", 4248: "temporal_m", 4249: "other_db"}
	for _, tc := range []struct {
		pid  int
		comm string
		want string
	}{
		{os.Getpid(), "bench", "bench"},
		{worker, "elkgezin", "worker"},
		{4243, "elkgezin", "api"},
		{4251, "elkgezin", "other"}, // another stack's
		{4244, "temporal", "temporal"},
		{4245, "temporal-server", "temporal"},
		{4246, "postgres", "postgres"},
		{4248, "postgres", "temporal"},
		{4249, "postgres", "other"},
		{4250, "postgres", "other"},
		{4247, "bash", "other"},
	} {
		if got := role(tc.pid, tc.comm, knownPIDs{worker: worker, apis: []int{4243}}, backends, "stack_1"); got != tc.want {
			t.Errorf("role(%d, %q) = %q, want %q", tc.pid, tc.comm, got, tc.want)
		}
	}
	// With a dev server of the stack's own, another Temporal is not ours.
	for _, tc := range []struct {
		pid  int
		comm string
		want string
	}{
		{5000, "temporal", "temporal"},
		{5001, "temporal-server", "other"},
		{4248, "postgres", "other"},
		{4246, "postgres", "postgres"},
	} {
		if got := role(tc.pid, tc.comm, knownPIDs{worker: worker, temporal: 5000, apis: []int{4243}}, backends, "stack_1"); got != tc.want {
			t.Errorf("role(%d, %q) = %q, want %q", tc.pid, tc.comm, got, tc.want)
		}
	}
}

// The bench's own CPU shows up under "bench" once it has burnt some. It
// hashes until /proc says so (a loaded machine gives it less than the wall
// time), and fails only if that never happens.
func TestCPUUseCountsTheBenchItself(t *testing.T) {
	roleOf := func(pid int, comm string) string { return role(pid, comm, knownPIDs{}, nil, "") }
	before := takeCPU(roleOf)
	sum := sha256.Sum256(nil)
	u := cpuUse{}
	for start := time.Now(); u["bench"] < 100*time.Millisecond; {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("the bench used %s of CPU in 20 s of hashing by /proc, want at least 100 ms", u["bench"])
		}
		for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
			sum = sha256.Sum256(sum[:])
		}
		u = cpuUse{}
		u.add(before, takeCPU(roleOf))
	}
	if got := u.perCall(2); !strings.Contains(got, "bench ") {
		t.Errorf("perCall = %q, want the bench's share named", got)
	}
}

func TestReferralCeiling(t *testing.T) {
	ms := time.Millisecond
	// A bare start: 15 ms in Temporal, 5 ms elsewhere. A referral: 10 ms
	// outside Temporal. Were its Temporal CPU a bare start's, it would cost
	// 25 ms against 20: 0.8 at most, whatever Temporal cost it really.
	bare := cpuUse{"temporal": 150 * ms, "bench": 50 * ms}
	api := cpuUse{"temporal": 400 * ms, "api": 40 * ms, "postgres": 40 * ms, "worker": 20 * ms}
	if got, least, total := referralCeiling(api, bare, 10, 10); got < 0.7999 || got > 0.8001 || least != 25 || total != 20 {
		t.Errorf("ceiling %.4f (%.1f against %.1f ms), want 0.8 (25 against 20)", got, least, total)
	}
	// No calls on a side: no division by zero.
	if got, _, _ := referralCeiling(cpuUse{}, cpuUse{}, 0, 0); got != 0 {
		t.Errorf("ceiling of nothing %.4f, want 0", got)
	}
}
