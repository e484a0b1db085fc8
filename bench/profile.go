package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Where the worker and the API serve pprof when -profile is set.
const (
	apiPprof    = "127.0.0.1:16061"
	workerPprof = "127.0.0.1:16062"
)

// profile takes CPU profiles of the API and the worker while referrals and
// steps run through the API at the comparison's concurrency, and writes
// them to c.profile/{api,worker}.pprof (read with go tool pprof -top).
func (b *bencher) profile(ctx context.Context, ids []string) error {
	d := 20 * time.Second
	progress("profile: %s of referrals and steps; CPU profiles of API and worker to %s", d, b.c.profileDir)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for name, addr := range map[string]string{"api": apiPprof, "worker": workerPprof} {
		wg.Go(func() { errs <- fetchProfile(ctx, addr, d, filepath.Join(b.c.profileDir, name+".pprof")) })
	}
	half := max(b.c.concurrency/2, 1)
	wg.Go(func() {
		runFor(ctx, half, d, func(ctx context.Context, _, i int) error {
			_, err := b.api.refer(ctx, b.partner, benchProgramme, benchPartner, fmt.Sprintf("prof-%s-%d", b.run, i))
			return err
		})
	})
	wg.Go(func() {
		runFor(ctx, min(half, len(ids)), d, func(ctx context.Context, w, _ int) error { return b.visit(ctx, ids, w) })
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func fetchProfile(ctx context.Context, addr string, d time.Duration, file string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile %s: %w", addr, err)
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}
