package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"elkgezin/internal/smtpsink"
)

const (
	stormProgramme = "storm"
	stormRecipient = "supervisor@storm.example"
	// stormDue is when a storm trajectory's assignment alert falls due
	// after its first workflow task (storm.yaml: assignment_limit 90s).
	stormDue = 90 * time.Second
)

// reminderStorm refers c.storm families while the worker is stopped, so
// that every trajectory starts the moment the worker comes back and their
// assignment alerts to the supervisor (a reminder that the family waits
// for a coach) fall due together, as on a Monday morning after a
// weekend. It then counts the reminders at the SMTP sink by Message-ID:
// each must arrive once, all within c.stormWindow of the first falling due,
// no faster than the send rate allows.
func (b *bencher) reminderStorm(ctx context.Context) ([]row, error) {
	n := b.c.storm
	b.st.StopWorker()
	progress("storm: referring %d families with the worker stopped", n)
	res := run(ctx, 16, n, func(ctx context.Context, _, i int) error {
		_, err := b.api.refer(ctx, b.partner, stormProgramme, benchPartner, fmt.Sprintf("storm-%s-%d", b.run, i))
		return err
	})
	if res.firstErr != nil {
		return nil, fmt.Errorf("storm referrals: %w", firstErr(res))
	}
	created := res.wall
	start := time.Now()
	if err := b.st.StartWorker(); err != nil {
		return nil, err
	}
	firstDue := start.Add(stormDue)
	started, err := b.waitStarted(ctx, n)
	if err != nil {
		return nil, err
	}
	lastDue := started.Add(stormDue)
	progress("storm: all %d trajectories started %s after the worker; reminders due %s..%s",
		n, started.Sub(start).Round(time.Second), firstDue.Format("15:04:05"), lastDue.Format("15:04:05"))

	isStorm := func(m smtpsink.Received) bool { return len(m.To) == 1 && m.To[0] == stormRecipient }
	deadline := lastDue.Add(b.c.stormWindow + time.Minute)
	for b.sink.Count(isStorm) < n && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Second)
	}
	// Anything sent twice would come within the retry intervals: wait them out.
	time.Sleep(15 * time.Second)
	ids := map[string]int{}
	var first, last time.Time
	for _, m := range b.sink.Messages() {
		if !isStorm(m) {
			continue
		}
		ids[m.MessageID]++
		if first.IsZero() || m.At.Before(first) {
			first = m.At
		}
		if m.At.After(last) {
			last = m.At
		}
	}
	total := 0
	for _, c := range ids {
		total += c
	}
	all := 0.0
	if len(ids) == n && total == n {
		all = 1
	}
	within := last.Sub(firstDue)
	inTime := 0.0
	if within <= b.c.stormWindow && len(ids) == n {
		inTime = 1
	}
	rate := float64(total) / max(last.Sub(first).Seconds(), 1)
	name := fmt.Sprintf("storm: %d reminders", n)
	return []row{
		{name: name + ": referred (worker stopped)", elkgezin: created.Round(time.Second).String(), note: fmt.Sprintf("%.0f/s", float64(n)/created.Seconds())},
		{name: name + ": due spread", elkgezin: lastDue.Sub(firstDue).Round(time.Second).String(), note: "first to last trajectory started"},
		{name: name + ": sent once each", elkgezin: fmt.Sprintf("%d of %d", len(ids), n), bare: fmt.Sprintf("%d mails", total), ratio: all, goal: "must"},
		{name: name + ": first due to last sent", elkgezin: within.Round(time.Second).String(), ratio: inTime, goal: "must",
			note: fmt.Sprintf("within %s; sent at %.1f/s (EMAIL_SEND_RATE %g)", b.c.stormWindow, rate, b.c.emailRate)},
	}, nil
}

// waitStarted waits until n storm trajectories have run their first
// workflow task (their search attributes are published then), and returns when.
func (b *bencher) waitStarted(ctx context.Context, n int) (time.Time, error) {
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := b.st.Temporal.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: b.st.Namespace, Query: fmt.Sprintf("Programme = %q", stormProgramme)})
		if err == nil && resp.GetCount() >= int64(n) {
			return time.Now(), nil
		}
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		time.Sleep(500 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("the storm's %d trajectories did not all start within 30 minutes", n)
}
