package grpcapi_test

import (
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
