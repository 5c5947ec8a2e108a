package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/telemetry"
	organisationv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// spans records every span started in the test process, so a test can
// follow a trace from the client through the gateway into the backend.
var spans = tracetest.NewSpanRecorder()

func TestMain(m *testing.M) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	code := m.Run()
	_ = tp.Shutdown(context.Background())
	os.Exit(code)
}

// organisations is the backend of the tests. GetOrganisation fails with
// the status its failures table holds for the id, and otherwise returns an
// organisation with that id; each call's span context is kept by id.
type organisations struct {
	organisationv1.UnimplementedOrganisationServiceServer
	failures map[string]*status.Status
	creates  atomic.Int32
	seen     sync.Map // id → trace.SpanContext
}

func (s *organisations) GetOrganisation(ctx context.Context, req *organisationv1.GetOrganisationRequest) (*organisationv1.GetOrganisationResponse, error) {
	s.seen.Store(req.GetId(), trace.SpanContextFromContext(ctx))
	if st, ok := s.failures[req.GetId()]; ok {
		return nil, st.Err()
	}
	return &organisationv1.GetOrganisationResponse{Organisation: &organisationv1.Organisation{
		Id:       req.GetId(),
		ParentId: "parent-1",
		Kind:     organisationv1.OrganisationKind_ORGANISATION_KIND_BRANCH,
		Name:     "Third Branch of Nanguan Community",
	}}, nil
}

func (s *organisations) CreateOrganisation(_ context.Context, req *organisationv1.CreateOrganisationRequest) (*organisationv1.CreateOrganisationResponse, error) {
	s.creates.Add(1)
	org := req.GetOrganisation()
	org.Id = "created-1"
	return &organisationv1.CreateOrganisationResponse{Organisation: org}, nil
}

// testBackend is a real gRPC server on a loopback port.
type testBackend struct {
	addr   string
	orgs   *organisations
	health *health.Server
}

func startBackend(t *testing.T, failures map[string]*status.Status) *testBackend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &testBackend{addr: lis.Addr().String(), orgs: &organisations{failures: failures}, health: health.NewServer()}
	srv := grpc.NewServer(grpc.StatsHandler(otelgrpc.NewServerHandler()))
	organisationv1.RegisterOrganisationServiceServer(srv, b.orgs)
	healthpb.RegisterHealthServer(srv, b.health)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return b
}

// startGateway serves the gateway in front of the organisation service at
// addr over a real listener.
func startGateway(t *testing.T, addr string, log *slog.Logger) *httptest.Server {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h, closeBackends, err := New(t.Context(), []Backend{{
		Name:     "organisation",
		Addr:     addr,
		Register: []RegisterFunc{organisationv1.RegisterOrganisationServiceHandler},
	}}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		if err := closeBackends(); err != nil {
			t.Errorf("closing backends: %v", err)
		}
	})
	return srv
}

// response is what a test reads back from the gateway.
type response struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, srv *httptest.Server, method, path, body string, header http.Header) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// jsonDiff compares two JSON documents by value, (-want +got).
func jsonDiff(t *testing.T, want string, got []byte) string {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return "got is not JSON: " + err.Error() + ": " + string(got)
	}
	return cmp.Diff(w, g)
}

func newTestLogger(b *logtest.Buffer) *slog.Logger {
	return telemetry.NewLogger(b, "gateway", slog.LevelDebug)
}
