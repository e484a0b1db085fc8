// Package workflows holds the deterministic workflow code of elkgezin: one
// long-running Trajectory workflow per family, from referral to closure. All
// I/O happens in activities; all durations come from the trajectory's
// timings, copied from its programme at referral.
//
// Trajectories run for years, so every change to the sequence of commands
// this code produces is guarded by workflow.GetVersion (the change ids and
// their retirement are in versions.go), and TestReplayRecordedHistories
// replays recorded histories of every path against it.
package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
)

// DefaultHistoryLimit is the history length after which a trajectory
// continues as new. A home visit done in time costs about 20 history
// events, one that brings a reminder and an alert about 45 (measured on
// workflows/testdata), so a run holds a year or more of weekly visits while
// staying far below Temporal's limits.
const DefaultHistoryLimit = 2000

// trajectoryWorkflow is one family's trajectory while it runs.
type trajectoryWorkflow struct {
	// in is the input as it was at referral, less what slimInput drops.
	in trajectory.Start
	// c is everything a run hands to the next: the state and what the
	// workflow keeps beside it.
	c trajectory.Carried
	// stepChanged wakes the main loop when an Update changed what is owed,
	// so the timers of a step done are cancelled at once.
	stepChanged workflow.Channel
	// published holds the search attribute values this run last upserted
	// (or started with), so an event upserts only what changed.
	published published
	// revision is the revision of the code that began this run (versions.go).
	revision workflow.Version
	// revisionUnlisted: the revision came with the input and no marker
	// records it yet (listRevision).
	revisionUnlisted bool
	// recorded are the events of the Update being handled (recording):
	// its answer carries them (trajectory.StepResult). A handler never
	// blocks once events are written from the history, so no other
	// coroutine records while one runs.
	recorded  []trajectory.Event
	recording bool
	// rollOver is set by the roll-over Update: the run continues as new.
	rollOver bool
	// writing says the event writer runs (writer).
	writing bool
	// feedbackOn are the statuses whose feedback this run has put on its
	// way (feedback.go), so none is started twice.
	feedbackOn map[string]bool
	// writer is the run's context, from which record starts the event
	// writer when there is something to write (changeEventsWrittenOnDemand;
	// nil in runs whose writer lives as long as they do).
	writer workflow.Context
}

// Trajectory runs one family's trajectory: it waits for the coach's next
// step (and, alongside it, a birth, the end of follow-up and handover
// acknowledgements), reminds before each is due and alerts when one is
// overdue, emails handovers and notices, and ends once the trajectory is
// closed and nothing is left to hand over. An email that cannot be
// delivered never ends it: the failure is recorded and shown to supervisors.
//
// Its input and result are pointers (the same JSON on the wire as values)
// and start keeps its frame small: the main loop's coroutine then never
// outgrows the 8 KB stack a goroutine starts with, which it keeps for as
// long as the trajectory is cached (BENCHMARKS.md, the memory row).
func Trajectory(ctx workflow.Context, in *trajectory.Start) (*trajectory.State, error) {
	if in == nil {
		return nil, temporal.NewNonRetryableApplicationError("a trajectory starts with its input", "MissingStart", nil)
	}
	w := &trajectoryWorkflow{stepChanged: workflow.NewBufferedChannel(ctx, 1)}
	err := w.start(ctx, in)
	if err == nil {
		err = w.run(ctx)
	}
	return &w.c.State, err
}

// start sets the run up, in the first workflow task or its replay.
func (w *trajectoryWorkflow) start(ctx workflow.Context, in *trajectory.Start) error {
	w.in = *in
	w.revision, w.revisionUnlisted = codeRevision(ctx, in)
	// The state is set up before the handlers exist: an Update that arrives
	// with the start runs in the first workflow task, and must find it.
	continued := in.Carried != nil || in.State != nil
	if continued {
		w.carryOn(in)
	} else {
		w.begin(ctx)
		w.planPerinatal(ctx)
	}
	if w.revision >= 1 {
		w.startedWith(in)
	}
	w.slimInput()
	if err := w.registerHandlers(ctx); err != nil {
		return err
	}
	if err := w.publish(ctx); err != nil {
		return err
	}
	if !continued {
		if err := w.recordReferred(ctx, in); err != nil {
			return err
		}
	}
	w.startWriter(ctx)
	w.resumeSending(ctx)
	w.startSMS(ctx)
	return nil
}

// recordReferred writes the referral's referred event within the first
// workflow task (recordInTask). The event is built here, not in start,
// whose frame stays under the main loop.
func (w *trajectoryWorkflow) recordReferred(ctx workflow.Context, in *trajectory.Start) error {
	referred := trajectory.ReferredEvent(in.TrajectoryID, w.c.State.ProgrammeID, w.c.Timings, in.Referral, w.c.State.ReferredAt)
	referred.FirstRunID = workflow.GetInfo(ctx).FirstRunID
	return w.recordInTask(ctx, referred)
}

// run is the main loop, until the trajectory is finished or continues as new.
func (w *trajectoryWorkflow) run(ctx workflow.Context) error {
	for !w.finished() {
		if w.historyIsLong(ctx) || w.rollOver {
			return w.continueAsNew(ctx)
		}
		if err := w.sendOwed(ctx); err != nil {
			return err
		}
		if err := w.waitForStep(ctx); err != nil {
			return err
		}
	}
	// Let the closing Update finish, and its event reach the log, before
	// the run completes.
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && len(w.c.Unwritten) == 0 })
}

// finished: the trajectory is closed and nothing is left to hand over. A
// handover requested before the closure is still emailed, and the workflow
// waits for the service to acknowledge it (with its reminder and alert)
// until its link expires; a handover whose email failed waits as long for
// the coach to correct the address. The closing handover is the point of it all.
// The referrer's feedback on the closure is waited for too (it gives up
// after feedbackGivesUpAfter).
func (w *trajectoryWorkflow) finished() bool {
	if w.c.State.Phase != trajectory.PhaseClosed || len(w.c.PendingHandovers) > 0 || len(w.c.PendingNotices) > 0 || len(w.c.Sending) > 0 ||
		len(w.c.Feedback) > 0 ||
		w.c.SMS != nil && len(w.c.SMS.Sending) > 0 {
		return false
	}
	for _, h := range w.c.State.Handovers {
		if h.Ack != nil {
			return false
		}
	}
	return true
}

// begin sets up a new trajectory: referred, waiting for a coach, from the
// instant the API accepted the referral.
func (w *trajectoryWorkflow) begin(ctx workflow.Context) {
	now := w.in.ReferredAt
	if now.IsZero() {
		now = workflow.Now(ctx)
	}
	timings := w.in.Timings
	if timings == nil && w.in.Programme != nil {
		t := w.in.Programme.Timings()
		timings = &t
	}
	if timings == nil {
		timings = &trajectory.Timings{}
	}
	w.c = trajectory.Carried{
		Timings: *timings,
		State: trajectory.State{
			TrajectoryID: w.in.TrajectoryID,
			ProgrammeID:  w.programmeID(),
			ReferrerOrg:  w.in.Referral.Referrer.Organisation,
			Phase:        trajectory.PhaseReferred,
			ReferredAt:   now,
			Next:         &trajectory.Step{Kind: trajectory.StepAssignment, DueAt: now.Add(timings.AssignmentLimit.Std())},
			StepsDone:    []trajectory.DoneStep{},
			EventSeq:     1,
			// The referral's consultation is kept, so reports and the
			// team see where it came from.
			ConsultationID: w.in.Referral.ConsultationID,
		},
	}
	w.beginMilestones(ctx)
}

// slimInput drops from the input what the run has copied into its
// carried state, so a cached trajectory does not hold it twice for the
// life of the run: the timings, the state of the previous run, and the
// programme of runs started before Timings existed (its id and name kept).
// A run continued as new reads them from the carried state.
func (w *trajectoryWorkflow) slimInput() {
	w.in.ProgrammeID, w.in.ProgrammeName = w.programmeID(), w.programmeName()
	w.in.Programme, w.in.Timings = nil, nil
	w.in.Carried, w.in.State, w.in.PendingHandovers = nil, nil, nil
}

// carryOn takes what the previous run handed on. Runs started before
// Carried existed handed on State, PendingHandovers and the programme.
func (w *trajectoryWorkflow) carryOn(in *trajectory.Start) {
	if in.Carried != nil {
		w.c = *in.Carried
	} else {
		w.c = trajectory.Carried{State: *in.State, PendingHandovers: in.PendingHandovers}
		if in.Programme != nil {
			w.c.Timings = in.Programme.Timings()
		}
	}
	w.c.HashRecentUpdates()
}

func (w *trajectoryWorkflow) programmeID() string {
	if w.in.ProgrammeID == "" && w.in.Programme != nil {
		return w.in.Programme.ID
	}
	return w.in.ProgrammeID
}

func (w *trajectoryWorkflow) programmeName() string {
	if w.in.ProgrammeName == "" && w.in.Programme != nil {
		return w.in.Programme.Name
	}
	return w.in.ProgrammeName
}

// publish shows where the trajectory stands to supervisors: the search
// attributes they filter on and the current details the UI shows. Neither
// holds personal data: they are stored in clear.
func (w *trajectoryWorkflow) publish(ctx workflow.Context) error {
	w.c.State.Escalated = w.escalated()
	w.c.State.Overdue = w.overdue()
	s := &w.c.State
	type attribute struct {
		name   string
		value  string
		update temporal.SearchAttributeUpdate
	}
	attributes := []attribute{
		{"Programme", s.ProgrammeID, trajectory.SearchProgramme.ValueSet(s.ProgrammeID)},
		{"ReferrerOrganisation", s.ReferrerOrg, trajectory.SearchReferrerOrganisation.ValueSet(s.ReferrerOrg)},
		{"Phase", string(s.Phase), trajectory.SearchPhase.ValueSet(string(s.Phase))},
		{"Overdue", strconv.FormatBool(s.Overdue), trajectory.SearchOverdue.ValueSet(s.Overdue)},
		{"Escalated", strconv.FormatBool(s.Escalated), trajectory.SearchEscalated.ValueSet(s.Escalated)},
	}
	if s.CoachID != "" {
		attributes = append(attributes, attribute{"Coach", s.CoachID, trajectory.SearchCoach.ValueSet(s.CoachID)})
	}
	details := fmt.Sprintf("**Fase:** %s  \n**Coach:** %s", s.Phase, orNone(s.CoachID))
	if next, ok := w.earliestDueStep(); ok {
		attributes = append(attributes,
			attribute{"NextStep", next.Key(), trajectory.SearchNextStep.ValueSet(next.Key())},
			attribute{"NextDueAt", next.DueAt.UTC().Format(time.RFC3339), trajectory.SearchNextDueAt.ValueSet(next.DueAt)})
		details += fmt.Sprintf("  \n**Volgende stap:** %s, gepland op %s", next.Key(), next.DueAt.UTC().Format("2006-01-02 15:04 UTC"))
	} else {
		attributes = append(attributes,
			attribute{"NextStep", "", trajectory.SearchNextStep.ValueUnset()},
			attribute{"NextDueAt", "", trajectory.SearchNextDueAt.ValueUnset()})
	}
	if s.Overdue {
		details += "  \n**Te laat**"
	}
	if s.Escalated {
		details += " · **geëscaleerd naar de teamverantwoordelijke**"
	}
	if s.EmailFailed {
		details += "  \n**Een e-mail kon niet worden bezorgd**"
	}
	if s.CloseReason != "" {
		details += fmt.Sprintf("  \n**Afgesloten:** %s", s.CloseReason)
	}
	workflow.SetCurrentDetails(ctx, details)

	onlyChanges := w.takes(ctx, changePublishChangesOnly)
	if onlyChanges && s.EmailFailed {
		attributes = append(attributes, attribute{"EmailFailed", "true", trajectory.SearchEmailFailed.ValueSet(true)})
	}
	var updates []temporal.SearchAttributeUpdate
	for _, a := range attributes {
		if old, ok := w.published.get(a.name); onlyChanges && ok && old == a.value {
			continue
		}
		updates = append(updates, a.update)
		w.published.set(a.name, a.value)
	}
	if len(updates) == 0 {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

// startedWith takes the search attributes this run started with as
// published, so its first publish upserts only what differs: those the API
// sent with a referral's start (Start.SearchAttributesSet, the referred
// event's summary), or those the previous run had published, which
// continue-as-new carries over. Both follow from the input alone, so a
// replay finds the same.
func (w *trajectoryWorkflow) startedWith(in *trajectory.Start) {
	switch {
	case in.Carried != nil && in.Carried.Published != nil:
		w.published = publishedFrom(in.Carried.Published)
	case in.Carried == nil && in.State == nil && in.SearchAttributesSet:
		for _, a := range trajectory.StartSearchAttributeValues(w.c.State.ProgrammeID, w.c.State.ReferrerOrg, w.c.State.Next) {
			w.published.set(a.Name, a.Value)
		}
	}
	// Held here from now on; continue-as-new writes it again.
	w.c.Published = nil
}

// published are the search attribute values a run last upserted, one
// place for each of trajectory.SearchAttributeNames: a fixed array the
// cached trajectory holds instead of a map, and a bit for each that says
// it was published.
type published struct {
	values [len(trajectory.SearchAttributeNames)]string
	has    uint16
}

// has holds a bit for each search attribute: this fails to compile once
// there are more than 16.
var _ [16 - len(trajectory.SearchAttributeNames)]struct{}

func (p *published) get(name string) (string, bool) {
	for i, n := range trajectory.SearchAttributeNames {
		if n == name {
			return p.values[i], p.has&(1<<i) != 0
		}
	}
	return "", false
}

func (p *published) set(name, value string) {
	for i, n := range trajectory.SearchAttributeNames {
		if n == name {
			p.values[i], p.has = value, p.has|1<<i
			return
		}
	}
}

// publishedFrom reads the search attributes a previous run handed on, by
// name (a workflow never ranges over a map).
func publishedFrom(m map[string]string) published {
	var p published
	for _, n := range trajectory.SearchAttributeNames {
		if v, ok := m[n]; ok {
			p.set(n, v)
		}
	}
	return p
}

// asMap is what continue-as-new hands on (Carried.Published).
func (p *published) asMap() map[string]string {
	m := map[string]string{}
	for i, n := range trajectory.SearchAttributeNames {
		if p.has&(1<<i) != 0 {
			m[n] = p.values[i]
		}
	}
	return m
}

func orNone(s string) string {
	if s == "" {
		return "nog niet toegewezen"
	}
	return s
}

// historyIsLong says when to continue as new, so a trajectory of years of
// visits never grows a history Temporal would refuse.
func (w *trajectoryWorkflow) historyIsLong(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	limit := w.in.HistoryLimit
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= limit
}

// continueAsNew hands the carried state to a fresh run once every Update in
// flight has finished, so no step is lost at the seam. The input keeps
// the referral; what was copied into the carried state goes only there.
//
// Events not yet written and emails on their way go with the carried
// state: the next run writes and sends them again, under the same causes
// and keys, so neither happens twice.
func (w *trajectoryWorkflow) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	next := w.in
	carried := w.c
	carried.Published = w.published.asMap()
	next.Carried = &carried
	next.State, next.PendingHandovers = nil, nil
	return workflow.NewContinueAsNewError(ctx, Trajectory, &next)
}

// event numbers the next event of the log and snapshots the read model.
// trigger names what made it (updateTrigger, emailTrigger): with the kind,
// it is the event's cause, unique within the trajectory.
func (w *trajectoryWorkflow) event(ctx workflow.Context, trigger, kind, actor string, detail map[string]string) trajectory.Event {
	w.c.State.EventSeq++
	if err := w.publish(ctx); err != nil {
		// Only an unregistered search attribute fails here; `elkgezin
		// setup` registers them. The event is still recorded.
		workflow.GetLogger(ctx).Error("search attributes not updated", "error", err)
	}
	s := w.c.State
	summary := trajectory.Summary{
		ProgrammeID: s.ProgrammeID,
		ReferrerOrg: s.ReferrerOrg,
		Phase:       s.Phase,
		CoachID:     s.CoachID,
		Escalated:   s.Escalated,
		CloseReason: s.CloseReason,
		ReferredAt:  s.ReferredAt,
		EmailFailed: s.EmailFailed,
	}
	for _, c := range s.CoWorkers {
		summary.CoWorkers = append(summary.CoWorkers, c.ID)
	}
	if next, ok := w.earliestDueStep(); ok {
		due := next.DueAt
		summary.NextStep, summary.NextDueAt = next.Key(), &due
	}
	return trajectory.Event{
		TrajectoryID: s.TrajectoryID,
		Seq:          s.EventSeq,
		Cause:        kind + "/" + trigger,
		FirstRunID:   workflow.GetInfo(ctx).FirstRunID,
		Kind:         kind,
		Actor:        actor,
		At:           workflow.Now(ctx),
		Detail:       detail,
		Summary:      summary,
	}
}

// updateTrigger names the Update being handled, as an event's trigger.
func updateTrigger(ctx workflow.Context) string {
	return "update/" + workflow.GetCurrentUpdateInfo(ctx).ID
}

// emailTrigger names an email obligation by its key, as an event's trigger.
func emailTrigger(key string) string { return "email/" + key }

// record keeps an event for the log. Since changeEventsFromHistory it goes
// into the carried state, and writeEvents writes it by an activity that
// this workflow task schedules: only events of tasks that Temporal
// recorded ever reach the log, in the history's order. An Update does not
// wait for the write; its answer carries its events, which the API writes
// before it answers, so a coach sees a step the moment it is confirmed.
func (w *trajectoryWorkflow) record(ctx workflow.Context, e trajectory.Event) error {
	if upgradeProbe != nil {
		upgradeProbe(ctx, e)
	}
	if !w.takes(ctx, changeEventsFromHistory) {
		return w.recordInTask(ctx, e)
	}
	w.c.Unwritten = append(w.c.Unwritten, e)
	if w.recording {
		w.recorded = append(w.recorded, e)
	}
	w.writeSoon()
	return nil
}

// recordInTask writes an event before the workflow task goes on, retried
// until the database answers: the referred event, by a local activity
// within the first workflow task (its content follows from the input
// alone, so a retried first task writes the same event), and every event
// of runs from before changeEventsFromHistory. An event the store refuses
// as invalid can never be written: it is logged (by kind and number) and
// the trajectory carries on.
func (w *trajectoryWorkflow) recordInTask(ctx workflow.Context, e trajectory.Event) error {
	var err error
	if w.takes(ctx, changeEventsWrittenLocally) {
		err = workflow.ExecuteLocalActivity(withLocalRecordOptions(ctx), activities.RecordEventName, e).Get(ctx, nil)
	} else {
		err = workflow.ExecuteActivity(withRecordOptions(ctx), (*activities.Activities).RecordEvent, e).Get(ctx, nil)
	}
	if hasErrorType(err, activities.ErrTypeInvalidEvent) && w.takes(ctx, changeInvalidEventSkipped) {
		workflow.GetLogger(ctx).Error("event refused by the store; trajectory carries on", "kind", e.Kind, "seq", e.Seq, "error", err)
		return nil
	}
	return err
}

// startWriter sets up the writing of the events recorded in the history
// (writeEvents). Since changeEventsWrittenOnDemand the writer is a
// coroutine that runs only while events wait, so a cached trajectory with
// nothing to write holds no second coroutine; before, it ran for as long
// as the run.
func (w *trajectoryWorkflow) startWriter(ctx workflow.Context) {
	if !w.takes(ctx, changeEventsWrittenOnDemand) {
		workflow.Go(ctx, w.writeWhileRunning)
		return
	}
	w.writer = ctx
	// Events the previous run could not write.
	w.writeSoon()
}

// writeSoon starts the writer if events wait and it does not run.
func (w *trajectoryWorkflow) writeSoon() {
	if w.writer == nil || w.writing || len(w.c.Unwritten) == 0 {
		return
	}
	w.writing = true
	workflow.Go(w.writer, w.writeEvents)
}

// writeEvents writes the events recorded in the history to the log, in
// order, as many at a time as are waiting, until none is left. A run
// that is cancelled leaves its writer stopped.
func (w *trajectoryWorkflow) writeEvents(ctx workflow.Context) {
	for len(w.c.Unwritten) > 0 {
		if !w.writeBatch(ctx) {
			return
		}
	}
	w.writing = false
}

// writeWhileRunning is the writer of runs from before
// changeEventsWrittenOnDemand: it waits for events for as long as the run
// lasts.
func (w *trajectoryWorkflow) writeWhileRunning(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return len(w.c.Unwritten) > 0 }); err != nil {
			return
		}
		if !w.writeBatch(ctx) {
			return
		}
	}
}

// eventsPerWrite bounds the events one RecordEvents activity writes.
const eventsPerWrite = 50

// writeBatch writes the events at the front of those waiting, and says
// whether to go on (false once the run is cancelled). The activity
// retries until the database answers; a write that was made before (by
// the API, or an earlier attempt) changes nothing.
func (w *trajectoryWorkflow) writeBatch(ctx workflow.Context) bool {
	batch := slices.Clone(w.c.Unwritten[:min(len(w.c.Unwritten), eventsPerWrite)])
	if err := workflow.ExecuteActivity(withRecordOptions(ctx), activities.RecordEventsName, batch).Get(ctx, nil); err != nil {
		if temporal.IsCanceledError(err) {
			return false
		}
		// The activity retries without limit, so this is no outage: it
		// could not even run. The events stay, and are tried again.
		workflow.GetLogger(ctx).Error("events not written; trying again in a minute", "events", len(batch), "error", err)
		return workflow.Sleep(ctx, time.Minute) == nil
	}
	// Events are only ever added at the end: the batch is still the front.
	w.c.Unwritten = slices.Delete(w.c.Unwritten, 0, len(batch))
	return true
}

// recordRetry retries an event's write without limit: a database that is
// down only delays a step, it never loses one.
var recordRetry = temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}

// The write as an activity.
func withRecordOptions(ctx workflow.Context) workflow.Context {
	retry := recordRetry
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: recordAttemptTimeout,
		RetryPolicy:         &retry,
	})
}

// The local write retries as the activity does. Its ScheduleToCloseTimeout
// would default to the StartToCloseTimeout and end the retries after 15 s
// (a step refused while PostgreSQL is down); recordGivesUpAfter is longer
// than any trajectory runs. While the database is down the SDK keeps the
// workflow task alive, and waits out longer backoffs on a timer.
func withLocalRecordOptions(ctx workflow.Context) workflow.Context {
	retry := recordRetry
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: recordGivesUpAfter,
		StartToCloseTimeout:    recordAttemptTimeout,
		RetryPolicy:            &retry,
	})
}

// recordAttemptTimeout bounds one attempt of an event's write.
const recordAttemptTimeout = 15 * time.Second

// recordGivesUpAfter bounds an event's local write: never, in practice.
const recordGivesUpAfter = 10 * 365 * 24 * time.Hour
