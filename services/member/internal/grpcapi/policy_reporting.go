package grpcapi

import (
	"context"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/errs"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
)

// ReportingLookup finds the organisations the reporting calls are about:
// the organisation where a member's relationship sits and the communities
// the member registered with.
type ReportingLookup interface {
	MemberSides(ctx context.Context, memberID string) (string, []string, error)
}

// reportingPolicy is who may call each RPC of the reporting and appraisal
// services. The community side (writers in scope of the community)
// registers members, publishes posts, claims them for members, keeps the
// cards and rates; the side of the member's organisation records
// appraisals and star ratings; readers of either side read a member's
// registrations and card. A member registers themselves, claims and
// releases posts, and reads their own registrations, posts, card,
// appraisals and star ratings (selfServed in policy.go).
func reportingPolicy(l Lookup, memberOrg func(func(any) string) func(context.Context, any) ([]string, error)) authz.Policy {
	type byCommunity interface{ GetCommunityId() string }
	community := func(_ context.Context, req any) ([]string, error) {
		return []string{req.(byCommunity).GetCommunityId()}, nil
	}
	type byMember interface{ GetMemberId() string }
	memberID := func(r any) string { return r.(byMember).GetMemberId() }
	// either is whichever side of a member lies in the caller's scope: the
	// member's organisation or a community the member registered with.
	either := func(ctx context.Context, req any) ([]string, error) {
		org, communities, err := l.MemberSides(ctx, memberID(req))
		if err != nil {
			return nil, err
		}
		if root := authz.ScopeRoot(ctx); root != "" {
			for _, id := range append([]string{org}, communities...) {
				if ok, err := l.Within(ctx, id, root); err != nil || ok {
					return []string{id}, err
				}
			}
		}
		return []string{org}, nil
	}
	communityWrite := authz.Rule{Roles: writers, Scopes: writeScopes, Targets: community}
	return authz.Policy{
		pb.ReportingService_RegisterWithCommunity_FullMethodName: communityWrite,
		pb.ReportingService_EndRegistration_FullMethodName:       communityWrite,
		pb.ReportingService_ListRegistrations_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: func(ctx context.Context, req any) ([]string, error) {
				r := req.(*pb.ListRegistrationsRequest)
				switch {
				case r.GetCommunityId() != "":
					return []string{r.GetCommunityId()}, nil
				case r.GetMemberId() != "":
					return either(ctx, req)
				}
				return nil, errs.Field(member.ErrInvalid, "community_id", "name a community or a member")
			}},
		pb.ReportingService_CreatePost_FullMethodName:     communityWrite,
		pb.ReportingService_ListPosts_FullMethodName:      {Roles: readers, Scopes: readScopes, Targets: community},
		pb.ReportingService_ClaimPost_FullMethodName:      communityWrite,
		pb.ReportingService_ReleasePost_FullMethodName:    communityWrite,
		pb.ReportingService_AddCardEntry_FullMethodName:   communityWrite,
		pb.ReportingService_GetContactCard_FullMethodName: {Roles: readers, Scopes: readScopes, Targets: either},
		pb.ReportingService_RateMember_FullMethodName:     communityWrite,
		pb.ReportingService_GetReportingSettings_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.GetReportingSettingsRequest) string { return r.GetDistrictId() })},
		pb.ReportingService_UpdateReportingSettings_FullMethodName: {Roles: []auth.Role{auth.CityAdmin, auth.DistrictAdmin},
			Targets: authz.Target(func(r *pb.UpdateReportingSettingsRequest) string { return r.GetDistrictId() })},

		pb.AppraisalService_RecordAppraisal_FullMethodName: {Roles: writers, Scopes: writeScopes, Targets: memberOrg(memberID)},
		pb.AppraisalService_ListAppraisals_FullMethodName:  {Roles: readers, Scopes: readScopes, Targets: memberOrg(memberID)},
		// The supervision service withdraws a star rating a rule took away
		// with its own token, and that scope only.
		pb.AppraisalService_SetStarRating_FullMethodName: {Roles: writers, Scopes: []string{"member.write", StarRatingsScope},
			Targets: memberOrg(memberID)},
		pb.AppraisalService_ListStarRatings_FullMethodName: {Roles: readers, Scopes: readScopes, Targets: memberOrg(memberID)},
	}
}
