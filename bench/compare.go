package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/internal/stack"
)

type bencher struct {
	c       config
	st      *stack.Stack
	api     *apiClient
	sink    *smtpsink.Sink
	run     string // makes this run's references and workflow ids unique
	partner string
	super   string
	coach   []string // token of bench-coach-(i+1)
}

const (
	benchProgramme = "bench"
	benchPartner   = "bench-partner"
)

// writeProgrammes writes the bench's programmes: "bench", whose limits are
// far away so no reminder disturbs the measures, with its coaches;
// "storm", whose supervisor is alerted stormDue after a referral that no
// coach was assigned to (the one email such a trajectory sends for
// weeks); and "scale", like "bench", for trajectories that sit open.
func writeProgrammes(dir string, coaches int, stormDue time.Duration) error {
	var cs strings.Builder
	for i := 1; i <= coaches; i++ {
		fmt.Fprintf(&cs, "  - id: bench-coach-%d\n    name: Coach %d\n    email: coach-%d@bench.example\n", i, i, i)
	}
	prog := func(id, assign, lead, grace string) string {
		return fmt.Sprintf(`id: %s
name: Bench %s
referrers:
  - id: %s
    name: Bench partner
assignment_limit: %s
intake_deadline: 30d
home_visit_cadence: 30d
reminder_lead: %s
alert_grace: %s
handover:
  acknowledgement_limit: 5d
  link_valid_for: 30d
supervisor_email: supervisor@%s.example
coaches:
%s`, id, id, benchPartner, assign, lead, grace, id, cs.String())
	}
	for id, p := range map[string]string{
		benchProgramme: prog(benchProgramme, "14d", "1d", "1d"),
		scaleProgramme: prog(scaleProgramme, "14d", "1d", "1d"),
		stormProgramme: prog(stormProgramme, fmt.Sprintf("%ds", int(stormDue.Seconds())), "30s", "20d"),
	} {
		if err := os.WriteFile(filepath.Join(dir, id+".yaml"), []byte(p), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (b *bencher) tokens(ctx context.Context) (err error) {
	if b.partner, err = b.st.Token(ctx, "partner", benchPartner, ""); err != nil {
		return err
	}
	if b.super, err = b.st.Token(ctx, "supervisor", "bench-supervisor", benchProgramme); err != nil {
		return err
	}
	for i := 1; i <= max(b.c.coaches, b.c.concurrency); i++ {
		tok, err := b.st.Token(ctx, "coach", fmt.Sprintf("bench-coach-%d", i), benchProgramme)
		if err != nil {
			return err
		}
		b.coach = append(b.coach, tok)
	}
	return nil
}

// compareReferrals compares referrals with bare starts at each of
// comparedAt's concurrencies: a ratio per concurrency.
func (b *bencher) compareReferrals(ctx context.Context) ([]row, error) {
	var rows []row
	for _, n := range comparedAt(b.c.concurrency, len(b.coach)) {
		r, err := b.compareReferralsAt(ctx, n)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

func (b *bencher) compareReferralsAt(ctx context.Context, concurrency int) ([]row, error) {
	c := b.c
	per := max(c.referrals/c.rounds, 1)
	var api, bare result
	progress("referrals: %d on each side at concurrency %d, %d rounds", per*c.rounds, concurrency, c.rounds)
	apiCPU, bareCPU := cpuUse{}, cpuUse{}
	for round := range c.rounds {
		before := b.cpuNow(ctx)
		bare.add(run(ctx, concurrency, per, func(ctx context.Context, _, i int) error {
			return bareStart(ctx, b.st.Temporal, fmt.Sprintf("bare-%s-c%d-r%d-%d", b.run, concurrency, round, i))
		}))
		middle := b.cpuNow(ctx)
		api.add(run(ctx, concurrency, per, func(ctx context.Context, _, i int) error {
			_, err := b.api.refer(ctx, b.partner, benchProgramme, benchPartner, fmt.Sprintf("ref-%s-c%d-r%d-%d", b.run, concurrency, round, i))
			return err
		}))
		after := b.cpuNow(ctx)
		bareCPU.add(before, middle)
		apiCPU.add(middle, after)
	}
	if err := firstErr(api, bare); err != nil {
		return nil, fmt.Errorf("referrals: %w", err)
	}
	return []row{{
		name:     fmt.Sprintf("referrals/s (concurrency %d, n %d)", concurrency, len(api.latencies)),
		elkgezin: fmt.Sprintf("%.1f", api.throughput()), bare: fmt.Sprintf("%.1f", bare.throughput()),
		ratio: api.throughput() / bare.throughput(), goal: ">= 0.90",
	}, cpuRow(fmt.Sprintf("referral (concurrency %d)", concurrency), apiCPU, bareCPU, len(api.latencies), len(bare.latencies)),
		ceilingRow(concurrency, apiCPU, bareCPU, len(api.latencies), len(bare.latencies)),
	}, nil
}

// ceilingRow is referralCeiling as a row: the CPU a referral would cost
// were its Temporal CPU a bare start's, beside a bare start's.
func ceilingRow(concurrency int, api, bare cpuUse, apiCalls, bareCalls int) row {
	ceiling, least, bareTotal := referralCeiling(api, bare, apiCalls, bareCalls)
	return row{name: fmt.Sprintf("referral ceiling (concurrency %d): CPU ms", concurrency),
		elkgezin: fmt.Sprintf("%.1f", least), bare: fmt.Sprintf("%.1f", bareTotal), ratio: ceiling,
		note: "the throughput ratio at most once the cores are busy, were a referral's Temporal CPU a bare start's: a bare start's CPU over its Temporal CPU plus the referral's CPU outside Temporal"}
}

// prepare refers n families (references prefix-run-i), assigns bench-coach-(i+1) to the i-th and
// records its intake: the trajectories the coaches then step on.
func (b *bencher) prepare(ctx context.Context, prefix string, n int) ([]string, error) {
	ids := make([]string, n)
	res := run(ctx, min(n, 8), n, func(ctx context.Context, _, i int) error {
		id, err := b.api.refer(ctx, b.partner, benchProgramme, benchPartner, fmt.Sprintf("%s-%s-%d", prefix, b.run, i))
		if err != nil {
			return err
		}
		if err := b.api.step(ctx, b.super, id, "assignment", fmt.Sprintf(`{"coach":"bench-coach-%d"}`, i+1)); err != nil {
			return err
		}
		ids[i] = id
		return b.api.step(ctx, b.coach[i], id, "intake", `{}`)
	})
	return ids, res.firstErr
}

func (b *bencher) visit(ctx context.Context, ids []string, coach int) error {
	return b.api.step(ctx, b.coach[coach], ids[coach], "visits", `{"note":"bench"}`)
}

// compareSteps compares a coach's step with a bare Update at each of
// comparedAt's concurrencies, one trajectory per caller.
func (b *bencher) compareSteps(ctx context.Context) ([]row, error) {
	var rows []row
	for _, n := range comparedAt(b.c.concurrency, len(b.coach)) {
		r, err := b.compareStepsAt(ctx, n)
		rows = append(rows, r...)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

func (b *bencher) compareStepsAt(ctx context.Context, concurrency int) ([]row, error) {
	c := b.c
	ids, err := b.prepare(ctx, fmt.Sprintf("step-c%d", concurrency), concurrency)
	if err != nil {
		return nil, fmt.Errorf("prepare trajectories: %w", err)
	}
	bareIDs := make([]string, concurrency)
	for i := range bareIDs {
		bareIDs[i] = fmt.Sprintf("bare-step-%s-c%d-%d", b.run, concurrency, i)
		if err := bareStart(ctx, b.st.Temporal, bareIDs[i]); err != nil {
			return nil, err
		}
	}
	per := max(c.steps/c.rounds, 1)
	progress("steps: %d on each side, one trajectory per caller, concurrency %d, %d rounds", per*c.rounds, concurrency, c.rounds)
	var api, bare result
	apiCPU, bareCPU := cpuUse{}, cpuUse{}
	for range c.rounds {
		before := b.cpuNow(ctx)
		bare.add(run(ctx, concurrency, per, func(ctx context.Context, w, _ int) error {
			return bareStep(ctx, b.st.Temporal, bareIDs[w])
		}))
		middle := b.cpuNow(ctx)
		api.add(run(ctx, concurrency, per, func(ctx context.Context, w, _ int) error {
			return b.visit(ctx, ids, w)
		}))
		after := b.cpuNow(ctx)
		bareCPU.add(before, middle)
		apiCPU.add(middle, after)
	}
	if err := firstErr(api, bare); err != nil {
		return nil, fmt.Errorf("steps: %w", err)
	}
	p50a, p50b, p99a, p99b := api.quantile(0.5), bare.quantile(0.5), api.quantile(0.99), bare.quantile(0.99)
	lostAPI, err := timedOutTasks(ctx, b.st.Temporal, ids)
	if err != nil {
		return nil, err
	}
	lostBare, err := timedOutTasks(ctx, b.st.Temporal, bareIDs)
	if err != nil {
		return nil, err
	}
	return []row{
		cpuRow(fmt.Sprintf("step (concurrency %d)", concurrency), apiCPU, bareCPU, len(api.latencies), len(bare.latencies)),
		{name: fmt.Sprintf("step (concurrency %d): tasks timed out or failed", concurrency), elkgezin: fmt.Sprint(lostAPI), bare: fmt.Sprint(lostBare),
			note: "each makes an Update wait 10 s: the p99 below holds only where both are 0"},
		{name: fmt.Sprintf("step p50 ms (concurrency %d, n %d)", concurrency, len(api.latencies)),
			elkgezin: fmt.Sprintf("%.1f", ms(p50a)), bare: fmt.Sprintf("%.1f", ms(p50b)), ratio: ms(p50a) / ms(p50b), goal: "<= 1.10"},
		{name: fmt.Sprintf("step p99 ms (concurrency %d, n %d)", concurrency, len(api.latencies)),
			elkgezin: fmt.Sprintf("%.1f", ms(p99a)), bare: fmt.Sprintf("%.1f", ms(p99b)), ratio: ms(p99a) / ms(p99b), goal: "<= 1.25"},
	}, nil
}

// loadCoaches has every coach step on their own family, one step after
// the other, for c.load.
func (b *bencher) loadCoaches(ctx context.Context) ([]row, error) {
	ids, err := b.prepare(ctx, "load", b.c.coaches)
	if err != nil {
		return nil, fmt.Errorf("prepare trajectories: %w", err)
	}
	progress("load: %d coaches doing steps for %s", b.c.coaches, b.c.load)
	res := runFor(ctx, b.c.coaches, b.c.load, func(ctx context.Context, w, _ int) error { return b.visit(ctx, ids, w) })
	note := ""
	if res.firstErr != nil {
		note = "first error: " + res.firstErr.Error()
	}
	name := fmt.Sprintf("load: %d coaches, %s", b.c.coaches, b.c.load)
	return []row{
		{name: name + ": steps/s", elkgezin: fmt.Sprintf("%.1f", res.throughput())},
		{name: name + ": p50 / p99 ms", elkgezin: fmt.Sprintf("%.0f / %.0f", ms(res.quantile(0.5)), ms(res.quantile(0.99)))},
		{name: name + ": errors", elkgezin: fmt.Sprintf("%d of %d", res.errors, res.errors+len(res.latencies)), note: note},
	}, nil
}

func firstErr(rs ...result) error {
	for _, r := range rs {
		if r.firstErr != nil {
			return fmt.Errorf("%d calls failed, the first: %w", r.errors, r.firstErr)
		}
	}
	return nil
}

// cpuRow sets the CPU a call cost on each side, all processes together,
// with each process's share in the note.
func cpuRow(what string, api, bare cpuUse, apiCalls, bareCalls int) row {
	a := ms(api.total()) / float64(max(apiCalls, 1))
	z := ms(bare.total()) / float64(max(bareCalls, 1))
	return row{name: what + ": CPU ms per call (all processes)",
		elkgezin: fmt.Sprintf("%.1f", a), bare: fmt.Sprintf("%.1f", z), ratio: a / max(z, 0.001),
		note: "elkgezin " + api.perCall(apiCalls) + "; bare " + bare.perCall(bareCalls)}
}
