package grpcapi

import (
	"google.golang.org/grpc"

	"gongjian.dev/pkg/audit"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/store"
)

// MaxMessage is the largest request the service takes: a roster of
// member.MaxImportBytes with its envelope.
const MaxMessage = member.MaxImportBytes + 1<<20

// Register registers every API of the member service on srv: main and the
// tests wire the same set.
func Register(srv grpc.ServiceRegistrar, svc *member.Service, st *store.Store) {
	pool := st.Pool()
	pb.RegisterMemberServiceServer(srv, New(svc, pool))
	pb.RegisterTransferServiceServer(srv, NewTransfers(svc, st))
	pb.RegisterBulkTransferServiceServer(srv, NewBulkTransfers(svc))
	pb.RegisterCategoryServiceServer(srv, NewCategories(svc, pool))
	pb.RegisterMobileServiceServer(srv, NewMobile(svc, pool))
	pb.RegisterReportingServiceServer(srv, NewReporting(svc, pool))
	pb.RegisterAppraisalServiceServer(srv, NewAppraisals(svc, pool))
	auditv1.RegisterAuditServiceServer(srv, audit.NewService(pool))
}
