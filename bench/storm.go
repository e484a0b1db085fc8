package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/trajectory"
)

const (
	stormProgramme = "storm"
	stormRecipient = "supervisor@storm.example"
)

// reminderStorm lets the assignment alerts of c.storm trajectories fall due
// while no worker runs, as over a weekend outage, so that all of them are
// owed at the same instant: the moment the worker comes back. The families
// are referred with the worker stopped (the API only starts workflows, so
// this is fast), then the worker starts every trajectory, which arms its
// alert c.stormDue later (the storm programme alerts the supervisor that
// long after a referral no coach was assigned to: the one email such a
// trajectory sends); once all are started the worker is stopped, before
// the first alert falls due, and started again after the last fell due, so
// their timers fire on the server while it is away. (Starting the worker
// right after the referrals, as this bench first did, spread the due
// instants over the time the worker takes to start them all.) It then
// counts the alerts at the SMTP sink by Message-ID: each must arrive once,
// all within c.stormWindow of the worker's return, no faster than the send
// rate allows.
func (b *bencher) reminderStorm(ctx context.Context) ([]row, error) {
	n := b.c.storm
	b.st.StopWorker()
	progress("storm: referring %d families with the worker stopped (alerts due %s after each start)", n, b.c.stormDue)
	res := run(ctx, 16, n, func(ctx context.Context, _, i int) error {
		_, err := b.api.refer(ctx, b.partner, stormProgramme, benchPartner, fmt.Sprintf("storm-%s-%d", b.run, i))
		return err
	})
	if res.firstErr != nil {
		return nil, fmt.Errorf("storm referrals: %w", firstErr(res))
	}
	created := res.wall
	firstStart := time.Now()
	if err := b.st.StartWorker(); err != nil {
		return nil, err
	}
	// Visibility lags behind a loaded server by minutes; the task queue's
	// backlog says when the worker has run every trajectory's first tasks.
	started, err := b.waitDrained(ctx, b.c.stormDue-time.Minute)
	if err != nil {
		return nil, fmt.Errorf("storm: %w; raise -storm-due", err)
	}
	// The first alert falls due stormDue after the first trajectory's first
	// workflow task ran (not before the worker started), the last one
	// stormDue after the last one's (not after the backlog was seen empty).
	firstDue, lastDue := firstStart.Add(b.c.stormDue), started.Add(b.c.stormDue)
	b.st.StopWorker()
	if time.Now().After(firstDue) {
		return nil, fmt.Errorf("storm: starting %d trajectories took %s, longer than -storm-due %s: raise it",
			n, started.Sub(firstStart).Round(time.Second), b.c.stormDue)
	}
	progress("storm: %d trajectories started in %s; worker stopped; alerts fall due %s..%s with no worker",
		n, started.Sub(firstStart).Round(time.Second), firstDue.Format("15:04:05"), lastDue.Format("15:04:05"))
	// The server fires a timer at its instant; give its timer queue a
	// few seconds past the last.
	if err := sleep(ctx, time.Until(lastDue.Add(10*time.Second))); err != nil {
		return nil, err
	}
	back := time.Now()
	if err := b.st.StartWorker(); err != nil {
		return nil, err
	}
	progress("storm: worker started again; %d alerts owed at once", n)

	isStorm := func(m smtpsink.Received) bool { return len(m.To) == 1 && m.To[0] == stormRecipient }
	deadline := back.Add(b.c.stormWindow + 5*time.Minute)
	for b.sink.Count(isStorm) < n && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Second)
	}
	// Anything sent twice would come within the retry intervals: wait them out.
	if err := sleep(ctx, 15*time.Second); err != nil {
		return nil, err
	}
	ids := map[string]int{}
	var first, last time.Time
	var at []time.Time
	for _, m := range b.sink.Messages() {
		if !isStorm(m) {
			continue
		}
		ids[m.MessageID]++
		at = append(at, m.At)
		if first.IsZero() || m.At.Before(first) {
			first = m.At
		}
		if m.At.After(last) {
			last = m.At
		}
	}
	total := len(at)
	all := 0.0
	if len(ids) == n && total == n {
		all = 1
	}
	within := last.Sub(back)
	inTime := 0.0
	if within <= b.c.stormWindow && len(ids) == n {
		inTime = 1
	}
	rate := float64(total) / max(last.Sub(first).Seconds(), 1)
	name := fmt.Sprintf("storm: %d reminders", n)
	return []row{
		{name: name + ": referred (worker stopped)", elkgezin: created.Round(time.Second).String(), note: fmt.Sprintf("%.0f/s", float64(n)/created.Seconds())},
		{name: name + ": due instants spread", elkgezin: lastDue.Sub(firstDue).Round(time.Second).String(),
			note: "the worker starting them all; all fell due while it was stopped, owed at once when it came back"},
		{name: name + ": sent once each", elkgezin: fmt.Sprintf("%d of %d", len(ids), n), bare: fmt.Sprintf("%d mails", total), ratio: all, goal: "must"},
		{name: name + ": worker back to first sent", elkgezin: first.Sub(back).Round(time.Second).String()},
		{name: name + ": worker back to last sent", elkgezin: within.Round(time.Second).String(), ratio: inTime, goal: "must",
			note: fmt.Sprintf("within %s", b.c.stormWindow)},
		{name: name + ": send rate", elkgezin: fmt.Sprintf("%.1f/s", rate),
			note: fmt.Sprintf("first to last; busiest 10 s %.1f/s; EMAIL_SEND_RATE %g", busiest(at, 10*time.Second), b.c.emailRate)},
	}, nil
}

// busiest is the highest rate per second over any window of length w
// that starts at one of the instants.
func busiest(at []time.Time, w time.Duration) float64 {
	s := slices.SortedFunc(slices.Values(at), time.Time.Compare)
	best, j := 0, 0
	for i := range s {
		for j < len(s) && s[j].Sub(s[i]) < w {
			j++
		}
		best = max(best, j-i)
	}
	return float64(best) / w.Seconds()
}

// waitDrained waits until the worker has taken every task off the
// trajectories' task queue (workflow and activity backlogs seen empty three
// times in a row, two seconds apart), and returns when they were first seen
// empty.
func (b *bencher) waitDrained(ctx context.Context, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	var since time.Time
	quiet := 0
	for time.Now().Before(deadline) {
		empty := true
		for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			resp, err := b.st.Temporal.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace: b.st.Namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: trajectory.TaskQueue},
				TaskQueueType: kind, ReportStats: true})
			if err != nil || resp.GetStats().GetApproximateBacklogCount() > 0 {
				empty = false
			}
		}
		switch {
		case !empty:
			quiet = 0
		case quiet == 0:
			since, quiet = time.Now(), 1
		default:
			quiet++
		}
		if quiet >= 3 {
			return since, nil
		}
		if err := sleep(ctx, 2*time.Second); err != nil {
			return time.Time{}, err
		}
	}
	return time.Time{}, fmt.Errorf("the worker did not empty the task queue within %s", limit)
}

// waitCount waits until Temporal's visibility counts n workflows for query.
func (b *bencher) waitCount(ctx context.Context, query string, n int, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := b.st.Temporal.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: b.st.Namespace, Query: query})
		if err == nil && resp.GetCount() >= int64(n) {
			return time.Now(), nil
		}
		if err := sleep(ctx, time.Second); err != nil {
			return time.Time{}, err
		}
	}
	return time.Time{}, fmt.Errorf("visibility did not count %d workflows for %s within %s", n, query, limit)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
