package service

import (
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/grpcserver"
	"gongjian.dev/pkg/pgdb"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// NewServer builds a service's gRPC server as production runs it: tokens
// verified by verifier, every call authorised by the parts' policy, the
// service's APIs and its audit trail registered, an unreachable database
// answered Unavailable. It fails when a registered RPC has no access rule. Main and the test harness both build
// their server here.
func NewServer(log *slog.Logger, verifier *auth.Verifier, pool *pgxpool.Pool, p *Parts, extra ...grpc.ServerOption) (*grpcserver.Server, error) {
	policy := withAudit(p.Policy)
	authorize := authz.UnaryInterceptor(policy, p.Tree, auth.OpenMethods)
	if p.Authorize != nil {
		authorize = p.Authorize(policy)
	}
	opts := grpcserver.Options{
		AuthUnary:     []grpc.UnaryServerInterceptor{auth.UnaryInterceptor(verifier, auth.OpenMethods), authorize},
		AuthStream:    []grpc.StreamServerInterceptor{auth.StreamInterceptor(verifier, auth.OpenMethods), authz.StreamInterceptor(policy, p.Tree, auth.OpenMethods)},
		ServerOptions: extra,
		Unavailable:   pgdb.IsUnavailable,
	}
	if p.MaxRecvMsgSize > 0 {
		opts.ServerOptions = append(opts.ServerOptions, grpc.MaxRecvMsgSize(p.MaxRecvMsgSize))
	}
	srv, err := grpcserver.New(log, opts)
	if err != nil {
		return nil, err
	}
	srv.Health.SetServingStatus(Liveness, healthpb.HealthCheckResponse_SERVING)
	if p.Register != nil {
		p.Register(srv)
	}
	auditv1.RegisterAuditServiceServer(srv, audit.NewService(pool))
	if missing := authz.Uncovered(srv.GetServiceInfo(), policy, auth.OpenMethods); len(missing) > 0 {
		return nil, fmt.Errorf("RPCs without an access rule: %v", missing)
	}
	return srv, nil
}

// withAudit is policy with the audit trail's rule, which every service
// shares.
func withAudit(policy authz.Policy) authz.Policy {
	out := make(authz.Policy, len(policy)+1)
	for k, v := range policy {
		out[k] = v
	}
	out[auditv1.AuditService_ListAuditRecords_FullMethodName] = audit.AccessRule()
	return out
}
