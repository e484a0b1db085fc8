// Package e2e drives elkgezin as its users do: over HTTP, against the real
// processes (`elkgezin worker`, `elkgezin api`), a real Temporal dev server,
// real PostgreSQL and a real SMTP server.
package e2e

import (
	"bytes"
	"context"
	"fmt"
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
	"go.temporal.io/sdk/testsuite"

	"elkgezin/internal/pgtest"
	"elkgezin/internal/smtpsink"
)

// testLinkSecret signs the handover links of the test stack.
const testLinkSecret = "e2e-handover-link-secret-of-32-bytes!"

// testPayloadKeys encrypt what the test stack hands to Temporal.
const testPayloadKeys = "e2e-1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// binary is the elkgezin command built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "elkgezin-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "elkgezin")
	build := exec.Command("go", "build", "-o", binary, "../cmd/elkgezin")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build elkgezin:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stack is one complete elkgezin system for one test.
type stack struct {
	t        *testing.T
	temporal *testsuite.DevServer
	client   client.Client
	smtp     *smtpsink.Sink
	env      []string
	apiURL   string
	mu       sync.Mutex
	logs     bytes.Buffer // everything the worker and API processes logged
	worker   *exec.Cmd
	tokens   map[string]string // actor "kind:subject" -> bearer token
}

func startStack(t *testing.T) *stack {
	t.Helper()
	temporalBin, err := filepath.Abs("../bin/temporal")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(temporalBin); err != nil {
		t.Fatalf("no Temporal CLI at %s: run deploy/install-tools temporal (deploy/test does)", temporalBin)
	}
	s := &stack{t: t, smtp: smtpsink.Start(t), tokens: map[string]string{}}
	databaseURL := pgtest.NewDatabase(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s.temporal, err = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: temporalBin,
		ClientOptions: &client.Options{
			HostPort: "127.0.0.1:" + freePort(t),
			Logger:   quietLogger{},
		},
		LogLevel: "warn",
		// The server's own output joins the logs the privacy test searches.
		Stdout:    s.logWriter(),
		Stderr:    s.logWriter(),
		ExtraArgs: []string{"--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=NORMAL"},
	})
	if err != nil {
		t.Fatalf("start Temporal dev server: %v", err)
	}
	t.Cleanup(func() { _ = s.temporal.Stop() })
	s.client = s.temporal.Client()

	apiAddr := "127.0.0.1:" + freePort(t)
	s.apiURL = "http://" + apiAddr
	programmes, _ := filepath.Abs("../deploy/programmes")
	services, _ := filepath.Abs("../deploy/services.yaml")
	s.env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+s.temporal.FrontendHostPort(),
		"DATABASE_URL="+databaseURL,
		"HANDOVER_LINK_SECRET="+testLinkSecret,
		"PAYLOAD_KEYS="+testPayloadKeys,
		"CODEC_CORS_ORIGIN=http://127.0.0.1:8233",
		"SERVICES_FILE="+services,
		"PROGRAMMES_DIR="+programmes,
		"SMTP_ADDR="+s.smtp.Addr(),
		"MAIL_FROM=elkgezin@test.example",
		"API_ADDR="+apiAddr,
		"PUBLIC_BASE_URL="+s.apiURL,
		"LOG_LEVEL=debug",
	)
	// As an operator does once per namespace; the worker only checks.
	s.run("setup")
	s.startWorker()
	s.start("api")
	s.waitReady()
	return s
}

// token is a bearer token for actor ("coach:test-coach"), made once with
// the admin command as an operator would. Coaches and supervisors work in
// the test-seconds programme.
func (s *stack) token(actor string) string {
	s.t.Helper()
	if tok, ok := s.tokens[actor]; ok {
		return tok
	}
	kind, subject, _ := strings.Cut(actor, ":")
	args := []string{"token", "create", "--kind", kind, "--subject", subject, "--label", "e2e"}
	if kind == "coach" || kind == "supervisor" {
		args = append(args, "--programme", "test-seconds")
	}
	tok := strings.TrimSpace(s.run(args...))
	s.tokens[actor] = tok
	return tok
}

// run runs an elkgezin admin command to completion and returns its output.
func (s *stack) run(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("elkgezin %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// start runs `elkgezin <command>` until the test ends.
func (s *stack) start(command string) *exec.Cmd {
	cmd := exec.Command(binary, command)
	cmd.Env = s.env
	cmd.Stdout = s.logWriter()
	cmd.Stderr = s.logWriter()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start elkgezin %s: %v", command, err)
	}
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return cmd
}

func (s *stack) startWorker() { s.worker = s.start("worker") }

// killWorker ends the worker process the hard way, as a crash or an OOM
// kill would: no graceful stop, activities in flight are abandoned.
func (s *stack) killWorker() {
	s.t.Helper()
	if err := s.worker.Process.Kill(); err != nil {
		s.t.Fatalf("kill worker: %v", err)
	}
	_, _ = s.worker.Process.Wait()
}

func (s *stack) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.apiURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("API not ready within a minute; logs:\n%s", s.Logs())
}

type lockedWriter struct{ s *stack }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.logs.Write(p)
}

func (s *stack) logWriter() lockedWriter { return lockedWriter{s} }

// Logs is all the worker and API processes have logged so far.
func (s *stack) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// quietLogger keeps the SDK client's routine lines out of test output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(msg string, kv ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"temporal client:", msg}, kv...)...)
}
