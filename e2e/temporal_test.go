package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// startTemporal starts a Temporal dev server for the stack and connects
// s.client to it; it returns the server's host:port. The port comes from
// freePort, so another process may have taken it by the time the server
// binds: a server that fails to bind is started again on a fresh port.
// The stack's own namespace, which only this server has, proves that the
// server answering on the port is ours and not one that took it.
func (s *stack) startTemporal(bin string) string {
	s.t.Helper()
	for attempt := 1; ; attempt++ {
		hostPort := "127.0.0.1:" + freePort(s.t)
		out := &syncBuffer{}
		cmd := exec.Command(bin, "server", "start-dev",
			"--ip", "127.0.0.1", "--port", strings.TrimPrefix(hostPort, "127.0.0.1:"),
			"--headless", "--namespace", s.namespace,
			// A namespace without the search attributes, for the worker's check.
			"--namespace", s.namespace+"-bare",
			"--log-level", "warn",
			"--dynamic-config-value", "frontend.enableServerVersionCheck=false",
			"--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=NORMAL")
		// The server's own output joins the logs the privacy test searches.
		cmd.Stdout = io.MultiWriter(s.logWriter(), out)
		cmd.Stderr = cmd.Stdout
		server := s.launch(cmd)
		c, err := s.dialOwnTemporal(server, hostPort)
		if err == nil {
			s.client = c
			s.t.Cleanup(c.Close)
			return hostPort
		}
		if attempt < 3 && strings.Contains(out.String(), "address already in use") {
			s.t.Logf("Temporal dev server could not bind (attempt %d), trying a fresh port: %v", attempt, err)
			continue
		}
		s.t.Fatalf("start Temporal dev server: %v\n%s", err, out.String())
	}
}

// dialOwnTemporal connects to the server at hostPort once it knows the
// stack's namespace, for at most a minute, and gives up as soon as the
// server process exits.
func (s *stack) dialOwnTemporal(server *proc, hostPort string) (client.Client, error) {
	deadline := time.Now().Add(time.Minute)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-server.exited:
			return nil, fmt.Errorf("the server exited: %v", server.err)
		default:
		}
		c, err := s.tryTemporal(hostPort)
		if err == nil {
			return c, nil
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("no Temporal server with namespace %s at %s within a minute: %w", s.namespace, hostPort, last)
}

func (s *stack) tryTemporal(hostPort string) (client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: s.namespace, Logger: quietLogger{}})
	if err != nil {
		return nil, err
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.namespace}); err != nil {
		c.Close()
		return nil, errors.Join(errors.New("namespace not (yet) there"), err)
	}
	return c, nil
}
