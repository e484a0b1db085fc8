// Package stack starts a whole elkgezin system outside the e2e tests: a
// Temporal dev server (or an address given), a database of its own on a
// PostgreSQL server, and the `elkgezin worker` and `elkgezin api`
// processes. The bench program and the fault tests use it; they start and
// stop its parts to measure them or to break them.
package stack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/programme"
)

// Keys the stack's processes share; a bench and a test need no secrets.
const (
	// LinkSecret and IDSecret are base64 of 32 random bytes, as the
	// processes require (fixed here so runs are comparable).
	LinkSecret  = "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs="
	IDSecret    = "nQlQsXRF6mWdnsDMs64Z7ser77llwM7L7Ozvwyj2Pa0="
	PayloadKeys = "stack-1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
)

// Options say what to start. Repo is required.
type Options struct {
	Repo         string // the repository root: bin/temporal, cmd/elkgezin, deploy/
	TemporalAddr string // empty: start a dev server from bin/temporal
	Namespace    string // empty: a fresh one on the dev server, "default" otherwise
	DatabaseURL  string // the PostgreSQL server; the stack makes a database of its own
	Programmes   string // programme directory; empty: deploy/programmes
	SMTPAddr     string
	Env          []string  // more environment for worker and API (EMAIL_SEND_RATE=...)
	WorkerEnv    []string  // more environment for the worker only (PPROF_ADDR=...)
	APIEnv       []string  // more environment for the API only
	Log          io.Writer // the processes' output; nil discards it
	// APIReplicas is how many `elkgezin api` processes serve the same
	// database and Temporal, as behind a load balancer (0: one).
	APIReplicas int
	// PoolMaxConns bounds each process's PostgreSQL pool (0: the
	// processes' default), so that several processes on a shared server
	// stay within its max_connections.
	PoolMaxConns int
}

// Stack is a running system.
type Stack struct {
	Opts        Options
	Temporal    client.Client // no codec: for bare workflows and checks
	Addr        string        // Temporal frontend
	Namespace   string
	DatabaseURL string   // the stack's own database
	APIURL      string   // the first API replica's
	APIURLs     []string // every API replica's, in order (Options.APIReplicas)
	Binary      string
	// ProgrammeKeys are the processes' PROGRAMME_KEYS, which unwrap the
	// trajectories' data keys: a check that reads their histories needs them.
	ProgrammeKeys string

	env    []string
	log    io.Writer
	mu     sync.Mutex
	procs  []*Proc
	worker *Proc
	apis   []*Proc
	temp   string
	dropDB func()
}

// Proc is a process the stack started.
type Proc struct {
	Cmd    *exec.Cmd
	Exited chan struct{}
	Err    error
}

// Start builds elkgezin and starts everything; Close stops it all.
func Start(ctx context.Context, o Options) (*Stack, error) {
	s := &Stack{Opts: o, log: o.Log}
	if s.log == nil {
		s.log = io.Discard
	}
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context) (err error) {
	o := s.Opts
	if s.temp, err = os.MkdirTemp("", "elkgezin-stack"); err != nil {
		return err
	}
	s.Binary = filepath.Join(s.temp, "elkgezin")
	build := exec.CommandContext(ctx, "go", "build", "-o", s.Binary, "./cmd/elkgezin")
	build.Dir, build.Stdout, build.Stderr = o.Repo, s.log, s.log
	if err := build.Run(); err != nil {
		return fmt.Errorf("build elkgezin: %w", err)
	}
	if err := s.startTemporal(ctx); err != nil {
		return err
	}
	if err := s.createDatabase(ctx); err != nil {
		return err
	}
	programmes := o.Programmes
	if programmes == "" {
		programmes = filepath.Join(o.Repo, "deploy/programmes")
	}
	catalogue, err := programme.LoadDir(programmes)
	if err != nil {
		return fmt.Errorf("load programmes for their keys: %w", err)
	}
	programmeKeys, err := keys.Generate("stack", catalogue.IDs()...)
	if err != nil {
		return err
	}
	s.ProgrammeKeys = programmeKeys
	processURL := s.DatabaseURL
	if o.PoolMaxConns > 0 {
		processURL += fmt.Sprintf("&pool_max_conns=%d", o.PoolMaxConns)
	}
	s.env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+s.Addr, "TEMPORAL_NAMESPACE="+s.Namespace, "DATABASE_URL="+processURL,
		"HANDOVER_LINK_SECRET="+LinkSecret, "PAYLOAD_KEYS="+PayloadKeys,
		"TRAJECTORY_ID_SECRET="+IDSecret, "PROGRAMME_KEYS="+programmeKeys,
		"DEV_INSECURE_COOKIES=1", "RETENTION_INTERVAL=off", "RATE_LIMIT_ADDRESS=off", "RATE_LIMIT_TOKEN=off",
		"RATE_LIMIT_SESSION=off", "RATE_LIMIT_SIGN_IN=off",
		"SERVICES_FILE="+filepath.Join(o.Repo, "deploy/services.yaml"), "PROGRAMMES_DIR="+programmes,
		"SMTP_ADDR="+o.SMTPAddr, "MAIL_FROM=elkgezin@bench.example", "LOG_LEVEL=info")
	s.env = append(s.env, o.Env...)
	if _, err := s.Run(ctx, "setup"); err != nil {
		return err
	}
	s.apis = make([]*Proc, max(o.APIReplicas, 1))
	s.APIURLs = make([]string, len(s.apis))
	for i := range s.apis {
		if err := s.StartAPIReplica(ctx, i); err != nil {
			return err
		}
	}
	return s.StartWorker()
}

func (s *Stack) createDatabase(ctx context.Context) error {
	server := s.Opts.DatabaseURL
	name := "stack_" + randomHex()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	cfg, _ := pgx.ParseConfig(server)
	s.DatabaseURL = fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	if cfg.Password != "" {
		s.DatabaseURL = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	s.dropDB = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, server); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	}
	return nil
}

// Run runs an elkgezin command to completion and returns its output.
func (s *Stack) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.Binary, args...)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("elkgezin %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// Token makes a bearer token ("" programme for partners).
func (s *Stack) Token(ctx context.Context, kind, subject, programme string) (string, error) {
	args := []string{"token", "create", "--kind", kind, "--subject", subject, "--label", "stack"}
	if programme != "" {
		args = append(args, "--programme", programme)
	}
	out, err := s.Run(ctx, args...)
	return strings.TrimSpace(out), err
}

func (s *Stack) launch(cmd *exec.Cmd) (*Proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &Proc{Cmd: cmd, Exited: make(chan struct{})}
	go func() { p.Err = cmd.Wait(); close(p.Exited) }()
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p, nil
}

func (s *Stack) command(name string, env ...string) *exec.Cmd {
	cmd := exec.Command(s.Binary, name)
	cmd.Env = append(append([]string{}, s.env...), env...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	return cmd
}

// StartWorker starts `elkgezin worker`.
func (s *Stack) StartWorker() (err error) {
	s.worker, err = s.launch(s.command("worker", s.Opts.WorkerEnv...))
	return err
}

// WorkerPID is the process id of the running worker (its memory is read
// from /proc), 0 when none was started.
func (s *Stack) WorkerPID() int {
	if s.worker == nil {
		return 0
	}
	return s.worker.Cmd.Process.Pid
}

// KillWorker ends the worker with SIGKILL, as a crash does.
func (s *Stack) KillWorker() { kill(s.worker) }

// StopWorker ends the worker with SIGTERM, as a deploy does.
func (s *Stack) StopWorker() { stop(s.worker) }

// StopAPI ends the (first) API with SIGTERM.
func (s *Stack) StopAPI() { s.StopAPIReplica(0) }

// StartAPI starts the (first) API again; see StartAPIReplica.
func (s *Stack) StartAPI(ctx context.Context) error { return s.StartAPIReplica(ctx, 0) }

// StopAPIReplica ends API replica i with SIGTERM, as a rolling deploy
// does: it finishes the requests it has and takes no new ones.
func (s *Stack) StopAPIReplica(i int) { stop(s.apis[i]) }

// StartAPIReplica starts `elkgezin api` replica i on a free port (the same
// one again after a stop) and waits until it is ready.
func (s *Stack) StartAPIReplica(ctx context.Context, i int) error {
	addr := "127.0.0.1:0"
	if s.APIURLs[i] != "" {
		addr = strings.TrimPrefix(s.APIURLs[i], "http://")
	}
	cmd := s.command("api", append([]string{"API_ADDR=" + addr}, s.Opts.APIEnv...)...)
	found := NewListenLog()
	cmd.Stderr = io.MultiWriter(s.log, found)
	api, err := s.launch(cmd)
	if err != nil {
		return err
	}
	s.apis[i] = api
	select {
	case a := <-found.Found():
		s.APIURLs[i] = "http://" + a
		if i == 0 {
			s.APIURL = s.APIURLs[0]
			s.env = append(s.env, "PUBLIC_BASE_URL="+s.APIURL)
		}
	case <-api.Exited:
		return fmt.Errorf("the API exited before it listened: %v", api.Err)
	case <-time.After(90 * time.Second):
		return errors.New("the API did not listen within 90s")
	}
	return s.waitReady(ctx, s.APIURLs[i])
}

func (s *Stack) waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the API was not ready within a minute")
}

// Close stops every process (SIGTERM, then SIGKILL) and drops the database.
func (s *Stack) Close() {
	if s.Temporal != nil {
		s.Temporal.Close()
	}
	s.mu.Lock()
	procs := s.procs
	s.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		stop(procs[i])
	}
	if s.dropDB != nil {
		s.dropDB()
	}
	if s.temp != "" {
		os.RemoveAll(s.temp)
	}
}

func stop(p *Proc) {
	if p == nil {
		return
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited:
	case <-time.After(45 * time.Second):
		kill(p)
	}
}

func kill(p *Proc) {
	if p == nil {
		return
	}
	_ = p.Cmd.Process.Kill()
	<-p.Exited
}

// ListenLog finds the address in the API's "api listening" log line: put
// it beside the API's stderr, then read Found. An API started on port 0
// says there which port it took, so no other process can take it between.
type ListenLog struct {
	mu    sync.Mutex
	buf   []byte
	found chan string
}

// NewListenLog is a ListenLog waiting for its first "api listening" line.
func NewListenLog() *ListenLog { return &ListenLog{found: make(chan string, 1)} }

// Found delivers the first address the API said it listens on.
func (l *ListenLog) Found() <-chan string { return l.found }

func (l *ListenLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		line, rest, ok := bytes.Cut(l.buf, []byte("\n"))
		if !ok {
			return len(p), nil
		}
		l.buf = rest
		var e struct{ Msg, Addr string }
		if json.Unmarshal(line, &e) == nil && e.Msg == "api listening" {
			select {
			case l.found <- e.Addr:
			default: // a restart on the same address; the caller knows it
			}
		}
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// QuietLogger is an SDK logger that drops everything: the bench's and the
// tests' own clients must not drown their output.
type QuietLogger struct{}

func (QuietLogger) Debug(string, ...any) {}
func (QuietLogger) Info(string, ...any)  {}
func (QuietLogger) Warn(string, ...any)  {}
func (QuietLogger) Error(string, ...any) {}

// APIPIDs are the process ids of the running API replicas.
func (s *Stack) APIPIDs() []int {
	var pids []int
	for _, p := range s.apis {
		if p != nil {
			pids = append(pids, p.Cmd.Process.Pid)
		}
	}
	return pids
}
