package accesstest

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// audits answers by the subject asked for, and remembers what it received.
type audits struct {
	auditv1.UnimplementedAuditServiceServer
	got chan *auditv1.ListAuditRecordsRequest
}

func (a *audits) ListAuditRecords(ctx context.Context, req *auditv1.ListAuditRecordsRequest) (*auditv1.ListAuditRecordsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if len(md.Get("authorization")) == 0 {
		return nil, status.Error(codes.Unauthenticated, "no token")
	}
	a.got <- req
	switch req.GetSubjectId() {
	case "forbidden":
		return nil, status.Error(codes.PermissionDenied, "no")
	case "elsewhere":
		return nil, status.Error(codes.NotFound, "not found")
	case "refused":
		return nil, status.Error(codes.FailedPrecondition, "a domain rule")
	}
	return &auditv1.ListAuditRecordsResponse{}, nil
}

func TestBothTransportsAnswerTheSameCodes(t *testing.T) {
	t.Parallel()
	svc := &audits{got: make(chan *auditv1.ListAuditRecordsRequest, 16)}
	srv := grpc.NewServer()
	auditv1.RegisterAuditServiceServer(srv, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	plain, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Close() })
	base := RESTServer(t, plain, auditv1.RegisterAuditServiceHandler)

	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer t")
	transports := map[string]func(ctx context.Context, req *auditv1.ListAuditRecordsRequest) codes.Code{
		"gRPC": func(ctx context.Context, req *auditv1.ListAuditRecordsRequest) codes.Code {
			return GRPC{plain}.Call(ctx, auditv1.AuditService_ListAuditRecords_FullMethodName, req)
		},
		"REST": func(_ context.Context, req *auditv1.ListAuditRecordsRequest) codes.Code {
			return REST{Base: base, Token: "t"}.Call(context.Background(), auditv1.AuditService_ListAuditRecords_FullMethodName, req)
		},
	}
	for name, call := range transports {
		for subject, want := range map[string]codes.Code{"ok": codes.OK, "forbidden": codes.PermissionDenied,
			"elsewhere": codes.NotFound, "refused": codes.FailedPrecondition} {
			req := &auditv1.ListAuditRecordsRequest{Service: "organisation", SubjectId: subject, PageSize: 7,
				Action: auditv1.AuditAction_AUDIT_ACTION_READ}
			if got := call(ctx, req); got != want {
				t.Errorf("%s, subject %s: %v, want %v", name, subject, got, want)
			}
			if got := <-svc.got; got.GetService() != "organisation" || got.GetSubjectId() != subject || got.GetPageSize() != 7 ||
				got.GetAction() != auditv1.AuditAction_AUDIT_ACTION_READ {
				t.Errorf("%s delivered %v: the path, query or enum was lost", name, got)
			}
		}
	}
	if got := (REST{Base: base}).Call(context.Background(), auditv1.AuditService_ListAuditRecords_FullMethodName,
		&auditv1.ListAuditRecordsRequest{Service: "organisation"}); got != codes.Unauthenticated {
		t.Errorf("REST without a token: %v", got)
	}
}
