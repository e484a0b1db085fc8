package telemetry

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// QueryTracer makes a client span of each PostgreSQL query (pgx's
// QueryTracer), named by the statement's first word. The SQL text and its
// arguments stay out: arguments hold personal data.
type QueryTracer struct{ Tracer trace.Tracer }

func (q QueryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
		return ctx // only inside a trace: pool housekeeping makes none
	}
	op := "QUERY"
	if f := strings.Fields(data.SQL); len(f) > 0 {
		op = strings.ToUpper(f[0])
	}
	ctx, _ = q.Tracer.Start(ctx, "postgresql "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"), attribute.String("db.operation.name", op)))
	return ctx
}

func (q QueryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	if data.Err != nil {
		// The error's class, not its text: a constraint message may quote values.
		span.SetStatus(codes.Error, "query failed")
	}
	span.End()
}
