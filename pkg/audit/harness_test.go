package audit_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/grpcserver"
	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/pgtest"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// schema stands for the schema of a service that audits.
const schema = "svc"

// callLimit bounds things that normally take milliseconds.
const callLimit = 20 * time.Second

func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return pgtest.Pool(t, schema, audit.Migrations)
}

func callContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callLimit)
	t.Cleanup(cancel)
	return ctx
}

// stored is a row of audit_log as the tests read it back; NULL reads as "".
type stored struct {
	ActorSubject, ActorRole, ActorName string
	Method, Action                     string
	SubjectType, SubjectID             string
	OrganisationID                     string
	Before, After                      string // jsonb as text
	TraceID, RequestID                 string
}

// readAll returns every row of audit_log in the order written.
func readAll(t *testing.T, pool *pgxpool.Pool) []stored {
	t.Helper()
	rows, err := pool.Query(callContext(t), `SELECT actor_subject, actor_role, coalesce(actor_name, ''),
		coalesce(method, ''), action, subject_type, subject_id, coalesce(organisation_id, ''),
		coalesce(before::text, ''), coalesce(after::text, ''), coalesce(trace_id, ''), coalesce(request_id, '')
		FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatalf("read audit_log: %v", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stored])
	if err != nil {
		t.Fatalf("read audit_log: %v", err)
	}
	if len(got) == 0 {
		return nil // so that an empty log equals a nil want
	}
	return got
}

// dial connects a client to srv over an in-memory listener; both stop when
// the test ends.
func dial(t *testing.T, srv *grpc.Server) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// serveAudit serves audit.NewService on the standard server, with its
// validation and error mapping, and returns a client of it.
func serveAudit(t *testing.T, pool *pgxpool.Pool) auditv1.AuditServiceClient {
	t.Helper()
	srv, err := grpcserver.New(logtest.New(t), grpcserver.Options{})
	if err != nil {
		t.Fatalf("grpcserver: %v", err)
	}
	auditv1.RegisterAuditServiceServer(srv.Server, audit.NewService(pool))
	return auditv1.NewAuditServiceClient(dial(t, srv.Server))
}

// probe is a gRPC service whose one method runs do with the call's
// context, so that audit.Write sees what it sees in a real handler.
type probe struct {
	healthpb.UnimplementedHealthServer
	do func(ctx context.Context) error
}

func (p probe) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if err := p.do(ctx); err != nil {
		return nil, err
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// probeMethod is the full method the probe's calls arrive as.
const probeMethod = healthpb.Health_Check_FullMethodName

// callProbe makes one gRPC call with outgoing metadata md to a server that
// authenticates the caller as p (none when nil), the way the authentication
// interceptor does, and runs do in the handler.
func callProbe(t *testing.T, p *auth.Principal, md metadata.MD, do func(ctx context.Context) error) {
	t.Helper()
	authenticate := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if p != nil {
			ctx = auth.WithPrincipal(ctx, p)
		}
		return h(ctx, req)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(authenticate))
	healthpb.RegisterHealthServer(srv, probe{do: do})
	client := healthpb.NewHealthClient(dial(t, srv))
	// The handler's error is what the test inspects; the call's is its echo.
	_, _ = client.Check(metadata.NewOutgoingContext(callContext(t), md), &healthpb.HealthCheckRequest{})
}
