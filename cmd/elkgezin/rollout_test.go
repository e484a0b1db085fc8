package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/rollout"
)

// A rollout's step command gets the plan in its environment, and its
// failure stops the rollout.
func TestShellStep(t *testing.T) {
	if shellStep("") != nil {
		t.Error("an empty command is a step")
	}
	out := filepath.Join(t.TempDir(), "env")
	step := shellStep(`echo "$ROLLOUT_FROM $ROLLOUT_TO $ROLLOUT_OLD" > ` + out)
	if err := step(t.Context(), rollout.Plan{From: "n", To: "n1", Old: []string{"n", "n0"}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || strings.TrimSpace(string(b)) != "n n1 n,n0" {
		t.Errorf("the command saw %q (%v), want %q", b, err, "n n1 n,n0")
	}
	if err := shellStep("exit 3")(t.Context(), rollout.Plan{}); err == nil || !strings.Contains(err.Error(), "exit 3") {
		t.Errorf("a failing command: %v", err)
	}
}
