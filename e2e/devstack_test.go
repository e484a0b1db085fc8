package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"elkgezin/internal/pgtest"
)

// TestReadmeDevStack runs the README's first command, deploy/dev, as a
// newcomer would (on free ports, with a database and a state folder of its
// own), runs the README's curl example against it, finds the trajectory in
// Temporal and in the API's list, and stops it all with Ctrl-C.
func TestReadmeDevStack(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example := readmeExample(t, string(readme))

	state := t.TempDir()
	ports := map[string]string{}
	for _, name := range []string{"temporal", "ui", "api", "smtp", "inbox"} {
		ports[name] = freePort(t)
	}
	api := "127.0.0.1:" + ports["api"]
	cmd := exec.Command("bash", "deploy/dev")
	cmd.Dir = root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(),
		"DEVSTACK_DIR="+state,
		"DATABASE_URL="+pgtest.NewDatabase(t),
		"TEMPORAL_ADDRESS=127.0.0.1:"+ports["temporal"],
		"TEMPORAL_UI_PORT="+ports["ui"],
		"API_ADDR="+api,
		"SMTP_ADDR=127.0.0.1:"+ports["smtp"],
		"MAILPIT_UI=127.0.0.1:"+ports["inbox"],
	)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	// ctrlC does what Ctrl-C in the terminal does: SIGINT to the whole group.
	ctrlC := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Error("deploy/dev did not stop within 30s of Ctrl-C")
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			ctrlC()
		}
	})

	deadline := time.After(4 * time.Minute)
	for !strings.Contains(out.String(), "elkgezin is running") {
		select {
		case <-exited:
			t.Fatalf("deploy/dev stopped before it came up:\n%s", out.String())
		case <-deadline:
			t.Fatalf("deploy/dev did not come up in 4 minutes:\n%s", out.String())
		case <-time.After(time.Second):
		}
	}
	for _, url := range []string{"http://" + api, "http://127.0.0.1:" + ports["ui"], "http://127.0.0.1:" + ports["inbox"]} {
		if !strings.Contains(out.String(), url) {
			t.Errorf("deploy/dev does not print %s:\n%s", url, out.String())
		}
	}

	// The README's example, with this stack's state folder and API address.
	script := strings.Replace(example, "source .devstack/tokens.env", "source "+state+"/tokens.env", 1)
	script = strings.Replace(script, "API=http://127.0.0.1:8080", "API=http://"+api, 1)
	curl := exec.Command("bash", "-euo", "pipefail", "-c", script)
	result, err := curl.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s\nstack output:\n%s", err, result, out.String())
	}
	line, _, _ := strings.Cut(strings.TrimPrefix(string(result), "trajectory "), "\n")
	id := strings.TrimSpace(line)
	if !strings.HasPrefix(id, "tr-") || !strings.Contains(string(result), `"id":"`+id+`"`) {
		t.Fatalf("the example's output does not list the trajectory it created:\n%s", result)
	}

	// The trajectory is in Temporal, where the UI shows it.
	c, err := client.Dial(client.Options{HostPort: "127.0.0.1:" + ports["temporal"], Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := c.DescribeWorkflow(context.Background(), id, "")
	c.Close()
	if err != nil || desc.RawResponse.GetWorkflowExecutionInfo().GetType().GetName() != "Trajectory" {
		t.Fatalf("trajectory %s not in Temporal: %v", id, err)
	}
	for _, url := range []string{"http://127.0.0.1:" + ports["ui"], "http://127.0.0.1:" + ports["inbox"]} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", url, resp.StatusCode)
		}
	}

	// Ctrl-C stops everything.
	ctrlC()
	for _, name := range []string{"temporal", "ui", "api", "smtp", "inbox"} {
		if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+ports[name], time.Second); err == nil {
			conn.Close()
			t.Errorf("after Ctrl-C something still listens on the %s port", name)
		}
	}
}

// readmeExample is the README's curl example: the shell block that starts
// by sourcing the dev tokens.
func readmeExample(t *testing.T, readme string) string {
	t.Helper()
	const start = "```sh\nsource .devstack/tokens.env\n"
	i := strings.Index(readme, start)
	if i < 0 {
		t.Fatal("README.md has no curl example starting with source .devstack/tokens.env")
	}
	block := readme[i+len("```sh\n"):]
	end := strings.Index(block, "```")
	return block[:end]
}

// syncBuffer lets the stack write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
