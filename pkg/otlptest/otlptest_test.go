package otlptest

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

func TestCollectorReceivesExportedSpansWithTheirParents(t *testing.T) {
	c, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(c.Endpoint()))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("probe"))))
	defer func() { _ = tp.Shutdown(ctx) }()

	ctx, parent := tp.Tracer("t").Start(ctx, "parent")
	_, child := tp.Tracer("t").Start(ctx, "child")
	child.End()
	parent.End()

	traceID := parent.SpanContext().TraceID().String()
	spans, ok := c.WaitFor(10*time.Second, func(s []Span) bool { return len(s) >= 2 })
	if !ok {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	got := map[string]Span{}
	for _, s := range c.Trace(traceID) {
		got[s.Name] = s
	}
	if got["child"].ParentID != got["parent"].SpanID || got["parent"].Service != "probe" {
		t.Fatalf("child %+v is not a child of parent %+v of service probe", got["child"], got["parent"])
	}
}
