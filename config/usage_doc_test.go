package config

import (
	"os"
	"strings"
	"testing"
)

// usageDoc is the page that shows the printout of `elkgezin` without
// arguments: the reference of every variable.
const usageDoc = "../docs/configuration.md"

// docs/configuration.md shows the printout of `elkgezin` without
// arguments; it must be the one the code prints. UPDATE_DOCS=1 rewrites it.
func TestConfigurationDocShowsUsage(t *testing.T) {
	const begin, end = "<!-- elkgezin usage -->\n```\n", "```\n<!-- end elkgezin usage -->"
	raw, err := os.ReadFile(usageDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no block between %q and %q", usageDoc, begin, end)
	}
	shown := doc[i+len(begin) : j]
	if shown == Usage() {
		return
	}
	if os.Getenv("UPDATE_DOCS") == "1" {
		if err := os.WriteFile(usageDoc, []byte(doc[:i+len(begin)]+Usage()+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's variable reference differs from config.Usage(); rerun with UPDATE_DOCS=1", usageDoc)
}
