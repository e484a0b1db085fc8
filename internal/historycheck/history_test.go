// Package historycheck holds a test of the repository's text: files say
// what the product is now; how it came to be is git's log.
package historycheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// history matches references to the work's history: an issue or a
// session by number, or a session by an ordinal from "third" on (the
// first two ordinals also name a person's sign-ins, which are no history).
var history = regexp.MustCompile(`(?i)\b(issue|session) [0-9]+\b|\b(third|fourth|fifth|sixth|seventh|eighth|ninth|tenth) session\b`)

// TestNoHistoryInTheFiles: no tracked text file names an issue or a
// session of the work that made it.
func TestNoHistoryInTheFiles(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the repository's root is not two folders up: %v", err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch name {
			case ".git", "bin", "artifacts", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil || strings.IndexByte(string(b[:min(len(b), 8000)]), 0) >= 0 {
			return err // binary files are skipped
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := history.FindString(line); m != "" {
				t.Errorf("%s:%d names the work's history (%q): say what the product is now; git log keeps how it came to be", name, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
