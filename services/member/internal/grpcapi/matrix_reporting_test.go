package grpcapi_test

import (
	"time"

	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// matrixPost names no post: the fixture's member is retired and registered
// nowhere, so an allowed claim or release is refused for that
// (NOT_REGISTERED) before the post is looked for, and nothing moves.
const matrixPost = "0190a0b0-0000-7000-8000-000000000001"

var (
	settingsSetters = []auth.Role{auth.CityAdmin, auth.DistrictAdmin}
	thisYear        = int32(time.Now().Year())
)

// reportingOps are the reporting and appraisal RPCs of the access matrix.
// The writes are refused by the domain for an allowed caller (the member
// is not in service, or the etag is stale), so the fixture never moves;
// CreatePost and UpdateReportingSettings do write, harmlessly.
var reportingOps = []matrixOp{
	{pb.ReportingService_RegisterWithCommunity_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.RegisterWithCommunityRequest{CommunityId: s.community, MemberId: s.member.GetId(),
			Kind: pb.RegistrationKind_REGISTRATION_KIND_RESIDENCE}
	}},
	{pb.ReportingService_EndRegistration_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.EndRegistrationRequest{CommunityId: s.community, MemberId: s.member.GetId(),
			Kind: pb.RegistrationKind_REGISTRATION_KIND_RESIDENCE, Reason: "moved house"}
	}},
	{pb.ReportingService_ListRegistrations_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.ListRegistrationsRequest{MemberId: s.member.GetId(), IncludeEnded: true}
	}},
	{pb.ReportingService_CreatePost_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.CreatePostRequest{CommunityId: s.community, Post: &pb.ServicePost{Name: "楼栋宣传员",
			Kind: pb.PostKind_POST_KIND_PUBLICIST, Capacity: 2}}
	}},
	{pb.ReportingService_ListPosts_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.ListPostsRequest{CommunityId: s.community, MemberId: s.member.GetId()}
	}},
	{pb.ReportingService_ClaimPost_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.ClaimPostRequest{CommunityId: s.community, PostId: matrixPost, MemberId: s.member.GetId()}
	}},
	{pb.ReportingService_ReleasePost_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.ReleasePostRequest{CommunityId: s.community, PostId: matrixPost, MemberId: s.member.GetId()}
	}},
	{pb.ReportingService_AddCardEntry_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.AddCardEntryRequest{CommunityId: s.community, MemberId: s.member.GetId(), Entry: &pb.CardEntry{
			Kind: pb.CardEntryKind_CARD_ENTRY_KIND_CONTACT, Date: time.Now().AddDate(0, 0, -1).Format(time.DateOnly), Title: "到社区报到"}}
	}},
	{pb.ReportingService_GetContactCard_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.GetContactCardRequest{MemberId: s.member.GetId()}
	}},
	{pb.ReportingService_RateMember_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RateMemberRequest{CommunityId: s.community, MemberId: s.member.GetId(), Year: thisYear,
			Grade: pb.PerformanceGrade_PERFORMANCE_GRADE_QUALIFIED}
	}},
	{pb.ReportingService_GetReportingSettings_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.GetReportingSettingsRequest{DistrictId: s.district}
	}},
	{pb.ReportingService_UpdateReportingSettings_FullMethodName, settingsSetters, "", false, func(s matrixSide) proto.Message {
		return &pb.UpdateReportingSettingsRequest{DistrictId: s.district,
			Settings: &pb.ReportingSettings{MinContactsPerQuarter: 2, MinActivitiesPerYear: 4}}
	}},
	{pb.AppraisalService_RecordAppraisal_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RecordAppraisalRequest{MemberId: s.member.GetId(), Year: thisYear - 1,
			Grade: pb.PerformanceGrade_PERFORMANCE_GRADE_QUALIFIED, Etag: staleEtag}
	}},
	{pb.AppraisalService_ListAppraisals_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.ListAppraisalsRequest{MemberId: s.member.GetId()}
	}},
	{pb.AppraisalService_SetStarRating_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.SetStarRatingRequest{MemberId: s.member.GetId(), Year: thisYear, Stars: 4, Reason: "带头参加志愿服务", Etag: staleEtag}
	}},
	{pb.AppraisalService_ListStarRatings_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.ListStarRatingsRequest{MemberId: s.member.GetId()}
	}},
}
