package pgdb

import (
	"context"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// slowAcquire is how long a call may wait for a pooled connection before
// the wait gets its own span: a pool that runs dry shows in the traces, and
// the calls that find a connection at once cost no span.
const slowAcquire = time.Millisecond

const tracerName = "gongjian.dev/pkg/pgdb"

// tracer traces every statement, batch and copy as otelpgx does; every
// wait for a connection is measured (db.client.connection.wait_time, with
// error.type when the wait failed), and traced only when it was slow.
type tracer struct {
	*otelpgx.Tracer
	attrs  []attribute.KeyValue
	wait   metric.Float64Histogram
	ok     metric.MeasurementOption
	failed metric.MeasurementOption
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
	attrs := append([]attribute.KeyValue{attribute.String("db.system.name", "postgresql")}, conn...)
	// A histogram the global provider cannot make is a no-op one: the
	// waits go unmeasured rather than the pool unopened.
	wait, _ := otel.GetMeterProvider().Meter(tracerName).Float64Histogram("db.client.connection.wait_time",
		metric.WithUnit("s"), metric.WithDescription("The time it took to obtain a connection from the pool."))
	return &tracer{
		Tracer: otelpgx.NewTracer( // parameters are left out by default
			otelpgx.WithDisableAcquireTracer(),
			otelpgx.WithDisableConnectionDetailsInAttributes(),
			otelpgx.WithTracerAttributes(conn...),
		),
		attrs:  attrs,
		wait:   wait,
		ok:     metric.WithAttributeSet(attribute.NewSet(attrs...)),
		failed: metric.WithAttributeSet(attribute.NewSet(append(attrs[:len(attrs):len(attrs)], attribute.String("error.type", "acquire"))...)),
	}
}

type acquireStart struct{}

// TraceAcquireStart implements pgxpool.AcquireTracer.
func (t *tracer) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return context.WithValue(ctx, acquireStart{}, time.Now())
}

// TraceAcquireEnd implements pgxpool.AcquireTracer: the wait is measured,
// and a slow or failed one becomes a span that began when the wait did.
// (The wait includes what the pool does to hand over a connection: a
// ping of one idle for a second or more, or a new connection.)
func (t *tracer) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, data pgxpool.TraceAcquireEndData) {
	start, ok := ctx.Value(acquireStart{}).(time.Time)
	if !ok {
		return
	}
	waited := time.Since(start)
	if data.Err != nil {
		t.wait.Record(ctx, waited.Seconds(), t.failed)
	} else {
		t.wait.Record(ctx, waited.Seconds(), t.ok)
	}
	if waited < slowAcquire && data.Err == nil || !trace.SpanFromContext(ctx).IsRecording() {
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
