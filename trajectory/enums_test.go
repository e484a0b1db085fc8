package trajectory

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEnumListsAreComplete: each exported list of values holds every
// constant of its kind that the package declares, once, so a new event
// kind, step kind, phase or close reason reaches the lists the API's
// documentation is checked against.
func TestEnumListsAreComplete(t *testing.T) {
	byType, events := declaredConstants(t)
	check := func(name string, declared, listed []string) {
		t.Helper()
		slices.Sort(declared)
		sorted := slices.Clone(listed)
		slices.Sort(sorted)
		if !slices.Equal(declared, sorted) {
			t.Errorf("%s lists\n%v\nthe package declares\n%v", name, sorted, declared)
		}
		if len(slices.Compact(sorted)) != len(listed) {
			t.Errorf("%s lists a value twice: %v", name, listed)
		}
	}
	check("EventKinds", events, EventKinds)
	check("StepKinds", byType["StepKind"], strs(StepKinds))
	check("Phases", byType["Phase"], strs(Phases))
	check("CloseReasons", byType["CloseReason"], strs(CloseReasons))
}

func strs[S ~string](xs []S) []string {
	var out []string
	for _, x := range xs {
		out = append(out, string(x))
	}
	return out
}

// declaredConstants reads the package's string constants: by their type,
// and the untyped ones named Event... (the event kinds).
func declaredConstants(t *testing.T) (byType map[string][]string, events []string) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	byType = map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					switch typ, _ := vs.Type.(*ast.Ident); {
					case typ != nil:
						byType[typ.Name] = append(byType[typ.Name], v)
					case strings.HasPrefix(n.Name, "Event"):
						events = append(events, v)
					}
				}
			}
		}
	}
	return byType, events
}
