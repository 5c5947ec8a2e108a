package grpcapi_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// side is one district of the access fixture, with something of every kind
// in it, so that each RPC can be aimed inside or outside a caller's scope.
type side struct {
	district, street, community, branch, group, spareGroup *pb.Organisation
	point, site, milestone, liaison                        string
}

func (h *harness) side(t *testing.T, city *pb.Organisation, name string) *side {
	t.Helper()
	s := &side{}
	s.district = h.create(t, child(city, kindDistrict, name+" District"))
	s.street = h.create(t, child(s.district, kindStreet, name+" Street"))
	s.community = h.create(t, community(s.street, name+" Community", pb.CommunityForm_COMMUNITY_FORM_GENERAL_BRANCH))
	s.branch = h.create(t, child(s.community, kindBranch, name+" Branch"))
	s.group = h.create(t, child(s.branch, kindPartyGroup, name+" Group"))
	s.spareGroup = h.create(t, child(s.branch, kindPartyGroup, name+" Spare Group"))
	ctx := callContext(t)
	p, err := h.org.CreateCoveragePoint(ctx, &pb.CreateCoveragePointRequest{CommunityId: s.community.GetId(),
		CoveragePoint: &pb.CoveragePoint{Kind: pb.CoveragePointKind_COVERAGE_POINT_KIND_ESTATE, Name: name + " Estate", MemberCount: 3}})
	if err != nil {
		t.Fatal(err)
	}
	site, err := h.demonstration.CreateDemonstrationSite(ctx, &pb.CreateDemonstrationSiteRequest{Site: &pb.DemonstrationSite{
		CommunityId: s.community.GetId(), StartDate: "2024-01-01", EndDate: "2026-12-31"}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.demonstration.CreateLiaison(ctx, &pb.CreateLiaisonRequest{Liaison: &pb.Liaison{
		Kind: pb.LiaisonKind_LIAISON_KIND_STANDING_COMMITTEE, LeaderName: "Leader " + name, CommunityId: s.community.GetId()}})
	if err != nil {
		t.Fatal(err)
	}
	s.point, s.site, s.milestone, s.liaison = p.GetCoveragePoint().GetId(), site.GetSite().GetId(),
		site.GetSite().GetMilestones()[0].GetId(), l.GetLiaison().GetId()
	return s
}

// clients of the three services over one connection.
type clients struct {
	org   pb.OrganisationServiceClient
	demo  pb.DemonstrationServiceClient
	comp  pb.ComplianceServiceClient
	audit auditv1.AuditServiceClient
}

func clientsOf(conn *grpc.ClientConn) clients {
	return clients{pb.NewOrganisationServiceClient(conn), pb.NewDemonstrationServiceClient(conn),
		pb.NewComplianceServiceClient(conn), auditv1.NewAuditServiceClient(conn)}
}

// operation is one RPC aimed at one side of the fixture.
type operation struct {
	rpc   string
	roles []auth.Role // who may call it, within their scope
	scope string      // the OAuth scope a system client needs
	req   func(s *side) proto.Message
}

func ignore[T any](_ T, err error) error { return err }

var (
	staff    = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary, auth.GridLeader, auth.UnitContact, auth.Inspector}
	builders = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary}
	life     = append(slices.Clone(builders), auth.GridLeader)
	leaders  = []auth.Role{auth.CityAdmin, auth.DistrictAdmin}
)

// operations lists every RPC of the service; TestEveryRPCIsInTheAccessMatrix
// fails when one is missing.
var operations = []operation{
	{"OrganisationService/CreateOrganisation", builders, "organisation.write", func(s *side) proto.Message {
		return &pb.CreateOrganisationRequest{Organisation: child(s.branch, kindPartyGroup, "New Group")}
	}},
	{"OrganisationService/GetOrganisation", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.GetOrganisationRequest{Id: s.branch.GetId()}
	}},
	{"OrganisationService/ListOrganisations", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.ListOrganisationsRequest{ParentId: s.community.GetId()}
	}},
	{"OrganisationService/UpdateOrganisation", builders, "organisation.write", func(s *side) proto.Message {
		return &pb.UpdateOrganisationRequest{
			Organisation: &pb.Organisation{Id: s.branch.GetId(), Name: "Renamed Branch"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}}
	}},
	{"OrganisationService/MoveOrganisation", builders, "organisation.write", func(s *side) proto.Message {
		return &pb.MoveOrganisationRequest{Id: s.group.GetId(), NewParentId: s.branch.GetId()}
	}},
	{"OrganisationService/DissolveOrganisation", builders, "organisation.write", func(s *side) proto.Message {
		return &pb.DissolveOrganisationRequest{Id: s.spareGroup.GetId(), Reason: "merged"}
	}},
	{"OrganisationService/ListOrganisationHistory", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.ListOrganisationHistoryRequest{Id: s.branch.GetId()}
	}},
	{"OrganisationService/SetLeadershipTeam", builders, "organisation.write", func(s *side) proto.Message {
		return &pb.SetLeadershipTeamRequest{OrganisationId: s.branch.GetId()}
	}},
	{"OrganisationService/RecordActivity", life, "organisation.write", func(s *side) proto.Message {
		return &pb.RecordActivityRequest{OrganisationId: s.branch.GetId(), Activity: &pb.Activity{
			Kind: pb.ActivityKind_ACTIVITY_KIND_PARTY_LECTURE, Date: "2026-01-10", Topic: "lecture", Expected: 5, Attended: 5}}
	}},
	{"OrganisationService/ListActivities", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.ListActivitiesRequest{OrganisationId: s.branch.GetId()}
	}},
	{"OrganisationService/CreateCoveragePoint", builders, "organisation.write", func(s *side) proto.Message {
		return &pb.CreateCoveragePointRequest{CommunityId: s.community.GetId(),
			CoveragePoint: &pb.CoveragePoint{Kind: pb.CoveragePointKind_COVERAGE_POINT_KIND_BUILDING, Name: "Tower"}}
	}},
	{"OrganisationService/ListCoveragePoints", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.ListCoveragePointsRequest{CommunityId: s.community.GetId()}
	}},
	{"OrganisationService/CoverCoveragePoint", builders, "organisation.write", func(s *side) proto.Message {
		return &pb.CoverCoveragePointRequest{Id: s.point, OrganisationId: s.branch.GetId()}
	}},
	{"DemonstrationService/CreateDemonstrationSite", leaders, "organisation.write", func(s *side) proto.Message {
		return &pb.CreateDemonstrationSiteRequest{Site: &pb.DemonstrationSite{
			CommunityId: s.community.GetId(), StartDate: "2024-01-01", EndDate: "2026-12-31"}}
	}},
	{"DemonstrationService/GetDemonstrationSite", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.GetDemonstrationSiteRequest{Id: s.site}
	}},
	{"DemonstrationService/ListDemonstrationSites", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.ListDemonstrationSitesRequest{AncestorId: s.community.GetId()}
	}},
	{"DemonstrationService/CompleteMilestone", leaders, "organisation.write", func(s *side) proto.Message {
		return &pb.CompleteMilestoneRequest{SiteId: s.site, MilestoneId: s.milestone}
	}},
	{"DemonstrationService/RateFiveGoods", leaders, "organisation.write", func(s *side) proto.Message {
		g := pb.FiveGoodsGrade_FIVE_GOODS_GRADE_GOOD
		return &pb.RateFiveGoodsRequest{SiteId: s.site, Rating: &pb.FiveGoodsRating{Year: 2025,
			Leadership: g, CadresAndMembers: g, Mechanisms: g, ManagementAndService: g, ResidentsOpinion: g}}
	}},
	{"DemonstrationService/CreateLiaison", []auth.Role{auth.CityAdmin}, "organisation.write", func(s *side) proto.Message {
		return &pb.CreateLiaisonRequest{Liaison: &pb.Liaison{
			Kind: pb.LiaisonKind_LIAISON_KIND_SPONSOR, LeaderName: "Sponsor", CommunityId: s.community.GetId()}}
	}},
	{"DemonstrationService/ListLiaisons", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.ListLiaisonsRequest{AncestorId: s.community.GetId()}
	}},
	{"DemonstrationService/EndLiaison", []auth.Role{auth.CityAdmin}, "organisation.write", func(s *side) proto.Message {
		return &pb.EndLiaisonRequest{Id: s.liaison}
	}},
	{"ComplianceService/GetComplianceReport", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.GetComplianceReportRequest{OrganisationId: s.community.GetId(), Subtree: true}
	}},
	{"ComplianceService/GetDistrictSettings", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.GetDistrictSettingsRequest{DistrictId: s.district.GetId()}
	}},
	{"ComplianceService/UpdateDistrictSettings", leaders, "organisation.write", func(s *side) proto.Message {
		return &pb.UpdateDistrictSettingsRequest{
			Settings:   &pb.DistrictSettings{DistrictId: s.district.GetId(), GeneralBranchMemberThreshold: 60},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"general_branch_member_threshold"}}}
	}},
	{"ComplianceService/ReconcileMemberCounts", staff, "organisation.read", func(s *side) proto.Message {
		return &pb.ReconcileMemberCountsRequest{OrganisationId: s.branch.GetId()}
	}},
	{"AuditService/ListAuditRecords", []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.Inspector}, "audit.read", func(s *side) proto.Message {
		return &auditv1.ListAuditRecordsRequest{Service: "organisation", OrganisationId: s.branch.GetId()}
	}},
}

// caller is one kind of caller, scoped to a place of side A (or the city).
type caller struct {
	name   string
	claims devissuer.Claims
	scope  func(a *side) string // the scope_org; nil for city-wide
}

var callers = []caller{
	{"city administrator", devissuer.Claims{Role: auth.CityAdmin}, nil},
	{"district administrator", devissuer.Claims{Role: auth.DistrictAdmin}, func(a *side) string { return a.district.GetId() }},
	{"street administrator", devissuer.Claims{Role: auth.StreetAdmin}, func(a *side) string { return a.street.GetId() }},
	{"community secretary", devissuer.Claims{Role: auth.CommunitySecretary}, func(a *side) string { return a.community.GetId() }},
	{"grid leader", devissuer.Claims{Role: auth.GridLeader}, func(a *side) string { return a.community.GetId() }},
	{"resident-unit contact", devissuer.Claims{Role: auth.UnitContact}, func(a *side) string { return a.community.GetId() }},
	{"city inspector", devissuer.Claims{Role: auth.Inspector}, nil},
	{"district inspector", devissuer.Claims{Role: auth.Inspector}, func(a *side) string { return a.district.GetId() }},
	{"member", devissuer.Claims{Role: auth.Member, MemberID: "5a1d0f2e-8c3b-4e6a-b7d9-0c4e2f1a0001"}, func(a *side) string { return a.community.GetId() }},
	{"system reading", devissuer.Claims{Role: auth.System, Scopes: []string{"organisation.read"}}, nil},
	{"system writing", devissuer.Claims{Role: auth.System, Scopes: []string{"organisation.write"}}, nil},
	{"member service", devissuer.Claims{Role: auth.Service, Scopes: []string{"organisation.member_counts"}}, nil},
	{"system scoped to a district", devissuer.Claims{Role: auth.System, Scopes: []string{"organisation.write"}}, func(a *side) string { return a.district.GetId() }},
}

// expected is the code a caller gets for an operation on side A (inside
// the caller's scope) or side B (outside it unless city-wide).
func expected(op operation, who caller, inside bool) codes.Code {
	allowed := slices.Contains(op.roles, who.claims.Role)
	if who.claims.Role == auth.System || who.claims.Role == auth.Service {
		allowed = slices.Contains(who.claims.Scopes, op.scope) ||
			(op.scope == "organisation.read" && slices.Contains(who.claims.Scopes, "organisation.write"))
	}
	switch {
	case !allowed:
		return codes.PermissionDenied
	case who.scope != nil && !inside:
		return codes.NotFound
	}
	return codes.OK
}

// TestAccessMatrix calls every RPC as every kind of caller, on its own
// district and on another, and checks the answer: allowed, forbidden
// (PermissionDenied) or out of scope (NotFound, as if it did not exist).
// An allowed call may still be refused by a domain rule (a milestone
// completed twice); what it never gets is an access refusal.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cityOrg := h.create(t, city("City"))
	a, b := h.side(t, cityOrg, "A"), h.side(t, cityOrg, "B")
	rest := accesstest.RESTServer(t, h.as(devissuer.Claims{}), pb.RegisterOrganisationServiceHandler,
		pb.RegisterDemonstrationServiceHandler, pb.RegisterComplianceServiceHandler, auditv1.RegisterAuditServiceHandler)
	for _, who := range callers {
		claims := who.claims
		claims.Subject, claims.Name = "u-"+who.name, who.name
		if who.scope != nil {
			claims.ScopeOrgID = who.scope(a)
		}
		for _, tp := range []struct {
			name string
			t    accesstest.Transport
		}{{"gRPC", accesstest.GRPC{Conn: h.as(claims)}}, {"REST", accesstest.REST{Base: rest, Token: authtest.Token(t, claims)}}} {
			t.Run(who.name+" over "+tp.name, func(t *testing.T) {
				for _, op := range operations {
					for _, target := range []struct {
						name   string
						s      *side
						inside bool
					}{{"own district", a, true}, {"other district", b, who.scope == nil}} {
						got := tp.t.Call(callContext(t), fullMethod(op.rpc), op.req(target.s))
						want := expected(op, who, target.inside)
						accessRefusal := got == codes.PermissionDenied || got == codes.NotFound || got == codes.Unauthenticated
						if (want == codes.OK && (accessRefusal || accesstest.ServersFault(got))) || (want != codes.OK && got != want) {
							t.Errorf("%s on the %s: %v, want %v", op.rpc, target.name, got, want)
						}
					}
				}
			})
		}
	}
	t.Run("nobody without a token", func(t *testing.T) {
		for _, tp := range []accesstest.Transport{accesstest.GRPC{Conn: h.as(devissuer.Claims{})}, accesstest.REST{Base: rest}} {
			for _, op := range operations {
				if got := tp.Call(callContext(t), fullMethod(op.rpc), op.req(a)); got != codes.Unauthenticated {
					t.Errorf("%s without a token over %T: %v, want Unauthenticated", op.rpc, tp, got)
				}
			}
		}
	})
	t.Run("hostile requests", func(t *testing.T) {
		var reqs []accesstest.Request
		for _, op := range operations {
			reqs = append(reqs, accesstest.Request{FullMethod: fullMethod(op.rpc), Req: op.req(a)})
		}
		accesstest.Hostile{Requests: reqs, GRPC: accesstest.GRPC{Conn: h.as(cityAdmin)},
			REST: accesstest.REST{Base: rest, Token: authtest.Token(t, cityAdmin)}, Seed: 1}.Run(t)
	})
}

// services maps the short service names of the matrix to their full names.
var services = map[string]string{
	"OrganisationService":  pb.OrganisationService_ServiceDesc.ServiceName,
	"DemonstrationService": pb.DemonstrationService_ServiceDesc.ServiceName,
	"ComplianceService":    pb.ComplianceService_ServiceDesc.ServiceName,
	"AuditService":         auditv1.AuditService_ServiceDesc.ServiceName,
}

// fullMethod is the gRPC name of an RPC of the matrix.
func fullMethod(rpc string) string {
	svc, name, _ := strings.Cut(rpc, "/")
	return "/" + services[svc] + "/" + name
}

// TestEveryRPCIsInTheAccessMatrix: a new RPC fails here until the matrix
// (and, through the server's own check, the policy) covers it.
func TestEveryRPCIsInTheAccessMatrix(t *testing.T) {
	t.Parallel()
	var inMatrix []string
	for _, op := range operations {
		inMatrix = append(inMatrix, op.rpc)
	}
	for _, desc := range []grpc.ServiceDesc{pb.OrganisationService_ServiceDesc, pb.DemonstrationService_ServiceDesc,
		pb.ComplianceService_ServiceDesc, auditv1.AuditService_ServiceDesc} {
		short := desc.ServiceName[strings.LastIndex(desc.ServiceName, ".")+1:]
		for _, m := range desc.Methods {
			if !slices.Contains(inMatrix, short+"/"+m.MethodName) {
				t.Errorf("%s/%s is not in the access matrix", short, m.MethodName)
			}
		}
	}
}

// TestListsNeverLeakAcrossScopes: a district administrator's lists hold
// only their district, whatever the filter, and asking about the city
// above them answers as if it did not exist.
func TestListsNeverLeakAcrossScopes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cityOrg := h.create(t, city("City"))
	a, b := h.side(t, cityOrg, "A"), h.side(t, cityOrg, "B")
	c := clientsOf(h.as(devissuer.Claims{Subject: "da", Role: auth.DistrictAdmin, ScopeOrgID: a.district.GetId()}))
	ctx := callContext(t)
	foreign := map[string]bool{}
	for _, o := range []*pb.Organisation{b.district, b.street, b.community, b.branch, b.group, b.spareGroup, cityOrg} {
		foreign[o.GetId()] = true
	}
	for _, kind := range []pb.OrganisationKind{pb.OrganisationKind_ORGANISATION_KIND_COMMUNITY, kindBranch, kindPartyGroup,
		pb.OrganisationKind_ORGANISATION_KIND_CITY, kindDistrict} {
		resp, err := c.org.ListOrganisations(ctx, &pb.ListOrganisationsRequest{Kind: kind, IncludeDissolved: true})
		if err != nil {
			t.Fatalf("list %v: %v", kind, err)
		}
		for _, o := range resp.GetOrganisations() {
			if foreign[o.GetId()] {
				t.Errorf("listing %v leaked %s", kind, o.GetName())
			}
		}
	}
	sites, err := c.demo.ListDemonstrationSites(ctx, &pb.ListDemonstrationSitesRequest{})
	if err != nil || len(sites.GetSites()) != 1 || sites.GetSites()[0].GetId() != a.site {
		t.Errorf("sites seen by district A: %v %v, want only A's", sites.GetSites(), err)
	}
	liaisons, err := c.demo.ListLiaisons(ctx, &pb.ListLiaisonsRequest{})
	if err != nil || len(liaisons.GetLiaisons()) != 1 || liaisons.GetLiaisons()[0].GetId() != a.liaison {
		t.Errorf("liaisons seen by district A: %v %v, want only A's", liaisons.GetLiaisons(), err)
	}
	for name, call := range map[string]error{
		"the city's subtree":                  ignore(c.org.ListOrganisations(ctx, &pb.ListOrganisationsRequest{AncestorId: cityOrg.GetId()})),
		"the city's compliance":               ignore(c.comp.GetComplianceReport(ctx, &pb.GetComplianceReportRequest{OrganisationId: cityOrg.GetId(), Subtree: true})),
		"district B's organisation":           ignore(c.org.GetOrganisation(ctx, &pb.GetOrganisationRequest{Id: b.branch.GetId()})),
		"an organisation that does not exist": ignore(c.org.GetOrganisation(ctx, &pb.GetOrganisationRequest{Id: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"})),
	} {
		if st := status.Convert(call); st.Code() != codes.NotFound || st.Message() != "not found" {
			t.Errorf("%s: %v, want NotFound saying only 'not found'", name, call)
		}
	}
	secretary := clientsOf(h.as(devissuer.Claims{Subject: "sec", Role: auth.CommunitySecretary, ScopeOrgID: a.community.GetId()}))
	_, err = secretary.org.DissolveOrganisation(ctx, &pb.DissolveOrganisationRequest{Id: a.community.GetId(), Reason: "x"})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("a secretary dissolving their own community: %v, want PermissionDenied", err)
	}
}
