// Package logcheck compares a trajectory's event log in PostgreSQL with
// the events its workflow history recorded, run after run: the log must
// hold exactly those events, each once, in the history's order, with the
// history's kind, number and time. Tests run it after faults (a worker
// killed, a lost workflow task, Temporal restarted) to prove that the log
// is the history's and nothing else.
package logcheck

import (
	"context"
	"fmt"
	"strconv"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Querier reads the log; *pgx.Conn and *pgxpool.Pool are one.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Checker reads histories from Temporal, decodes their payloads with
// Codec (the payload codec with the trajectories' data keys) and the log
// from DB. Causes names each cause of the history as the log keeps it (a
// tag under the trajectory's data key: *store.Store); nil compares them
// as they are.
type Checker struct {
	Temporal client.Client
	Codec    converter.PayloadCodec
	DB       Querier
	Causes   CauseNamer
}

// CauseNamer says how a trajectory's log keeps a cause.
type CauseNamer interface {
	StoredCause(ctx context.Context, trajectoryID, cause string) (string, error)
}

// Entry is one event, as the history recorded it or the log holds it.
type Entry struct {
	Seq   int64
	Cause string
	Kind  string
	At    time.Time
}

func (e Entry) String() string {
	return fmt.Sprintf("%d %s (%s) at %s", e.Seq, e.Kind, e.Cause, e.At.UTC().Format(time.RFC3339Nano))
}

// Problems compares the log of trajectory id with its history; none means
// they agree.
func (c Checker) Problems(ctx context.Context, id string) ([]string, error) {
	want, err := c.History(ctx, id)
	if err != nil {
		return nil, err
	}
	got, err := c.Log(ctx, id)
	if err != nil {
		return nil, err
	}
	return Compare(want, got), nil
}

// Compare lists where the log (got) differs from the history (want).
func Compare(want, got []Entry) []string {
	var problems []string
	seen := map[string]int{}
	for _, e := range got {
		seen[e.Cause]++
		if seen[e.Cause] == 2 {
			problems = append(problems, "in the log twice: "+e.String())
		}
	}
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			problems = append(problems, "missing from the log: "+want[i].String())
		case i >= len(want):
			problems = append(problems, "in the log, not in the history: "+got[i].String())
		case !same(want[i], got[i]):
			problems = append(problems, fmt.Sprintf("event %d: the log has %s, the history %s", i+1, got[i], want[i]))
		}
	}
	return problems
}

// same compares two entries; PostgreSQL keeps times to the microsecond.
func same(a, b Entry) bool {
	return a.Seq == b.Seq && a.Cause == b.Cause && a.Kind == b.Kind &&
		a.At.Truncate(time.Microsecond).Equal(b.At.Truncate(time.Microsecond))
}

// Log is the trajectory's log, in the order it shows it.
func (c Checker) Log(ctx context.Context, id string) ([]Entry, error) {
	rows, err := c.DB.Query(ctx, `SELECT seq, coalesce(cause, ''), kind, at FROM trajectory_events
		WHERE trajectory_id = $1 ORDER BY seq, pos`, id)
	if err != nil {
		return nil, fmt.Errorf("read the log of %s: %w", id, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := row.Scan(&e.Seq, &e.Cause, &e.Kind, &e.At)
		return e, err
	})
}

// History is the events the trajectory's workflow recorded, every run from
// the first: the referred event its first run began with, and the events
// each RecordEvents (or, in runs from before it, RecordEvent) activity was
// scheduled with, each cause once (a run that continued as new hands on
// what it had not yet written, and the next run schedules it again).
// Runs that wrote events other than the referral by local activities
// (between events-written-locally and events-from-history) keep only that
// a write was made, not what: their logs cannot be checked this way.
func (c Checker) History(ctx context.Context, id string) ([]Entry, error) {
	desc, err := c.Temporal.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", id, err)
	}
	var entries []Entry
	seen := map[string]bool{}
	add := func(e trajectory.Event) {
		if e.Cause == "" {
			// An event of a workflow older than causes: the log names it
			// by its number (store.causeOf).
			e.Cause = "seq/" + strconv.FormatInt(e.Seq, 10)
		}
		if !seen[e.Cause] {
			seen[e.Cause] = true
			entries = append(entries, Entry{Seq: e.Seq, Cause: e.Cause, Kind: e.Kind, At: e.At})
		}
	}
	run := desc.RawResponse.GetWorkflowExecutionInfo().GetFirstRunId()
	for first := true; run != ""; first = false {
		events, err := c.events(ctx, id, run)
		if err != nil {
			return nil, err
		}
		run = ""
		for _, ev := range events {
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
				if !first {
					continue
				}
				var in trajectory.Start
				if err := c.decode(ev.GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
					return nil, fmt.Errorf("%s: the start's input: %w", id, err)
				}
				referred, err := c.referred(ctx, id, in)
				if err != nil {
					return nil, err
				}
				add(referred)
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				a := ev.GetActivityTaskScheduledEventAttributes()
				var batch []trajectory.Event
				switch a.GetActivityType().GetName() {
				case activities.RecordEventsName:
					err = c.decode(a.GetInput(), &batch)
				case activities.RecordEventName:
					// A run from before events were batched: one at a time.
					batch = make([]trajectory.Event, 1)
					err = c.decode(a.GetInput(), &batch[0])
				}
				if err != nil {
					return nil, fmt.Errorf("%s: the input of event %d: %w", id, ev.GetEventId(), err)
				}
				for _, e := range batch {
					add(e)
				}
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
				run = ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
			}
		}
	}
	for i := range entries {
		if c.Causes == nil {
			break
		}
		if entries[i].Cause, err = c.Causes.StoredCause(ctx, id, entries[i].Cause); err != nil {
			return nil, fmt.Errorf("%s: the cause of event %d as the log keeps it: %w", id, entries[i].Seq, err)
		}
	}
	return entries, nil
}

// referred is the referred event the first run wrote in its first task:
// its content follows from the input, and its time is the input's, or, for
// a referral from an API that did not send it, the first task's (as logged:
// the history holds only that the write was made).
func (c Checker) referred(ctx context.Context, id string, in trajectory.Start) (trajectory.Event, error) {
	e := trajectory.Event{Seq: 1, Cause: trajectory.CauseReferred, Kind: trajectory.EventReferred, At: in.ReferredAt}
	if e.At.IsZero() {
		log, err := c.Log(ctx, id)
		if err != nil {
			return e, err
		}
		for _, l := range log {
			if l.Cause == trajectory.CauseReferred {
				e.At = l.At
			}
		}
	}
	return e, nil
}

func (c Checker) events(ctx context.Context, id, run string) ([]*historypb.HistoryEvent, error) {
	var events []*historypb.HistoryEvent
	iter := c.Temporal.GetWorkflowHistory(ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s run %s: %w", id, run, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

func (c Checker) decode(p *commonpb.Payloads, v any) error {
	plain, err := c.Codec.Decode(p.GetPayloads())
	if err != nil {
		return err
	}
	return converter.GetDefaultDataConverter().FromPayloads(&commonpb.Payloads{Payloads: plain}, v)
}
