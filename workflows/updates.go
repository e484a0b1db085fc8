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
	return errors.Join(
		register(ctx, w, trajectory.UpdateAssignCoach, w.assignCoach, w.validateAssignCoach, closedRefused),
		register(ctx, w, trajectory.UpdateRecordIntake, w.recordIntake, w.validateRecordIntake, closedRefused),
		register(ctx, w, trajectory.UpdateRecordVisit, w.recordVisit, w.validateRecordVisit, closedRefused),
		register(ctx, w, trajectory.UpdateClose, w.close, w.validateClose, closedRefused),
		register(ctx, w, trajectory.UpdateRecordBirth, w.recordBirth, w.validateRecordBirth, closedRefused),
		register(ctx, w, trajectory.UpdateExtendFollowUp, w.extendFollowUp, w.validateExtendFollowUp, closedRefused),
		register(ctx, w, trajectory.UpdateHandOver, w.handOver, w.validateHandOver, closedRefused),
		register(ctx, w, trajectory.UpdateAdoptTimings, w.adoptTimings, w.validateAdoptTimings, closedRefused),
		register(ctx, w, trajectory.UpdateRecordMilestone, w.recordMilestone, w.validateRecordMilestone, closedRefused),
		register(ctx, w, trajectory.UpdateAssignCoWorker, w.assignCoWorker, w.validateAssignCoWorker, closedRefused),
		register(ctx, w, trajectory.UpdateRecordAttendance, w.recordAttendance, w.validateRecordAttendance, closedRefused),
		register(ctx, w, trajectory.UpdateMoveVisit, w.moveVisit, w.validateMoveVisit, closedRefused),
		register(ctx, w, trajectory.UpdateRecordMissedVisit, w.recordMissedVisit, w.validateRecordMissedVisit, closedRefused),
		register(ctx, w, trajectory.UpdateAgreePlan, w.agreePlan, w.validateAgreePlan, closedRefused),
		register(ctx, w, trajectory.UpdateRecordActionDone, w.recordActionDone, w.validateRecordActionDone, closedRefused),
		register(ctx, w, trajectory.UpdateSetGoalStatus, w.setGoalStatus, w.validateSetGoalStatus, closedRefused),
		register(ctx, w, trajectory.UpdateReviewGoals, w.reviewGoals, w.validateReviewGoals, closedRefused),
		register(ctx, w, trajectory.UpdateRequestNewDate, w.requestNewDate, w.validateRequestNewDate, closedRefused),
		// A service acknowledges, and a coach corrects a failed handover,
		// after the closure too: the closing handover is the point of it all.
		register(ctx, w, trajectory.UpdateAcknowledgeHandover, w.acknowledgeHandover, w.validateAcknowledgeHandover, closedAllowed),
		register(ctx, w, trajectory.UpdateResendHandover, w.resendHandover, w.validateResendHandover, closedAllowed),
		// An operator moves every running trajectory onto the code that
		// runs now, open or closed (versions.go).
		register(ctx, w, trajectory.UpdateRollOver, w.rollOverNow, acceptRollOver, closedAllowed),
	)
}

// afterClosure says whether an Update is still taken once the trajectory is closed.
type afterClosure bool

const (
	closedRefused afterClosure = false
	closedAllowed afterClosure = true
)

// register sets up one Update. Every Update shares three rules, kept here
// so no step can forget them: a closed trajectory takes no more steps (but
// those allowed after closure); an Update already applied, also by an
// earlier run before continue-as-new, is answered with the current state
// instead of being applied twice; and an Update that leaves the history
// long wakes the main loop, which continues as new. Its answer carries
// the events it recorded (trajectory.StepResult).
func register[R any](ctx workflow.Context, w *trajectoryWorkflow, name string,
	handle func(workflow.Context, R) (trajectory.State, error),
	validate func(workflow.Context, R) error, closed afterClosure,
) error {
	err := workflow.SetUpdateHandlerWithOptions(ctx, name,
		func(ctx workflow.Context, req R) (trajectory.StepResult, error) {
			id := workflow.GetCurrentUpdateInfo(ctx).ID
			if w.appliedBefore(id) && w.takes(ctx, changeDedupeUpdates) {
				return trajectory.StepResult{State: w.c.State}, nil
			}
			w.rememberUpdate(id)
			w.recorded, w.recording = nil, true
			state, err := handle(ctx, req)
			result := trajectory.StepResult{State: state, Recorded: w.recorded}
			w.recorded, w.recording = nil, false
			if w.historyIsLong(ctx) && w.takes(ctx, changeHistoryCheckedAfterUpdates) {
				w.wakeMainLoop()
			}
			return result, err
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req R) error {
			if w.appliedBefore(workflow.GetCurrentUpdateInfo(ctx).ID) {
				return nil
			}
			if closed == closedRefused && w.c.State.Phase == trajectory.PhaseClosed {
				return reject(trajectory.CodeTrajectoryClosed, map[string]string{trajectory.ArgReason: string(w.c.State.CloseReason)},
					"this trajectory is closed (%s); no further steps can be recorded", w.c.State.CloseReason)
			}
			if err := w.checkPrecondition(req); err != nil {
				return err
			}
			return validate(ctx, req)
		}})
	if err != nil {
		return fmt.Errorf("register update %s: %w", name, err)
	}
	return nil
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
func acceptRollOver(workflow.Context, trajectory.RollOver) error { return nil }

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
