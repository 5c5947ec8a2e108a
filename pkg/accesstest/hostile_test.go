package accesstest

import (
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// fragile fails as a careless service does: a NUL in the subject reaches
// the database, which answers an error the service passes on as Internal.
type fragile struct {
	auditv1.UnimplementedAuditServiceServer
	careful bool
}

func (f fragile) ListAuditRecords(_ context.Context, req *auditv1.ListAuditRecordsRequest) (*auditv1.ListAuditRecordsResponse, error) {
	if strings.ContainsRune(req.GetSubjectId(), 0) {
		if f.careful {
			return nil, status.Error(codes.InvalidArgument, "subject_id: a control character")
		}
		return nil, status.Error(codes.Internal, "invalid byte sequence for encoding \"UTF8\": 0x00")
	}
	return &auditv1.ListAuditRecordsResponse{}, nil
}

// TestHostileFindsTheServersFaults: the sweep reports a NUL that a service
// answers with Internal, over gRPC and over REST (500), names the field
// and the value, and reports nothing of a service that refuses it.
func TestHostileFindsTheServersFaults(t *testing.T) {
	t.Parallel()
	for _, careful := range []bool{false, true} {
		srv := grpc.NewServer()
		auditv1.RegisterAuditServiceServer(srv, fragile{careful: careful})
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		h := Hostile{GRPC: GRPC{Conn: conn}, REST: REST{Base: RESTServer(t, conn, auditv1.RegisterAuditServiceHandler)}}
		r := Request{FullMethod: auditv1.AuditService_ListAuditRecords_FullMethodName,
			Req: &auditv1.ListAuditRecordsRequest{Service: "organisation", SubjectId: "s"}}
		m, err := Method(r.FullMethod)
		if err != nil {
			t.Fatal(err)
		}
		faults, sent := h.faults(t.Context(), r, m, 1, 3, len(hostileStrings)+1)
		if sent < len(hostileStrings) {
			t.Errorf("%d variants sent", sent)
		}
		if careful {
			if len(faults) != 0 {
				t.Errorf("a careful service: %q", faults)
			}
			continue
		}
		want := []string{`subject_id = a NUL over gRPC: Internal "invalid byte sequence`, `subject_id = a NUL over REST: HTTP 500`}
		if len(faults) != len(want) {
			t.Fatalf("faults %q, want %d", faults, len(want))
		}
		for i, w := range want {
			if !strings.HasPrefix(faults[i], w) {
				t.Errorf("fault %q, want %q…", faults[i], w)
			}
		}
	}
}
