// Package doccheck holds tests of the repository's documentation: what
// README.md, CONTRIBUTING.md, BENCHMARKS.md and docs/ point at must exist,
// so a reader who follows a link, runs a command or looks up a test finds
// it.
package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/internal/repofiles"
	"unicode"
)

// repo is the repository: its root and its tracked files.
type repo struct {
	root  string
	files []string // tracked files, slash-separated, relative to root
}

func openRepo(t *testing.T) repo {
	t.Helper()
	root, err := repofiles.Root()
	if err != nil {
		t.Fatal(err)
	}
	files, err := repofiles.List(root)
	if err != nil {
		t.Fatal(err)
	}
	return repo{root: root, files: files}
}

// docs are the Markdown pages a reader is pointed to.
func (r repo) docs() []string {
	var docs []string
	for _, f := range r.files {
		if strings.HasSuffix(f, ".md") && (f == "README.md" || f == "CONTRIBUTING.md" || f == "BENCHMARKS.md" || strings.HasPrefix(f, "docs/")) {
			docs = append(docs, f)
		}
	}
	return docs
}

// exists says whether path (slash-separated, relative to the root, a
// folder with or without its trailing slash, or a glob) names a tracked
// file or a folder that holds one.
func (r repo) exists(path string) bool {
	path = strings.TrimPrefix(strings.TrimSuffix(path, "/"), "./")
	if path == "" || path == "." {
		return true
	}
	for _, f := range r.files {
		if f == path || strings.HasPrefix(f, path+"/") {
			return true
		}
		if strings.ContainsAny(path, "*?[") {
			for dir := f; dir != "."; dir = filepath.Dir(dir) {
				if ok, _ := filepath.Match(path, dir); ok {
					return true
				}
			}
		}
	}
	return false
}

func (r repo) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// prose is the text of a Markdown page outside its code blocks, line by
// line (code blocks' lines are empty, so line numbers hold).
func prose(text string) []string {
	lines := strings.Split(text, "\n")
	fence := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fence = !fence
			lines[i] = ""
		} else if fence {
			lines[i] = ""
		}
	}
	return lines
}

var (
	heading = regexp.MustCompile(`^(#{1,6}) +(.*?) *#*$`)
	link    = regexp.MustCompile(`\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)`)
)

// anchors are the ids GitHub gives a page's headings.
func anchors(text string) map[string]bool {
	ids := map[string]bool{}
	seen := map[string]int{}
	for _, l := range prose(text) {
		m := heading.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		id := slug(m[2])
		if n := seen[id]; n > 0 {
			ids[id+"-"+strconv.Itoa(n)] = true
		} else {
			ids[id] = true
		}
		seen[id]++
	}
	return ids
}

// slug is GitHub's id of a heading: its text without markup, lower case,
// punctuation dropped, spaces as hyphens.
func slug(text string) string {
	text = link.ReplaceAllString(text, "]") // [text](url) reads as text
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestLinksResolve: every relative link of the docs names a file or folder
// in the repository, and an anchor a heading of the page it names.
func TestLinksResolve(t *testing.T) {
	r := openRepo(t)
	docs := r.docs()
	if !slices.Contains(docs, "README.md") || len(docs) < 10 {
		t.Fatalf("found only %v", docs)
	}
	for _, doc := range docs {
		for i, l := range prose(r.read(t, doc)) {
			for _, m := range link.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				file, anchor, _ := strings.Cut(target, "#")
				path := doc
				if file != "" {
					path = filepath.ToSlash(filepath.Join(filepath.Dir(doc), file))
					if strings.HasPrefix(path, "../") || path == ".." {
						t.Errorf("%s:%d: %s points outside the repository", doc, i+1, target)
						continue
					}
					if !r.exists(path) {
						t.Errorf("%s:%d: %s: no such file or folder in the repository", doc, i+1, target)
						continue
					}
				}
				if anchor != "" && strings.HasSuffix(path, ".md") && !anchors(r.read(t, path))[anchor] {
					t.Errorf("%s:%d: %s: %s has no heading #%s", doc, i+1, target, path, anchor)
				}
			}
		}
	}
}

// TestHeadingsNest: each page has one title (#) on its first line, and no
// heading is more than one level below the one before it.
func TestHeadingsNest(t *testing.T) {
	r := openRepo(t)
	for _, doc := range r.docs() {
		level := 0
		for i, l := range prose(r.read(t, doc)) {
			m := heading.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			n := len(m[1])
			switch {
			case i == 0 && n != 1:
				t.Errorf("%s:1: the page starts with a heading of level %d, want its title (#)", doc, n)
			case i > 0 && n == 1:
				t.Errorf("%s:%d: a second title (#): %s", doc, i+1, l)
			case n > level+1:
				t.Errorf("%s:%d: a heading of level %d under one of level %d: %s", doc, i+1, n, level, l)
			}
			level = n
		}
		if level == 0 {
			t.Errorf("%s has no title", doc)
		}
	}
}

// testFuncs are the names of every test, benchmark, fuzz target and
// example in the repository's _test.go files, whatever their build tags.
func testFuncs(t *testing.T, r repo) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range r.files {
		if !strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(r.root, f), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				names[fn.Name.Name] = true
			}
		}
	}
	return names
}

// testName is a Go test's or benchmark's name in a doc (a subtest after
// a slash is not checked).
var testName = regexp.MustCompile(`\b(?:Test|Benchmark|Fuzz)[A-Z][A-Za-z0-9_]*`)

// TestTestsNamedInTheDocsExist: every test a doc names (in prose or in a
// command's -run) is a function of a _test.go file.
func TestTestsNamedInTheDocsExist(t *testing.T) {
	r := openRepo(t)
	funcs := testFuncs(t, r)
	if len(funcs) < 100 {
		t.Fatalf("found %d test functions; the search broke", len(funcs))
	}
	found := 0
	for _, doc := range r.docs() {
		for i, l := range strings.Split(r.read(t, doc), "\n") {
			for _, name := range testName.FindAllString(l, -1) {
				found++
				if !funcs[name] {
					t.Errorf("%s:%d: %s names no test of the repository", doc, i+1, name)
				}
			}
		}
	}
	if found < 30 {
		t.Errorf("the docs name %d tests; the search broke", found)
	}
}

// repoPath is a path in a doc that starts with a top-level folder of the
// repository (optionally after ./), such as ./deploy/cluster-test,
// e2e/pages_test.go or store/migrations/; its first group is the ./.
var repoPath = regexp.MustCompile(`(?:^|[\s(\x60'"=])(\./)?([a-z][a-z0-9_.-]*/[A-Za-z0-9_.*/-]*)`)

// TestPathsAndCommandsInTheDocsExist: every ./deploy/… command, and every
// other path under a top-level folder that a doc names, is in the
// repository.
func TestPathsAndCommandsInTheDocsExist(t *testing.T) {
	r := openRepo(t)
	top := map[string]bool{}
	for _, f := range r.files {
		if dir, _, ok := strings.Cut(f, "/"); ok {
			top[dir] = true
		}
	}
	found := 0
	for _, doc := range r.docs() {
		for i, l := range strings.Split(r.read(t, doc), "\n") {
			for _, m := range repoPath.FindAllStringSubmatch(l, -1) {
				path := strings.TrimRight(m[2], ".")
				dir, _, _ := strings.Cut(path, "/")
				if !top[dir] || strings.Contains(path, "...") {
					continue
				}
				// A path, not a name with a slash (a key id such as
				// programme/name): a command, a file with an extension,
				// or a folder.
				if m[1] == "" && dir != "deploy" && !strings.HasSuffix(path, "/") && !strings.Contains(filepath.Base(path), ".") {
					continue
				}
				found++
				if !r.exists(path) {
					t.Errorf("%s:%d: %s is not in the repository", doc, i+1, path)
				}
			}
		}
	}
	if found < 100 {
		t.Errorf("the docs name %d paths; the search broke", found)
	}
}

// TestTheChecksCatchWhatTheyShould feeds the checks' parts the mistakes
// they are there for.
func TestTheChecksCatchWhatTheyShould(t *testing.T) {
	page := "# T\n\n## Production layout: `deploy/cluster`\n\n```sh\n# not a heading\n```\n\n## Production layout: `deploy/cluster`\n"
	ids := anchors(page)
	for _, id := range []string{"t", "production-layout-deploycluster", "production-layout-deploycluster-1"} {
		if !ids[id] {
			t.Errorf("anchors(%q) lacks %q: %v", page, id, ids)
		}
	}
	if ids["not-a-heading"] {
		t.Error("a comment in a code block counted as a heading")
	}
	if got := link.FindAllStringSubmatch("see [a](docs/a.md#b) and [c](../x.md)", -1); len(got) != 2 || got[0][1] != "docs/a.md#b" || got[1][1] != "../x.md" {
		t.Errorf("links found: %v", got)
	}
	r := repo{files: []string{"deploy/dev", "docs/design/keys.md"}}
	for path, want := range map[string]bool{"deploy/dev": true, "./deploy/dev": true, "docs/design/": true, "docs/*/keys.md": true, "deploy/devx": false, "docs/keys.md": false} {
		if r.exists(path) != want {
			t.Errorf("exists(%q) = %v, want %v", path, !want, want)
		}
	}
	if got := testName.FindAllString("`go test -run 'TestA|TestB/sub' ./x` and BenchmarkC", -1); strings.Join(got, ",") != "TestA,TestB,BenchmarkC" {
		t.Errorf("test names found: %v", got)
	}
	if got := repoPath.FindAllStringSubmatch("run ./deploy/cluster-test and `e2e/pages_test.go`, not /etc/postgresql", -1); len(got) != 2 || got[0][2] != "deploy/cluster-test" || got[1][2] != "e2e/pages_test.go" {
		t.Errorf("paths found: %v", got)
	}
}

// TestReadmeIsShortAndItsLayoutComplete: the README stays a page a
// newcomer reads in minutes, and its layout table names every top-level
// folder and every package under internal/.
func TestReadmeIsShortAndItsLayoutComplete(t *testing.T) {
	r := openRepo(t)
	readme := r.read(t, "README.md")
	if n := strings.Count(readme, "\n"); n > 250 {
		t.Errorf("README.md has %d lines, want at most 250: move detail into docs/", n)
	}
	start := strings.Index(readme, "\n## Layout\n")
	if start < 0 {
		t.Fatal("README.md has no section ## Layout")
	}
	layout := readme[start+1:]
	if end := strings.Index(layout[1:], "\n## "); end > 0 {
		layout = layout[:end+1]
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z][a-z0-9_/]*)/?`").FindAllStringSubmatch(layout, -1) {
		named[strings.TrimSuffix(m[1], "/")] = true
	}
	want := map[string]bool{}
	for _, f := range r.files {
		dir, rest, ok := strings.Cut(f, "/")
		if !ok || strings.HasPrefix(dir, ".") {
			continue
		}
		if dir == "internal" {
			if pkg, _, ok := strings.Cut(rest, "/"); ok {
				want["internal/"+pkg] = true
			}
			continue
		}
		want[dir] = true
	}
	for dir := range want {
		if !named[dir] && !slices.ContainsFunc(slices.Collect(maps.Keys(named)), func(n string) bool { return strings.HasPrefix(n, dir+"/") }) {
			t.Errorf("README.md's layout table does not name %s/", dir)
		}
	}
}

// goRef is a Go name in a doc qualified by its package, such as
// trajectory.MorningOf or usecase.Cases.State (its first name is checked).
var goRef = regexp.MustCompile(`(?:^|[^\w./-])([a-z][a-z0-9]*)\.([A-Za-z_][A-Za-z0-9_]*)`)

// notNames are what follows a dot in a file name, not a Go name.
var notNames = map[string]bool{"md": true, "go": true, "yaml": true, "yml": true, "sql": true, "json": true, "png": true, "toml": true, "env": true, "log": true, "db": true, "d": true, "test": true}

// TestGoNamesInTheDocsExist: every pkg.Name a doc mentions, for a package
// of the repository, is declared in that package (at the top, or as a
// method), its tests included.
func TestGoNamesInTheDocsExist(t *testing.T) {
	r := openRepo(t)
	decls := map[string]map[string]bool{} // package name → its top-level names
	fset := token.NewFileSet()
	for _, f := range r.files {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(r.root, f), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		pkg := strings.TrimSuffix(file.Name.Name, "_test")
		if decls[pkg] == nil {
			decls[pkg] = map[string]bool{}
		}
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl: // a method too: docs write store.TeamFigures for (*store.Store).TeamFigures
				decls[pkg][d.Name.Name] = true
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						decls[pkg][s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							decls[pkg][n.Name] = true
						}
					}
				}
			}
		}
	}
	delete(decls, "main")
	found := 0
	for _, doc := range r.docs() {
		for i, l := range strings.Split(r.read(t, doc), "\n") {
			for _, m := range goRef.FindAllStringSubmatch(l, -1) {
				names, ok := decls[m[1]]
				if !ok || notNames[m[2]] {
					continue
				}
				found++
				if !names[m[2]] {
					t.Errorf("%s:%d: package %s declares no %s", doc, i+1, m[1], m[2])
				}
			}
		}
	}
	if found < 20 {
		t.Errorf("the docs name %d Go names; the search broke", found)
	}
}

// docRef is a page of the docs named in any file: code comments, scripts,
// manifests and help texts point readers there.
var docRef = regexp.MustCompile(`\bdocs/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b`)

// TestDocsNamedAnywhereExist: every docs/….md that a tracked file names
// (a Go comment, a script, a manifest, a help text) is in the repository.
func TestDocsNamedAnywhereExist(t *testing.T) {
	r := openRepo(t)
	found := 0
	for _, f := range r.files {
		if strings.Contains(f, "testdata/") || f == "internal/doccheck/doccheck_test.go" { // recorded data; this file's examples
			continue
		}
		b, err := os.ReadFile(filepath.Join(r.root, f))
		if err != nil || strings.IndexByte(string(b[:min(len(b), 8000)]), 0) >= 0 {
			continue // a link, or binary
		}
		for i, l := range strings.Split(string(b), "\n") {
			for _, ref := range docRef.FindAllString(l, -1) {
				found++
				if !r.exists(ref) {
					t.Errorf("%s:%d: %s is not in the repository", f, i+1, ref)
				}
			}
		}
	}
	if found < 10 {
		t.Errorf("found %d references to docs/; the search broke", found)
	}
}
