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
	for _, tc := range []struct {
		pid  int
		comm string
		want string
	}{
		{os.Getpid(), "bench", "bench"},
		{worker, "elkgezin", "worker"},
		{4243, "elkgezin", "api"},
		{4244, "temporal", "temporal"},
		{4245, "temporal-server", "temporal"},
		{4246, "postgres", "postgres"},
		{4247, "bash", "other"},
	} {
		if got := role(tc.pid, tc.comm, worker); got != tc.want {
			t.Errorf("role(%d, %q) = %q, want %q", tc.pid, tc.comm, got, tc.want)
		}
	}
}

// The bench's own CPU shows up under "bench" once it has burnt some.
func TestCPUUseCountsTheBenchItself(t *testing.T) {
	before := takeCPU(0)
	sum := sha256.Sum256(nil)
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		sum = sha256.Sum256(sum[:])
	}
	u := cpuUse{}
	u.add(before, takeCPU(0))
	if u["bench"] < 100*time.Millisecond {
		t.Fatalf("the bench used %s of CPU in 300 ms of hashing, want at least 100 ms", u["bench"])
	}
	if got := u.perCall(2); !strings.Contains(got, "bench ") {
		t.Errorf("perCall = %q, want the bench's share named", got)
	}
}
