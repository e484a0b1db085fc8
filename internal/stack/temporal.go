package stack

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/config"
)

func (s *Stack) startTemporal(ctx context.Context) error {
	s.Addr, s.Namespace = s.Opts.TemporalAddr, s.Opts.Namespace
	if s.Addr == "" {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Addr = "127.0.0.1:" + port
		if s.Namespace == "" {
			s.Namespace = "stack-" + randomHex()
		}
		cmd := exec.Command(filepath.Join(s.Opts.Repo, "bin/temporal"), "server", "start-dev",
			"--ip", "127.0.0.1", "--port", port, "--headless", "--namespace", s.Namespace,
			"--log-level", "error", "--db-filename", filepath.Join(s.temp, "temporal.db"),
			"--dynamic-config-value", "frontend.enableServerVersionCheck=false",
			"--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=NORMAL")
		cmd.Stdout, cmd.Stderr = s.log, s.log
		if _, err := s.launch(cmd); err != nil {
			return err
		}
	}
	if s.Namespace == "" {
		s.Namespace = "default"
	}
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := s.dial(ctx)
		if err == nil {
			s.Temporal = c
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no Temporal server with namespace %s at %s: %w", s.Namespace, s.Addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// KillTemporal kills the dev server the stack started, as a crash does;
// StartTemporalAgain ends the outage.
func (s *Stack) KillTemporal() error {
	if s.Opts.TemporalAddr != "" || len(s.procs) == 0 {
		return errors.New("stack: Temporal was not started by the stack")
	}
	p := s.procs[0]
	_ = p.Cmd.Process.Kill()
	<-p.Exited
	return nil
}

// StartTemporalAgain starts the dev server killed by KillTemporal, on the
// same port and database file.
func (s *Stack) StartTemporalAgain(ctx context.Context) error {
	old := s.procs[0].Cmd
	cmd := exec.Command(old.Path, old.Args[1:]...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	p, err := s.launch(cmd)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.procs[0] = p
	s.procs = s.procs[:len(s.procs)-1]
	s.mu.Unlock()
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := s.dial(ctx)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Temporal server did not come back: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *Stack) dial(ctx context.Context) (client.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// Connected as elkgezin's processes connect (config.NoGrpcCompression),
	// so the bench's bare side pays what they pay.
	c, err := client.DialContext(ctx, client.Options{HostPort: s.Addr, Namespace: s.Namespace, Logger: QuietLogger{},
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: config.NoGrpcCompression()}})
	if err != nil {
		return nil, err
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.Namespace}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// TemporalPID is the process id of the dev server the stack started, 0
// when it uses a Temporal server of its own (Options.TemporalAddr).
func (s *Stack) TemporalPID() int {
	if s.Opts.TemporalAddr != "" {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.procs[0].Cmd.Process.Pid
}
