package grpcapi_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// importOps are the import RPCs of the access matrix, with the count of
// members. The import is a dry run, so that the fixture never changes.
var importOps = []matrixOp{
	{pb.MemberService_CountMembers_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.CountMembersRequest{AncestorId: s.community, EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED}
	}},
	{pb.MemberService_CountMembersByOrganisation_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.CountMembersByOrganisationRequest{AncestorId: s.community}
	}},
	{pb.MemberService_ImportMembers_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.ImportMembersRequest{OrganisationId: s.branch, DryRun: true, Content: []byte(
			"姓名,性别,出生日期,身份证号,入党日期,党员类别\n" +
				"Matrix Member,女,1980-01-15," + nationalID("610102", "19800115") + ",2005-07-01,正式\n")}
	}},
}

// bulkImportOps are the RPCs of bulk imports in the access matrix (the
// upload streams: its access is tested with the job, in
// TestBulkImportReportsAsImportDoes). A job is opened afresh each call.
var bulkImportOps = []matrixOp{
	{pb.MemberImportService_CreateImportJob_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.CreateImportJobRequest{OrganisationId: s.branch}
	}},
	{pb.MemberImportService_GetImportJob_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.GetImportJobRequest{Id: s.importJob}
	}},
	{pb.MemberImportService_ListImportJobRows_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.ListImportJobRowsRequest{JobId: s.importJob}
	}},
}

// matrixImportJob is a bulk import job of the side's branch, opened by a
// city administrator, its file not sent.
func (h *harness) matrixImportJob(t *testing.T, s *matrixSide) string {
	t.Helper()
	resp, err := pb.NewMemberImportServiceClient(h.as(cityAdmin)).CreateImportJob(callContext(t),
		&pb.CreateImportJobRequest{OrganisationId: s.branch})
	if err != nil {
		t.Fatalf("matrix import job: %v", err)
	}
	return resp.GetJob().GetId()
}
