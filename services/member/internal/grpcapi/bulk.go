package grpcapi

import (
	"context"

	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/transfer"
)

// BulkAPI implements the bulk transfer API.
type BulkAPI struct {
	pb.UnimplementedBulkTransferServiceServer
	svc *transfer.Service
}

// NewBulkTransfers returns the bulk transfer API over a domain service.
func NewBulkTransfers(svc *transfer.Service) *BulkAPI { return &BulkAPI{svc: svc} }

// StartBulkTransfer implements pb.BulkTransferServiceServer. The stream
// rule of the policy has admitted the caller for the job's organisation
// (authz.StreamInterceptor checks the request as it is received). The
// stream sends the job, the outcomes already known, then each outcome as
// it is reached; a client cut off calls again with the same request_id
// (or the job_id) and the job continues.
func (a *BulkAPI) StartBulkTransfer(req *pb.StartBulkTransferRequest, stream pb.BulkTransferService_StartBulkTransferServer) error {
	ctx := stream.Context()
	who := actor(ctx)
	job, err := a.svc.StartBulk(ctx, transfer.BulkRequest{RequestID: req.GetRequestId(), JobID: req.GetJobId(),
		OrganisationID: req.GetOrganisationId(), Subtree: req.GetSubtree(), MemberIDs: req.GetMemberIds(),
		Destinations: req.GetDestinations(), ToOrgID: req.GetToOrganisationId(), Reason: req.GetReason()}, who)
	if err != nil {
		return err
	}
	_, rows, err := a.svc.BulkJobOutcomes(ctx, job.ID)
	if err != nil {
		return err
	}
	var done, pending []transfer.BulkOutcome
	for _, o := range rows {
		if o.Result == transfer.BulkPending {
			pending = append(pending, o)
		} else {
			done = append(done, o)
		}
	}
	total := int32(job.Total)
	progress := func(n int, o *transfer.BulkOutcome, replayed bool) error {
		msg := &pb.StartBulkTransferResponse{JobId: job.ID, Done: int32(n), Total: total, Replayed: replayed}
		if o != nil {
			msg.Outcome = pbconv.BulkOutcome(*o)
		}
		return stream.Send(msg)
	}
	if err := progress(len(done), nil, false); err != nil {
		return err
	}
	for i := range done {
		if err := progress(len(done), &done[i], true); err != nil {
			return err
		}
	}
	return a.svc.RunBulk(ctx, job, pending, len(done), who, func(o transfer.BulkOutcome, n int) error {
		return progress(n, &o, false)
	})
}

// GetBulkTransferJob implements pb.BulkTransferServiceServer.
func (a *BulkAPI) GetBulkTransferJob(ctx context.Context, req *pb.GetBulkTransferJobRequest) (*pb.GetBulkTransferJobResponse, error) {
	job, rows, err := a.svc.BulkJobOutcomes(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	out := &pb.GetBulkTransferJobResponse{Job: pbconv.BulkJob(job)}
	for _, o := range rows {
		out.Outcomes = append(out.Outcomes, pbconv.BulkOutcome(o))
	}
	return out, nil
}

// bulkPolicy is who may call the bulk transfer API: writers in scope of
// the sending organisation start (or continue) a job, which may send
// members to any organisation of the city, as RequestTransfer may; readers
// in scope of it read the job.
func bulkPolicy(l Lookup) authz.Policy {
	jobOrg := func(ctx context.Context, id string) ([]string, error) {
		org, err := l.BulkJobOrganisation(ctx, id)
		return []string{org}, err
	}
	return authz.Policy{
		pb.BulkTransferService_StartBulkTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: func(ctx context.Context, req any) ([]string, error) {
				r, ok := req.(*pb.StartBulkTransferRequest)
				if !ok {
					return nil, authz.ErrNoRule
				}
				if r.GetJobId() != "" {
					return jobOrg(ctx, r.GetJobId())
				}
				return []string{r.GetOrganisationId()}, nil
			}},
		pb.BulkTransferService_GetBulkTransferJob_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: func(ctx context.Context, req any) ([]string, error) {
				return jobOrg(ctx, req.(*pb.GetBulkTransferJobRequest).GetId())
			}},
	}
}
