package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// run calls op n times from concurrency goroutines (op gets the caller's
// number and the call's number) and returns the latencies of the calls
// that succeeded, the errors and the wall time.
func run(ctx context.Context, concurrency, n int, op func(ctx context.Context, worker, i int) error) result {
	var next atomic.Int64
	return runWhile(ctx, concurrency, func() (int, bool) {
		i := int(next.Add(1)) - 1
		return i, i < n
	}, op)
}

// runFor is run for a duration instead of a count.
func runFor(ctx context.Context, concurrency int, d time.Duration, op func(ctx context.Context, worker, i int) error) result {
	end := time.Now().Add(d)
	var next atomic.Int64
	return runWhile(ctx, concurrency, func() (int, bool) {
		return int(next.Add(1)) - 1, time.Now().Before(end)
	}, op)
}

func runWhile(ctx context.Context, concurrency int, more func() (int, bool), op func(ctx context.Context, worker, i int) error) result {
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	start := time.Now()
	for w := range concurrency {
		wg.Go(func() {
			for {
				i, ok := more()
				if !ok || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := op(ctx, w, i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					res.errors++
					if res.firstErr == nil {
						res.firstErr = err
					}
				} else {
					res.latencies = append(res.latencies, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.wall = time.Since(start)
	return res
}

type result struct {
	latencies []time.Duration
	errors    int
	firstErr  error
	wall      time.Duration
}

// add merges rounds of the same measure.
func (r *result) add(o result) {
	r.latencies = append(r.latencies, o.latencies...)
	r.errors += o.errors
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
	r.wall += o.wall
}

func (r result) throughput() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(len(r.latencies)) / r.wall.Seconds()
}

// quantile q (0..1) of the latencies, nearest rank.
func (r result) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
