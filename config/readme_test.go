package config

import (
	"os"
	"strings"
	"testing"
)

// The README shows the printout of `elkgezin` without arguments; it must
// be the one the code prints. UPDATE_README=1 rewrites it.
func TestReadmeShowsUsage(t *testing.T) {
	const begin, end = "<!-- elkgezin usage -->\n```\n", "```\n<!-- end elkgezin usage -->"
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no block between %q and %q", begin, end)
	}
	shown := readme[i+len(begin) : j]
	if shown == Usage() {
		return
	}
	if os.Getenv("UPDATE_README") == "1" {
		if err := os.WriteFile("../README.md", []byte(readme[:i+len(begin)]+Usage()+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's configuration block differs from config.Usage(); rerun with UPDATE_README=1")
}
