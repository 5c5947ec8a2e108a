package events_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
)

// One trace runs from the request that enqueued an event, through the
// relay's publish span, to the consumer's process span.
func TestTraceLinksEnqueuePublishAndProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	relay := outbox.NewRelay(e.pool, e.js, outbox.RelayOptions{Logger: testLogger(t)})
	ctx, cancel := context.WithCancel(context.Background())
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-relayDone })
	handled := make(chan trace.SpanContext, 1)
	e.consume(t, events.ConsumerSpec{}, func(ctx context.Context, _ pgx.Tx, _ jetstream.Msg) error {
		handled <- trace.SpanContextFromContext(ctx)
		return nil
	})

	reqCtx, request := otel.Tracer("test").Start(context.Background(), "request")
	err := pgdb.InTx(reqCtx, e.pool, func(tx pgx.Tx) error {
		return outbox.Enqueue(reqCtx, tx, outbox.Event{Subject: "orders.created", Message: wrapperspb.String("x")})
	})
	request.End()
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	traceID := request.SpanContext().TraceID()

	handlerSpan := <-handled
	if handlerSpan.TraceID() != traceID {
		t.Fatalf("handler context in trace %s, want %s", handlerSpan.TraceID(), traceID)
	}
	var publish, process sdktrace.ReadOnlySpan
	waitFor(t, "the publish and process spans to end", func() bool {
		publish = endedSpan(traceID, "publish orders.created")
		process = endedSpan(traceID, "process orders.created")
		return publish != nil && process != nil
	})
	checkChild(t, request.SpanContext(), publish, trace.SpanKindProducer)
	checkChild(t, publish.SpanContext(), process, trace.SpanKindConsumer)
	if process.SpanContext().SpanID() != handlerSpan.SpanID() {
		t.Errorf("handler ran in span %s, want the process span %s", handlerSpan.SpanID(), process.SpanContext().SpanID())
	}
}

func endedSpan(traceID trace.TraceID, name string) sdktrace.ReadOnlySpan {
	for _, s := range spans.Ended() {
		if s.SpanContext().TraceID() == traceID && s.Name() == name {
			return s
		}
	}
	return nil
}

func checkChild(t *testing.T, parent trace.SpanContext, child sdktrace.ReadOnlySpan, kind trace.SpanKind) {
	t.Helper()
	if child.Parent().SpanID() != parent.SpanID() {
		t.Errorf("%q has parent %s, want %s", child.Name(), child.Parent().SpanID(), parent.SpanID())
	}
	if !child.Parent().IsRemote() {
		t.Errorf("%q: parent is not remote; the context should come through a carrier", child.Name())
	}
	if child.SpanKind() != kind {
		t.Errorf("%q is a %s span, want %s", child.Name(), child.SpanKind(), kind)
	}
}
