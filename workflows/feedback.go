package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/webhook"
)

// changeReferralFeedback: the partner that referred the family is told
// when a coach is first assigned, when the intake is done (in support)
// and when the trajectory closes, by its webhook or an email, beside the
// main loop.
const changeReferralFeedback = "referral-feedback"

// Feedback to the referrer is given up after feedbackGivesUpAfter: a
// partner's endpoint that is down for days must not keep a closed
// trajectory's run open for ever. The partner can still read the status
// (GET /v1/referrals/{id}).
const feedbackGivesUpAfter = 3 * 24 * time.Hour

// tellReferrer owes the referrer the news that its referral reached
// status, at this instant. The activity runs beside the main loop; its
// failure is logged and never fails the trajectory.
func (w *trajectoryWorkflow) tellReferrer(ctx workflow.Context, status string) {
	if !w.takes(ctx, changeReferralFeedback) {
		return
	}
	f := trajectory.ReferralFeedback{
		TrajectoryID: w.c.State.TrajectoryID,
		ProgrammeID:  w.c.State.ProgrammeID,
		Organisation: w.c.State.ReferrerOrg,
		Status:       status,
		At:           workflow.Now(ctx),
		ContactEmail: w.in.Referral.Referrer.ContactEmail,
	}
	w.c.Feedback = append(w.c.Feedback, f)
	w.startFeedback(ctx, f)
}

// resumeFeedback starts again the feedback an earlier run had on its way;
// the delivery log and the email ledger send each once. An Update of the
// run's first task may have started some already (startFeedback skips it).
func (w *trajectoryWorkflow) resumeFeedback(ctx workflow.Context) {
	for _, f := range w.c.Feedback {
		w.startFeedback(ctx, f)
	}
}

// startFeedback runs the feedback's activity, unless this run did.
func (w *trajectoryWorkflow) startFeedback(ctx workflow.Context, f trajectory.ReferralFeedback) {
	if w.feedbackOn[f.Status] {
		return
	}
	if w.feedbackOn == nil {
		w.feedbackOn = map[string]bool{}
	}
	w.feedbackOn[f.Status] = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		err := workflow.ExecuteActivity(withFeedbackOptions(ctx), activities.NotifyReferrerName, f).Get(ctx, nil)
		if temporal.IsCanceledError(err) {
			return
		}
		if err != nil {
			workflow.GetLogger(ctx).Error("referrer not told; the trajectory carries on", "status", f.Status, "error", err)
		}
		w.c.Feedback = slices.DeleteFunc(w.c.Feedback, func(g trajectory.ReferralFeedback) bool { return g.Status == f.Status })
		w.wakeMainLoop()
	})
}

// withFeedbackOptions retries a post that was not answered 2xx with
// backoff, from seconds to an hour apart, until feedbackGivesUpAfter. The
// activity heartbeats every second: one whose worker died is retried
// after a few seconds.
func withFeedbackOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: feedbackGivesUpAfter,
		StartToCloseTimeout:    30 * time.Second,
		HeartbeatTimeout:       5 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Hour},
	})
}

// Statuses the referrer is told of, by the step that reaches them.
const (
	feedbackAssigned  = webhook.StatusCoachAssigned
	feedbackInSupport = webhook.StatusInSupport
	feedbackClosed    = webhook.StatusClosed
)
