// Package otlptest is an OTLP/gRPC trace collector for tests: point a
// process's OTEL_EXPORTER_OTLP_ENDPOINT at it and read back the spans it
// exported, to check that one trace crosses processes.
package otlptest

import (
	"context"
	"encoding/hex"
	"net"
	"sync"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/grpc"
)

// Span is what the tests look at of an exported span.
type Span struct {
	Service  string
	Name     string
	TraceID  string
	SpanID   string
	ParentID string
	Kind     int32
	Attrs    map[string]string
}

// Collector receives spans over OTLP/gRPC.
type Collector struct {
	collectorpb.UnimplementedTraceServiceServer
	srv   *grpc.Server
	addr  string
	mu    sync.Mutex
	spans []Span
	added chan struct{}
}

// Start listens on a free loopback port.
func Start() (*Collector, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &Collector{srv: grpc.NewServer(), addr: lis.Addr().String(), added: make(chan struct{}, 1)}
	collectorpb.RegisterTraceServiceServer(c.srv, c)
	go func() { _ = c.srv.Serve(lis) }()
	return c, nil
}

// Endpoint is the value for OTEL_EXPORTER_OTLP_ENDPOINT.
func (c *Collector) Endpoint() string { return "http://" + c.addr }

// Stop stops the collector.
func (c *Collector) Stop() { c.srv.Stop() }

// Export implements the OTLP trace service.
func (c *Collector) Export(_ context.Context, req *collectorpb.ExportTraceServiceRequest) (*collectorpb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		service := attrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans = append(c.spans, Span{
					Service: service, Name: s.GetName(), Kind: int32(s.GetKind()),
					TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					ParentID: hex.EncodeToString(s.GetParentSpanId()), Attrs: attrs(s.GetAttributes()),
				})
			}
		}
	}
	c.mu.Unlock()
	select {
	case c.added <- struct{}{}:
	default:
	}
	return &collectorpb.ExportTraceServiceResponse{}, nil
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			m[kv.GetKey()] = v.GetStringValue()
		default:
			m[kv.GetKey()] = v.String()
		}
	}
	return m
}

// Spans returns every span received so far.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Span(nil), c.spans...)
}

// Trace returns the spans of one trace.
func (c *Collector) Trace(traceID string) []Span {
	var out []Span
	for _, s := range c.Spans() {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out
}

// WaitFor waits until ok holds for the spans received, or the timeout passes;
// it returns the spans it last saw and whether ok held.
func (c *Collector) WaitFor(timeout time.Duration, ok func([]Span) bool) ([]Span, bool) {
	deadline := time.After(timeout)
	for {
		spans := c.Spans()
		if ok(spans) {
			return spans, true
		}
		select {
		case <-c.added:
		case <-deadline:
			return c.Spans(), false
		case <-time.After(100 * time.Millisecond):
		}
	}
}
