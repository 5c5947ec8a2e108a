package pgdb

import (
	"context"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// slowAcquire is how long a call may wait for a pooled connection before
// the wait gets its own span: a pool that runs dry shows in the traces, and
// the calls that find a connection at once cost no span.
const slowAcquire = time.Millisecond

const tracerName = "gongjian.dev/pkg/pgdb"

// tracer traces every statement, batch and copy as otelpgx does, and a
// wait for a connection only when it was slow.
type tracer struct {
	*otelpgx.Tracer
	attrs []attribute.KeyValue
}

// newTracer traces statements with the connection's details computed once
// (otelpgx would build them again at every statement).
func newTracer(cfg *pgx.ConnConfig) *tracer {
	conn := []attribute.KeyValue{
		attribute.String("server.address", cfg.Host),
		attribute.Int("server.port", int(cfg.Port)),
		attribute.String("user.name", cfg.User),
		attribute.String("db.namespace", cfg.Database),
	}
	return &tracer{
		Tracer: otelpgx.NewTracer( // parameters are left out by default
			otelpgx.WithDisableAcquireTracer(),
			otelpgx.WithDisableConnectionDetailsInAttributes(),
			otelpgx.WithTracerAttributes(conn...),
		),
		attrs: append([]attribute.KeyValue{attribute.String("db.system.name", "postgresql")}, conn...),
	}
}

type acquireStart struct{}

// TraceAcquireStart implements pgxpool.AcquireTracer.
func (t *tracer) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	return context.WithValue(ctx, acquireStart{}, time.Now())
}

// TraceAcquireEnd implements pgxpool.AcquireTracer: a slow or failed wait
// becomes a span that began when the wait did.
func (t *tracer) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, data pgxpool.TraceAcquireEndData) {
	start, ok := ctx.Value(acquireStart{}).(time.Time)
	if !ok {
		return
	}
	waited := time.Since(start)
	if waited < slowAcquire && data.Err == nil {
		return
	}
	_, span := trace.SpanFromContext(ctx).TracerProvider().Tracer(tracerName).Start(ctx, "pool.acquire",
		trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(t.attrs...))
	if data.Err != nil {
		span.RecordError(data.Err)
		span.SetStatus(codes.Error, data.Err.Error())
	}
	span.End()
}
