// Command bench measures elkgezin against bare Temporal on one Temporal
// server in one run, so the ratios hold on a shared machine where absolute
// times are noise: referrals through the API against bare ExecuteWorkflow
// at the same concurrency, and a coach's step through the API (an Update
// that waits until completed) against a bare Update whose handler runs one
// activity; and the worker memory a cached trajectory holds against a
// bare workflow waiting on a timer. It can also put 50 coaches under load and let a storm of
// reminders fall due at once. See BENCHMARKS.md.
//
//	go run ./bench -check
//
// It starts what it needs (a Temporal dev server from bin/temporal, a
// database of its own on -database-url, an SMTP sink, the elkgezin worker
// and API processes), or uses the Temporal server at -temporal.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/internal/stack"
)

type config struct {
	repo, temporal, namespace, databaseURL, logFile string
	profileDir                                      string
	concurrency, referrals, steps, rounds           int
	coaches                                         int
	load                                            time.Duration
	storm                                           int
	stormWindow, stormDue                           time.Duration
	scale, scaleConcurrency, cacheSize, memory      int
	scaleBudget                                     time.Duration
	temporalDB, visibilityDB, workerEnv             string
	pool, listRows                                  int
	emailRate                                       float64
	check, compare                                  bool
}

// register defines the bench's flags on fs, into c; bareWorker is set
// when the process is to be the bare worker. One definition serves the
// command line and the test that checks the commands in the docs.
func (c *config) register(fs *flag.FlagSet) (bareWorker *bool) {
	fs.StringVar(&c.repo, "repo", ".", "the repository root (bin/temporal, cmd/elkgezin, deploy/)")
	fs.StringVar(&c.temporal, "temporal", "", "Temporal frontend host:port; empty starts a dev server from bin/temporal")
	fs.StringVar(&c.namespace, "namespace", "", "Temporal namespace (with -temporal: default \"default\"; its search attributes are registered)")
	fs.StringVar(&c.databaseURL, "database-url", envOr("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server on which the bench makes (and drops) a database of its own")
	fs.StringVar(&c.logFile, "log", "", "file for the processes' logs (default: discarded)")
	fs.IntVar(&c.concurrency, "concurrency", 8, "concurrent callers on each side of the comparisons")
	fs.IntVar(&c.referrals, "referrals", 240, "referrals on each side (split over -rounds)")
	fs.IntVar(&c.steps, "steps", 240, "steps on each side (split over -rounds)")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds that alternate the two sides, so drift in the machine's load hits both")
	fs.BoolVar(&c.compare, "compare", true, "run the two comparisons")
	fs.IntVar(&c.memory, "memory", 1000, "trajectories and bare workflows (waiting on a timer) to cache, to compare the worker memory each holds; 0 skips")
	fs.IntVar(&c.coaches, "coaches", 50, "coaches under load (with -load)")
	fs.DurationVar(&c.load, "load", 0, "put -coaches coaches doing steps for this long (e.g. 2m); 0 skips")
	fs.IntVar(&c.storm, "storm", 0, "trajectories whose assignment reminders fall due at once; 0 skips")
	fs.DurationVar(&c.stormWindow, "storm-window", 5*time.Minute, "the storm's reminders must all be sent within this long of falling due")
	fs.DurationVar(&c.stormDue, "storm-due", 15*time.Minute, "the storm's alerts fall due this long after each trajectory started: longer than the worker takes to start them all")
	fs.IntVar(&c.scale, "scale", 0, "open trajectories to create and measure (storage, worker memory, lists, queries); 0 skips")
	fs.IntVar(&c.scaleConcurrency, "scale-concurrency", 0, "concurrent referrals for -scale; 0 tries several and keeps the fastest")
	fs.DurationVar(&c.scaleBudget, "scale-budget", 60*time.Minute, "stop creating -scale trajectories after this long, and measure what was created")
	fs.IntVar(&c.cacheSize, "cache-size", 10000, "WORKFLOW_CACHE_SIZE of the worker")
	fs.IntVar(&c.listRows, "list-rows", 0, "with -scale: time the supervisor's list over this many rows of elkgezin's read model, padding it with copies of the created rows (the list reads only elkgezin's database)")
	fs.StringVar(&c.workerEnv, "worker-env", "", "more environment for the worker, comma-separated (e.g. GOMEMLIMIT=400MiB)")
	fs.IntVar(&c.pool, "pool", 0, "PostgreSQL connections per elkgezin process at most (pool_max_conns); 0: elkgezin's default")
	fs.StringVar(&c.temporalDB, "temporal-db", "", "with -scale: Temporal's persistence database on the -database-url server, to measure its growth")
	fs.StringVar(&c.visibilityDB, "visibility-db", "", "with -scale: Temporal's visibility database on the -database-url server")
	fs.Float64Var(&c.emailRate, "email-rate", 50, "EMAIL_SEND_RATE of the worker: emails per second at most")
	fs.StringVar(&c.profileDir, "profile", "", "directory for CPU profiles of the API and the worker, taken under load after the comparisons, and the worker's heap after -scale")
	fs.BoolVar(&c.check, "check", false, "exit 1 when a goal is missed")
	bareWorker = fs.Bool("bare-worker", false, "be the bare worker process whose memory -scale sets beside the elkgezin worker's (started by the bench itself)")
	return bareWorker
}

func main() {
	var c config
	bareWorker := c.register(flag.CommandLine)
	flag.Parse()
	if *bareWorker {
		if err := serveBareWorker(c.temporal, c.namespace, c.cacheSize); err != nil {
			fmt.Fprintln(os.Stderr, "bench -bare-worker:", err)
			os.Exit(2)
		}
		return
	}

	// Made before anything runs: a -scale run writes its profiles only at
	// its end, after the better part of an hour.
	if c.profileDir != "" {
		if err := os.MkdirAll(c.profileDir, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, "bench: -profile:", err)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rows, err := bench(ctx, c)
	printTable(os.Stdout, c, rows)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if c.check {
		if r, ok := firstMissed(rows); ok {
			fmt.Fprintf(os.Stderr, "bench: goal missed: %s %.2f, goal %s\n", r.name, r.ratio, r.goal)
			os.Exit(1)
		}
	}
}

// firstMissed is the first row whose goal is missed (-check exits 1 on it).
func firstMissed(rows []row) (row, bool) {
	for _, r := range rows {
		if r.missed() {
			return r, true
		}
	}
	return row{}, false
}

func bench(ctx context.Context, c config) ([]row, error) {
	var log io.Writer = io.Discard
	if c.logFile != "" {
		f, err := os.Create(c.logFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		log = f
	}
	sink, err := smtpsink.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer sink.Stop()
	dir, err := os.MkdirTemp("", "elkgezin-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := writeProgrammes(dir, max(c.coaches, c.concurrency), c.stormDue); err != nil {
		return nil, err
	}
	repo, _ := filepath.Abs(c.repo)
	progress("starting the stack (Temporal %s, PostgreSQL, SMTP sink, elkgezin worker and API)", orDev(c.temporal))
	opts := stack.Options{Repo: repo, TemporalAddr: c.temporal, Namespace: c.namespace,
		DatabaseURL: c.databaseURL, PoolMaxConns: c.pool, Programmes: dir, SMTPAddr: sink.Addr(), Log: log,
		Env: []string{fmt.Sprintf("EMAIL_SEND_RATE=%g", c.emailRate)}}
	opts.WorkerEnv = []string{fmt.Sprintf("WORKFLOW_CACHE_SIZE=%d", c.cacheSize)}
	if c.workerEnv != "" {
		opts.WorkerEnv = append(opts.WorkerEnv, strings.Split(c.workerEnv, ",")...)
	}
	if (c.profileDir != "" && c.compare) || c.scale > 0 || c.memory > 0 {
		opts.APIEnv = []string{"PPROF_ADDR=" + apiPprof}
		opts.WorkerEnv = append(opts.WorkerEnv, "PPROF_ADDR="+workerPprof)
	}
	st, err := stack.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	w, err := startBareWorker(st.Temporal, bareQueue)
	if err != nil {
		return nil, fmt.Errorf("bare worker: %w", err)
	}
	defer w.Stop()
	b := &bencher{c: c, st: st, api: newAPIClient(st.APIURL), sink: sink, run: fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)}
	if err := b.tokens(ctx); err != nil {
		return nil, err
	}
	var rows []row
	if c.compare {
		r, err := b.compareReferrals(ctx)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
		r, err = b.compareSteps(ctx)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
	}
	if c.profileDir != "" && c.compare {
		ids, err := b.prepare(ctx, "profile", c.concurrency)
		if err == nil {
			err = b.profile(ctx, ids)
		}
		if err != nil {
			return rows, err
		}
	}
	if c.memory > 0 {
		r, err := b.compareMemory(ctx)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
	}
	if c.load > 0 {
		r, err := b.loadCoaches(ctx)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
	}
	if c.storm > 0 {
		r, err := b.reminderStorm(ctx)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
	}
	if c.scale > 0 {
		r, err := b.scaleUp(ctx)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// row is a line of the table: a measure of both sides, or of elkgezin
// alone (bare empty).
type row struct {
	name, elkgezin, bare string
	ratio                float64
	goal                 string // ">= 0.90", "<= 1.25" or empty
	note                 string
}

func (r row) missed() bool {
	var v float64
	switch {
	case strings.HasPrefix(r.goal, ">="):
		fmt.Sscanf(strings.TrimSpace(r.goal[2:]), "%g", &v)
		return r.ratio < v
	case strings.HasPrefix(r.goal, "<="):
		fmt.Sscanf(strings.TrimSpace(r.goal[2:]), "%g", &v)
		return r.ratio > v
	case r.goal == "must":
		return r.ratio != 1
	}
	return false
}

func printTable(w io.Writer, c config, rows []row) {
	fmt.Fprintf(w, "\n%-44s %14s %14s %7s %9s  %s\n", "measure", "elkgezin", "bare Temporal", "ratio", "goal", "")
	for _, r := range rows {
		verdict := ""
		if r.goal != "" {
			verdict = "ok"
			if r.missed() {
				verdict = "MISSED"
			}
		}
		ratio := ""
		if (r.bare != "" && r.ratio != 0) || r.goal != "" {
			ratio = fmt.Sprintf("%.2f", r.ratio)
		}
		fmt.Fprintf(w, "%-44s %14s %14s %7s %9s  %s %s\n", r.name, r.elkgezin, r.bare, ratio, r.goal, verdict, r.note)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func orDev(addr string) string {
	if addr == "" {
		return "dev server"
	}
	return addr
}
