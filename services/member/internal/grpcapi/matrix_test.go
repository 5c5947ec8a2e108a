package grpcapi_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// matrixSide is one district of the matrix fixture: a branch with a
// member, and an open transfer of that member to another organisation of
// the district (to), so that every step can be attempted on it. The steps
// carry a stale etag: an allowed caller is refused by the domain
// (ETAG_MISMATCH), so the fixture never moves.
type matrixSide struct {
	district, community, branch string
	member                      *pb.Member
	to                          string
	transfer                    *pb.Transfer
	job                         string // a bulk transfer job of the branch
	importJob                   string // a bulk import job of the branch
}

// staleEtag is older than any transfer.
const staleEtag = "0"

type matrixOp struct {
	method string
	roles  []auth.Role
	scope  string
	self   bool // a member may call it on their own record or transfer
	req    func(s matrixSide) proto.Message
}

var (
	memberReaders = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary, auth.GridLeader, auth.Inspector}
	memberWriters = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary}
	schemeSetters = []auth.Role{auth.CityAdmin, auth.DistrictAdmin}
)

// cityWideOps name no organisation: whoever may call them may call them
// from anywhere.
var cityWideOps = map[string]bool{
	pb.CategoryService_SetDefaultScheme_FullMethodName: true,
	pb.CategoryService_ListPresets_FullMethodName:      true,
}

// matrixOps lists every unary RPC of the member service; each part of the
// service keeps its own list. Streaming RPCs are in streamingOps.
var matrixOps = slices.Concat(coreOps, mobileOps, reportingOps, importOps, bulkImportOps, bulkOps, duesOps, duesLedgerOps, participationOps)

// restHandlers are the gateway handlers of every service the matrix calls over REST.
var restHandlers = []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
	pb.RegisterMemberServiceHandler, pb.RegisterTransferServiceHandler,
	pb.RegisterCategoryServiceHandler, auditv1.RegisterAuditServiceHandler,
	pb.RegisterBulkTransferServiceHandler,
	pb.RegisterMobileServiceHandler,
	pb.RegisterReportingServiceHandler, pb.RegisterAppraisalServiceHandler,
	pb.RegisterDuesServiceHandler, pb.RegisterDuesLedgerServiceHandler, pb.RegisterParticipationServiceHandler,
	pb.RegisterMemberImportServiceHandler,
}

// coreOps are the RPCs of members, transfers, categories and the audit trail.
var coreOps = []matrixOp{
	{pb.MemberService_CreateMember_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.CreateMemberRequest{Member: person(s.branch, "New Member")}
	}},
	{pb.MemberService_GetMember_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.GetMemberRequest{Id: s.member.GetId()}
	}},
	{pb.MemberService_ListMembers_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.ListMembersRequest{OrganisationId: s.branch}
	}},
	{pb.MemberService_UpdateMember_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.UpdateMemberRequest{Member: &pb.Member{Id: s.member.GetId(), Phone: "13900000000"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"phone"}}}
	}},
	{pb.TransferService_RequestTransfer_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.RequestTransferRequest{Transfer: &pb.Transfer{MemberId: s.member.GetId(), ToOrganisationId: s.to, Reason: "moved house"}}
	}},
	{pb.TransferService_GetTransfer_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.GetTransferRequest{Id: s.transfer.GetId()}
	}},
	{pb.TransferService_ListTransfers_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.ListTransfersRequest{OrganisationId: s.branch}
	}},
	{pb.TransferService_ListPocketMembers_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.ListPocketMembersRequest{OrganisationId: s.branch}
	}},
	{pb.TransferService_ConfirmTransfer_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.ConfirmTransferRequest{Id: s.transfer.GetId(), Etag: staleEtag, Reason: "signed on paper"}
	}},
	{pb.TransferService_ReleaseTransfer_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.ReleaseTransferRequest{Id: s.transfer.GetId(), Etag: staleEtag}
	}},
	{pb.TransferService_ReceiveTransfer_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.ReceiveTransferRequest{Id: s.transfer.GetId(), Etag: staleEtag}
	}},
	{pb.TransferService_RejectTransfer_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RejectTransferRequest{Id: s.transfer.GetId(), Etag: staleEtag, Reason: "not ours"}
	}},
	{pb.TransferService_WithdrawTransfer_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.WithdrawTransferRequest{Id: s.transfer.GetId(), Etag: staleEtag}
	}},
	{pb.TransferService_SuspendTransfer_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.SuspendTransferRequest{Id: s.transfer.GetId(), Etag: staleEtag, Reason: "under investigation"}
	}},
	{pb.TransferService_ResumeTransfer_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.ResumeTransferRequest{Id: s.transfer.GetId(), Etag: staleEtag}
	}},
	{pb.TransferService_RecordTransferReview_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RecordTransferReviewRequest{Id: s.transfer.GetId(), Etag: staleEtag, Reason: "reached",
			Outcome: pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_CONTACTED}
	}},
	// The fixture's transfer is inside the city: an allowed caller is
	// refused by the domain (OUTSIDE_ONLY).
	{pb.TransferService_RecordTransferReceipt_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RecordTransferReceiptRequest{Id: s.transfer.GetId(), ReceiptNumber: "HZ-1", ReceiptDate: time.Now().Format(time.DateOnly)}
	}},
	// A date in the future: an allowed caller is refused by the domain.
	{pb.MemberService_EndMembership_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.EndMembershipRequest{Id: s.member.GetId(), Kind: pb.LeavingKind_LEAVING_KIND_DIED, Date: tomorrow(), Reason: "r"}
	}},
	{pb.TransferService_ListNameOnlyMembers_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.ListNameOnlyMembersRequest{OrganisationId: s.branch}
	}},
	// The member has the fixture's open transfer: an allowed caller is
	// refused by the domain (TRANSFER_OPEN), so nothing is recorded.
	{pb.TransferService_RecordEarlierTransfer_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RecordEarlierTransferRequest{MemberId: s.member.GetId(), ToOrganisationId: s.to,
			RequestedDate: time.Now().AddDate(0, 0, -30).Format(time.DateOnly)}
	}},
	{pb.TransferService_GetTransferSettings_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.GetTransferSettingsRequest{DistrictId: s.district}
	}},
	{pb.TransferService_UpdateTransferSettings_FullMethodName, settingsSetters, "", false, func(s matrixSide) proto.Message {
		return &pb.UpdateTransferSettingsRequest{DistrictId: s.district,
			Settings: &pb.TransferSettings{InsideDays: 10, OutsideDays: 30, MaxMonths: 3, ReviewMonths: 6}}
	}},
	{pb.CategoryService_GetScheme_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.GetSchemeRequest{DistrictId: s.district}
	}},
	{pb.CategoryService_SetScheme_FullMethodName, schemeSetters, "", false, func(s matrixSide) proto.Message {
		return &pb.SetSchemeRequest{DistrictId: s.district, Scheme: jinchangScheme()}
	}},
	{pb.CategoryService_SetDefaultScheme_FullMethodName, []auth.Role{auth.CityAdmin}, "", false, func(matrixSide) proto.Message {
		return &pb.SetDefaultSchemeRequest{Scheme: jinchangScheme()}
	}},
	{pb.CategoryService_ListPresets_FullMethodName, memberReaders, "member.read", false, func(matrixSide) proto.Message {
		return &pb.ListPresetsRequest{}
	}},
	{pb.CategoryService_OverrideCategory_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.OverrideCategoryRequest{MemberId: s.member.GetId(), CategoryCode: "joint", Reason: "lives with the retired cadres"}
	}},
	{pb.CategoryService_ClearCategoryOverride_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.ClearCategoryOverrideRequest{MemberId: s.member.GetId()}
	}},
	{pb.CategoryService_GetComposition_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.GetCompositionRequest{OrganisationId: s.branch, Subtree: true}
	}},
	{auditv1.AuditService_ListAuditRecords_FullMethodName, []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.Inspector}, "audit.read", false,
		func(s matrixSide) proto.Message {
			return &auditv1.ListAuditRecordsRequest{Service: "member", OrganisationId: s.branch}
		}},
}

type matrixCaller struct {
	name   string
	claims devissuer.Claims
	scope  func(a matrixSide) string
}

// TestAccessMatrix calls every RPC of the member service as every kind of
// caller, on its own district and on another, over gRPC and over REST.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	otherBranch := h.created(t, org(tr.otherCommunity, kindBranch, "First Branch of Beihai Community"))
	h.waitView(t, otherBranch.GetId())
	a := matrixSide{district: tr.district.GetId(), community: tr.community.GetId(), branch: tr.branch.GetId(),
		member: h.register(t, person(tr.branch.GetId(), "A Member")), to: tr.community.GetId()}
	b := matrixSide{district: tr.otherDistrict.GetId(), community: tr.otherCommunity.GetId(), branch: tr.otherCommunity.GetId(),
		member: h.register(t, person(tr.otherCommunity.GetId(), "B Member")), to: otherBranch.GetId()}
	// Each side's transfer stays inside its district, so that the matrix's
	// "own district" and "other district" hold for both of its sides; the
	// sides of a cross-district transfer are tested on their own.
	for _, s := range []*matrixSide{&a, &b} {
		s.transfer = h.requestTransfer(t, s.member.GetId(), s.to)
		s.job = h.matrixJob(t, s)
		s.importJob = h.matrixImportJob(t, s)
	}
	mobileMatrixFixtures(t, h, a, b)
	callers := []matrixCaller{
		{"city administrator", devissuer.Claims{Role: auth.CityAdmin}, nil},
		{"district administrator", devissuer.Claims{Role: auth.DistrictAdmin}, func(a matrixSide) string { return a.district }},
		{"community secretary", devissuer.Claims{Role: auth.CommunitySecretary}, func(a matrixSide) string { return a.community }},
		{"grid leader", devissuer.Claims{Role: auth.GridLeader}, func(a matrixSide) string { return a.community }},
		{"resident-unit contact", devissuer.Claims{Role: auth.UnitContact}, func(a matrixSide) string { return a.community }},
		{"city inspector", devissuer.Claims{Role: auth.Inspector}, nil},
		{"the member", devissuer.Claims{Role: auth.Member, MemberID: a.member.GetId()}, func(matrixSide) string { return "" }},
		{"system reading", devissuer.Claims{Role: auth.System, Scopes: []string{"member.read"}}, nil},
		{"system writing", devissuer.Claims{Role: auth.System, Scopes: []string{"member.write"}}, nil},
		{"auditing system", devissuer.Claims{Role: auth.System, Scopes: []string{"audit.read"}}, nil},
	}
	rest := accesstest.RESTServer(t, h.as(devissuer.Claims{}), restHandlers...)
	for _, who := range callers {
		claims := who.claims
		claims.Subject = "u-" + who.name
		if who.scope != nil {
			claims.ScopeOrgID = who.scope(a)
		}
		token, err := authtest.Issuer(t).Issue(claims)
		if err != nil {
			t.Fatal(err)
		}
		for name, tp := range map[string]accesstest.Transport{"gRPC": accesstest.GRPC{Conn: h.as(claims)}, "REST": accesstest.REST{Base: rest, Token: token}} {
			t.Run(who.name+" over "+name, func(t *testing.T) {
				for _, op := range matrixOps {
					for _, target := range []struct {
						name   string
						s      matrixSide
						inside bool
					}{{"own district", a, true}, {"other district", b, who.scope == nil}} {
						got := tp.Call(callContext(t), op.method, op.req(target.s))
						want := expectedFor(op, who, target.inside)
						refusal := got == codes.PermissionDenied || got == codes.NotFound || got == codes.Unauthenticated
						if (want == codes.OK && (refusal || accesstest.ServersFault(got))) || (want != codes.OK && got != want) {
							t.Errorf("%s on the %s: %v, want %v", op.method, target.name, got, want)
						}
					}
				}
			})
		}
	}
	t.Run("the fixture's transfers never moved", func(t *testing.T) {
		for _, s := range []matrixSide{a, b} {
			if n := h.count(t, `SELECT count(*) FROM transfers WHERE id = $1 AND state = 'REQUESTED' AND version = 1`, s.transfer.GetId()); n != 1 {
				t.Errorf("the transfer of %s moved", s.member.GetName())
			}
		}
	})
	t.Run("nobody without a token", func(t *testing.T) {
		for _, tp := range []accesstest.Transport{accesstest.GRPC{Conn: h.as(devissuer.Claims{})}, accesstest.REST{Base: rest}} {
			for _, op := range matrixOps {
				if got := tp.Call(callContext(t), op.method, op.req(a)); got != codes.Unauthenticated {
					t.Errorf("%s without a token over %T: %v", op.method, tp, got)
				}
			}
		}
	})
	t.Run("hostile requests", func(t *testing.T) {
		var reqs []accesstest.Request
		for _, op := range matrixOps {
			reqs = append(reqs, accesstest.Request{FullMethod: op.method, Req: op.req(a)})
		}
		accesstest.Hostile{Requests: reqs, GRPC: accesstest.GRPC{Conn: h.as(cityAdmin)},
			REST: accesstest.REST{Base: rest, Token: authtest.Token(t, cityAdmin)}, Seed: 1}.Run(t)
	})
}

func expectedFor(op matrixOp, who matrixCaller, inside bool) codes.Code {
	role := who.claims.Role
	switch {
	case role == auth.Member && op.self:
		if inside || anyoneOps[op.method] { // side A's member is the caller
			return codes.OK
		}
		return codes.NotFound
	case role == auth.System || role == auth.Service:
		if !slices.Contains(who.claims.Scopes, op.scope) && !(op.scope == "member.read" && slices.Contains(who.claims.Scopes, "member.write")) {
			return codes.PermissionDenied
		}
	case !slices.Contains(op.roles, role):
		return codes.PermissionDenied
	}
	if who.scope != nil && role != auth.Member && !inside && !cityWideOps[op.method] && !anyoneOps[op.method] {
		return codes.NotFound
	}
	return codes.OK
}

// TestEveryRPCIsInTheAccessMatrix: a new RPC of any service of the member
// package, or of the audit service, fails here until the matrix covers it.
func TestEveryRPCIsInTheAccessMatrix(t *testing.T) {
	t.Parallel()
	in := map[string]bool{}
	for _, op := range matrixOps {
		in[op.method] = true
	}
	for _, m := range streamingOps {
		in[m] = true
	}
	var services []protoreflect.ServiceDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("gongjian.member.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			services = append(services, f.Services().Get(i))
		}
		return true
	})
	services = append(services, auditv1.File_gongjian_audit_v1_audit_proto.Services().ByName("AuditService"))
	if len(services) < 4 {
		t.Fatalf("found %d services", len(services))
	}
	for _, sd := range services {
		for i := range sd.Methods().Len() {
			if full := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(i).Name()); !in[full] {
				t.Errorf("%s is not in the access matrix", full)
			}
		}
	}
}
