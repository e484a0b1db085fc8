package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // the bare worker's memory is read as the elkgezin worker's is
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	elkconfig "github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/internal/stack"
)

// The floor of a worker's memory: a process of its own that caches the
// bare workflow (open, one Update handler) and nothing else, measured as
// the elkgezin worker is, so what a cached trajectory costs is set beside
// what any cached workflow costs in the Go SDK.
const (
	floorQueue = "bench-bare-floor"
	floorPprof = "127.0.0.1:16063"
)

// serveBareWorker is the floor process (bench -bare-worker): a worker of
// the bare workflow on floorQueue with a cache of cacheSize, and pprof.
func serveBareWorker(hostPort, namespace string, cacheSize int) error {
	sdkworker.SetStickyWorkflowCacheSize(cacheSize)
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: namespace, Logger: stack.QuietLogger{},
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: elkconfig.NoGrpcCompression()}})
	if err != nil {
		return err
	}
	defer c.Close()
	w, err := startBareWorker(c, floorQueue)
	if err != nil {
		return err
	}
	defer w.Stop()
	l, err := net.Listen("tcp", floorPprof)
	if err != nil {
		return err
	}
	go http.Serve(l, nil) //nolint:errcheck // ends with the process
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// bareFloor starts the floor process, lets it cache n bare workflows of
// type workflowType and returns its memory before and after.
func (b *bencher) bareFloor(ctx context.Context, workflowType string, n int) (before, after memory, err error) {
	self, err := os.Executable()
	if err != nil {
		return before, after, err
	}
	// The stack's namespace: on a dev server, one of its own.
	cmd := exec.Command(self, "-bare-worker", "-temporal", b.st.Addr, "-namespace", b.st.Namespace, "-cache-size", fmt.Sprint(n))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return before, after, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	// Settled as the elkgezin worker is before its baseline.
	if err := sleep(ctx, 20*time.Second); err != nil {
		return before, after, err
	}
	if before, err = processMemory(ctx, floorPprof, cmd.Process.Pid); err != nil {
		return before, after, err
	}
	res := run(ctx, 8, n, func(ctx context.Context, _, i int) error {
		_, err := b.st.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: fmt.Sprintf("floor-%s-%d", b.run, i), TaskQueue: floorQueue}, workflowType)
		return err
	})
	if res.firstErr != nil {
		return before, after, fmt.Errorf("bare floor: %d starts failed, the first: %w", res.errors, res.firstErr)
	}
	if after, err = waitCached(ctx, cmd.Process.Pid, before, n); err != nil {
		return before, after, err
	}
	// Terminated so they do not sit in the namespace after the bench.
	run(ctx, 8, n, func(ctx context.Context, _, i int) error {
		return b.st.Temporal.TerminateWorkflow(ctx, fmt.Sprintf("floor-%s-%d", b.run, i), "", "bench: floor measured")
	})
	return before, after, nil
}

// waitCached waits until the floor process holds n cached workflows: each
// holds one goroutine. The SDK's own goroutines (pollers, which it scales
// with load) come and go meanwhile, so 99 % of n counts as all, and so
// does a count of at least 90 % that has not moved for half a minute (a
// loaded machine ended with fewer pollers than the baseline had).
func waitCached(ctx context.Context, pid int, before memory, n int) (after memory, err error) {
	deadline := time.Now().Add(10 * time.Minute)
	last, since := -1, time.Now()
	for {
		if after, err = processMemory(ctx, floorPprof, pid); err != nil {
			return after, err
		}
		cached := after.goroutines - before.goroutines
		if cached >= n-n/100 || cached >= n-n/10 && time.Since(since) >= 30*time.Second {
			return after, nil
		}
		if cached != last {
			last, since = cached, time.Now()
		}
		if time.Now().After(deadline) {
			return after, fmt.Errorf("bare floor: %d of %d workflows cached after 10 minutes", cached, n)
		}
		if err := sleep(ctx, 2*time.Second); err != nil {
			return after, err
		}
	}
}
