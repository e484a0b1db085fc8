package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every bench command in the repository's Markdown (README.md,
// BENCHMARKS.md, CONTRIBUTING.md, docs/), in a code block or in backticks, names only flags the bench defines, with values they
// take: a figure's command must still run as written.
func TestDocumentedCommandsParse(t *testing.T) {
	found := 0
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	design, err := filepath.Glob("../docs/design/*.md")
	if err != nil {
		t.Fatal(err)
	}
	docs = append(append(docs, design...), "../BENCHMARKS.md", "../README.md", "../CONTRIBUTING.md")
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range benchCommands(string(b)) {
			found++
			var c config
			fs := flag.NewFlagSet("bench", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.register(fs)
			if err := fs.Parse(cmd.args); err != nil {
				t.Errorf("%s:%d: %q: %v", doc, cmd.line, strings.Join(cmd.args, " "), err)
			} else if fs.NArg() > 0 {
				t.Errorf("%s:%d: %q: stray arguments %q", doc, cmd.line, strings.Join(cmd.args, " "), fs.Args())
			}
		}
	}
	// The docs hold some thirty; finding few means the search broke.
	if found < 20 {
		t.Errorf("found %d bench commands in the docs, want at least 20", found)
	}
}

type docCommand struct {
	line int
	args []string
}

// benchCommands finds each "go run ./bench" in text: in backticks, up to
// the closing one; in a code block, to the end of the line (and the
// lines a trailing backslash continues it on), without its comment.
func benchCommands(text string) []docCommand {
	const prefix = "go run ./bench"
	var cmds []docCommand
	for at := 0; ; {
		i := strings.Index(text[at:], prefix)
		if i < 0 {
			return cmds
		}
		start := at + i
		rest := text[start+len(prefix):]
		var cmd string
		if start > 0 && text[start-1] == '`' {
			cmd, _, _ = strings.Cut(rest, "`")
		} else {
			for {
				line, next, _ := strings.Cut(rest, "\n")
				line = strings.TrimRight(line, " ")
				if !strings.HasSuffix(line, "\\") {
					cmd += line
					break
				}
				cmd += strings.TrimSuffix(line, "\\") + " "
				rest = next
			}
			if c, _, ok := strings.Cut(cmd, " #"); ok {
				cmd = c
			}
		}
		cmds = append(cmds, docCommand{line: strings.Count(text[:start], "\n") + 1, args: strings.Fields(cmd)})
		at = start + len(prefix)
	}
}

func TestBenchCommandsFindsEachForm(t *testing.T) {
	text := "run `go run ./bench\n-scale 10 -pool 4`: fast\n" +
		"```sh\ngo run ./bench -check   # exits 1\ngo run ./bench -temporal h:1 \\\n  -namespace n -nope\n```\n"
	got := benchCommands(text)
	want := []docCommand{
		{1, []string{"-scale", "10", "-pool", "4"}},
		{4, []string{"-check"}},
		{5, []string{"-temporal", "h:1", "-namespace", "n", "-nope"}},
	}
	if len(got) != len(want) {
		t.Fatalf("found %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].line != want[i].line || strings.Join(got[i].args, " ") != strings.Join(want[i].args, " ") {
			t.Errorf("command %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// The last names a flag the bench lacks: the check above must catch it.
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.register(fs)
	if err := fs.Parse(got[2].args); err == nil {
		t.Error("-nope parsed")
	}
}
