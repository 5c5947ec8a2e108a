package grpcapi_test

import (
	"google.golang.org/protobuf/proto"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// mobileOps are the mobile RPCs of the access matrix. They act on the
// records of mobileMatrixFixtures; the writes carry a day in the future, a
// stale etag or a contact in the future, so that an allowed caller is
// refused by the domain and the fixture never moves.
var mobileOps = []matrixOp{
	{pb.MobileService_RegisterOutflow_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RegisterOutflowRequest{Record: &pb.MobileRecord{MemberId: s.member.GetId(), Place: "P", Since: tomorrow()}}
	}},
	{pb.MobileService_RegisterInflow_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RegisterInflowRequest{Record: &pb.MobileRecord{HostOrganisationId: s.branch,
			Person: &pb.OutsidePerson{Name: "N", HomeOrganisation: "H"}, Since: tomorrow()}}
	}},
	{pb.MobileService_GetMobileRecord_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.GetMobileRecordRequest{Id: fixtureOf(s).record}
	}},
	{pb.MobileService_ListMobileRecords_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.ListMobileRecordsRequest{MemberId: s.member.GetId()}
	}},
	{pb.MobileService_GrantTemporaryRelationship_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.GrantTemporaryRelationshipRequest{Id: fixtureOf(s).record, HostOrganisationId: s.community, Etag: staleEtag}
	}},
	{pb.MobileService_LogContact_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.LogContactRequest{RecordId: fixtureOf(s).record, Contact: futureContact()}
	}},
	{pb.MobileService_ListContacts_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.ListContactsRequest{RecordId: fixtureOf(s).record}
	}},
	{pb.MobileService_EndMobility_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.EndMobilityRequest{Id: fixtureOf(s).record, Outcome: pb.MobilityOutcome_MOBILITY_OUTCOME_RETURNED, Etag: staleEtag}
	}},
	{pb.MobileService_RegisterGroupOutflow_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RegisterGroupOutflowRequest{Group: &pb.MobileGroup{Name: "G", HomeOrganisationId: s.branch, Place: "P",
			LeaderMemberId: s.member.GetId()}, MemberIds: []string{s.member.GetId(), s.transfer.GetId()}, Since: tomorrow()}
	}},
	{pb.MobileService_GetMobileGroup_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.GetMobileGroupRequest{Id: fixtureOf(s).group}
	}},
	{pb.MobileService_GrantGroupTemporaryRelationship_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.GrantGroupTemporaryRelationshipRequest{Id: fixtureOf(s).group, HostOrganisationId: s.community, Etag: staleEtag}
	}},
	{pb.MobileService_LogGroupNews_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.LogGroupNewsRequest{Id: fixtureOf(s).group, Channel: pb.ContactChannel_CONTACT_CHANNEL_PHONE, Summary: "s",
			ContactTime: futureContact().GetContactTime()}
	}},
}
