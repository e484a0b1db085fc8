// Package funclen holds a test of the repository's Go code: no function
// longer than a reader takes in at once, outside benchmarks and tests.
package funclen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/internal/repofiles"
)

// maxLines counts from the line with `func` to the line with the closing
// brace, both included.
const maxLines = 80

// TestNoLongFunctions: every top-level function and method in a non-test,
// non-generated Go file outside bench/ fits in maxLines; a longer one is
// split along its concerns into functions named for what they do.
func TestNoLongFunctions(t *testing.T) {
	root, err := repofiles.Root()
	if err != nil {
		t.Fatal(err)
	}
	names, err := repofiles.List(root)
	if err != nil {
		t.Fatal(err)
	}
	var long []string
	fset := token.NewFileSet()
	for _, name := range names {
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") ||
			strings.HasPrefix(name, "bench/") || slices.Contains(strings.Split(name, "/"), "testdata") {
			continue
		}
		path := filepath.Join(root, name)
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		// Generated code (apiclient/client.gen.go) is read through its
		// source, the OpenAPI document, not its functions.
		if ast.IsGenerated(f) {
			continue
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
				if n := lineCount(fset, fn); n > maxLines {
					long = append(long, fmt.Sprintf("%s: %s %d lines", name, funcName(fn), n))
				}
				continue
			}
			// A function literal outside any function (a package variable)
			// has no enclosing function to be counted with.
			ast.Inspect(decl, func(n ast.Node) bool {
				if lit, ok := n.(*ast.FuncLit); ok {
					if n := lineCount(fset, lit); n > maxLines {
						long = append(long, fmt.Sprintf("%s:%d: func literal %d lines", name, fset.Position(lit.Pos()).Line, n))
					}
					return false
				}
				return true
			})
		}
	}
	sort.Strings(long)
	for _, l := range long {
		t.Errorf("%s, over %d: split it along its concerns", l, maxLines)
	}
}

// lineCount counts n's lines from its first to its last, both included.
func lineCount(fset *token.FileSet, n ast.Node) int {
	return fset.Position(n.End()).Line - fset.Position(n.Pos()).Line + 1
}

// funcName spells a method with its receiver's type, as a reader searches.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	switch x := typ.(type) {
	case *ast.IndexExpr:
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return "(" + id.Name + ")." + fn.Name.Name
	}
	return fn.Name.Name
}

// TestTrajectoryFileIsShort: trajectory/trajectory.go keeps the package's
// overview; each concern has a file of its own that a reader finds by name.
func TestTrajectoryFileIsShort(t *testing.T) {
	root, err := repofiles.Root()
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(root, "trajectory", "trajectory.go"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(text), "\n"); n >= 250 {
		t.Errorf("trajectory/trajectory.go has %d lines; keep it under 250 by moving a concern to a file named for it", n)
	}
}
