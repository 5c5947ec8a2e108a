package grpcapi_test

import (
	"google.golang.org/protobuf/proto"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// participationOps are the RPCs of participation and lost contact in the
// access matrix: a member reads their own participation; staff read a
// member's in scope of the member's organisation, and the lost-contact
// list of a subtree in their scope.
var participationOps = []matrixOp{
	{pb.ParticipationService_ListParticipation_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.ListParticipationRequest{MemberId: s.member.GetId()}
	}},
	{pb.ParticipationService_ListLostContactMembers_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.ListLostContactMembersRequest{OrganisationId: s.branch}
	}},
}
