package grpcapi

import (
	"context"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// Lookup finds the community that a coverage point, a demonstration site or
// a liaison belongs to, so that their RPCs can be scoped; "" when there is none.
type Lookup interface {
	CommunityOfPoint(ctx context.Context, id string) (string, error)
	CommunityOfSite(ctx context.Context, id string) (string, error)
	CommunityOfLiaison(ctx context.Context, id string) (string, error)
}

// The roles by what they do with the organisation tree.
var (
	readers = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary,
		auth.GridLeader, auth.UnitContact, auth.Inspector}
	treeWriters  = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary}
	lifeWriters  = append(append([]auth.Role{}, treeWriters...), auth.GridLeader)
	cityDistrict = []auth.Role{auth.CityAdmin, auth.DistrictAdmin}
	cityOnly     = []auth.Role{auth.CityAdmin}
	readScopes   = []string{"organisation.read", "organisation.write"}
	writeScopes  = []string{"organisation.write"}
	// ComplianceReportScope lets another service read the compliance
	// report and nothing else: the supervision service's, which turns its
	// staffing, premises and coverage findings into rectification items.
	ComplianceReportScope = "organisation.compliance_report"
)

// Policy is who may call each RPC of the organisation service, and on what.
// Lists that name no organisation are restricted to the caller's subtree by
// their handlers (authz.ScopeRoot).
func Policy(l Lookup) authz.Policy {
	id := func(get func(any) string) func(context.Context, any) ([]string, error) {
		return func(_ context.Context, req any) ([]string, error) { return []string{get(req)}, nil }
	}
	community := func(find func(context.Context, string) (string, error), get func(any) string) func(context.Context, any) ([]string, error) {
		return func(ctx context.Context, req any) ([]string, error) {
			c, err := find(ctx, get(req))
			return []string{c}, err
		}
	}
	read := func(t func(context.Context, any) ([]string, error)) authz.Rule {
		return authz.Rule{Roles: readers, Scopes: readScopes, Targets: t}
	}
	return authz.Policy{
		pb.OrganisationService_CreateOrganisation_FullMethodName: {Roles: treeWriters, Scopes: writeScopes,
			Targets: id(func(r any) string { return r.(*pb.CreateOrganisationRequest).GetOrganisation().GetParentId() })},
		pb.OrganisationService_GetOrganisation_FullMethodName: read(id(func(r any) string { return r.(*pb.GetOrganisationRequest).GetId() })),
		pb.OrganisationService_ListOrganisations_FullMethodName: read(authz.Targets(func(r *pb.ListOrganisationsRequest) []string {
			return []string{r.GetParentId(), r.GetAncestorId(), r.GetDistrictId()}
		})),
		pb.OrganisationService_UpdateOrganisation_FullMethodName: {Roles: treeWriters, Scopes: writeScopes,
			Targets: id(func(r any) string { return r.(*pb.UpdateOrganisationRequest).GetOrganisation().GetId() })},
		pb.OrganisationService_MoveOrganisation_FullMethodName: {Roles: treeWriters, Scopes: writeScopes, BelowScope: true,
			Targets: authz.Targets(func(r *pb.MoveOrganisationRequest) []string { return []string{r.GetId(), r.GetNewParentId()} })},
		pb.OrganisationService_DissolveOrganisation_FullMethodName: {Roles: treeWriters, Scopes: writeScopes, BelowScope: true,
			Targets: id(func(r any) string { return r.(*pb.DissolveOrganisationRequest).GetId() })},
		pb.OrganisationService_ListOrganisationHistory_FullMethodName: read(id(func(r any) string { return r.(*pb.ListOrganisationHistoryRequest).GetId() })),
		pb.OrganisationService_SetLeadershipTeam_FullMethodName: {Roles: treeWriters, Scopes: writeScopes,
			Targets: id(func(r any) string { return r.(*pb.SetLeadershipTeamRequest).GetOrganisationId() })},
		pb.OrganisationService_RecordActivity_FullMethodName: {Roles: lifeWriters, Scopes: writeScopes,
			Targets: id(func(r any) string { return r.(*pb.RecordActivityRequest).GetOrganisationId() })},
		pb.OrganisationService_ListActivities_FullMethodName: read(id(func(r any) string { return r.(*pb.ListActivitiesRequest).GetOrganisationId() })),
		pb.OrganisationService_CreateCoveragePoint_FullMethodName: {Roles: treeWriters, Scopes: writeScopes,
			Targets: id(func(r any) string { return r.(*pb.CreateCoveragePointRequest).GetCommunityId() })},
		pb.OrganisationService_ListCoveragePoints_FullMethodName: read(id(func(r any) string { return r.(*pb.ListCoveragePointsRequest).GetCommunityId() })),
		pb.OrganisationService_CoverCoveragePoint_FullMethodName: {Roles: treeWriters, Scopes: writeScopes,
			Targets: func(ctx context.Context, req any) ([]string, error) {
				r := req.(*pb.CoverCoveragePointRequest)
				c, err := l.CommunityOfPoint(ctx, r.GetId())
				return []string{c, r.GetOrganisationId()}, err
			}},

		pb.DemonstrationService_CreateDemonstrationSite_FullMethodName: {Roles: cityDistrict, Scopes: writeScopes,
			Targets: id(func(r any) string { return r.(*pb.CreateDemonstrationSiteRequest).GetSite().GetCommunityId() })},
		pb.DemonstrationService_GetDemonstrationSite_FullMethodName:   read(community(l.CommunityOfSite, func(r any) string { return r.(*pb.GetDemonstrationSiteRequest).GetId() })),
		pb.DemonstrationService_ListDemonstrationSites_FullMethodName: read(id(func(r any) string { return r.(*pb.ListDemonstrationSitesRequest).GetAncestorId() })),
		pb.DemonstrationService_CompleteMilestone_FullMethodName: {Roles: cityDistrict, Scopes: writeScopes,
			Targets: community(l.CommunityOfSite, func(r any) string { return r.(*pb.CompleteMilestoneRequest).GetSiteId() })},
		pb.DemonstrationService_RateFiveGoods_FullMethodName: {Roles: cityDistrict, Scopes: writeScopes,
			Targets: community(l.CommunityOfSite, func(r any) string { return r.(*pb.RateFiveGoodsRequest).GetSiteId() })},
		pb.DemonstrationService_CreateLiaison_FullMethodName: {Roles: cityOnly, Scopes: writeScopes,
			Targets: id(func(r any) string { return r.(*pb.CreateLiaisonRequest).GetLiaison().GetCommunityId() })},
		pb.DemonstrationService_ListLiaisons_FullMethodName: read(id(func(r any) string { return r.(*pb.ListLiaisonsRequest).GetAncestorId() })),
		pb.DemonstrationService_EndLiaison_FullMethodName: {Roles: cityOnly, Scopes: writeScopes,
			Targets: community(l.CommunityOfLiaison, func(r any) string { return r.(*pb.EndLiaisonRequest).GetId() })},

		pb.ComplianceService_GetComplianceReport_FullMethodName: {Roles: readers, Scopes: append([]string{ComplianceReportScope}, readScopes...),
			Targets: id(func(r any) string { return r.(*pb.GetComplianceReportRequest).GetOrganisationId() })},
		pb.ComplianceService_GetDistrictSettings_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: id(func(r any) string { return r.(*pb.GetDistrictSettingsRequest).GetDistrictId() })},
		pb.ComplianceService_UpdateDistrictSettings_FullMethodName: {Roles: cityDistrict, Scopes: writeScopes,
			Targets: id(func(r any) string { return r.(*pb.UpdateDistrictSettingsRequest).GetSettings().GetDistrictId() })},
		pb.ComplianceService_ReconcileMemberCounts_FullMethodName: read(id(func(r any) string {
			return r.(*pb.ReconcileMemberCountsRequest).GetOrganisationId()
		})),
	}
}

// orScope is the subtree a list covers: the one asked for, else the caller's.
func orScope(ctx context.Context, ancestorID string) string {
	if ancestorID != "" {
		return ancestorID
	}
	return authz.ScopeRoot(ctx)
}
