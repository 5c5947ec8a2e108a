package grpcapi

import (
	"context"

	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/mobile"
)

// MobileLookup finds the organisations the mobile calls are about.
type MobileLookup interface {
	MobileSides(ctx context.Context, id string) (mobile.Sides, error)
	GroupSides(ctx context.Context, id string) ([]string, error)
}

// mobilePolicy is who may call each RPC of the mobile service. The home
// side (writers in scope of the member's organisation) registers an
// outflow, registers a group and ends a member's mobility; the host side
// (writers in scope of the host) registers an inflow, grants a temporary
// relationship and ends the mobility of someone from outside the city;
// either side logs contacts and reads, like the two sides of a transfer.
// A member reads their own records and logs their own reports (see
// selfServed).
func mobilePolicy(l Lookup, memberOrg func(func(any) string) func(context.Context, any) ([]string, error)) authz.Policy {
	// first is the first of orgs in the caller's scope, or the first of
	// them if none is: that one then answers NotFound.
	type byID interface{ GetId() string }
	type byRecord interface{ GetRecordId() string }
	first := func(ctx context.Context, orgs []string) ([]string, error) {
		if root := authz.ScopeRoot(ctx); root != "" {
			for _, o := range orgs {
				if ok, err := l.Within(ctx, o, root); err != nil || ok {
					return []string{o}, err
				}
			}
		}
		return orgs[:min(1, len(orgs))], nil
	}
	either := func(id func(any) string) func(context.Context, any) ([]string, error) {
		return func(ctx context.Context, req any) ([]string, error) {
			s, err := l.MobileSides(ctx, id(req))
			if err != nil {
				return nil, err
			}
			return first(ctx, s.Sides)
		}
	}
	owner := func(id func(any) string) func(context.Context, any) ([]string, error) {
		return func(ctx context.Context, req any) ([]string, error) {
			s, err := l.MobileSides(ctx, id(req))
			return []string{s.Owner}, err
		}
	}
	eitherGroup := func(ctx context.Context, req any) ([]string, error) {
		sides, err := l.GroupSides(ctx, req.(byID).GetId())
		if err != nil {
			return nil, err
		}
		return first(ctx, sides)
	}
	id := func(r any) string { return r.(byID).GetId() }
	recordID := func(r any) string { return r.(byRecord).GetRecordId() }
	return authz.Policy{
		pb.MobileService_RegisterOutflow_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: memberOrg(func(r any) string { return r.(*pb.RegisterOutflowRequest).GetRecord().GetMemberId() })},
		pb.MobileService_RegisterInflow_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.RegisterInflowRequest) string { return r.GetRecord().GetHostOrganisationId() })},
		pb.MobileService_GetMobileRecord_FullMethodName: {Roles: readers, Scopes: readScopes, Targets: either(id)},
		pb.MobileService_ListMobileRecords_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: func(ctx context.Context, req any) ([]string, error) {
				r := req.(*pb.ListMobileRecordsRequest)
				out := []string{r.GetOrganisationId()}
				if r.GetMemberId() != "" && r.GetOrganisationId() == "" {
					org, err := l.OrganisationOf(ctx, r.GetMemberId())
					if err != nil {
						return nil, err
					}
					out = append(out, org)
				}
				if r.GetGroupId() != "" && r.GetOrganisationId() == "" {
					sides, err := l.GroupSides(ctx, r.GetGroupId())
					if err != nil {
						return nil, err
					}
					g, err := first(ctx, sides)
					if err != nil {
						return nil, err
					}
					out = append(out, g...)
				}
				return out, nil
			}},
		pb.MobileService_GrantTemporaryRelationship_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.GrantTemporaryRelationshipRequest) string { return r.GetHostOrganisationId() })},
		pb.MobileService_LogContact_FullMethodName:   {Roles: writers, Scopes: writeScopes, Targets: either(recordID)},
		pb.MobileService_ListContacts_FullMethodName: {Roles: readers, Scopes: readScopes, Targets: either(recordID)},
		pb.MobileService_EndMobility_FullMethodName:  {Roles: writers, Scopes: writeScopes, Targets: owner(id)},
		pb.MobileService_RegisterGroupOutflow_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.RegisterGroupOutflowRequest) string { return r.GetGroup().GetHomeOrganisationId() })},
		pb.MobileService_GetMobileGroup_FullMethodName: {Roles: readers, Scopes: readScopes, Targets: eitherGroup},
		pb.MobileService_GrantGroupTemporaryRelationship_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.GrantGroupTemporaryRelationshipRequest) string { return r.GetHostOrganisationId() })},
		pb.MobileService_LogGroupNews_FullMethodName: {Roles: writers, Scopes: writeScopes, Targets: eitherGroup},
	}
}
