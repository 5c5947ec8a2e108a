package grpcapi

import (
	"google.golang.org/grpc"

	"gongjian.dev/pkg/audit"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/domain"
	"gongjian.dev/services/member/internal/roster"
)

// MaxMessage is the largest request the service takes: a roster of
// roster.MaxImportBytes with its envelope.
const MaxMessage = roster.MaxImportBytes + 1<<20

// Register registers every API of the member service on srv; reads of
// personal data are recorded through reads.
func Register(srv grpc.ServiceRegistrar, d *domain.Services, l Lookup, reads audit.Executor) {
	pool := reads
	pb.RegisterMemberServiceServer(srv, New(d.Members, d.Leaving, d.Roster, pool))
	pb.RegisterTransferServiceServer(srv, NewTransfers(d.Transfers, l, pool))
	pb.RegisterBulkTransferServiceServer(srv, NewBulkTransfers(d.Transfers))
	pb.RegisterCategoryServiceServer(srv, NewCategories(d.Members, pool))
	pb.RegisterMobileServiceServer(srv, NewMobile(d.Mobile, pool))
	pb.RegisterReportingServiceServer(srv, NewReporting(d.Reporting, pool))
	pb.RegisterAppraisalServiceServer(srv, NewAppraisals(d.Reporting, pool))
	pb.RegisterDuesServiceServer(srv, NewDues(d.Dues))
	pb.RegisterDuesLedgerServiceServer(srv, NewDuesLedger(d.Dues, pool))
	pb.RegisterParticipationServiceServer(srv, NewParticipation(d.Participation, pool))
	pb.RegisterMemberImportServiceServer(srv, NewImports(d.Bulk))
}
