package apiclient

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedClientIsCurrent runs the go:generate line of doc.go into a
// temporary file and fails unless client.gen.go is what it writes: a
// change to api/openapi.yaml without `go generate ./apiclient` fails here.
func TestGeneratedClientIsCurrent(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for line := range strings.Lines(string(src)) {
		if cmd, ok := strings.CutPrefix(line, "//go:generate "); ok {
			args = strings.Fields(cmd)
		}
	}
	out := -1
	for i, a := range args {
		if a == "-o" && i+1 < len(args) {
			out = i + 1
		}
	}
	if len(args) < 2 || args[0] != "go" || out < 0 || args[out] != "client.gen.go" {
		t.Fatalf("doc.go has no go:generate line writing client.gen.go: %q", args)
	}
	fresh := filepath.Join(t.TempDir(), "client.gen.go")
	args[out] = fresh
	cmd := exec.Command("go", args[1:]...)
	cmd.Env = append(os.Environ(), "GOPROXY="+cacheFirst(t))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	want, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("apiclient/client.gen.go is not what api/openapi.yaml generates: run `go generate ./apiclient` and commit the result")
	}
}

// cacheFirst is a GOPROXY that serves the generator from the module cache
// before asking the usual proxy, so the test runs offline once the
// generator has been downloaded: `go run pkg@version` otherwise looks the
// module up for deprecations each time.
func cacheFirst(t *testing.T) string {
	t.Helper()
	env, err := exec.Command("go", "env", "GOMODCACHE", "GOPROXY").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(env)), "\n")
	if len(lines) != 2 {
		t.Fatalf("go env: %q", env)
	}
	return "file://" + filepath.ToSlash(filepath.Join(lines[0], "cache", "download")) + "," + lines[1]
}
