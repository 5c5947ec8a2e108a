package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// Lookup finds the organisation a member's relationship sits in, so that
// calls about a member are scoped by it.
type Lookup interface {
	OrganisationOf(ctx context.Context, memberID string) (string, error)
}

// The roles by what they do with members.
var (
	readers = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary,
		auth.GridLeader, auth.Inspector}
	writers     = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary}
	readScopes  = []string{"member.read", "member.write"}
	writeScopes = []string{"member.write"}
)

// Policy is who may call each RPC of the member service, and on what: the
// organisation a member's relationship sits in, or the organisations a
// list names. Lists that name none are restricted to the caller's subtree
// by their handler (authz.ScopeRoot).
func Policy(l Lookup) authz.Policy {
	memberOrg := func(get func(any) string) func(context.Context, any) ([]string, error) {
		return func(ctx context.Context, req any) ([]string, error) {
			org, err := l.OrganisationOf(ctx, get(req))
			return []string{org}, err
		}
	}
	return authz.Policy{
		pb.MemberService_CreateMember_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.CreateMemberRequest) string { return r.GetMember().GetOrganisationId() })},
		pb.MemberService_GetMember_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: memberOrg(func(r any) string { return r.(*pb.GetMemberRequest).GetId() })},
		pb.MemberService_ListMembers_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Targets(func(r *pb.ListMembersRequest) []string {
				return []string{r.GetOrganisationId(), r.GetAncestorId()}
			})},
		pb.MemberService_UpdateMember_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: memberOrg(func(r any) string { return r.(*pb.UpdateMemberRequest).GetMember().GetId() })},

		auditv1.AuditService_ListAuditRecords_FullMethodName: audit.AccessRule(),
	}
}

// UnaryInterceptor authorises calls by policy, except that a member may
// call GetMember, which then serves only the member's own record: a rule
// over organisations cannot say "yourself".
func UnaryInterceptor(p authz.Policy, tree authz.Tree, open func(string) bool) grpc.UnaryServerInterceptor {
	check := authz.UnaryInterceptor(p, tree, open)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if who, ok := auth.FromContext(ctx); ok && who.Role == auth.Member && info.FullMethod == pb.MemberService_GetMember_FullMethodName {
			return h(ctx, req)
		}
		return check(ctx, req, info, h)
	}
}
