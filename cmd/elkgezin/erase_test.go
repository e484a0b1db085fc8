package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/config"
)

// TestEraseNeedsAReason: elkgezin erase says why in the audit log, or
// refuses before it touches anything.
func TestEraseNeedsAReason(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	for _, args := range [][]string{
		{"--trajectory", "tr-abc"},
		{"--trajectory", "tr-abc", "--reason", " "},
		{"--trajectory", "tr-abc", "--reason", "line one\nline two"},
		{"--trajectory", "tr-abc", "--reason", strings.Repeat("x", 201)},
	} {
		err := runErase(t.Context(), config.Config{}, args, io.Discard, logger)
		if err == nil || !strings.Contains(err.Error(), "--reason") {
			t.Errorf("erase %q: %v, want a refusal naming --reason", args, err)
		}
	}
}
