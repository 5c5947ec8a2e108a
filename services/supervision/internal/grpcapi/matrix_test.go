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
	"google.golang.org/protobuf/types/known/structpb"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// side is one district of the matrix fixture: a community with a finding
// of the quarterly rule and its item, a round with a group whose inspector
// covers the community, and an interview. The calls that write carry
// something the domain refuses (a stale version, a bad value), so that an
// allowed caller is refused by the domain, never by the access rules, and
// the fixture never moves.
type side struct {
	district, street, community *orgv1.Organisation
	finding, item, round, group string
	interview                   string
	// A graded task list of the community, its reviewed evidence, and a
	// proposal to commend the community.
	taskList, evidence, commendation string
}

// reachKind says how a call reaches its side.
type reachKind int

const (
	// anywhere: the call names nothing of a side; whoever may call it may.
	anywhere reachKind = iota
	// org: through an organisation of the side: a scoped caller reaches
	// its own side, an inspector what their group covers (side A).
	org
	// round: through the side's inspection round (or the district's rules
	// and audit trail): a scoped caller its own side, an inspector every
	// district's.
	round
	// group: an inspector records only in their own group (side A), and is
	// refused the others' (PermissionDenied).
	group
)

type matrixOp struct {
	method string
	roles  []auth.Role
	scope  string
	reach  reachKind
	req    func(rule string, s side) proto.Message
}

var (
	readers           = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary, auth.GridLeader, auth.UnitContact, auth.Inspector}
	owners            = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary, auth.UnitContact}
	deciders          = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.Inspector}
	openers           = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.Inspector}
	organisers        = []auth.Role{auth.CityAdmin, auth.DistrictAdmin}
	inspectionReaders = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.Inspector}
	cityOnly          = []auth.Role{auth.CityAdmin}
)

const stale = 99 // a version no item reaches in the fixture

var matrixOps = []matrixOp{
	{pb.RuleService_ListFacts_FullMethodName, readers, "supervision.read", anywhere, func(string, side) proto.Message { return &pb.ListFactsRequest{} }},
	{pb.RuleService_CreateRule_FullMethodName, cityOnly, "supervision.write", anywhere, func(string, side) proto.Message {
		return &pb.CreateRuleRequest{Rule: newRule("quarterly_activity_missed")} // the code is taken
	}},
	{pb.RuleService_GetRule_FullMethodName, readers, "supervision.read", anywhere, func(r string, _ side) proto.Message { return &pb.GetRuleRequest{Id: r} }},
	{pb.RuleService_ListRules_FullMethodName, readers, "supervision.read", round, func(_ string, s side) proto.Message {
		return &pb.ListRulesRequest{DistrictId: s.district.GetId()}
	}},
	{pb.RuleService_UpdateRule_FullMethodName, cityOnly, "supervision.write", anywhere, func(r string, _ side) proto.Message {
		return &pb.UpdateRuleRequest{Rule: &pb.Rule{Id: r, Name: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}, Version: stale}
	}},
	{pb.RuleService_ListRuleVersions_FullMethodName, readers, "supervision.read", anywhere, func(r string, _ side) proto.Message {
		return &pb.ListRuleVersionsRequest{RuleId: r}
	}},
	{pb.RuleService_SetRuleOverride_FullMethodName, organisers, "supervision.write", org, func(r string, s side) proto.Message {
		bad, _ := structpb.NewStruct(map[string]any{"no_such_parameter": 1})
		return &pb.SetRuleOverrideRequest{RuleId: r, DistrictId: s.district.GetId(), Params: bad}
	}},
	{pb.RuleService_ListRuleOverrides_FullMethodName, readers, "supervision.read", anywhere, func(r string, _ side) proto.Message {
		return &pb.ListRuleOverridesRequest{RuleId: r}
	}},
	{pb.RuleService_PreviewRule_FullMethodName, organisers, "supervision.write", org, func(r string, s side) proto.Message {
		return &pb.PreviewRuleRequest{Rule: &pb.Rule{Id: r}, DistrictId: s.district.GetId()}
	}},
	{pb.RuleService_RunSweep_FullMethodName, organisers, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.RunSweepRequest{DistrictId: s.district.GetId()}
	}},
	{pb.RuleService_ListFindings_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListFindingsRequest{OrganisationId: s.community.GetId()}
	}},
	{pb.RuleService_GetFinding_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.GetFindingRequest{Id: s.finding}
	}},

	{pb.RectificationService_CreateItem_FullMethodName, openers, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.CreateItemRequest{Item: &pb.RectificationItem{OrganisationId: s.community.GetId(), Title: "x", Deadline: "2000-01-01"}}
	}},
	{pb.RectificationService_GetItem_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.GetItemRequest{Id: s.item}
	}},
	{pb.RectificationService_ListItems_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListItemsRequest{OrganisationId: s.community.GetId()}
	}},
	{pb.RectificationService_SubmitEvidence_FullMethodName, owners, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.SubmitEvidenceRequest{Id: s.item, Evidence: []*pb.Evidence{{Description: "minutes"}}, Version: stale}
	}},
	{pb.RectificationService_AcceptItem_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.AcceptItemRequest{Id: s.item, Version: stale}
	}},
	{pb.RectificationService_ReturnItem_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.ReturnItemRequest{Id: s.item, Reason: "not enough", Version: stale}
	}},
	{pb.RectificationService_ReopenItem_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.ReopenItemRequest{Id: s.item, Reason: "not fixed", Deadline: "2099-01-01", Version: stale}
	}},
	{pb.RectificationService_ListItemSteps_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListItemStepsRequest{ItemId: s.item}
	}},

	{pb.InspectionService_CreateRound_FullMethodName, organisers, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.CreateRoundRequest{Round: &pb.InspectionRound{DistrictId: s.district.GetId(), Year: 2026, Quarter: 2}} // no name
	}},
	{pb.InspectionService_GetRound_FullMethodName, inspectionReaders, "supervision.read", round, func(_ string, s side) proto.Message {
		return &pb.GetRoundRequest{Id: s.round}
	}},
	{pb.InspectionService_ListRounds_FullMethodName, inspectionReaders, "supervision.read", round, func(_ string, s side) proto.Message {
		return &pb.ListRoundsRequest{DistrictId: s.district.GetId()}
	}},
	{pb.InspectionService_CreateGroup_FullMethodName, organisers, "supervision.write", round, func(_ string, s side) proto.Message {
		return &pb.CreateGroupRequest{Group: &pb.InspectionGroup{RoundId: s.round}} // no name, no inspector
	}},
	{pb.InspectionService_UpdateGroup_FullMethodName, organisers, "supervision.write", round, func(_ string, s side) proto.Message {
		return &pb.UpdateGroupRequest{Group: &pb.InspectionGroup{Id: s.group}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"round_id"}}}
	}},
	{pb.InspectionService_ListGroups_FullMethodName, inspectionReaders, "supervision.read", round, func(_ string, s side) proto.Message {
		return &pb.ListGroupsRequest{RoundId: s.round}
	}},
	{pb.InspectionService_RecordInspectionFinding_FullMethodName, deciders, "supervision.write", group, func(_ string, s side) proto.Message {
		return &pb.RecordInspectionFindingRequest{GroupId: s.group, OrganisationId: s.community.GetId(), ChecklistCode: "not-on-the-list",
			Description: "no minutes kept"}
	}},
	{pb.InspectionService_ListInspectionFindings_FullMethodName, inspectionReaders, "supervision.read", round, func(_ string, s side) proto.Message {
		return &pb.ListInspectionFindingsRequest{RoundId: s.round}
	}},

	{pb.InterviewService_ScheduleInterview_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.ScheduleInterviewRequest{Interview: &pb.Interview{OrganisationId: s.community.GetId(), Reason: "x", DueBy: "2000-01-01"}}
	}},
	{pb.InterviewService_GetInterview_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.GetInterviewRequest{Id: s.interview}
	}},
	{pb.InterviewService_ListInterviews_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListInterviewsRequest{OrganisationId: s.community.GetId()}
	}},
	{pb.InterviewService_RecordInterviewHeld_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.RecordInterviewHeldRequest{Id: s.interview, HeldOn: "2099-01-01", Interviewee: "the secretary", FixDeadline: "2099-02-01"}
	}},
	{pb.InterviewService_RecordInterviewFollowUp_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.RecordInterviewFollowUpRequest{Id: s.interview, FollowedUpOn: "2026-04-20", FollowUp: "fixed"} // not held yet
	}},

	{pb.DashboardService_GetDashboard_FullMethodName, inspectionReaders, "supervision.read", round, // counts only: an inspector reads any subtree's
		func(_ string, s side) proto.Message {
			return &pb.GetDashboardRequest{OrganisationId: s.street.GetId()}
		}},

	{pb.AssessmentService_CreateTaskList_FullMethodName, organisers, "supervision.write", org, func(_ string, s side) proto.Message {
		l := twoTasks(s.community, "2026-Q2")
		l.Tasks[0].Weight = 10 // the weights sum to 50
		return &pb.CreateTaskListRequest{TaskList: l}
	}},
	{pb.AssessmentService_GetTaskList_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.GetTaskListRequest{Id: s.taskList}
	}},
	{pb.AssessmentService_ListTaskLists_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListTaskListsRequest{OrganisationId: s.community.GetId()}
	}},
	{pb.AssessmentService_SubmitTaskEvidence_FullMethodName, owners, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.SubmitTaskEvidenceRequest{TaskListId: s.taskList, TaskCode: "life", Description: "late"} // graded
	}},
	{pb.AssessmentService_ReviewTaskEvidence_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.ReviewTaskEvidenceRequest{Id: s.evidence, Score: 1, Note: "again"} // reviewed, and graded
	}},
	{pb.AssessmentService_ListTaskEvidence_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListTaskEvidenceRequest{TaskListId: s.taskList}
	}},
	{pb.AssessmentService_RecordDailyEntry_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.RecordDailyEntryRequest{Entry: &pb.DailyEntry{OrganisationId: s.community.GetId(), Day: "2099-01-01", Points: 1, Note: "x"}}
	}},
	{pb.AssessmentService_ListDailyEntries_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListDailyEntriesRequest{OrganisationId: s.community.GetId(), Period: "2026-Q1"}
	}},
	{pb.AssessmentService_GradePeriod_FullMethodName, organisers, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.GradePeriodRequest{DistrictId: s.district.GetId(), Period: "2026-Q1"} // graded
	}},
	{pb.AssessmentService_ListResults_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListResultsRequest{OrganisationId: s.community.GetId()}
	}},
	{pb.AssessmentService_CorrectResult_FullMethodName, deciders, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.CorrectResultRequest{OrganisationId: s.community.GetId(), Period: "2026-Q1", TaskScore: 50, DailyScore: 100,
			Reason: "a stale version", Version: 99} // refused: the version is 1
	}},
	{pb.AssessmentService_ListResultVersions_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListResultVersionsRequest{OrganisationId: s.community.GetId(), Period: "2026-Q1"}
	}},
	{pb.AssessmentService_GetAssessmentSettings_FullMethodName, readers, "supervision.read", round, func(_ string, s side) proto.Message {
		return &pb.GetAssessmentSettingsRequest{DistrictId: s.district.GetId()}
	}},
	{pb.AssessmentService_UpdateAssessmentSettings_FullMethodName, organisers, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.UpdateAssessmentSettingsRequest{Settings: &pb.AssessmentSettings{DistrictId: s.district.GetId(),
			Bands: []*pb.GradeBand{{Name: "合格", MinScore: 60}}}} // the last band must start at 0
	}},
	{pb.CommendationService_ProposeCommendation_FullMethodName, organisers, "supervision.write", org, func(_ string, s side) proto.Message {
		return &pb.ProposeCommendationRequest{Commendation: &pb.Commendation{Kind: pb.CommendationKind_COMMENDATION_KIND_ORGANISATION,
			OrganisationId: s.community.GetId(), Year: 2026, Reason: "again"}} // proposed already
	}},
	{pb.CommendationService_ListCommendations_FullMethodName, readers, "supervision.read", org, func(_ string, s side) proto.Message {
		return &pb.ListCommendationsRequest{AncestorId: s.community.GetId()}
	}},
	{pb.CommendationService_DecideCommendation_FullMethodName, cityOnly, "supervision.write", anywhere, func(_ string, s side) proto.Message {
		return &pb.DecideCommendationRequest{Id: s.commendation, Approve: true, Version: stale}
	}},
	{pb.CommendationService_PublishCommendations_FullMethodName, cityOnly, "supervision.write", anywhere, func(string, side) proto.Message {
		return &pb.PublishCommendationsRequest{Year: 2026, Title: "x"} // nothing approved
	}},

	{auditv1.AuditService_ListAuditRecords_FullMethodName, []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.Inspector}, "audit.read", round,
		func(_ string, s side) proto.Message {
			return &auditv1.ListAuditRecordsRequest{Service: "supervision", OrganisationId: s.community.GetId()}
		}},
}

var restHandlers = []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
	pb.RegisterRuleServiceHandler, pb.RegisterRectificationServiceHandler, pb.RegisterInspectionServiceHandler,
	pb.RegisterInterviewServiceHandler, pb.RegisterDashboardServiceHandler, auditv1.RegisterAuditServiceHandler,
	pb.RegisterAssessmentServiceHandler, pb.RegisterCommendationServiceHandler,
}

// matrixSide builds one side of the fixture.
func (h *harness) matrixSide(t *testing.T, c city, district *orgv1.Organisation, inspectorSubject string) side {
	t.Helper()
	ctx := servicetest.Ctx(t)
	s := side{district: district}
	s.street = h.created(t, district, kindStreet, "Street of "+district.GetName(), "2000-01-01")
	s.community = h.created(t, s.street, kindCommunity, "Community of "+district.GetName(), "2025-12-15")
	h.known(t, s.street, s.community)
	g := h.group(t, district, inspectorSubject, s.community)
	s.group, s.round = g.GetId(), g.GetRoundId()
	iv, err := h.clients(cityAdmin).interviews.ScheduleInterview(ctx, &pb.ScheduleInterviewRequest{Interview: &pb.Interview{
		OrganisationId: s.community.GetId(), Reason: "two years graded ordinary", DueBy: "2026-05-10"}})
	if err != nil {
		t.Fatal(err)
	}
	s.interview = iv.GetInterview().GetId()
	s.taskList = h.scored(t, district, s.community, "2026-Q1", 60, 40).GetId()
	ev, err := h.assessing(cityAdmin).assess.ListTaskEvidence(ctx, &pb.ListTaskEvidenceRequest{TaskListId: s.taskList})
	if err != nil {
		t.Fatal(err)
	}
	s.evidence = ev.GetEvidence()[0].GetId()
	admin := h.assessing(districtAdmin(district))
	if _, err := admin.assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: district.GetId(), Period: "2026-Q1"}); err != nil {
		t.Fatal(err)
	}
	cm, err := admin.commend.ProposeCommendation(ctx, &pb.ProposeCommendationRequest{Commendation: &pb.Commendation{
		Kind: pb.CommendationKind_COMMENDATION_KIND_ORGANISATION, OrganisationId: s.community.GetId(), Year: 2026, Reason: "all tasks done"}})
	if err != nil {
		t.Fatal(err)
	}
	s.commendation = cm.GetCommendation().GetId()
	return s
}

// TestAccessMatrix calls every RPC of the service, over gRPC and over
// REST, as every kind of caller, on its own side and on the other, and
// checks who is let through: administrators their subtree, owners their
// own items, inspectors what their group covers, other systems by scope.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	a := h.matrixSide(t, c, c.district, "inspector-a")
	b := h.matrixSide(t, c, c.other, "inspector-b")
	ctx := servicetest.Ctx(t)
	if _, err := h.Service.Rules.Sweep(ctx, ""); err != nil {
		t.Fatal(err)
	}
	admin := h.clients(cityAdmin)
	for _, s := range []*side{&a, &b} {
		items, err := admin.items.ListItems(ctx, &pb.ListItemsRequest{OrganisationId: s.community.GetId()})
		if err != nil || len(items.GetItems()) != 1 {
			t.Fatalf("the fixture's item: %v, %v", items, err)
		}
		s.item, s.finding = items.GetItems()[0].GetId(), items.GetItems()[0].GetFindingId()
	}
	rules, err := admin.rules.ListRules(ctx, &pb.ListRulesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rule := rules.GetRules()[0].GetId()
	steps := h.count(t, `SELECT count(*) FROM item_steps`)

	type caller struct {
		name   string
		claims devissuer.Claims
		scoped bool // works in side A's subtree
	}
	callers := []caller{
		{"city administrator", devissuer.Claims{Role: auth.CityAdmin}, false},
		{"district administrator", devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: a.district.GetId()}, true},
		{"street administrator", devissuer.Claims{Role: auth.StreetAdmin, ScopeOrgID: a.street.GetId()}, true},
		{"community secretary", devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: a.community.GetId()}, true},
		{"grid leader", devissuer.Claims{Role: auth.GridLeader, ScopeOrgID: a.community.GetId()}, true},
		{"resident-unit contact", devissuer.Claims{Role: auth.UnitContact, ScopeOrgID: a.community.GetId()}, true},
		{"inspector of side A's group", devissuer.Claims{Subject: "inspector-a", Role: auth.Inspector}, false},
		{"a member", devissuer.Claims{Role: auth.Member, MemberID: "00000000-0000-0000-0000-000000000001"}, false},
		{"system reading", devissuer.Claims{Role: auth.System, Scopes: []string{"supervision.read"}}, false},
		{"system writing", devissuer.Claims{Role: auth.System, Scopes: []string{"supervision.write"}}, false},
		{"auditing system", devissuer.Claims{Role: auth.System, Scopes: []string{"audit.read"}}, false},
	}
	rest := accesstest.RESTServer(t, h.as(devissuer.Claims{}), restHandlers...)
	for _, who := range callers {
		claims := who.claims
		if claims.Subject == "" {
			claims.Subject = "u-" + who.name
		}
		token, err := authtest.Issuer(t).Issue(claims)
		if err != nil {
			t.Fatal(err)
		}
		for name, tp := range map[string]accesstest.Transport{"gRPC": accesstest.GRPC{Conn: h.as(claims)}, "REST": accesstest.REST{Base: rest, Token: token}} {
			t.Run(who.name+" over "+name, func(t *testing.T) {
				for _, op := range matrixOps {
					for _, target := range []struct {
						name string
						s    side
						a    bool
					}{{"side A", a, true}, {"side B", b, false}} {
						got := tp.Call(servicetest.Ctx(t), op.method, op.req(rule, target.s))
						want := expected(op, who.claims, who.scoped, target.a)
						refusal := got == codes.PermissionDenied || got == codes.NotFound || got == codes.Unauthenticated
						if (want == codes.OK && (refusal || accesstest.ServersFault(got))) || (want != codes.OK && got != want) {
							t.Errorf("%s on %s: %v, want %v", op.method, target.name, got, want)
						}
					}
				}
			})
		}
	}
	t.Run("the fixture never moved", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM item_steps`); n != steps {
			t.Errorf("%d steps taken", n-steps)
		}
		if n := h.count(t, `SELECT count(*) FROM items WHERE state <> 'OPEN'`); n != 0 {
			t.Errorf("%d items moved", n)
		}
		if n := h.count(t, `SELECT (SELECT count(*) FROM task_lists) + (SELECT count(*) FROM task_evidence) + (SELECT count(*) FROM daily_entries)
			+ (SELECT count(*) FROM assessment_settings) + (SELECT count(*) FROM commendations WHERE state <> 'PROPOSED')`); n != 2+4 {
			t.Errorf("the assessment fixture moved: %d rows, want the two lists and their four pieces of evidence", n)
		}
	})
	t.Run("nobody without a token", func(t *testing.T) {
		for _, tp := range []accesstest.Transport{accesstest.GRPC{Conn: h.as(devissuer.Claims{})}, accesstest.REST{Base: rest}} {
			for _, op := range matrixOps {
				if got := tp.Call(servicetest.Ctx(t), op.method, op.req(rule, a)); got != codes.Unauthenticated {
					t.Errorf("%s without a token over %T: %v", op.method, tp, got)
				}
			}
		}
	})
	t.Run("an interview names only its organisation's finding", func(t *testing.T) {
		api := h.clients(cityAdmin).interviews
		schedule := func(finding string) error {
			_, err := api.ScheduleInterview(servicetest.Ctx(t), &pb.ScheduleInterviewRequest{Interview: &pb.Interview{
				OrganisationId: a.community.GetId(), Reason: "the finding", DueBy: "2026-05-20", FindingId: finding}})
			return err
		}
		if got := servicetest.RefusalOf(schedule(b.finding)); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"interview.finding_id"}) {
			t.Errorf("side B's finding on side A's interview: %+v", got)
		}
		if err := schedule(a.finding); err != nil {
			t.Errorf("side A's own finding: %v", err)
		}
	})
	t.Run("hostile requests", func(t *testing.T) {
		var reqs []accesstest.Request
		for _, op := range matrixOps {
			reqs = append(reqs, accesstest.Request{FullMethod: op.method, Req: op.req(rule, a)})
		}
		accesstest.Hostile{Requests: reqs, GRPC: accesstest.GRPC{Conn: h.as(cityAdmin)},
			REST: accesstest.REST{Base: rest, Token: authtest.Token(t, cityAdmin)}, Seed: 1}.Run(t)
	})
}

func expected(op matrixOp, who devissuer.Claims, scoped, sideA bool) codes.Code {
	switch {
	case who.Role == auth.System || who.Role == auth.Service:
		if !slices.Contains(who.Scopes, op.scope) && !(op.scope == "supervision.read" && slices.Contains(who.Scopes, "supervision.write")) {
			return codes.PermissionDenied
		}
		return codes.OK
	case !slices.Contains(op.roles, who.Role):
		return codes.PermissionDenied
	case sideA || op.reach == anywhere:
		return codes.OK
	case who.Role == auth.Inspector && op.reach == group:
		return codes.PermissionDenied
	case who.Role == auth.Inspector && op.reach == round:
		return codes.OK
	case who.Role == auth.Inspector || scoped:
		return codes.NotFound
	}
	return codes.OK
}

// TestEveryRPCIsInTheAccessMatrix: a new RPC fails here until the matrix
// covers it.
func TestEveryRPCIsInTheAccessMatrix(t *testing.T) {
	t.Parallel()
	in := map[string]bool{}
	for _, op := range matrixOps {
		in[op.method] = true
	}
	var services []protoreflect.ServiceDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("gongjian.supervision.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			services = append(services, f.Services().Get(i))
		}
		return true
	})
	services = append(services, auditv1.File_gongjian_audit_v1_audit_proto.Services().ByName("AuditService"))
	if len(services) != 8 {
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
