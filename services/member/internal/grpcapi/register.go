package grpcapi

import (
	"google.golang.org/grpc"

	"gongjian.dev/pkg/audit"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
)

// MaxMessage is the largest request the service takes: a roster of
// member.MaxImportBytes with its envelope.
const MaxMessage = member.MaxImportBytes + 1<<20

// Register registers every API of the member service on srv; reads of
// personal data are recorded through reads.
func Register(srv grpc.ServiceRegistrar, svc *member.Service, l Lookup, reads audit.Executor) {
	pool := reads
	pb.RegisterMemberServiceServer(srv, New(svc, pool))
	pb.RegisterTransferServiceServer(srv, NewTransfers(svc, l, pool))
	pb.RegisterBulkTransferServiceServer(srv, NewBulkTransfers(svc))
	pb.RegisterCategoryServiceServer(srv, NewCategories(svc, pool))
	pb.RegisterMobileServiceServer(srv, NewMobile(svc, pool))
	pb.RegisterReportingServiceServer(srv, NewReporting(svc, pool))
	pb.RegisterAppraisalServiceServer(srv, NewAppraisals(svc, pool))
}
