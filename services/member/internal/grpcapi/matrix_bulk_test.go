package grpcapi_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// bulkOps are the bulk RPCs of the access matrix.
var bulkOps = []matrixOp{
	{pb.BulkTransferService_GetBulkTransferJob_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.GetBulkTransferJobRequest{Id: s.job}
	}},
}

// streamingOps are the streaming RPCs, whose access is tested on their own
// (the matrix's transports call unary RPCs).
var streamingOps = []string{pb.BulkTransferService_StartBulkTransfer_FullMethodName,
	pb.MemberImportService_UploadImportChunks_FullMethodName}

// matrixJob is a job of the side's branch over the side's member, run to
// its end by a city administrator: the member, whose transfer the matrix
// keeps open, is skipped, so the fixture does not move.
func (h *harness) matrixJob(t *testing.T, s *matrixSide) string {
	t.Helper()
	msgs, err := runJob(callContext(t), pb.NewBulkTransferServiceClient(h.as(cityAdmin)), &pb.StartBulkTransferRequest{
		RequestId: "matrix-" + s.branch, OrganisationId: s.branch, MemberIds: []string{s.member.GetId()},
		ToOrganisationId: s.to, Reason: "restructured"}, -1)
	if err != nil {
		t.Fatalf("matrix job: %v", err)
	}
	if o := msgs[len(msgs)-1].GetOutcome(); o.GetReason() != "OPEN_TRANSFER" {
		t.Fatalf("the matrix job's member: %v", o)
	}
	return msgs[0].GetJobId()
}

// runJob calls StartBulkTransfer and collects its messages until the
// stream ends, or until it has stop outcomes (stop < 0: never).
func runJob(ctx context.Context, c pb.BulkTransferServiceClient, req *pb.StartBulkTransferRequest, stop int) ([]*pb.StartBulkTransferResponse, error) {
	stream, err := c.StartBulkTransfer(ctx, req)
	if err != nil {
		return nil, err
	}
	var msgs []*pb.StartBulkTransferResponse
	outcomes := 0
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return msgs, nil
		}
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, m)
		if m.GetOutcome() != nil && !m.GetReplayed() {
			outcomes++
		}
		if outcomes == stop {
			return msgs, nil
		}
	}
}

// TestBulkTransferAccess: the streaming RPC's rule, applied on the
// request as the stream receives it: a writer in scope of the sending
// organisation starts a job; another district's administrator learns
// nothing (NotFound), a role that may not transfer is refused
// (PermissionDenied), and a caller without a token is not heard
// (Unauthenticated). Continuing a job by its id is scoped by the job's
// organisation the same way.
func TestBulkTransferAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.register(t, residentOf(tr.branch.GetId(), "Gao Yan", tr.community.GetId()))
	req := func(id string) *pb.StartBulkTransferRequest {
		return &pb.StartBulkTransferRequest{RequestId: id, OrganisationId: tr.branch.GetId(), MemberIds: []string{m.GetId()},
			Reason: "restructured"}
	}
	ownDistrict := devissuer.Claims{Subject: "da-a", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}
	msgs, err := runJob(callContext(t), pb.NewBulkTransferServiceClient(h.as(ownDistrict)), req("allowed"), -1)
	if err != nil || len(msgs) != 2 || msgs[1].GetOutcome().GetResult() != pb.BulkTransferResult_BULK_TRANSFER_RESULT_TRANSFERRED {
		t.Fatalf("the district's administrator: %v, %v", msgs, err)
	}
	jobID := msgs[0].GetJobId()
	for name, c := range map[string]struct {
		claims devissuer.Claims
		want   codes.Code
	}{
		"another district's administrator": {devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}, codes.NotFound},
		"a grid leader":                    {devissuer.Claims{Role: auth.GridLeader, ScopeOrgID: tr.community.GetId()}, codes.PermissionDenied},
		"an inspector":                     {devissuer.Claims{Role: auth.Inspector}, codes.PermissionDenied},
		"the member":                       {devissuer.Claims{Role: auth.Member, MemberID: m.GetId()}, codes.PermissionDenied},
		"a system that only reads":         {devissuer.Claims{Role: auth.System, Scopes: []string{"member.read"}}, codes.PermissionDenied},
		"nobody":                           {devissuer.Claims{}, codes.Unauthenticated},
	} {
		client := pb.NewBulkTransferServiceClient(h.as(c.claims))
		for what, r := range map[string]*pb.StartBulkTransferRequest{"starts": req("refused-" + name), "continues": {JobId: jobID}} {
			if _, err := runJob(callContext(t), client, r, -1); status.Code(err) != c.want {
				t.Errorf("%s %s a job: %v, want %v", name, what, err, c.want)
			}
		}
	}
	if n := h.count(t, `SELECT count(*) FROM bulk_transfer_jobs`); n != 1 {
		t.Errorf("%d jobs, want only the allowed one", n)
	}
}
