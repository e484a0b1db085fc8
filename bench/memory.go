package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// compareMemory sets what a cached trajectory holds in the worker beside
// what the least cached workflow holds (BareWaiting: one timer), in the
// same run: n referrals through the API into the worker's sticky cache,
// then n bare workflows into the cache of a bare worker process of its
// own. The figure compared is the Go heap in use after a collection plus
// the goroutine stacks, per workflow: what the cache keeps alive. The live
// objects alone (the heap in use also counts the free room of the spans
// they sit in) and RSS, which follows the collector's pace, are noted
// beside it.
func (b *bencher) compareMemory(ctx context.Context) ([]row, error) {
	n := b.c.memory
	if n > b.c.cacheSize {
		return nil, fmt.Errorf("memory: -memory %d exceeds -cache-size %d: the cache would evict what is measured", n, b.c.cacheSize)
	}
	progress("memory: %d referrals into the worker's cache", n)
	before, err := b.workerMemory(ctx)
	if err != nil {
		return nil, err
	}
	res := run(ctx, b.c.concurrency, n, func(ctx context.Context, _, i int) error {
		_, err := b.api.refer(ctx, b.partner, scaleProgramme, benchPartner, fmt.Sprintf("mem-%s-%d", b.run, i))
		return err
	})
	if res.firstErr != nil {
		return nil, fmt.Errorf("memory: %d referrals failed, the first: %w", res.errors, res.firstErr)
	}
	if _, err := b.waitDrained(ctx, 10*time.Minute); err != nil {
		return nil, err
	}
	after, err := b.workerMemory(ctx)
	if err != nil {
		return nil, err
	}
	if b.c.profileDir != "" {
		// What the cached trajectories hold: go tool pprof -sample_index=inuse_space -top.
		heap, err := pprofText(ctx, workerPprof, "heap?gc=1")
		if err == nil {
			err = os.WriteFile(filepath.Join(b.c.profileDir, "worker-heap.pprof"), []byte(heap), 0o600)
		}
		if err != nil {
			return nil, err
		}
		// Where each cached trajectory's coroutine waits: the frames its stack holds.
		stacks, err := pprofText(ctx, workerPprof, "goroutine?debug=2")
		if err == nil {
			err = os.WriteFile(filepath.Join(b.c.profileDir, "worker-goroutines.txt"), []byte(stacks), 0o600)
		}
		if err != nil {
			return nil, err
		}
	}
	progress("memory: %d bare workflows waiting on a timer, in a worker of their own", n)
	floorBefore, floorAfter, err := b.bareFloor(ctx, bareWaiting, n)
	if err != nil {
		return nil, err
	}
	held := func(before, after memory) float64 {
		return float64(after.heapInuse+after.stackInuse-before.heapInuse-before.stackInuse) / float64(n)
	}
	perTrajectory, perBare := held(before, after), held(floorBefore, floorAfter)
	return []row{{
		name: "memory per cached workflow (heap+stacks)", elkgezin: kb(perTrajectory), bare: kb(perBare),
		ratio: perTrajectory / perBare, goal: "<= 1.50",
		note: fmt.Sprintf("%d of each cached; heap %s and %s (live objects %s and %s); stacks %s and %s; RSS %s and %s; goroutines %.1f and %.1f each",
			n, kb(float64(after.heapInuse-before.heapInuse)/float64(n)), kb(float64(floorAfter.heapInuse-floorBefore.heapInuse)/float64(n)),
			kb(float64(after.heapAlloc-before.heapAlloc)/float64(n)), kb(float64(floorAfter.heapAlloc-floorBefore.heapAlloc)/float64(n)),
			kb(float64(after.stackInuse-before.stackInuse)/float64(n)), kb(float64(floorAfter.stackInuse-floorBefore.stackInuse)/float64(n)),
			kb(float64(after.rss-before.rss)/float64(n)), kb(float64(floorAfter.rss-floorBefore.rss)/float64(n)),
			float64(after.goroutines-before.goroutines)/float64(n), float64(floorAfter.goroutines-floorBefore.goroutines)/float64(n)),
	}}, nil
}
