// Package archcheck holds the test that keeps the dependencies between
// elkgezin's packages pointing one way: the vocabulary (trajectory), the
// programme files (programme) and the configuration (config) below the
// HTTP layer, the store, the worker's activities and the workflows.
package archcheck

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/elkgezin/elkgezin/"

// below lists, for each package (and every package under it), the
// packages it must not depend on, directly or not.
var below = map[string][]string{
	"config":     {"api", "pages", "store", "activities", "workflows"},
	"trajectory": {"programme", "api", "pages", "store", "activities", "workflows"},
	"programme":  {"api", "pages", "store", "activities", "workflows"},
}

type listed struct {
	ImportPath string
	Deps       []string
}

func TestDependenciesPointOneWay(t *testing.T) {
	for pkg, forbidden := range below {
		out, err := exec.Command("go", "list", "-json", module+pkg+"/...").Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		n := 0
		for ; dec.More(); n++ {
			var p listed
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			for _, dep := range p.Deps {
				for _, f := range forbidden {
					if dep == module+f || strings.HasPrefix(dep, module+f+"/") {
						t.Errorf("%s depends on %s: it must stay below it", p.ImportPath, dep)
					}
				}
			}
		}
		if n == 0 {
			t.Errorf("go list found no package under %s", pkg)
		}
	}
}
