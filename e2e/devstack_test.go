package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/internal/pgtest"
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

	dev := startDevStack(t, root, pgtest.NewDatabase(t))
	state, ports, out := dev.state, dev.ports, dev.out
	api := "127.0.0.1:" + ports["api"]
	ctrlC := dev.ctrlC
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

	checkInbox(t, "http://127.0.0.1:"+ports["inbox"])
	checkSMS(t, state, out.String())

	// The UI decodes at the API's codec endpoint with the supervisor's
	// session cookie: no settings for the supervisor to change.
	resp, err := http.Get("http://127.0.0.1:" + ports["ui"] + "/api/v1/settings")
	if err != nil {
		t.Fatal(err)
	}
	var settings struct {
		Codec struct{ Endpoint, IncludeCredentials any }
	}
	err = json.NewDecoder(resp.Body).Decode(&settings)
	resp.Body.Close()
	if err != nil || settings.Codec.Endpoint != "http://"+api+"/codec" || settings.Codec.IncludeCredentials != true {
		t.Errorf("the UI's codec settings: %+v (%v), want endpoint http://%s/codec with credentials", settings.Codec, err, api)
	}

	// Ctrl-C stops everything.
	if err := ctrlC(); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"temporal", "ui", "api", "smtp", "inbox"} {
		if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+ports[name], time.Second); err == nil {
			conn.Close()
			t.Errorf("after Ctrl-C something still listens on the %s port", name)
		}
	}
}

// checkInbox checks that Mailpit serves its web inbox: the page names its
// script and style sheet, and both are served. A Mailpit built without
// its web assets answers the page and 404 for them: a blank page.
func checkInbox(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("the inbox %s: %d %s %v", base, resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	assets := regexp.MustCompile(`(?:src|href)="(/dist/app\.(?:js|css))[^"]*"`).FindAllStringSubmatch(string(page), -1)
	if len(assets) != 2 {
		t.Fatalf("the inbox page does not load its script and style sheet:\n%s", page)
	}
	for _, a := range assets {
		resp, err := http.Get(base + a[1])
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(body) < 10000 {
			t.Errorf("the inbox's %s: %d, %d bytes (%v): Mailpit was built without its web assets (deploy/install-tools)",
				a[1], resp.StatusCode, len(body), err)
		}
	}
	if !strings.Contains(string(page), `id="app"`) {
		t.Errorf("the inbox page has no app to mount:\n%s", page)
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

// devStack is deploy/dev running in its own process group.
type devStack struct {
	state  string            // its DEVSTACK_DIR
	ports  map[string]string // temporal, ui, api, smtp, inbox
	out    *syncBuffer       // what it printed
	cmd    *exec.Cmd
	exited chan struct{}
}

// startDevStack runs deploy/dev on free ports until it says it is
// running. The ports come from freePort, so another process may take one
// before the stack binds it: a stack that stops because a port was in use
// is started again on fresh ports.
func startDevStack(t *testing.T, root, databaseURL string) *devStack {
	t.Helper()
	for attempt := 1; ; attempt++ {
		dev := launchDevStack(t, root, databaseURL)
		err := dev.waitRunning(4 * time.Minute)
		if err == nil {
			return dev
		}
		if attempt < 3 && dev.bindFailed() {
			t.Logf("deploy/dev could not bind a port (attempt %d), trying fresh ones", attempt)
			continue
		}
		t.Fatalf("%v:\n%s", err, dev.out.String())
	}
}

func launchDevStack(t *testing.T, root, databaseURL string) *devStack {
	t.Helper()
	dev := &devStack{state: t.TempDir(), ports: map[string]string{}, out: &syncBuffer{}, exited: make(chan struct{})}
	for _, name := range []string{"temporal", "ui", "api", "smtp", "inbox", "kannel"} {
		dev.ports[name] = freePort(t)
	}
	dev.cmd = exec.Command("bash", "deploy/dev")
	dev.cmd.Dir = root
	dev.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dev.cmd.Env = append(os.Environ(),
		"DEVSTACK_DIR="+dev.state,
		"DATABASE_URL="+databaseURL,
		"TEMPORAL_ADDRESS=127.0.0.1:"+dev.ports["temporal"],
		"TEMPORAL_UI_PORT="+dev.ports["ui"],
		"API_ADDR=127.0.0.1:"+dev.ports["api"],
		"SMTP_ADDR=127.0.0.1:"+dev.ports["smtp"],
		"MAILPIT_UI=127.0.0.1:"+dev.ports["inbox"],
		"KANNEL_PORT_BASE="+dev.ports["kannel"],
	)
	dev.cmd.Stdout, dev.cmd.Stderr = dev.out, dev.out
	if err := dev.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = dev.cmd.Wait(); close(dev.exited) }()
	t.Cleanup(func() {
		select {
		case <-dev.exited:
		default:
			if err := dev.ctrlC(); err != nil {
				t.Error(err)
			}
		}
	})
	return dev
}

// waitRunning waits until deploy/dev says it is running.
func (dev *devStack) waitRunning(timeout time.Duration) error {
	deadline := time.After(timeout)
	for !strings.Contains(dev.out.String(), "elkgezin is running") {
		select {
		case <-dev.exited:
			return errors.New("deploy/dev stopped before it came up")
		case <-deadline:
			return fmt.Errorf("deploy/dev did not come up in %s", timeout)
		case <-time.After(time.Second):
		}
	}
	return nil
}

// bindFailed tells whether a process of the stack found its port taken.
func (dev *devStack) bindFailed() bool {
	logs := dev.out.String()
	files, _ := filepath.Glob(filepath.Join(dev.state, "*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		logs += string(b)
	}
	return strings.Contains(logs, "address already in use")
}

// ctrlC does what Ctrl-C in the terminal does: SIGINT to the whole group.
func (dev *devStack) ctrlC() error {
	_ = syscall.Kill(-dev.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-dev.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-dev.cmd.Process.Pid, syscall.SIGKILL)
		<-dev.exited
		return errors.New("deploy/dev did not stop within 30s of Ctrl-C")
	}
}
