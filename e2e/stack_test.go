// Package e2e drives elkgezin as its users do: over HTTP, against the real
// processes (`elkgezin worker`, `elkgezin api`), a real Temporal dev server,
// real PostgreSQL and a real SMTP server.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
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

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/internal/smtpsink"
	procstack "github.com/elkgezin/elkgezin/internal/stack"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// testLinkSecret signs the handover links of the test stack.
const testLinkSecret = "TQq/OgIfYYXpeQGam/o85znsx7yBVDz+vjesYsjGnDU="

// testIDSecret keys the trajectory ids of the test stack (TRAJECTORY_ID_SECRET).
const testIDSecret = "nQlQsXRF6mWdnsDMs64Z7ser77llwM7L7Ozvwyj2Pa0="

// testIDKey is testIDSecret, to compute the id of a referral in a test.
var testIDKey = func() trajectory.IDKey {
	k, err := trajectory.ParseIDKey(testIDSecret)
	if err != nil {
		panic(err)
	}
	return k
}()

// testPayloadKeys encrypt what the test stack hands to Temporal.
const testPayloadKeys = "e2e-1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// testProgrammeKeys wraps the trajectories' data keys: one key per
// programme of deploy/programmes and the tests' own (test-fast,
// test-perinatal), fresh for each run of the tests.
var testProgrammeKeys = func() string {
	catalogue, err := programme.LoadDir("../deploy/programmes")
	if err != nil {
		panic(err)
	}
	spec, err := keys.Generate("e2e", append(catalogue.IDs(), "test-fast", "test-perinatal")...)
	if err != nil {
		panic(err)
	}
	return spec
}()

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
	t         *testing.T
	client    client.Client
	namespace string // unique to this stack: proves the Temporal server that answers is ours
	smtp      *smtpsink.Sink
	env       []string
	apiURL    string
	mu        sync.Mutex
	logs      bytes.Buffer // everything the worker and API processes logged
	worker    *proc
	api       *proc
	tokens    map[string]string   // actor "kind:subject" -> bearer token
	procEnv   map[string][]string // command ("worker", "api") -> its own extra variables
	dbURL     string
	keyed     *store.Store // opened by keyedStore
	progKeys  string       // PROGRAMME_KEYS of the processes; testProgrammeKeys when empty
	// Answers of the API that api/openapi.yaml does not describe (apiClient).
	apiCheckOnce  sync.Once
	apiCheckMu    sync.Mutex
	apiMismatches []string
}

// keyedStore is the stack's database with the programme keys, as the
// worker and the API open it: its vault decrypts what they encrypted.
func (s *stack) keyedStore() *store.Store {
	s.t.Helper()
	if s.keyed == nil {
		st, err := store.Open(context.Background(), s.dbURL)
		if err != nil {
			s.t.Fatal(err)
		}
		s.t.Cleanup(st.Close)
		spec := s.progKeys
		if spec == "" {
			spec = testProgrammeKeys
		}
		pk, err := keys.ParseProgrammeKeys(spec)
		if err != nil {
			s.t.Fatal(err)
		}
		s.keyed = st.WithKeys(pk)
	}
	return s.keyed
}

func startStack(t *testing.T) *stack {
	t.Helper()
	programmes, _ := filepath.Abs("../deploy/programmes")
	return startStackWith(t, programmes)
}

// startStackWith starts a stack on the programmes in that directory;
// extraEnv (NAME=value) overrides the environment of its processes.
func startStackWith(t *testing.T, programmes string, extraEnv ...string) *stack {
	t.Helper()
	return startStackEnv(t, programmes, nil, extraEnv...)
}

// startStackEnv is startStackWith with extra variables per command
// ("worker", "api"). With E2E_TEMPORAL_ADDRESS set, the stack uses that
// Temporal cluster (a namespace of its own on it) instead of a dev server.
func startStackEnv(t *testing.T, programmes string, procEnv map[string][]string, extraEnv ...string) *stack {
	t.Helper()
	temporalBin, err := filepath.Abs("../bin/temporal")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(temporalBin); err != nil {
		t.Fatalf("no Temporal CLI at %s: run deploy/install-tools temporal (deploy/test does)", temporalBin)
	}
	s := &stack{t: t, smtp: smtpsink.Start(t), tokens: map[string]string{}, namespace: "e2e-" + randomHex(t), procEnv: procEnv}
	databaseURL := pgtest.NewDatabase(t)
	s.dbURL = databaseURL
	var temporalAddr string
	if external := os.Getenv("E2E_TEMPORAL_ADDRESS"); external != "" {
		temporalAddr = s.useCluster(external)
	} else {
		temporalAddr = s.startTemporal(temporalBin)
	}

	services, _ := filepath.Abs("../deploy/services.yaml")
	s.env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+temporalAddr,
		"TEMPORAL_NAMESPACE="+s.namespace,
		"DATABASE_URL="+databaseURL,
		"HANDOVER_LINK_SECRET="+testLinkSecret,
		"TRAJECTORY_ID_SECRET="+testIDSecret,
		"PAYLOAD_KEYS="+testPayloadKeys,
		"PROGRAMME_KEYS="+testProgrammeKeys,
		// No retention schedule unless a test asks for one: test-seconds
		// erases its closed trajectories after seconds.
		"RETENTION_INTERVAL=off",
		"CODEC_CORS_ORIGIN=http://127.0.0.1:8233",
		"SERVICES_FILE="+services,
		"PROGRAMMES_DIR="+programmes,
		"SMTP_ADDR="+s.smtp.Addr(),
		"MAIL_FROM=elkgezin@test.example",
		"LOG_LEVEL=debug",
		"DEV_INSECURE_COOKIES=1",
	)
	s.env = append(s.env, extraEnv...)
	// As an operator does once per namespace; the worker only checks.
	s.run("setup")
	s.startAPI()
	s.startWorker()
	s.waitReady()
	return s
}

// token is a bearer token for actor ("coach:test-coach"), made once with
// the admin command as an operator would. Coaches, co-workers and
// supervisors work in the test-seconds programme.
func (s *stack) token(actor string) string {
	s.t.Helper()
	if tok, ok := s.tokens[actor]; ok {
		return tok
	}
	kind, subject, _ := strings.Cut(actor, ":")
	args := []string{"token", "create", "--kind", kind, "--subject", subject, "--label", "e2e"}
	if kind == "coach" || kind == "supervisor" || kind == "co_worker" {
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

// proc is a process the test started; it is stopped when the test ends.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited
	err    error         // what Wait returned; read it after exited is closed
}

// launch starts cmd and stops it when the test ends: SIGTERM, and SIGKILL
// if it has not exited within 15 seconds.
func (s *stack) launch(cmd *exec.Cmd) *proc {
	s.t.Helper()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", strings.Join(cmd.Args, " "), err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// command is `elkgezin <command>` with the stack's environment and logs.
func (s *stack) command(command string) *exec.Cmd {
	cmd := exec.Command(binary, command)
	cmd.Env = append(s.env[:len(s.env):len(s.env)], s.procEnv[command]...)
	cmd.Stdout = s.logWriter()
	cmd.Stderr = s.logWriter()
	return cmd
}

func (s *stack) startWorker() { s.worker = s.launch(s.command("worker")) }

// startAPI starts the API on a port the system picks, and learns it from
// the API's log line: no other process can take the port in between.
// The worker's links then point at it.
func (s *stack) startAPI() {
	s.t.Helper()
	cmd := s.command("api")
	cmd.Env = append(cmd.Env, "API_ADDR=127.0.0.1:0")
	bound := procstack.NewListenLog()
	cmd.Stderr = io.MultiWriter(s.logWriter(), bound)
	api := s.launch(cmd)
	s.api = api
	select {
	case addr := <-bound.Found():
		s.apiURL = "http://" + addr
		// A restarted API binds the same address again.
		s.env = append(s.env, "API_ADDR="+addr, "PUBLIC_BASE_URL="+s.apiURL)
	case <-api.exited:
		s.t.Fatalf("the API exited before it listened: %v; logs:\n%s", api.err, s.Logs())
	case <-time.After(90 * time.Second):
		s.t.Fatalf("the API did not listen within 90s; logs:\n%s", s.Logs())
	}
}

// stop ends a process the way a deploy does (SIGTERM) and waits for it.
func (s *stack) stop(p *proc) {
	s.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		s.t.Fatalf("%s did not stop within a minute of SIGTERM", strings.Join(p.cmd.Args, " "))
	}
}

// killWorker ends the worker process the hard way, as a crash or an OOM
// kill would: no graceful stop, activities in flight are abandoned.
func (s *stack) killWorker() {
	s.t.Helper()
	if err := s.worker.cmd.Process.Kill(); err != nil {
		s.t.Fatalf("kill worker: %v", err)
	}
	<-s.worker.exited
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

// freePort is a port that was free a moment ago. Another process may take
// it before the one it is meant for binds it, so whoever uses it must
// notice a failed bind and try again with a fresh one (startTemporal,
// TestReadmeDevStack).
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

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// quietLogger keeps the SDK client's routine lines out of test output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(msg string, kv ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"temporal client:", msg}, kv...)...)
}
