package usecase

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Starting a trajectory: a partner's referral (the API), or a consultation
// turned into one with the family's consent, by the partner it concerns or
// by the team on that partner's behalf (the API and the pages). Both
// adapters start it here, and answer its errors in their own words.

// ReferralStore is what starting a trajectory needs of the store.
type ReferralStore interface {
	// ListReferral writes a referral's referred event unless it is there.
	ListReferral(ctx context.Context, e trajectory.Event) error
	// ReferredTrajectory reads what a referral sent again is answered
	// with; an error wrapping store.ErrNotFound if elkgezin never recorded it.
	ReferredTrajectory(ctx context.Context, id string) (store.Referred, error)
}

// DataKeyMaker makes a trajectory's data key: *keys.Vault. made says
// whether it was made now: then no trajectory was ever recorded under the
// id, as every trajectory gets its key before its workflow starts.
type DataKeyMaker interface {
	Prepare(ctx context.Context, trajectoryID, programmeID string) (made bool, err error)
}

// Referrals starts trajectories.
type Referrals struct {
	Cases
	// IDKey makes a referral's trajectory id (trajectory.ID).
	IDKey trajectory.IDKey
	Store ReferralStore
	// DataKeys makes each trajectory's data key; nil: none (tests).
	DataKeys DataKeyMaker
	// ListTimeout bounds the listing of a started trajectory (5 s when zero).
	ListTimeout time.Duration
}

// Started is a referral's trajectory: its id and phase, and whether this
// call started it (false: an earlier one with the same referral did).
type Started struct {
	ID    string
	Phase trajectory.Phase
	New   bool
}

// Refusals of a referral's start, besides ErrUnavailable.
var (
	// ErrTrajectoryErased: the referral's trajectory was erased, its id is spent.
	ErrTrajectoryErased = errors.New("the referral's trajectory was erased")
	// ErrPreviousUnknown: the previous trajectory named is no closed or
	// open trajectory of the programme this organisation referred.
	ErrPreviousUnknown = errors.New("the previous trajectory is none of the organisation's in the programme")
	// ErrStartRefused: Temporal refused to start the workflow (logged).
	ErrStartRefused = errors.New("the workflow service refused to start the trajectory")
)

// PreviousOpenError: the previous trajectory named is still open: the
// family is in it.
type PreviousOpenError struct{ Phase trajectory.Phase }

func (e *PreviousOpenError) Error() string {
	return "the previous trajectory is still open (phase " + string(e.Phase) + ")"
}

// Kinds of ErrUnavailable a referral's start answers with; each tells the
// caller what to do (send the same referral again: it never starts a
// second trajectory).
var (
	ErrDataKeyUnavailable  = fmt.Errorf("%w: the trajectory's data key could not be stored", ErrUnavailable)
	ErrStoreUnavailable    = fmt.Errorf("%w: the database did not answer", ErrUnavailable)
	ErrStartUnavailable    = fmt.Errorf("%w: the workflow service did not answer", ErrUnavailable)
	ErrStartedNotListed    = fmt.Errorf("%w: the trajectory was started before and is not listed yet", ErrUnavailable)
	ErrStartedListingLater = fmt.Errorf("%w: the trajectory was started and could not be listed yet", ErrUnavailable)
)

// Start starts the trajectory of a referral that was checked (its shape,
// and that its referrer may refer to p), or finds it when elkgezin
// recorded it before: a trajectory is started once per referral, for
// ever. Temporal keeps a closed run only for its namespace's retention,
// elkgezin keeps the log for years, so elkgezin's own record decides;
// nothing ever starts a second run over a trajectory's log. The id of
// Started is set also with an error, for the audit log.
func (rs Referrals) Start(ctx context.Context, p programme.Programme, ref trajectory.Referral) (Started, error) {
	id := trajectory.ID(rs.IDKey, p.ID, ref.Referrer.Organisation, ref.Referrer.Reference)
	st := Started{ID: id}
	fresh := false
	if rs.DataKeys != nil {
		made, err := rs.DataKeys.Prepare(ctx, id, p.ID)
		switch {
		case errors.Is(err, keys.ErrErased):
			return st, ErrTrajectoryErased
		case err != nil:
			rs.logger().Error("referral: data key", "trajectory_id", id, "error", err)
			return st, ErrDataKeyUnavailable
		}
		fresh = made
	}
	// A key made now is a trajectory never recorded: no need to ask.
	if !fresh {
		if got, known, err := rs.recorded(ctx, id); err != nil || known {
			return got, err
		}
	}
	if ref.PreviousTrajectoryID != "" {
		if err := rs.previousClosed(ctx, p, ref); err != nil {
			return st, err
		}
	}
	// The referral's instant is the start's: the workflow's referred event,
	// its deadlines and the listing below all start from it.
	at := time.Now().UTC()
	listed := trajectory.ReferredEvent(id, p.ID, p.Timings(), ref, at)
	run, err := rs.execute(ctx, id, p, ref, at, *listed.Summary.NextDueAt)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
	case temporal.IsWorkflowExecutionAlreadyStartedError(err) || errors.As(err, &already):
		// Started by an earlier request whose listing failed: the workflow
		// lists it with its own instant, which this request does not know.
		if got, known, err := rs.recorded(ctx, id); err != nil || known {
			return got, err
		}
		return st, ErrStartedNotListed
	case Unavailable(ctx, err):
		rs.logger().Warn("referral: Temporal did not answer", "trajectory_id", id, "error", err)
		return st, ErrStartUnavailable
	default:
		rs.logger().Error("referral: start workflow", "trajectory_id", id, "error", err)
		return st, ErrStartRefused
	}

	if run != nil {
		listed.FirstRunID = run.GetRunID()
	}
	return rs.list(ctx, listed, ref)
}

// execute starts the trajectory's workflow, at the referral's instant, with
// the coach's assignment due at assignDue.
func (rs Referrals) execute(ctx context.Context, id string, p programme.Programme, ref trajectory.Referral, at, assignDue time.Time) (client.WorkflowRun, error) {
	opts := client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                trajectory.TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		// What supervisors filter on, set with the start so the workflow's
		// first task need not upsert them.
		TypedSearchAttributes: trajectory.StartSearchAttributes(p.ID, ref.Referrer.Organisation,
			&trajectory.Step{Kind: trajectory.StepAssignment, DueAt: assignDue}),
		// What a supervisor sees of the trajectory in the Temporal UI at a
		// glance. Sent in clear (payloadcodec.PlainUserMetadata), so the UI
		// shows it without decoding: programme, referring organisation,
		// date and id only, never the family.
		StaticSummary: fmt.Sprintf("%s, verwezen door %s", p.Name, ref.Referrer.Organisation),
		StaticDetails: fmt.Sprintf("**Programma:** %s (%s)  \n**Verwezen door:** %s  \n**Verwezen op:** %s  \n**Traject:** %s",
			p.Name, p.ID, ref.Referrer.Organisation, at.Format("2006-01-02 15:04 UTC"), id),
	}
	// The trajectory keeps the programme's timings; its people are looked
	// up by id whenever an email goes out.
	timings := p.Timings()
	start := trajectory.Start{TrajectoryID: id, ProgrammeID: p.ID, ProgrammeName: p.Name, Timings: &timings, Referral: ref, ReferredAt: at,
		SearchAttributesSet: true, CodeRevision: trajectory.CodeRevision}
	run, err := rs.Temporal.ExecuteWorkflow(ctx, opts, trajectory.WorkflowName, start)
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		// A frontend that does not know the search attributes yet (a
		// namespace just set up) refuses them: the workflow's first task
		// upserts them instead, retried until it does.
		rs.logger().Warn("referral: started without its search attributes", "trajectory_id", id, "error", err)
		opts.TypedSearchAttributes, start.SearchAttributesSet, start.CodeRevision = temporal.SearchAttributes{}, false, 0
		run, err = rs.Temporal.ExecuteWorkflow(ctx, opts, trajectory.WorkflowName, start)
	}
	return run, err
}

// list writes the started referral's referred event at once, before the
// workflow's own (identical, idempotent) write. A referral answered as
// started is listed, so the partner's and the supervisor's next calls
// find it; one that is not yet is answered unavailable, and the same
// referral sent again finds it listed.
func (rs Referrals) list(ctx context.Context, listed trajectory.Event, ref trajectory.Referral) (Started, error) {
	id := listed.TrajectoryID
	within := rs.ListTimeout
	if within <= 0 {
		within = 5 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := rs.Store.ListReferral(wctx, listed); err != nil {
		rs.logger().Warn("referral: could not write the referred event now; the workflow writes it too",
			"trajectory_id", id, "error", Redact(err.Error(), ref))
		return Started{ID: id}, ErrStartedListingLater
	}
	return Started{ID: id, Phase: trajectory.PhaseReferred, New: true}, nil
}

// recorded is the trajectory as elkgezin recorded it, when it did (known),
// whether or not Temporal still holds its workflow.
func (rs Referrals) recorded(ctx context.Context, id string) (Started, bool, error) {
	got, err := rs.Store.ReferredTrajectory(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Started{ID: id}, false, nil
	case err != nil:
		rs.logger().Error("referral: read the trajectory: PostgreSQL", "trajectory_id", id, "error", err)
		return Started{ID: id}, false, ErrStoreUnavailable
	}
	return Started{ID: id, Phase: got.Phase}, true, nil
}

// previousClosed checks the referral's previous trajectory: a closed
// trajectory of the same programme that the same organisation referred.
// One that is not the organisation's is answered like one that does not
// exist, so the answer never tells whether it does.
func (rs Referrals) previousClosed(ctx context.Context, p programme.Programme, ref trajectory.Referral) error {
	prev, err := rs.Store.ReferredTrajectory(ctx, ref.PreviousTrajectoryID)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && (prev.ReferrerOrg != ref.Referrer.Organisation || prev.ProgrammeID != p.ID):
		return ErrPreviousUnknown
	case err != nil:
		rs.logger().Error("referral: read the previous trajectory: PostgreSQL", "error", err)
		return ErrStoreUnavailable
	case prev.Phase != trajectory.PhaseClosed:
		return &PreviousOpenError{Phase: prev.Phase}
	}
	return nil
}

func (rs Referrals) logger() *slog.Logger {
	if rs.Logger == nil {
		return slog.Default()
	}
	return rs.Logger
}

// Redact removes the referral's personal data from a text meant for the log.
func Redact(text string, ref trajectory.Referral) string {
	var pairs []string
	values := []string{ref.Family.ContactName, ref.Family.Address, ref.Family.Phone,
		ref.Reason, ref.Referrer.Reference, ref.Referrer.ContactEmail}
	for _, c := range ref.Children {
		values = append(values, c.Name)
	}
	for _, v := range values {
		if len(strings.TrimSpace(v)) >= 3 {
			pairs = append(pairs, v, "[redacted]")
		}
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
