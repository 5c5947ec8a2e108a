package grpcapi

import (
	"context"
	"slices"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// transferSettingsPolicy is who may call the RPCs of recorded transfers
// and transfer settings. A transfer begun before the system is recorded
// by writers in scope of the sending organisation (where the member's
// relationship sits), or by a system with member.write, such as a
// migration job. Settings are read by staff from anywhere in the district
// (as schemes are) and set by its district administrator or the city's,
// people only.
func transferSettingsPolicy(l Lookup) authz.Policy {
	return authz.Policy{
		pb.TransferService_RecordEarlierTransfer_FullMethodName: {Roles: writers, Scopes: writeScopes,
			Targets: func(ctx context.Context, req any) ([]string, error) {
				return organisationOf(ctx, l, req.(*pb.RecordEarlierTransferRequest).GetMemberId())
			}},
		pb.TransferService_GetTransferSettings_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.GetTransferSettingsRequest) string { return r.GetDistrictId() })},
		pb.TransferService_UpdateTransferSettings_FullMethodName: {Roles: []auth.Role{auth.CityAdmin, auth.DistrictAdmin},
			Targets: authz.Target(func(r *pb.UpdateTransferSettingsRequest) string { return r.GetDistrictId() })},
	}
}

// duesPolicy is who may call the RPCs of party dues. Anyone signed in may
// ask for a quote, by any district's bands: it reads no one's record, and
// the bands are the published table (a member calls it too, see
// selfServed). Settings are read by staff from anywhere in the district and
// set by its district administrator or the city's, people only, as the
// transfer settings are.
func duesPolicy() authz.Policy {
	return authz.Policy{
		pb.DuesService_QuoteDues_FullMethodName: {Roles: append(slices.Clone(readers), auth.UnitContact, auth.Member),
			Scopes: readScopes},
		pb.DuesService_GetDuesSettings_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.GetDuesSettingsRequest) string { return r.GetDistrictId() })},
		pb.DuesService_UpdateDuesSettings_FullMethodName: {Roles: []auth.Role{auth.CityAdmin, auth.DistrictAdmin},
			Targets: authz.Target(func(r *pb.UpdateDuesSettingsRequest) string { return r.GetDistrictId() })},
	}
}

// duesLedgerPolicy is who may call the RPCs of the dues ledger: a member's
// declarations and statement are read and written by staff in scope of
// the organisation their relationship sits in (and by the member, for
// their own: see selfServed); exemptions by writers; a branch's bills,
// payments and arrears by the staff in scope of the branch (a branch
// secretary's community, a street's or a district's administrators their
// subtree). A system with member.write may generate bills on a schedule.
func duesLedgerPolicy(memberOrg func(func(any) string) func(context.Context, any) ([]string, error)) authz.Policy {
	type byMember interface{ GetMemberId() string }
	memberID := func(r any) string { return r.(byMember).GetMemberId() }
	type byOrg interface{ GetOrganisationId() string }
	org := func(ctx context.Context, req any) ([]string, error) {
		return []string{req.(byOrg).GetOrganisationId()}, nil
	}
	return authz.Policy{
		pb.DuesLedgerService_DeclareIncome_FullMethodName:      {Roles: writers, Scopes: writeScopes, Targets: memberOrg(memberID)},
		pb.DuesLedgerService_GrantDuesExemption_FullMethodName: {Roles: writers, Scopes: writeScopes, Targets: memberOrg(memberID)},
		pb.DuesLedgerService_GenerateDuesBills_FullMethodName:  {Roles: writers, Scopes: writeScopes, Targets: org},
		pb.DuesLedgerService_ListDuesBills_FullMethodName:      {Roles: readers, Scopes: readScopes, Targets: org},
		pb.DuesLedgerService_RecordDuesPayment_FullMethodName:  {Roles: writers, Scopes: writeScopes, Targets: org},
		pb.DuesLedgerService_RefundDuesPayment_FullMethodName:  {Roles: writers, Scopes: writeScopes, Targets: org},
		pb.DuesLedgerService_CorrectDuesPayment_FullMethodName: {Roles: writers, Scopes: writeScopes, Targets: org},
		pb.DuesLedgerService_ListDuesArrears_FullMethodName:    {Roles: readers, Scopes: readScopes, Targets: org},
		pb.DuesLedgerService_GetMemberDues_FullMethodName:      {Roles: readers, Scopes: readScopes, Targets: memberOrg(memberID)},
	}
}
