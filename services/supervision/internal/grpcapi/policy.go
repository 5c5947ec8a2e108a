// Package grpcapi is the supervision service's gRPC transport: handlers that
// convert messages and call the domain, and the access policy of every RPC.
package grpcapi

import (
	"context"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// The roles by what they do in supervision. Within their scope (their
// subtree, or for an inspector the organisations their groups cover,
// checked by the domain):
var (
	// readers see rules, findings, items and interviews.
	readers = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary,
		auth.GridLeader, auth.UnitContact, auth.Inspector}
	// owners answer their organisations' items.
	owners = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunitySecretary, auth.UnitContact}
	// deciders accept, return and reopen items, record what they find and
	// hold interviews.
	deciders = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.Inspector}
	// openers open items by hand.
	openers = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.Inspector}
	// organisers run rounds and groups, override and preview rules.
	organisers = []auth.Role{auth.CityAdmin, auth.DistrictAdmin}
	// inspection readers see rounds, groups and their findings.
	inspectionReaders = []auth.Role{auth.CityAdmin, auth.DistrictAdmin, auth.StreetAdmin, auth.Inspector}
	cityOnly          = []auth.Role{auth.CityAdmin}
	readScopes        = []string{"supervision.read", "supervision.write"}
	writeScopes       = []string{"supervision.write"}
)

// Policy is who may call each RPC of the supervision service. The city's
// rules are the city's to write; districts override them. Items, findings
// and interviews are reached through the organisation they are about,
// which the domain checks (so that an inspector reaches what their groups
// cover); the organisations a request names are checked here.
func Policy() authz.Policy {
	district := func(get func(any) string) authz.Rule {
		return authz.Rule{Roles: organisers, Scopes: writeScopes, Targets: func(_ context.Context, req any) ([]string, error) { return []string{get(req)}, nil }}
	}
	return authz.Policy{
		pb.RuleService_ListFacts_FullMethodName:  {Roles: readers, Scopes: readScopes},
		pb.RuleService_CreateRule_FullMethodName: {Roles: cityOnly, Scopes: writeScopes},
		pb.RuleService_GetRule_FullMethodName:    {Roles: readers, Scopes: readScopes},
		pb.RuleService_ListRules_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.ListRulesRequest) string { return r.GetDistrictId() })},
		pb.RuleService_UpdateRule_FullMethodName:        {Roles: cityOnly, Scopes: writeScopes},
		pb.RuleService_ListRuleVersions_FullMethodName:  {Roles: readers, Scopes: readScopes},
		pb.RuleService_SetRuleOverride_FullMethodName:   district(func(r any) string { return r.(*pb.SetRuleOverrideRequest).GetDistrictId() }),
		pb.RuleService_ListRuleOverrides_FullMethodName: {Roles: readers, Scopes: readScopes},
		pb.RuleService_PreviewRule_FullMethodName:       district(func(r any) string { return r.(*pb.PreviewRuleRequest).GetDistrictId() }),
		pb.RuleService_RunSweep_FullMethodName:          district(func(r any) string { return r.(*pb.RunSweepRequest).GetDistrictId() }),
		pb.RuleService_ListFindings_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Targets(func(r *pb.ListFindingsRequest) []string { return []string{r.GetOrganisationId(), r.GetAncestorId()} })},
		pb.RuleService_GetFinding_FullMethodName: {Roles: readers, Scopes: readScopes},

		pb.RectificationService_CreateItem_FullMethodName: {Roles: openers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.CreateItemRequest) string { return r.GetItem().GetOrganisationId() })},
		pb.RectificationService_GetItem_FullMethodName: {Roles: readers, Scopes: readScopes},
		pb.RectificationService_ListItems_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Targets(func(r *pb.ListItemsRequest) []string { return []string{r.GetOrganisationId(), r.GetAncestorId()} })},
		pb.RectificationService_SubmitEvidence_FullMethodName: {Roles: owners, Scopes: writeScopes},
		pb.RectificationService_AcceptItem_FullMethodName:     {Roles: deciders, Scopes: writeScopes},
		pb.RectificationService_ReturnItem_FullMethodName:     {Roles: deciders, Scopes: writeScopes},
		pb.RectificationService_ReopenItem_FullMethodName:     {Roles: deciders, Scopes: writeScopes},
		pb.RectificationService_ListItemSteps_FullMethodName:  {Roles: readers, Scopes: readScopes},

		pb.InspectionService_CreateRound_FullMethodName: {Roles: organisers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.CreateRoundRequest) string { return r.GetRound().GetDistrictId() })},
		pb.InspectionService_GetRound_FullMethodName: {Roles: inspectionReaders, Scopes: readScopes},
		pb.InspectionService_ListRounds_FullMethodName: {Roles: inspectionReaders, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.ListRoundsRequest) string { return r.GetDistrictId() })},
		pb.InspectionService_CreateGroup_FullMethodName:             {Roles: organisers, Scopes: writeScopes},
		pb.InspectionService_UpdateGroup_FullMethodName:             {Roles: organisers, Scopes: writeScopes},
		pb.InspectionService_ListGroups_FullMethodName:              {Roles: inspectionReaders, Scopes: readScopes},
		pb.InspectionService_RecordInspectionFinding_FullMethodName: {Roles: deciders, Scopes: writeScopes},
		pb.InspectionService_ListInspectionFindings_FullMethodName:  {Roles: inspectionReaders, Scopes: readScopes},

		pb.InterviewService_ScheduleInterview_FullMethodName: {Roles: deciders, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.ScheduleInterviewRequest) string { return r.GetInterview().GetOrganisationId() })},
		pb.InterviewService_GetInterview_FullMethodName: {Roles: readers, Scopes: readScopes},
		pb.InterviewService_ListInterviews_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Targets(func(r *pb.ListInterviewsRequest) []string { return []string{r.GetOrganisationId(), r.GetAncestorId()} })},
		pb.InterviewService_RecordInterviewHeld_FullMethodName:     {Roles: deciders, Scopes: writeScopes},
		pb.InterviewService_RecordInterviewFollowUp_FullMethodName: {Roles: deciders, Scopes: writeScopes},

		pb.DashboardService_GetDashboard_FullMethodName: {Roles: inspectionReaders, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.GetDashboardRequest) string { return r.GetOrganisationId() })},

		// Assessment: the district sets the lists, grades and settings;
		// assessors (its administrators and the inspectors whose groups
		// cover the organisation, checked by the domain) review evidence and
		// keep daily records; the owner answers its own list.
		pb.AssessmentService_CreateTaskList_FullMethodName: {Roles: organisers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.CreateTaskListRequest) string { return r.GetTaskList().GetOrganisationId() })},
		pb.AssessmentService_GetTaskList_FullMethodName: {Roles: readers, Scopes: readScopes},
		pb.AssessmentService_ListTaskLists_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Targets(func(r *pb.ListTaskListsRequest) []string { return []string{r.GetOrganisationId(), r.GetAncestorId()} })},
		pb.AssessmentService_SubmitTaskEvidence_FullMethodName: {Roles: owners, Scopes: writeScopes},
		pb.AssessmentService_ReviewTaskEvidence_FullMethodName: {Roles: deciders, Scopes: writeScopes},
		pb.AssessmentService_ListTaskEvidence_FullMethodName:   {Roles: readers, Scopes: readScopes},
		pb.AssessmentService_RecordDailyEntry_FullMethodName: {Roles: deciders, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.RecordDailyEntryRequest) string { return r.GetEntry().GetOrganisationId() })},
		pb.AssessmentService_ListDailyEntries_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.ListDailyEntriesRequest) string { return r.GetOrganisationId() })},
		pb.AssessmentService_GradePeriod_FullMethodName: district(func(r any) string { return r.(*pb.GradePeriodRequest).GetDistrictId() }),
		// A correction is an assessor's: the domain checks their reach and
		// that it is not their own organisation.
		pb.AssessmentService_CorrectResult_FullMethodName: {Roles: deciders, Scopes: writeScopes},
		pb.AssessmentService_ListResultVersions_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.ListResultVersionsRequest) string { return r.GetOrganisationId() })},
		pb.AssessmentService_ListResults_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Targets(func(r *pb.ListResultsRequest) []string { return []string{r.GetOrganisationId(), r.GetParentId()} })},
		pb.AssessmentService_GetAssessmentSettings_FullMethodName: {Roles: readers, Scopes: readScopes, OrAbove: true,
			Targets: authz.Target(func(r *pb.GetAssessmentSettingsRequest) string { return r.GetDistrictId() })},
		pb.AssessmentService_UpdateAssessmentSettings_FullMethodName: district(func(r any) string {
			return r.(*pb.UpdateAssessmentSettingsRequest).GetSettings().GetDistrictId()
		}),

		// Commendations: proposed by a district (or the city) from its
		// results, decided and published by the city.
		pb.CommendationService_ProposeCommendation_FullMethodName: {Roles: organisers, Scopes: writeScopes,
			Targets: authz.Target(func(r *pb.ProposeCommendationRequest) string { return r.GetCommendation().GetOrganisationId() })},
		pb.CommendationService_ListCommendations_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.ListCommendationsRequest) string { return r.GetAncestorId() })},
		pb.CommendationService_DecideCommendation_FullMethodName:   {Roles: cityOnly, Scopes: writeScopes},
		pb.CommendationService_PublishCommendations_FullMethodName: {Roles: cityOnly, Scopes: writeScopes},
	}
}
