package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGoalMissed(t *testing.T) {
	for _, tc := range []struct {
		goal   string
		ratio  float64
		missed bool
	}{
		{">= 0.80", 0.62, true},
		{">= 0.80", 0.80, false},
		{">= 0.80", 0.95, false},
		{"<= 1.25", 1.30, true},
		{"<= 1.25", 1.25, false},
		{"<= 1.25", 0.60, false},
		{"must", 1, false},
		{"must", 0, true},
		{"", 0.1, false},
	} {
		r := row{name: "x", goal: tc.goal, ratio: tc.ratio}
		if got := r.missed(); got != tc.missed {
			t.Errorf("ratio %.2f, goal %q: missed %v, want %v", tc.ratio, tc.goal, got, tc.missed)
		}
		if _, got := firstMissed([]row{{name: "no goal"}, r}); got != tc.missed {
			t.Errorf("ratio %.2f, goal %q: firstMissed %v, want %v", tc.ratio, tc.goal, got, tc.missed)
		}
	}
}

// The bench as its users run it: a short comparison on a dev server of its
// own prints both ratios with their goals, and -check exits 1 exactly when
// the table says a goal is missed (0 when none is; 2 is a failed run).
func TestCheckExitsNonZeroWhenTheTableSaysMissed(t *testing.T) {
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repo, "bin", "temporal")); err != nil {
		t.Fatalf("bin/temporal missing (deploy/install-tools builds it): %v", err)
	}
	bin := filepath.Join(t.TempDir(), "bench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the bench: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(t.Context(), bin, "-repo", repo, "-referrals", "24", "-steps", "16", "-rounds", "1", "-memory", "100", "-check")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	table := stdout.String()
	for _, want := range []string{"referrals/s", ">= 0.90", "step p50 ms", "<= 1.10", "step p99 ms", "<= 1.25", "memory per cached workflow", "<= 1.50"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	missed := strings.Contains(table, "MISSED")
	switch {
	case code == 2 || (code != 0 && code != 1):
		t.Fatalf("bench failed (exit %d):\n%s\n%s", code, table, stderr.String())
	case missed && code != 1:
		t.Errorf("the table says MISSED but -check exited %d:\n%s", code, table)
	case !missed && code != 0:
		t.Errorf("no goal missed but -check exited %d:\n%s\n%s", code, table, stderr.String())
	case missed && !strings.Contains(stderr.String(), "goal missed"):
		t.Errorf("-check exited 1 without saying which goal:\n%s", stderr.String())
	}
}
