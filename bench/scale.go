package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/elkgezin/elkgezin/worker"
)

const scaleProgramme = "scale"

// scaleUp creates c.scale open trajectories through the API as fast as
// the system sustains (its programme's limits are weeks away, so they sit
// open without timers firing), and measures what they cost: the time to
// create them, the bytes per trajectory in Temporal's persistence and
// visibility databases and in elkgezin's own, the worker's memory per
// trajectory in its cache, a supervisor's list over them and the
// supervisor queries on Temporal's visibility.
func (b *bencher) scaleUp(ctx context.Context) ([]row, error) {
	c := b.c
	// A fresh worker: its cache is empty and its memory the baseline.
	b.st.StopWorker()
	if err := b.st.StartWorker(); err != nil {
		return nil, err
	}
	if err := sleep(ctx, 20*time.Second); err != nil {
		return nil, err
	}
	memBefore, err := b.workerMemory(ctx)
	if err != nil {
		return nil, err
	}
	dbs := b.databases()
	sizesBefore, err := tableSizes(ctx, c.databaseURL, dbs)
	if err != nil {
		return nil, err
	}
	progress("scale: worker %s before; databases %s", memBefore, sizesBefore.totals(dbs))

	var rows []row
	var next atomic.Int64
	refer := func(ctx context.Context, _, _ int) error {
		_, err := b.api.refer(ctx, b.partner, scaleProgramme, benchPartner, fmt.Sprintf("scale-%s-%d", b.run, next.Add(1)))
		return err
	}
	var created atomic.Int64
	start := time.Now()
	deadline := start.Add(c.scaleBudget)
	conc := c.scaleConcurrency
	if conc <= 0 {
		// Try rising concurrencies on a few hundred referrals each and keep
		// the fastest: beyond it, callers only queue.
		best := 0.0
		for _, k := range []int{4, 8, 16, 32, 64} {
			r := run(ctx, k, 400, refer)
			created.Add(int64(len(r.latencies)))
			rate := r.throughput()
			progress("scale: concurrency %d: %.1f referrals/s, p50 %.0f ms, p99 %.0f ms, %d errors", k, rate, ms(r.quantile(0.5)), ms(r.quantile(0.99)), r.errors)
			rows = append(rows, row{name: fmt.Sprintf("scale: referrals/s at concurrency %d", k), elkgezin: fmt.Sprintf("%.1f", rate),
				note: fmt.Sprintf("p50 %.0f ms, p99 %.0f ms, %d errors", ms(r.quantile(0.5)), ms(r.quantile(0.99)), r.errors)})
			if rate > best*1.05 {
				best, conc = rate, k
			}
		}
	}
	progress("scale: creating up to %d trajectories at concurrency %d (budget %s)", c.scale, conc, c.scaleBudget)
	stopReport := make(chan struct{})
	var reported sync.WaitGroup
	reported.Go(func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		last, lastAt := created.Load(), time.Now()
		for {
			select {
			case <-stopReport:
				return
			case now := <-t.C:
				n := created.Load()
				rate := float64(n-last) / now.Sub(lastAt).Seconds()
				eta := time.Duration(float64(int64(c.scale)-n)/max(rate, 0.1)) * time.Second
				progress("scale: %d created, %.1f/s over the last minute, %s to go at that rate", n, rate, eta.Round(time.Second))
				last, lastAt = n, now
			}
		}
	})
	main := runWhile(ctx, conc, func() (int, bool) {
		return 0, created.Load() < int64(c.scale) && time.Now().Before(deadline)
	}, func(ctx context.Context, w, i int) error {
		err := refer(ctx, w, i)
		if err == nil {
			created.Add(1)
		}
		return err
	})
	close(stopReport)
	reported.Wait()
	wall := time.Since(start)
	n := int(created.Load())
	if n == 0 {
		return rows, fmt.Errorf("scale: no trajectory created: %v", main.firstErr)
	}
	progress("scale: %d created in %s (%.1f/s), %d errors; waiting for visibility", n, wall.Round(time.Second), float64(n)/wall.Seconds(), main.errors)
	note := ""
	if main.firstErr != nil {
		note = "first error: " + main.firstErr.Error()
	}
	rows = append(rows,
		row{name: "scale: trajectories created", elkgezin: strconv.Itoa(n), note: fmt.Sprintf("of %d asked; %d referrals failed %s", c.scale, main.errors, note)},
		row{name: "scale: time to create", elkgezin: wall.Round(time.Second).String(),
			note: fmt.Sprintf("%.1f/s overall, concurrency %d after tuning; p50 %.0f ms, p99 %.0f ms", float64(n)/wall.Seconds(), conc, ms(main.quantile(0.5)), ms(main.quantile(0.99)))})
	startedAt, err := b.waitDrained(ctx, 30*time.Minute)
	if err != nil {
		return rows, err
	}
	rows = append(rows, row{name: "scale: all started (task queue empty)", elkgezin: startedAt.Sub(start).Round(time.Second).String(), note: "after the first referral"})
	// The supervisors' queries read visibility, which may lag.
	if indexed, err := b.waitCount(ctx, fmt.Sprintf("Programme = %q", scaleProgramme), n, 10*time.Minute); err != nil {
		rows = append(rows, row{name: "scale: visibility caught up", elkgezin: "NO", note: err.Error()})
	} else {
		rows = append(rows, row{name: "scale: visibility caught up", elkgezin: indexed.Sub(startedAt).Round(time.Second).String(), note: "after the task queue was empty"})
	}

	sizesAfter, err := tableSizes(ctx, c.databaseURL, dbs)
	if err != nil {
		return rows, err
	}
	rows = append(rows, sizeRows(dbs, sizesBefore, sizesAfter, n)...)

	memAfter, err := b.workerMemory(ctx)
	if err != nil {
		return rows, err
	}
	if c.profileDir != "" {
		// What the cached trajectories hold: go tool pprof -sample_index=inuse_space -top.
		heap, err := pprofText(ctx, workerPprof, "heap?gc=1")
		if err == nil {
			err = os.WriteFile(filepath.Join(c.profileDir, "worker-heap.pprof"), []byte(heap), 0o600)
		}
		if err != nil {
			return rows, err
		}
		// Where the cached trajectories' goroutines wait: what their
		// stacks hold (the goroutine stacks row).
		stacks, err := pprofText(ctx, workerPprof, "goroutine?debug=1")
		if err == nil {
			err = os.WriteFile(filepath.Join(c.profileDir, "worker-goroutines.txt"), []byte(stacks), 0o600)
		}
		if err != nil {
			return rows, err
		}
	}
	cached := min(n, c.cacheSize)
	rows = append(rows,
		row{name: "scale: worker memory, cache empty / full", elkgezin: memBefore.String() + " / " + memAfter.String(),
			note: fmt.Sprintf("WORKFLOW_CACHE_SIZE %d, %d trajectories cached", c.cacheSize, cached)},
		row{name: "scale: worker RSS per cached trajectory", elkgezin: kb(float64(memAfter.rss-memBefore.rss) / float64(cached)),
			note: fmt.Sprintf("goal <= 20 KB; Go heap in use %s, goroutine stacks %s, goroutines %.1f per trajectory",
				kb(float64(memAfter.heapInuse-memBefore.heapInuse)/float64(cached)), kb(float64(memAfter.stackInuse-memBefore.stackInuse)/float64(cached)),
				float64(memAfter.goroutines-memBefore.goroutines)/float64(cached))})

	progress("scale: the floor: %d bare workflows cached in a worker of their own", cached)
	// The floor is a comparison, not the scale's purpose: when it cannot be
	// measured the row says why and the lists and queries are still timed.
	if floorBefore, floorAfter, err := b.bareFloor(ctx, bareWorkflow, cached); err != nil {
		rows = append(rows, row{name: "scale: worker RSS per cached workflow", note: "bare floor not measured: " + err.Error()})
	} else {
		perTrajectory := float64(memAfter.rss-memBefore.rss) / float64(cached)
		perBare := float64(floorAfter.rss-floorBefore.rss) / float64(cached)
		rows = append(rows, row{name: "scale: worker RSS per cached workflow", elkgezin: kb(perTrajectory), bare: kb(perBare),
			ratio: perTrajectory / perBare,
			note: fmt.Sprintf("bare: an open workflow with one Update handler, in a worker process of its own; heap in use %s, goroutine stacks %s, goroutines %.1f each",
				kb(float64(floorAfter.heapInuse-floorBefore.heapInuse)/float64(cached)), kb(float64(floorAfter.stackInuse-floorBefore.stackInuse)/float64(cached)),
				float64(floorAfter.goroutines-floorBefore.goroutines)/float64(cached))})
	}

	listed := n
	if c.listRows > n {
		// Creating that many through Temporal does not fit this machine's
		// time; the list reads only elkgezin's database, so copies of the
		// real rows stand in for the rest.
		if listed, err = b.padReadModel(ctx, c.listRows); err != nil {
			return rows, err
		}
		rows = append(rows, row{name: "scale: read model padded for the list", elkgezin: strconv.Itoa(listed),
			note: fmt.Sprintf("rows of programme scale (%d real, the rest copies), and as many of another programme", n)})
	}
	r, err := b.supervisorList(ctx, listed)
	rows = append(rows, r...)
	if err != nil {
		return rows, err
	}
	rows = append(rows, b.visibilityQueries(ctx)...)
	return rows, nil
}

// padReadModel copies the scale programme's rows in elkgezin's read model
// (new ids, earlier referral instants) until it holds rows of them, and
// adds as many rows of another programme, which the supervisor must not
// see and the list must skip. It returns the scale programme's rows.
func (b *bencher) padReadModel(ctx context.Context, rows int) (int, error) {
	conn, err := pgx.Connect(ctx, b.st.DatabaseURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var have int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM trajectories WHERE programme_id = $1`, scaleProgramme).Scan(&have); err != nil {
		return 0, err
	}
	copies := (rows - have + have - 1) / have
	progress("scale: padding the read model from %d to %d rows of %s (%d copies each), and as many of another programme", have, have*(1+copies), scaleProgramme, copies)
	const cols = `referrer_org, referrer_reference, family, reason, phase, coach_id, next_step, next_due_at, escalated,
		close_reason, updated_at, version, expected_due_date, born_on, children, email_failed, personal, co_workers, consultation_id`
	for _, q := range []string{
		`INSERT INTO trajectories (id, programme_id, referred_at, ` + cols + `)
			SELECT t.id || '-pad' || g, t.programme_id, t.referred_at - g * interval '1 hour', ` + cols + `
			FROM trajectories t, generate_series(1, $1::int) g WHERE t.programme_id = 'scale'`,
		`INSERT INTO trajectories (id, programme_id, referred_at, ` + cols + `)
			SELECT t.id || '-other', 'other', t.referred_at + interval '1 millisecond', ` + cols + `
			FROM trajectories t WHERE t.programme_id = 'scale'`,
	} {
		args := []any{copies}
		if !strings.Contains(q, "$1") {
			args = nil
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			return 0, fmt.Errorf("pad the read model: %w", err)
		}
	}
	// The bench does not analyze the padded table itself: the list is
	// timed on the statistics the worker keeps (worker.StatisticsCheckEvery),
	// as a team's read model would have them.
	padded := time.Now()
	deadline := padded.Add(worker.StatisticsCheckEvery + 2*time.Minute)
	for {
		var fresh bool
		if err := conn.QueryRow(ctx, `SELECT coalesce(greatest(last_analyze, last_autoanalyze) > $1, false)
			FROM pg_stat_user_tables WHERE relname = 'trajectories' AND schemaname = current_schema()`, padded).Scan(&fresh); err != nil {
			return 0, fmt.Errorf("read the statistics' age: %w", err)
		}
		if fresh {
			progress("scale: the worker analyzed the padded read model %s after the padding", time.Since(padded).Round(time.Second))
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the worker did not refresh the padded read model's statistics within %s", time.Since(padded).Round(time.Second))
		}
		if err := sleep(ctx, 2*time.Second); err != nil {
			return 0, err
		}
	}
	return have * (1 + copies), nil
}

// database is one database whose growth the scale measures.
type database struct{ label, name string }

func (b *bencher) databases() []database {
	dbs := []database{{"elkgezin", dbName(b.st.DatabaseURL)}}
	if b.c.temporalDB != "" {
		dbs = append(dbs, database{"Temporal persistence", b.c.temporalDB})
	}
	if b.c.visibilityDB != "" {
		dbs = append(dbs, database{"Temporal visibility", b.c.visibilityDB})
	}
	return dbs
}

func dbName(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(p.Path, "/")
}

// sizes maps a database to its size and its tables' (with their indexes
// and TOAST), in bytes.
type sizes map[string]struct {
	total  int64
	tables map[string]int64
}

func (s sizes) totals(dbs []database) string {
	var parts []string
	for _, d := range dbs {
		parts = append(parts, fmt.Sprintf("%s %s", d.name, mb(s[d.name].total)))
	}
	return strings.Join(parts, ", ")
}

func tableSizes(ctx context.Context, server string, dbs []database) (sizes, error) {
	out := sizes{}
	for _, d := range dbs {
		cfg, err := pgx.ParseConfig(server)
		if err != nil {
			return nil, err
		}
		cfg.Database = d.name
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("size of %s: %w", d.name, err)
		}
		var total int64
		if err := conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&total); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("size of %s: %w", d.name, err)
		}
		rows, err := conn.Query(ctx, `SELECT n.nspname || '.' || c.relname, pg_total_relation_size(c.oid)
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`)
		if err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("table sizes of %s: %w", d.name, err)
		}
		tables := map[string]int64{}
		for rows.Next() {
			var name string
			var size int64
			if err := rows.Scan(&name, &size); err != nil {
				rows.Close()
				conn.Close(ctx)
				return nil, err
			}
			tables[name] = size
		}
		rows.Close()
		conn.Close(ctx)
		out[d.name] = struct {
			total  int64
			tables map[string]int64
		}{total, tables}
	}
	return out, nil
}

// sizeRows says per database how much it grew per trajectory, and which
// tables grew most.
func sizeRows(dbs []database, before, after sizes, n int) []row {
	var rows []row
	for _, d := range dbs {
		grown := after[d.name].total - before[d.name].total
		type t struct {
			name  string
			delta int64
		}
		var ts []t
		for name, size := range after[d.name].tables {
			if delta := size - before[d.name].tables[name]; delta > 0 {
				ts = append(ts, t{name, delta})
			}
		}
		slices.SortFunc(ts, func(a, b t) int { return int(b.delta - a.delta) })
		var top []string
		for _, x := range ts[:min(len(ts), 5)] {
			top = append(top, fmt.Sprintf("%s %.0f", strings.TrimPrefix(x.name, "public."), float64(x.delta)/float64(n)))
		}
		rows = append(rows, row{name: fmt.Sprintf("scale: bytes per trajectory, %s", d.label),
			elkgezin: fmt.Sprintf("%.0f", float64(grown)/float64(n)),
			note:     fmt.Sprintf("%s grew %s to %s; per table: %s", d.name, mb(grown), mb(after[d.name].total), strings.Join(top, ", "))})
	}
	return rows
}

// memory of the worker process: its resident set, the Go heap in use after
// a collection, the goroutine stacks in use, and its goroutines.
type memory struct {
	rss, heapInuse, stackInuse int64
	heapAlloc                  int64 // live objects
	goroutines                 int
}

func (m memory) String() string {
	return fmt.Sprintf("RSS %s heap %s stacks %s goroutines %d", mb(m.rss), mb(m.heapInuse), mb(m.stackInuse), m.goroutines)
}

func (b *bencher) workerMemory(ctx context.Context) (memory, error) {
	return processMemory(ctx, workerPprof, b.st.WorkerPID())
}

// processMemory reads the memory of the process pid whose pprof handlers
// listen on addr.
func processMemory(ctx context.Context, addr string, pid int) (memory, error) {
	var m memory
	// gc=1 collects first, so the heap is what is alive.
	heap, err := pprofText(ctx, addr, "heap?gc=1&debug=1")
	if err != nil {
		return m, err
	}
	for line := range strings.Lines(heap) {
		if v, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			m.heapInuse, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "# HeapAlloc = "); ok {
			m.heapAlloc, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
		// "# Stack = inuse / sys"
		if v, ok := strings.CutPrefix(line, "# Stack = "); ok {
			inuse, _, _ := strings.Cut(v, " ")
			m.stackInuse, _ = strconv.ParseInt(inuse, 10, 64)
		}
	}
	g, err := pprofText(ctx, addr, "goroutine?debug=1")
	if err != nil {
		return m, err
	}
	fmt.Sscanf(g, "goroutine profile: total %d", &m.goroutines)
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, fmt.Errorf("memory of process %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kB, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			m.rss = kB * 1024
		}
	}
	return m, sc.Err()
}

func pprofText(ctx context.Context, addr, what string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/"+what, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("pprof %s of %s: %w", what, addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// supervisorList times GET /v1/trajectories for a supervisor of the scale
// programme: the first page again and again, each filter's first page, and
// a walk over every page by cursor, which must see every trajectory once.
func (b *bencher) supervisorList(ctx context.Context, n int) ([]row, error) {
	token, err := b.st.Token(ctx, "supervisor", "scale-supervisor", scaleProgramme)
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, q := range []struct {
		what, query string
		times       int
	}{
		{"first page of 50", "", 200},
		{"first page of 200", "?limit=200", 100},
		{"phase=referred", "?phase=referred", 100},
		{"overdue=true (none)", "?overdue=true", 50},
		{"email_failed=true (none)", "?email_failed=true", 50},
		{"coach=bench-coach-2 (none)", "?coach=bench-coach-2", 50},
	} {
		r := run(ctx, 1, q.times, func(ctx context.Context, _, _ int) error {
			_, err := b.api.get(ctx, token, "/v1/trajectories"+q.query)
			return err
		})
		if err := firstErr(r); err != nil {
			return rows, fmt.Errorf("list %s: %w", q.what, err)
		}
		rows = append(rows, row{name: "scale: GET /v1/trajectories " + q.what, elkgezin: fmt.Sprintf("%.1f / %.1f", ms(r.quantile(0.5)), ms(r.quantile(0.99))),
			note: fmt.Sprintf("p50 / p99 ms over %d, one after the other", q.times)})
	}
	// Every page, 200 at a time, as an export would.
	progress("scale: walking the supervisor's list by cursor")
	seen := map[string]bool{}
	var walk result
	for next := "/v1/trajectories?limit=200"; next != ""; {
		t0 := time.Now()
		body, err := b.api.get(ctx, token, next)
		if err != nil {
			return rows, err
		}
		walk.latencies = append(walk.latencies, time.Since(t0))
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			// Next is the path and query of the next page; null on the last.
			Next *string `json:"next"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return rows, err
		}
		for _, it := range page.Items {
			if seen[it.ID] {
				return rows, fmt.Errorf("list walk: %s twice", it.ID)
			}
			seen[it.ID] = true
		}
		next = ""
		if page.Next != nil {
			next = *page.Next
		}
	}
	note := "every trajectory once"
	if len(seen) < n {
		note = fmt.Sprintf("MISSING: %d of %d", len(seen), n)
	}
	rows = append(rows, row{name: "scale: list walk, pages of 200", elkgezin: fmt.Sprintf("%.1f / %.1f", ms(walk.quantile(0.5)), ms(walk.quantile(0.99))),
		note: fmt.Sprintf("p50 / p99 ms over %d pages, %d rows: %s", len(walk.latencies), len(seen), note)})
	return rows, nil
}

// visibilityQueries times the supervisor queries of docs/supervisors.md on Temporal's
// visibility store, as the UI runs them: a count and the first page.
func (b *bencher) visibilityQueries(ctx context.Context) []row {
	p := scaleProgramme
	queries := []struct{ what, query string }{
		{"overdue", fmt.Sprintf(`Programme = %q AND Overdue = true`, p)},
		{"overdue of one coach", fmt.Sprintf(`Programme = %q AND Coach = "bench-coach-2" AND Overdue = true`, p)},
		{"escalated", fmt.Sprintf(`Programme = %q AND Escalated = true`, p)},
		{"waiting for a coach", fmt.Sprintf(`Programme = %q AND Phase = "referred"`, p)},
		{"one coach's families", fmt.Sprintf(`Programme = %q AND Coach = "bench-coach-2"`, p)},
		{"referred by one partner, running", fmt.Sprintf(`ReferrerOrganisation = %q AND ExecutionStatus = "Running"`, benchPartner)},
		{"home visits due before a date", `NextStep STARTS_WITH "home_visit" AND NextDueAt < "2027-01-01T00:00:00Z"`},
		{"an email failed", fmt.Sprintf(`Programme = %q AND EmailFailed = true`, p)},
	}
	svc := b.st.Temporal.WorkflowService()
	var rows []row
	for _, q := range queries {
		var matched int64
		// Paced: Temporal limits a namespace's visibility calls (10/s by default).
		count := paced(ctx, 20, func(ctx context.Context) error {
			resp, err := svc.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: b.st.Namespace, Query: q.query})
			matched = resp.GetCount()
			return err
		})
		list := paced(ctx, 20, func(ctx context.Context) error {
			_, err := svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: b.st.Namespace, Query: q.query, PageSize: 100})
			return err
		})
		note := fmt.Sprintf("%d match; p50 / p99 ms of 20 each: %s", matched, q.query)
		if err := firstErr(count, list); err != nil {
			note = "ERROR " + err.Error()
		}
		rows = append(rows, row{name: "scale: visibility " + q.what,
			elkgezin: fmt.Sprintf("count %.0f/%.0f list %.0f/%.0f", ms(count.quantile(0.5)), ms(count.quantile(0.99)), ms(list.quantile(0.5)), ms(list.quantile(0.99))),
			note:     note})
	}
	return rows
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func kb(b float64) string { return fmt.Sprintf("%.1f KB", b/1e3) }

// paced calls op n times, one after the other, at most 5 a second.
func paced(ctx context.Context, n int, op func(ctx context.Context) error) result {
	var r result
	for range n {
		t0 := time.Now()
		err := op(ctx)
		d := time.Since(t0)
		if err != nil {
			r.errors++
			if r.firstErr == nil {
				r.firstErr = err
			}
		} else {
			r.latencies = append(r.latencies, d)
		}
		_ = sleep(ctx, 200*time.Millisecond-d)
	}
	return r
}
