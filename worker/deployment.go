package worker

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/mailer/ledger"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Deployment are the worker's versioning options. Trajectories live for
// eighteen months and more, so pinning one to the version it started on
// would keep every old version running for as long: they auto-upgrade to
// the deployment's current version at their next workflow task instead,
// and every change to the workflow's commands stays behind
// workflow.GetVersion, so the new version replays the old histories.
func Deployment(v sdkworker.WorkerDeploymentVersion) sdkworker.DeploymentOptions {
	return sdkworker.DeploymentOptions{
		UseVersioning:             true,
		Version:                   v,
		DefaultVersioningBehavior: workflow.VersioningBehaviorAutoUpgrade,
	}
}

// Queues are the task queues a worker process polls, with the kinds of
// task it takes from each (New: workflows and activities on
// trajectory.TaskQueue, emails on trajectory.EmailTaskQueue). A rollout
// makes a new version current only once it polls them all.
var Queues = []client.WorkerDeploymentTaskQueueInfo{
	{Name: trajectory.TaskQueue, Type: client.TaskQueueTypeWorkflow},
	{Name: trajectory.TaskQueue, Type: client.TaskQueueTypeActivity},
	{Name: trajectory.EmailTaskQueue, Type: client.TaskQueueTypeActivity},
}

// tracedSender makes a client span of each email's SMTP transaction. The
// span names no recipient and no subject: those are personal data.
type tracedSender struct {
	next   ledger.Sender
	tracer trace.Tracer
}

func (t tracedSender) SendCommitting(ctx context.Context, m mailer.Message, beforeCommit func(context.Context) error) error {
	ctx, span := t.tracer.Start(ctx, "smtp send", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("messaging.system", "smtp")))
	defer span.End()
	err := t.next.SendCommitting(ctx, m, beforeCommit)
	if err != nil {
		span.SetStatus(codes.Error, "smtp transaction failed")
	}
	return err
}
