// Package historycheck holds a test of the repository's text: files say
// what the product is now; how it came to be is git's log.
package historycheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/internal/repofiles"
)

// history matches references to the work's history: an issue or a
// session by number, a session by an ordinal from "third" on (the first
// two ordinals also name a person's sign-ins, which are no history), and
// a diary of what CI turned up.
var history = regexp.MustCompile(`(?i)\b(issue|session) #?[0-9]+\b|\b(third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth) session\b|\bwhat CI\s+found\b`)

// commentMark is what continues a sentence on the next line of a comment
// or a Markdown quote: a number split from its word there still counts.
var commentMark = regexp.MustCompile(`^\s*(//|#+|--|\*|>|;)?\s*`)

// findHistory returns, for each line of text that names the work's
// history (alone, or with the start of the next line), the line's number
// and what it names.
func findHistory(text string) map[int]string {
	found := map[int]string{}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if m := history.FindString(line); m != "" {
			found[i+1] = m
			continue
		}
		if i+1 < len(lines) {
			next := commentMark.ReplaceAllString(lines[i+1], "")
			if m := history.FindString(line + " " + next); m != "" && history.FindString(next) == "" {
				found[i+1] = m
			}
		}
	}
	return found
}

// TestNoHistoryInTheFiles: no tracked text file (Go, Markdown, YAML,
// shell, SQL, templates, ...) names an issue or a session of the work that
// made it.
func TestNoHistoryInTheFiles(t *testing.T) {
	root, err := repofiles.Root()
	if err != nil {
		t.Fatal(err)
	}
	names, err := repofiles.List(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 100 {
		t.Fatalf("found %d files; the search broke", len(names))
	}
	for _, name := range names {
		info, err := os.Lstat(filepath.Join(root, name))
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the work tree, or a link
		}
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.IndexByte(string(b[:min(len(b), 8000)]), 0) >= 0 {
			continue // binary
		}
		for line, m := range findHistory(string(b)) {
			t.Errorf("%s:%d names the work's history (%q): say what the product is now; git log keeps how it came to be", name, line, m)
		}
	}
}

// TestHistoryIsFound: the forms the check is for, and words it must leave
// alone. The examples are put together so that this file holds none.
func TestHistoryIsFound(t *testing.T) {
	iss, ses := "iss"+"ue", "sess"+"ion"
	for _, text := range []string{
		"see " + iss + " 12 for why",
		"// fixed in " + iss + "\n// 7, which found it",
		"# the " + ses + " #4 notes",
		"The " + "seventh " + ses + " measured it",
		"what " + "CI found",
	} {
		if len(findHistory(text)) == 0 {
			t.Errorf("not found in %q", text)
		}
	}
	for _, text := range []string{
		"a browser " + ses + " of 8 hours",
		"the " + iss + "r of the token",
		"go.dev/" + iss + "/75804",
		"a second " + ses + " of the same coach",
		"the " + ses + "\n\n12 rows",
	} {
		if f := findHistory(text); len(f) != 0 {
			t.Errorf("found %v in %q", f, text)
		}
	}
}
