package usecase

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Store is the part of *store.Store the use cases read and write.
type Store interface {
	// TrajectoryAccess reads only what access depends on (see store).
	TrajectoryAccess(ctx context.Context, id string) (store.TrajectorySummary, error)
	Trajectory(ctx context.Context, id string) (store.Trajectory, error)
	ListTrajectories(ctx context.Context, f store.Filter) (store.Page, error)
	// RecordEvents writes a step's events to the log; a second write of an
	// event changes nothing (see store).
	RecordEvents(ctx context.Context, events []trajectory.Event) (refused []error, err error)
}

// Auditor writes the append-only audit log; *store.Store is one.
type Auditor interface {
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Cases are the use cases over one deployment's Temporal and PostgreSQL.
type Cases struct {
	Programmes programme.Catalogue
	Temporal   client.Client
	Store      Store
	Audit      Auditor
	// Logger logs what the caller need not hear of (slog.Default when nil).
	Logger *slog.Logger
}

// Errors of the use cases; the adapters turn them into their answers.
var (
	// ErrNotFound: no such trajectory, or one the caller may not see
	// (errors.Is(err, ErrDenied) then too, for the audit log only).
	ErrNotFound = errors.New("trajectory not found")
	ErrDenied   = fmt.Errorf("%w: not the caller's", ErrNotFound)
	// ErrUnavailable: PostgreSQL or Temporal did not answer in time.
	ErrUnavailable = errors.New("a dependency did not answer")
	// ErrClosed: the trajectory is closed; no step can be recorded.
	ErrClosed = errors.New("trajectory closed")
	// ErrNotRunning: the workflow is gone for another reason.
	ErrNotRunning = errors.New("trajectory not running")
	// ErrNotListed: the step was taken, but its events could not be
	// written to the log yet (PostgreSQL down). The same request again is
	// the same Update: it answers once they are written, which the
	// workflow does too.
	ErrNotListed = fmt.Errorf("%w: the step was taken, its events are not written yet", ErrUnavailable)
)

// RejectedError is a step the workflow's validator refused; Reason says
// why in English, for the person who sent it. The embedded Refusal says it
// for a program: Code and Args, which an adapter turns into its own words.
// Also holds further refusals, when a shared rule found more than one
// problem. A worker older than the codes gives an empty Code.
type RejectedError struct {
	Reason string
	trajectory.Refusal
	Also []trajectory.Refusal
}

func (e *RejectedError) Error() string { return "step rejected: " + e.Reason }

// Visible checks that p may see the trajectory, then reads it. The check
// reads only what access depends on, so a trajectory that is not p's
// costs what one that does not exist costs: the 404 of either takes the
// same time, and nothing of it is decrypted.
func (c Cases) Visible(ctx context.Context, p Principal, id string) (store.Trajectory, error) {
	access, err := c.Store.TrajectoryAccess(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Trajectory{}, ErrNotFound
	case err != nil:
		return store.Trajectory{}, fmt.Errorf("%w: read trajectory: %w", ErrUnavailable, err)
	case !MayRead(p, access):
		return store.Trajectory{}, ErrDenied
	}
	row, err := c.Store.Trajectory(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Trajectory{}, ErrNotFound
	case err != nil:
		return store.Trajectory{}, fmt.Errorf("%w: read trajectory: %w", ErrUnavailable, err)
	}
	return row, nil
}

// Actable checks that p may act on the trajectory and returns what that
// check read (programme, coach, co-workers): all a step needs before its
// Update, whose validators have the last word. It reads neither the
// personal data nor the events, so a step costs one round trip to
// PostgreSQL before Temporal, and a trajectory that is not p's costs what
// one that does not exist costs.
func (c Cases) Actable(ctx context.Context, p Principal, id string) (store.TrajectorySummary, error) {
	access, err := c.Store.TrajectoryAccess(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.TrajectorySummary{}, ErrNotFound
	case err != nil:
		return store.TrajectorySummary{}, fmt.Errorf("%w: read trajectory: %w", ErrUnavailable, err)
	case !MayAccess(p, access):
		return store.TrajectorySummary{}, ErrDenied
	}
	return access, nil
}

// Update sends a step to the trajectory's workflow as the Update named
// update, with the Update id scoped by its name, so a retry with the same
// key is the same Update to Temporal and a key reused for another kind of
// step cannot collide. It writes the events the step recorded to the log,
// so whoever asks next sees the step, and returns the trajectory's state
// after the step.
func (c Cases) Update(ctx context.Context, id, update, key string, req any) (trajectory.State, error) {
	handle, err := c.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateName:   update,
		UpdateID:     update + "/" + key,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var result trajectory.StepResult
	if err == nil {
		if err = handle.Get(ctx, &result); err == nil {
			if err := c.writeRecorded(ctx, update, result.Recorded); err != nil {
				return result.State, fmt.Errorf("%w: %s: %w", ErrNotListed, update, err)
			}
			state := result.State
			if state.StepsDone == nil {
				state.StepsDone = []trajectory.DoneStep{}
			}
			return state, nil
		}
	}
	if reason, rs, refused := trajectory.RefusalOf(err); refused {
		rejected := &RejectedError{Reason: reason}
		if len(rs) > 0 {
			rejected.Refusal, rejected.Also = rs[0], rs[1:]
		}
		return result.State, rejected
	}
	switch {
	case WorkflowGone(err):
		// The workflow ended: closed, or gone for a reason the store may not know.
		if row, serr := c.Store.Trajectory(ctx, id); serr == nil && row.Phase == trajectory.PhaseClosed {
			return result.State, ErrClosed
		}
		return result.State, ErrNotRunning
	case Unavailable(ctx, err):
		return result.State, fmt.Errorf("%w: %s: %w", ErrUnavailable, update, err)
	}
	return result.State, fmt.Errorf("update %s: %w", update, err)
}

// writeRecorded writes a step's events, which the workflow recorded in its
// history and writes too, so that whoever is told the step was taken finds
// it in the log (and a coach assigned may act at once). A database that is
// away fails it: the step stays taken, the workflow writes the events once
// the database is back, and the caller's retry of the same Update answers
// then.
func (c Cases) writeRecorded(ctx context.Context, update string, events []trajectory.Event) error {
	if len(events) == 0 {
		return nil
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	refused, err := c.Store.RecordEvents(ctx, events)
	for _, r := range refused {
		log.Error("step: an event of the step was refused by the store", "update", update, "error", r)
	}
	if err != nil {
		log.Warn("step: its events could not be written now; the workflow writes them", "update", update, "error", err)
	}
	return err
}

// errTypeAcceptedUpdateCompletedWorkflow is the failure type the Temporal
// server gives an accepted Update whose workflow completed before the
// Update did.
const errTypeAcceptedUpdateCompletedWorkflow = "AcceptedUpdateCompletedWorkflow"

// WorkflowGone says whether err means there is no running workflow to
// update: the server answers NotFound for an Update to a workflow that does
// not exist or already completed, and fails an accepted Update whose
// workflow completed before it with AcceptedUpdateCompletedWorkflow.
func WorkflowGone(err error) bool {
	var nf *serviceerror.NotFound
	var appErr *temporal.ApplicationError
	return errors.As(err, &nf) ||
		(errors.As(err, &appErr) && appErr.Type() == errTypeAcceptedUpdateCompletedWorkflow)
}

// Unavailable says whether err means that a dependency did not answer in
// time (or the request ended) rather than that it refused.
func Unavailable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var (
		unavail   *serviceerror.Unavailable
		deadline  *serviceerror.DeadlineExceeded
		canceled  *serviceerror.Canceled
		exhausted *serviceerror.ResourceExhausted
		waiting   *client.WorkflowUpdateServiceTimeoutOrCanceledError
		// The server's answer to an Update whose workflow task failed, as
		// when the worker that ran it died: not recorded, try again.
		notReady *serviceerror.WorkflowNotReady
		// A server too loaded to read its namespaces answers that the
		// namespace is not found: the dependency is down, not the request
		// wrong (a namespace truly missing is the operator's: the worker
		// refuses to start without it, and the API logs each refusal).
		noNamespace *serviceerror.NamespaceNotFound
	)
	return errors.As(err, &unavail) || errors.As(err, &deadline) || errors.As(err, &canceled) ||
		errors.As(err, &exhausted) || errors.As(err, &waiting) || errors.As(err, &notReady) || errors.As(err, &noNamespace)
}

// CoachOf says whether coachID is a coach of the programme in its current
// file, and lists the programme's coaches. The workflow keeps no list of
// coaches, so this is the check that counts for an assignment.
func (c Cases) CoachOf(programmeID, coachID string) (isCoach bool, coaches []programme.Coach, known bool) {
	p, known := c.Programmes.Get(programmeID)
	if !known {
		return false, nil, false
	}
	_, isCoach = p.Coach(coachID)
	return isCoach, p.Coaches, true
}
