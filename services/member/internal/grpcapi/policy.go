package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/transfer"
)

// Lookup finds the organisation a member's relationship sits in, so that
// calls about a member are scoped by it.
// It also finds the sides of a transfer, and answers whether an
// organisation lies in a subtree.
type Lookup interface {
	OrganisationOf(ctx context.Context, memberID string) (string, error)
	Sides
	MobileLookup
	ReportingLookup
	ImportLookup
}

// The roles by what they do with members.
var (
	readers = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary,
		auth.GridLeader, auth.Inspector}
	writers    = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary}
	readScopes = []string{"member.read", "member.write"}
	// StarRatingsScope lets another service set star ratings and nothing
	// else: the supervision service's, which withdraws five-star status.
	StarRatingsScope = "member.star_ratings"
	writeScopes      = []string{"member.write"}
)

// Policy is who may call each RPC of the member service, and on what: the
// organisation a member's relationship sits in, or the organisations a
// list names. Lists that name none are restricted to the caller's subtree
// by their handler (authz.ScopeRoot).
func Policy(l Lookup) authz.Policy {
	memberOrg := func(get func(any) string) func(context.Context, any) ([]string, error) {
		return func(ctx context.Context, req any) ([]string, error) {
			return organisationOf(ctx, l, get(req))
		}
	}
	p := authz.Policy{
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
		// Ending a membership is staff's, never the member's own call.
		pb.MemberService_EndMembership_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: memberOrg(func(r any) string { return r.(*pb.EndMembershipRequest).GetId() })},
		pb.MemberService_CountMembersByOrganisation_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Targets(func(r *pb.CountMembersByOrganisationRequest) []string { return []string{r.GetAncestorId()} })},
		pb.MemberService_CountMembers_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Targets(func(r *pb.CountMembersRequest) []string {
				return []string{r.GetOrganisationId(), r.GetAncestorId()}
			})},
		// The rows of an import may name organisations of their own: the
		// domain refuses those outside the caller's scope row by row.
		pb.MemberService_ImportMembers_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.ImportMembersRequest) string { return r.GetOrganisationId() })},
	}
	for m, r := range transferPolicy(l) {
		p[m] = r
	}
	for m, r := range transferSettingsPolicy(l) {
		p[m] = r
	}
	for m, r := range duesPolicy() {
		p[m] = r
	}
	for m, r := range duesLedgerPolicy(memberOrg) {
		p[m] = r
	}
	for m, r := range importPolicy(l) {
		p[m] = r
	}
	for m, r := range bulkPolicy(l) {
		p[m] = r
	}
	for m, r := range categoryPolicy(memberOrg) {
		p[m] = r
	}
	for m, r := range mobilePolicy(l, memberOrg) {
		p[m] = r
	}
	for m, r := range reportingPolicy(l, memberOrg) {
		p[m] = r
	}
	for m, r := range participationPolicy(memberOrg) {
		p[m] = r
	}
	return p
}

// organisationOf is the organisation a call about a member touches. A
// request that names no member touches none: it is left to the input
// rules, which name the missing field (400), where looking up "" would
// answer "member not found" (404) for what is the client's omission.
func organisationOf(ctx context.Context, l Lookup, memberID string) ([]string, error) {
	if memberID == "" {
		return nil, nil
	}
	org, err := l.OrganisationOf(ctx, memberID)
	return []string{org}, err
}

// transferPolicy is who may call each RPC of the transfer service. A
// transfer is read by both its sides, sending and receiving, until it
// completes and after; each step is taken by the side whose step it is:
// the sender confirms (for the member), releases and withdraws; the
// receiver receives; who rejects depends on the state. A member may
// request, read, confirm and withdraw their own transfers (see
// UnaryInterceptor).
func transferPolicy(l Lookup) authz.Policy {
	// side picks the organisation of a transfer the caller must be scoped to.
	side := func(id func(any) string, pick func(s transfer.Sides) string) func(context.Context, any) ([]string, error) {
		return func(ctx context.Context, req any) ([]string, error) {
			s, err := l.TransferSides(ctx, id(req))
			if err != nil {
				return nil, err
			}
			transfer.RememberSides(ctx, id(req), s)
			return []string{pick(s)}, nil
		}
	}
	// either is whichever side lies in the caller's scope, for reads.
	either := func(id func(any) string) func(context.Context, any) ([]string, error) {
		return func(ctx context.Context, req any) ([]string, error) {
			s, err := l.TransferSides(ctx, id(req))
			if err != nil {
				return nil, err
			}
			if root := authz.ScopeRoot(ctx); root != "" {
				if ok, err := l.Within(ctx, s.To, root); err != nil || ok {
					return []string{s.To}, err
				}
			}
			return []string{s.From}, nil
		}
	}
	// acting picks the organisation of the side whose step action is.
	acting := func(action string) func(s transfer.Sides) string {
		return func(s transfer.Sides) string { return s.Org(s.Acting(action)) }
	}
	from := func(s transfer.Sides) string { return s.From }
	type stepReq interface{ GetId() string }
	stepID := func(r any) string { return r.(stepReq).GetId() }
	return authz.Policy{
		pb.TransferService_RequestTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: func(ctx context.Context, req any) ([]string, error) {
				return organisationOf(ctx, l, req.(*pb.RequestTransferRequest).GetTransfer().GetMemberId())
			}},
		pb.TransferService_GetTransfer_FullMethodName: {Roles: readers, Scopes: readScopes, Targets: either(stepID)},
		pb.TransferService_ListTransfers_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: func(ctx context.Context, req any) ([]string, error) {
				r := req.(*pb.ListTransfersRequest)
				out := []string{r.GetOrganisationId()}
				if r.GetMemberId() != "" && r.GetOrganisationId() == "" {
					org, err := l.OrganisationOf(ctx, r.GetMemberId())
					if err != nil {
						return nil, err
					}
					out = append(out, org)
				}
				return out, nil
			}},
		pb.TransferService_ListPocketMembers_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.ListPocketMembersRequest) string { return r.GetOrganisationId() })},
		pb.TransferService_ConfirmTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, acting(transfer.ActionConfirmed))},
		pb.TransferService_ReleaseTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, acting(transfer.ActionReleased))},
		pb.TransferService_ReceiveTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, acting(transfer.ActionReceived))},
		pb.TransferService_RejectTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, acting(transfer.ActionRejected))},
		pb.TransferService_WithdrawTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, acting(transfer.ActionWithdrawn))},
		pb.TransferService_SuspendTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, acting(transfer.ActionSuspended))},
		pb.TransferService_ResumeTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, acting(transfer.ActionResumed))},
		pb.TransferService_RecordTransferReview_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, acting(transfer.ActionReviewed))},
		// The receipt of a transfer out of the city is the sending side's record.
		pb.TransferService_RecordTransferReceipt_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: side(stepID, from)},
		pb.TransferService_ListNameOnlyMembers_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.ListNameOnlyMembersRequest) string { return r.GetOrganisationId() })},
	}
}

// categoryPolicy is who may call each RPC of the category service: staff
// read schemes (a district's, from anywhere in it) and compositions in
// their scope; a district administrator sets their district's scheme, a
// city administrator any district's and the city's default; writers put
// the members in their scope in a category by hand. Schemes are set by
// people only, never by a system.
func categoryPolicy(memberOrg func(func(any) string) func(context.Context, any) ([]string, error)) authz.Policy {
	type byMember interface{ GetMemberId() string }
	memberID := func(r any) string { return r.(byMember).GetMemberId() }
	return authz.Policy{
		pb.CategoryService_GetScheme_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.GetSchemeRequest) string { return r.GetDistrictId() })},
		pb.CategoryService_SetScheme_FullMethodName: {Roles: []auth.Role{auth.CityAdmin, auth.DistrictAdmin},
			Targets: authz.Target(func(r *pb.SetSchemeRequest) string { return r.GetDistrictId() })},
		pb.CategoryService_SetDefaultScheme_FullMethodName: {Roles: []auth.Role{auth.CityAdmin}},
		pb.CategoryService_ListPresets_FullMethodName:      {Roles: readers, Scopes: readScopes},
		pb.CategoryService_OverrideCategory_FullMethodName: {Roles: writers, Scopes: writeScopes, Targets: memberOrg(memberID)},
		pb.CategoryService_ClearCategoryOverride_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: memberOrg(memberID)},
		pb.CategoryService_GetComposition_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.GetCompositionRequest) string { return r.GetOrganisationId() })},
	}
}

// selfServed are the calls a member makes for themselves; the handler or
// the domain then serves only the member's own record or transfer.
var selfServed = map[string]bool{
	pb.MemberService_GetMember_FullMethodName:          true,
	pb.TransferService_RequestTransfer_FullMethodName:  true,
	pb.TransferService_GetTransfer_FullMethodName:      true,
	pb.TransferService_ConfirmTransfer_FullMethodName:  true,
	pb.TransferService_WithdrawTransfer_FullMethodName: true,
	pb.MobileService_GetMobileRecord_FullMethodName:    true,
	pb.MobileService_ListMobileRecords_FullMethodName:  true,
	pb.MobileService_LogContact_FullMethodName:         true,
	pb.MobileService_ListContacts_FullMethodName:       true,

	pb.ReportingService_RegisterWithCommunity_FullMethodName: true,
	pb.ReportingService_EndRegistration_FullMethodName:       true,
	pb.ReportingService_ListRegistrations_FullMethodName:     true,
	pb.ReportingService_ListPosts_FullMethodName:             true,
	pb.ReportingService_ClaimPost_FullMethodName:             true,
	pb.ReportingService_ReleasePost_FullMethodName:           true,
	pb.ReportingService_GetContactCard_FullMethodName:        true,
	pb.AppraisalService_ListAppraisals_FullMethodName:        true,
	pb.AppraisalService_ListStarRatings_FullMethodName:       true,
	pb.ParticipationService_ListParticipation_FullMethodName: true,
	// A quote is about no one's record: any member may ask one.
	pb.DuesService_QuoteDues_FullMethodName: true,
	// A member declares their income and reads their dues.
	pb.DuesLedgerService_DeclareIncome_FullMethodName: true,
	pb.DuesLedgerService_GetMemberDues_FullMethodName: true,
}

// UnaryInterceptor authorises calls by policy, except that a member may
// make the calls of selfServed, which then serve only the member's own
// record or transfers: a rule over organisations cannot say "yourself".
func UnaryInterceptor(p authz.Policy, tree authz.Tree, open func(string) bool) grpc.UnaryServerInterceptor {
	check := authz.UnaryInterceptor(p, tree, open)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		ctx = transfer.WithSidesMemo(ctx)
		if who, ok := auth.FromContext(ctx); ok && who.Role == auth.Member && selfServed[info.FullMethod] {
			return h(ctx, req)
		}
		return check(ctx, req, info, h)
	}
}
