package grpcapi

import (
	"context"
	"errors"
	"io"

	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/roster"
)

// ImportAPI implements the bulk import API.
type ImportAPI struct {
	pb.UnimplementedMemberImportServiceServer
	svc *roster.BulkService
}

// NewImports returns the bulk import API over a domain service.
func NewImports(svc *roster.BulkService) *ImportAPI { return &ImportAPI{svc: svc} }

// CreateImportJob implements pb.MemberImportServiceServer.
func (a *ImportAPI) CreateImportJob(ctx context.Context, req *pb.CreateImportJobRequest) (*pb.CreateImportJobResponse, error) {
	job, err := a.svc.CreateJob(ctx, req.GetOrganisationId(), authz.ScopeRoot(ctx), req.GetRequestId(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CreateImportJobResponse{Job: pbconv.ImportJob(job)}, nil
}

// UploadImportChunks implements pb.MemberImportServiceServer. The stream
// rule of the policy admitted the caller for the job its first chunk
// names; every chunk must name that job.
func (a *ImportAPI) UploadImportChunks(stream pb.MemberImportService_UploadImportChunksServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return errs.Field(member.ErrInvalid, "job_id", "the stream sent no chunk")
	}
	if err != nil {
		return err
	}
	pending := first
	next := func() (roster.Chunk, error) {
		c := pending
		if c == nil {
			if c, err = stream.Recv(); err != nil {
				return roster.Chunk{}, err
			}
		}
		pending = nil
		return roster.Chunk{JobID: c.GetJobId(), Offset: c.GetOffset(), Data: c.GetData(), Last: c.GetLast()}, nil
	}
	job, err := a.svc.Upload(ctx, first.GetJobId(), next)
	if err != nil {
		return err
	}
	return stream.SendAndClose(&pb.UploadImportChunksResponse{Job: pbconv.ImportJob(job)})
}

// GetImportJob implements pb.MemberImportServiceServer.
func (a *ImportAPI) GetImportJob(ctx context.Context, req *pb.GetImportJobRequest) (*pb.GetImportJobResponse, error) {
	job, err := a.svc.Job(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetImportJobResponse{Job: pbconv.ImportJob(job)}, nil
}

// rowKey is where a page of a job's rows ends.
type rowKey struct {
	Seq int64 `json:"s"`
}

func (k rowKey) Valid() bool { return k.Seq > 0 }

// ListImportJobRows implements pb.MemberImportServiceServer.
func (a *ImportAPI) ListImportJobRows(ctx context.Context, req *pb.ListImportJobRowsRequest) (*pb.ListImportJobRowsResponse, error) {
	after, err := page.After(req.GetPageToken(), rowKey{})
	if err != nil {
		return nil, err
	}
	size := page.Size(int(req.GetPageSize()))
	rows, err := a.svc.Rows(ctx, req.GetJobId(), req.GetRefusedOnly(), after.Seq, size+1)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListImportJobRowsResponse{}
	if len(rows) > size {
		rows = rows[:size]
		resp.NextPageToken = page.Encode(rowKey{Seq: rows[size-1].Seq})
	}
	resp.Rows = pbconv.ImportRows(rows)
	return resp, nil
}
