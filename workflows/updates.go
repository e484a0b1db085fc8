package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// reject refuses a step: why, as a code with its args (ids, dates and
// codes only: see trajectory.Refusal) and in English for the API.
func reject(code trajectory.RefusalCode, args map[string]string, format string, a ...any) error {
	return trajectory.Refused(fmt.Sprintf(format, a...), trajectory.Refusal{Code: code, Args: args})
}

// rejectProblems turns the shared rules' problems into one rejection.
func rejectProblems(ps []trajectory.Problem) error {
	if len(ps) == 0 {
		return nil
	}
	msg := ps[0].String()
	rs := []trajectory.Refusal{ps[0].Refusal()}
	for _, p := range ps[1:] {
		msg += "; " + p.String()
		rs = append(rs, p.Refusal())
	}
	return trajectory.Refused(msg, rs...)
}

func hasErrorType(err error, errType string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == errType
}

// registerHandlers makes the trajectory answer its Updates and Query. Each
// validator rejects a step out of order before anything reaches history;
// each handler then acts.
func (w *trajectoryWorkflow) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, trajectory.QueryState, func() (trajectory.State, error) {
		return w.c.State, nil
	}); err != nil {
		return err
	}
	var errs []error
	for _, u := range updates {
		errs = append(errs, u.register(ctx, w))
	}
	return errors.Join(errs...)
}

// updates are the Updates the trajectory takes, registered in this order:
// each with its handler, its validator and whether a closed trajectory
// still takes it. One table, so that a cached trajectory holds no closure
// per Update but the two that bind it to the table's row.
var updates = []updateRegistration{
	update(trajectory.UpdateAssignCoach, (*trajectoryWorkflow).assignCoach, (*trajectoryWorkflow).validateAssignCoach, closedRefused),
	update(trajectory.UpdateRecordIntake, (*trajectoryWorkflow).recordIntake, (*trajectoryWorkflow).validateRecordIntake, closedRefused),
	update(trajectory.UpdateRecordVisit, (*trajectoryWorkflow).recordVisit, (*trajectoryWorkflow).validateRecordVisit, closedRefused),
	update(trajectory.UpdateClose, (*trajectoryWorkflow).close, (*trajectoryWorkflow).validateClose, closedRefused),
	update(trajectory.UpdateRecordBirth, (*trajectoryWorkflow).recordBirth, (*trajectoryWorkflow).validateRecordBirth, closedRefused),
	update(trajectory.UpdateExtendFollowUp, (*trajectoryWorkflow).extendFollowUp, (*trajectoryWorkflow).validateExtendFollowUp, closedRefused),
	update(trajectory.UpdateHandOver, (*trajectoryWorkflow).handOver, (*trajectoryWorkflow).validateHandOver, closedRefused),
	update(trajectory.UpdateAdoptTimings, (*trajectoryWorkflow).adoptTimings, (*trajectoryWorkflow).validateAdoptTimings, closedRefused),
	update(trajectory.UpdateRecordMilestone, (*trajectoryWorkflow).recordMilestone, (*trajectoryWorkflow).validateRecordMilestone, closedRefused),
	update(trajectory.UpdateAssignCoWorker, (*trajectoryWorkflow).assignCoWorker, (*trajectoryWorkflow).validateAssignCoWorker, closedRefused),
	update(trajectory.UpdateRecordAttendance, (*trajectoryWorkflow).recordAttendance, (*trajectoryWorkflow).validateRecordAttendance, closedRefused),
	update(trajectory.UpdateMoveVisit, (*trajectoryWorkflow).moveVisit, (*trajectoryWorkflow).validateMoveVisit, closedRefused),
	update(trajectory.UpdateRecordMissedVisit, (*trajectoryWorkflow).recordMissedVisit, (*trajectoryWorkflow).validateRecordMissedVisit, closedRefused),
	update(trajectory.UpdateAgreePlan, (*trajectoryWorkflow).agreePlan, (*trajectoryWorkflow).validateAgreePlan, closedRefused),
	update(trajectory.UpdateRecordActionDone, (*trajectoryWorkflow).recordActionDone, (*trajectoryWorkflow).validateRecordActionDone, closedRefused),
	update(trajectory.UpdateSetGoalStatus, (*trajectoryWorkflow).setGoalStatus, (*trajectoryWorkflow).validateSetGoalStatus, closedRefused),
	update(trajectory.UpdateReviewGoals, (*trajectoryWorkflow).reviewGoals, (*trajectoryWorkflow).validateReviewGoals, closedRefused),
	update(trajectory.UpdateRequestNewDate, (*trajectoryWorkflow).requestNewDate, (*trajectoryWorkflow).validateRequestNewDate, closedRefused),
	// A service acknowledges, and a coach corrects a failed handover,
	// after the closure too: the closing handover is the point of it all.
	update(trajectory.UpdateAcknowledgeHandover, (*trajectoryWorkflow).acknowledgeHandover, (*trajectoryWorkflow).validateAcknowledgeHandover, closedAllowed),
	update(trajectory.UpdateResendHandover, (*trajectoryWorkflow).resendHandover, (*trajectoryWorkflow).validateResendHandover, closedAllowed),
	// An operator moves every running trajectory onto the code that
	// runs now, open or closed (versions.go).
	update(trajectory.UpdateRollOver, (*trajectoryWorkflow).rollOverNow, (*trajectoryWorkflow).acceptRollOver, closedAllowed),
}

// afterClosure says whether an Update is still taken once the trajectory is closed.
type afterClosure bool

const (
	closedRefused afterClosure = false
	closedAllowed afterClosure = true
)

// updateRegistration is a row of updates, whatever its request type.
type updateRegistration interface {
	register(ctx workflow.Context, w *trajectoryWorkflow) error
}

// stepUpdate is one Update: its name, handler, validator and whether a
// closed trajectory takes it.
type stepUpdate[R any] struct {
	name     string
	handle   func(*trajectoryWorkflow, workflow.Context, R) (trajectory.State, error)
	validate func(*trajectoryWorkflow, workflow.Context, R) error
	closed   afterClosure
}

func update[R any](name string, handle func(*trajectoryWorkflow, workflow.Context, R) (trajectory.State, error),
	validate func(*trajectoryWorkflow, workflow.Context, R) error, closed afterClosure,
) updateRegistration {
	return &stepUpdate[R]{name: name, handle: handle, validate: validate, closed: closed}
}

// register sets up one Update. Every Update shares three rules, kept here
// so no step can forget them: a closed trajectory takes no more steps (but
// those allowed after closure); an Update already applied, also by an
// earlier run before continue-as-new, is answered with the current state
// instead of being applied twice; and an Update that leaves the history
// long wakes the main loop, which continues as new. Its answer carries
// the events it recorded (trajectory.StepResult).
func (u *stepUpdate[R]) register(ctx workflow.Context, w *trajectoryWorkflow) error {
	err := workflow.SetUpdateHandlerWithOptions(ctx, u.name,
		func(ctx workflow.Context, req R) (trajectory.StepResult, error) { return u.apply(ctx, w, req) },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req R) error { return u.check(ctx, w, req) }})
	if err != nil {
		return fmt.Errorf("register update %s: %w", u.name, err)
	}
	return nil
}

func (u *stepUpdate[R]) apply(ctx workflow.Context, w *trajectoryWorkflow, req R) (trajectory.StepResult, error) {
	id := workflow.GetCurrentUpdateInfo(ctx).ID
	if w.appliedBefore(id) && w.takes(ctx, changeDedupeUpdates) {
		return trajectory.StepResult{State: w.c.State}, nil
	}
	w.rememberUpdate(id)
	w.recorded, w.recording = nil, true
	state, err := u.handle(w, ctx, req)
	result := trajectory.StepResult{State: state, Recorded: w.recorded}
	w.recorded, w.recording = nil, false
	if w.historyIsLong(ctx) && w.takes(ctx, changeHistoryCheckedAfterUpdates) {
		w.wakeMainLoop()
	}
	return result, err
}

func (u *stepUpdate[R]) check(ctx workflow.Context, w *trajectoryWorkflow, req R) error {
	if w.appliedBefore(workflow.GetCurrentUpdateInfo(ctx).ID) {
		return nil
	}
	if u.closed == closedRefused && w.c.State.Phase == trajectory.PhaseClosed {
		return reject(trajectory.CodeTrajectoryClosed, map[string]string{trajectory.ArgReason: string(w.c.State.CloseReason)},
			"this trajectory is closed (%s); no further steps can be recorded", w.c.State.CloseReason)
	}
	if err := w.checkPrecondition(req); err != nil {
		return err
	}
	return u.validate(w, ctx, req)
}

// checkPrecondition refuses a step decided on a version of the trajectory
// that is no longer its version (trajectory.Precondition): checked in the
// validator, so no other step can land between the check and the act.
func (w *trajectoryWorkflow) checkPrecondition(req any) error {
	v, ok := req.(trajectory.Versioned)
	if !ok || v.ExpectedVersion() == 0 || v.ExpectedVersion() == w.c.State.EventSeq {
		return nil
	}
	now := strconv.FormatInt(w.c.State.EventSeq, 10)
	return reject(trajectory.CodeVersionChanged, map[string]string{trajectory.ArgVersion: now},
		"the trajectory changed since version %d (it is at version %s now)", v.ExpectedVersion(), now)
}

// acceptRollOver refuses no roll-over: any run may continue as new.
func (*trajectoryWorkflow) acceptRollOver(workflow.Context, trajectory.RollOver) error { return nil }

// rollOverNow makes the run continue as new once its Updates are done.
// It records no event: it changes nothing in the family's trajectory.
func (w *trajectoryWorkflow) rollOverNow(ctx workflow.Context, req trajectory.RollOver) (trajectory.State, error) {
	w.rollOver = true
	w.wakeMainLoop()
	return w.c.State, nil
}

func (w *trajectoryWorkflow) appliedBefore(updateID string) bool {
	return updateID != "" && slices.Contains(w.c.AppliedUpdates, trajectory.UpdateIDHash(updateID))
}

func (w *trajectoryWorkflow) rememberUpdate(updateID string) {
	if updateID == "" {
		return
	}
	// Copied when full, into an array of the bound: it never grows past it.
	if n := len(w.c.AppliedUpdates); n >= trajectory.RecentUpdatesKept {
		kept := make([]uint64, trajectory.RecentUpdatesKept-1, trajectory.RecentUpdatesKept)
		copy(kept, w.c.AppliedUpdates[n-len(kept):])
		w.c.AppliedUpdates = kept
	}
	w.c.AppliedUpdates = append(w.c.AppliedUpdates, trajectory.UpdateIDHash(updateID))
}
