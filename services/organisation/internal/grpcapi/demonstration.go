package grpcapi

import (
	"context"
	"fmt"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/errs"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/pbconv"
)

// CreateDemonstrationSite implements pb.DemonstrationServiceServer.
func (a *API) CreateDemonstrationSite(ctx context.Context, req *pb.CreateDemonstrationSiteRequest) (*pb.CreateDemonstrationSiteResponse, error) {
	m := req.GetSite()
	d := newDates()
	s := &org.Site{CommunityID: m.GetCommunityId(), Start: d.parse("site.start_date", m.GetStartDate()), End: d.parse("site.end_date", m.GetEndDate())}
	for i, ms := range m.GetMilestones() {
		s.Milestones = append(s.Milestones, org.Milestone{Title: ms.GetTitle(), Due: d.parse(fmt.Sprintf("site.milestones[%d].due_date", i), ms.GetDueDate()), Note: ms.GetNote()})
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	s, err := a.svc.CreateSite(ctx, s)
	if err != nil {
		return nil, err
	}
	return &pb.CreateDemonstrationSiteResponse{Site: pbconv.Site(s)}, nil
}

// GetDemonstrationSite implements pb.DemonstrationServiceServer.
func (a *API) GetDemonstrationSite(ctx context.Context, req *pb.GetDemonstrationSiteRequest) (*pb.GetDemonstrationSiteResponse, error) {
	s, err := a.svc.GetSite(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetDemonstrationSiteResponse{Site: pbconv.Site(s)}, nil
}

// ListDemonstrationSites implements pb.DemonstrationServiceServer.
func (a *API) ListDemonstrationSites(ctx context.Context, req *pb.ListDemonstrationSitesRequest) (*pb.ListDemonstrationSitesResponse, error) {
	ss, err := a.svc.ListSites(ctx, orScope(ctx, req.GetAncestorId()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListDemonstrationSitesResponse{}
	for _, s := range ss {
		out.Sites = append(out.Sites, pbconv.Site(s))
	}
	return out, nil
}

// CompleteMilestone implements pb.DemonstrationServiceServer.
func (a *API) CompleteMilestone(ctx context.Context, req *pb.CompleteMilestoneRequest) (*pb.CompleteMilestoneResponse, error) {
	s, err := a.svc.CompleteMilestone(ctx, req.GetSiteId(), req.GetMilestoneId(), req.GetNote())
	if err != nil {
		return nil, err
	}
	return &pb.CompleteMilestoneResponse{Site: pbconv.Site(s)}, nil
}

// RateFiveGoods implements pb.DemonstrationServiceServer.
func (a *API) RateFiveGoods(ctx context.Context, req *pb.RateFiveGoodsRequest) (*pb.RateFiveGoodsResponse, error) {
	r := req.GetRating()
	g := func(v pb.FiveGoodsGrade) string { return trim(v.String(), "FIVE_GOODS_GRADE_") }
	s, err := a.svc.RateFiveGoods(ctx, req.GetSiteId(), org.FiveGoods{
		Year: r.GetYear(), Leadership: g(r.GetLeadership()), CadresAndMembers: g(r.GetCadresAndMembers()),
		Mechanisms: g(r.GetMechanisms()), ManagementAndService: g(r.GetManagementAndService()),
		ResidentsOpinion: g(r.GetResidentsOpinion()), RatedBy: r.GetRatedBy(),
	})
	if err != nil {
		return nil, err
	}
	return &pb.RateFiveGoodsResponse{Site: pbconv.Site(s)}, nil
}

// CreateLiaison implements pb.DemonstrationServiceServer.
func (a *API) CreateLiaison(ctx context.Context, req *pb.CreateLiaisonRequest) (*pb.CreateLiaisonResponse, error) {
	m := req.GetLiaison()
	l, err := a.svc.CreateLiaison(ctx, &org.Liaison{
		Kind: org.LiaisonKind(trim(m.GetKind().String(), "LIAISON_KIND_")), LeaderName: m.GetLeaderName(),
		LeaderTitle: m.GetLeaderTitle(), CommunityID: m.GetCommunityId(),
	})
	if err != nil {
		return nil, err
	}
	return &pb.CreateLiaisonResponse{Liaison: pbconv.Liaison(l)}, nil
}

// ListLiaisons implements pb.DemonstrationServiceServer.
func (a *API) ListLiaisons(ctx context.Context, req *pb.ListLiaisonsRequest) (*pb.ListLiaisonsResponse, error) {
	ls, err := a.svc.ListLiaisons(ctx, orScope(ctx, req.GetAncestorId()), req.GetIncludeEnded())
	if err != nil {
		return nil, err
	}
	out := &pb.ListLiaisonsResponse{}
	for _, l := range ls {
		out.Liaisons = append(out.Liaisons, pbconv.Liaison(l))
	}
	return out, nil
}

// EndLiaison implements pb.DemonstrationServiceServer.
func (a *API) EndLiaison(ctx context.Context, req *pb.EndLiaisonRequest) (*pb.EndLiaisonResponse, error) {
	l, err := a.svc.EndLiaison(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.EndLiaisonResponse{Liaison: pbconv.Liaison(l)}, nil
}

// GetComplianceReport implements pb.ComplianceServiceServer.
func (a *API) GetComplianceReport(ctx context.Context, req *pb.GetComplianceReportRequest) (*pb.GetComplianceReportResponse, error) {
	d := newDates()
	asOf := d.parse("as_of_date", req.GetAsOfDate())
	if err := d.err(); err != nil {
		return nil, err
	}
	r, err := a.svc.Compliance(ctx, req.GetOrganisationId(), req.GetSubtree(), asOf)
	if err != nil {
		return nil, err
	}
	return report(r), nil
}

// GetDistrictSettings implements pb.ComplianceServiceServer.
func (a *API) GetDistrictSettings(ctx context.Context, req *pb.GetDistrictSettingsRequest) (*pb.GetDistrictSettingsResponse, error) {
	s, err := a.svc.GetSettings(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	return &pb.GetDistrictSettingsResponse{Settings: pbconv.Settings(s)}, nil
}

// UpdateDistrictSettings implements pb.ComplianceServiceServer.
func (a *API) UpdateDistrictSettings(ctx context.Context, req *pb.UpdateDistrictSettingsRequest) (*pb.UpdateDistrictSettingsResponse, error) {
	s, err := a.svc.UpdateSettings(ctx, settingsFrom(req.GetSettings()), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateDistrictSettingsResponse{Settings: pbconv.Settings(s)}, nil
}

// ReconcileMemberCounts implements pb.ComplianceServiceServer: it asks the
// member service for its counts on the caller's behalf (the caller's own
// token, so the member service applies its own scope rules).
func (a *API) ReconcileMemberCounts(ctx context.Context, req *pb.ReconcileMemberCountsRequest) (*pb.ReconcileMemberCountsResponse, error) {
	if a.members == nil {
		return nil, errs.New(errs.FailedPrecondition, "the member service is not configured here (MEMBER_ADDR)")
	}
	resp, err := a.members.CountMembersByOrganisation(auth.ForwardToken(ctx), &memberv1.CountMembersByOrganisationRequest{AncestorId: req.GetOrganisationId()})
	if err != nil {
		return nil, err
	}
	theirs := make(map[string]int64, len(resp.GetCounts()))
	for _, c := range resp.GetCounts() {
		theirs[c.GetOrganisationId()] = c.GetMemberCount()
	}
	compared, diffs, err := a.svc.ReconcileMemberCounts(ctx, req.GetOrganisationId(), theirs)
	if err != nil {
		return nil, err
	}
	out := &pb.ReconcileMemberCountsResponse{Compared: int32(compared)}
	for _, d := range diffs {
		out.Differences = append(out.Differences, &pb.MemberCountDifference{OrganisationId: d.OrganisationID, Name: d.Name,
			OrganisationCount: d.Here, MemberCount: d.There})
	}
	return out, nil
}
