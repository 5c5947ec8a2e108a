package grpcapi

import (
	"context"

	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/page"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/pbconv"
	"gongjian.dev/services/supervision/internal/rectify"
	"gongjian.dev/services/supervision/internal/rules"
)

// RuleAPI implements pb.RuleServiceServer.
type RuleAPI struct {
	pb.UnimplementedRuleServiceServer
	Rules *rules.Service
	// Items answers what an inspector's groups cover.
	Items *rectify.Service
	// Sweep is one pass of the sweeper over a district ("" for the city):
	// the rules, the overdue items, the calls to other services.
	Sweep func(ctx context.Context, districtID string) (int, error)
}

// ListFacts implements pb.RuleServiceServer.
func (a *RuleAPI) ListFacts(context.Context, *pb.ListFactsRequest) (*pb.ListFactsResponse, error) {
	out := &pb.ListFactsResponse{}
	for _, f := range rules.Facts {
		out.Facts = append(out.Facts, pbconv.Fact(f))
	}
	return out, nil
}

// CreateRule implements pb.RuleServiceServer.
func (a *RuleAPI) CreateRule(ctx context.Context, req *pb.CreateRuleRequest) (*pb.CreateRuleResponse, error) {
	r, err := a.Rules.CreateRule(ctx, pbconv.RuleOf(req.GetRule()), req.GetRequestId(), ruleActor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CreateRuleResponse{Rule: pbconv.Rule(r)}, nil
}

// GetRule implements pb.RuleServiceServer.
func (a *RuleAPI) GetRule(ctx context.Context, req *pb.GetRuleRequest) (*pb.GetRuleResponse, error) {
	r, err := a.Rules.Rule(ctx, req.GetId(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	return &pb.GetRuleResponse{Rule: pbconv.Rule(r)}, nil
}

// ListRules implements pb.RuleServiceServer.
func (a *RuleAPI) ListRules(ctx context.Context, req *pb.ListRulesRequest) (*pb.ListRulesResponse, error) {
	rs, err := a.Rules.Rules(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	out := &pb.ListRulesResponse{}
	for _, r := range rs {
		out.Rules = append(out.Rules, pbconv.Rule(r))
	}
	return out, nil
}

// UpdateRule implements pb.RuleServiceServer.
func (a *RuleAPI) UpdateRule(ctx context.Context, req *pb.UpdateRuleRequest) (*pb.UpdateRuleResponse, error) {
	r, err := a.Rules.UpdateRule(ctx, pbconv.RuleOf(req.GetRule()), req.GetUpdateMask().GetPaths(), req.GetVersion(), ruleActor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateRuleResponse{Rule: pbconv.Rule(r)}, nil
}

// ListRuleVersions implements pb.RuleServiceServer.
func (a *RuleAPI) ListRuleVersions(ctx context.Context, req *pb.ListRuleVersionsRequest) (*pb.ListRuleVersionsResponse, error) {
	rs, err := a.Rules.Versions(ctx, req.GetRuleId())
	if err != nil {
		return nil, err
	}
	out := &pb.ListRuleVersionsResponse{}
	for _, r := range rs {
		out.Versions = append(out.Versions, pbconv.Rule(r))
	}
	return out, nil
}

// SetRuleOverride implements pb.RuleServiceServer.
func (a *RuleAPI) SetRuleOverride(ctx context.Context, req *pb.SetRuleOverrideRequest) (*pb.SetRuleOverrideResponse, error) {
	o := &rules.Override{RuleID: req.GetRuleId(), DistrictID: req.GetDistrictId(), Params: req.GetParams().AsMap()}
	if req.GetState() != pb.OverrideState_OVERRIDE_STATE_UNSPECIFIED {
		on := req.GetState() == pb.OverrideState_OVERRIDE_STATE_ON
		o.Enabled = &on
	}
	saved, err := a.Rules.SetOverride(ctx, o, ruleActor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.SetRuleOverrideResponse{Override: pbconv.Override(saved)}, nil
}

// ListRuleOverrides implements pb.RuleServiceServer.
func (a *RuleAPI) ListRuleOverrides(ctx context.Context, req *pb.ListRuleOverridesRequest) (*pb.ListRuleOverridesResponse, error) {
	os, err := a.Rules.Overrides(ctx, req.GetRuleId(), authz.ScopeRoot(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListRuleOverridesResponse{}
	for _, o := range os {
		out.Overrides = append(out.Overrides, pbconv.Override(o))
	}
	return out, nil
}

// PreviewRule implements pb.RuleServiceServer.
func (a *RuleAPI) PreviewRule(ctx context.Context, req *pb.PreviewRuleRequest) (*pb.PreviewRuleResponse, error) {
	var draft *rules.Rule
	m := req.GetRule()
	if m.GetId() == "" || m.GetCondition() != "" || m.GetFact() != "" {
		draft = pbconv.RuleOf(m)
	}
	samples := int(req.GetSampleSize())
	if samples == 0 {
		samples = 20
	}
	p, err := a.Rules.PreviewRule(ctx, draft, m.GetId(), req.GetDistrictId(), authz.ScopeRoot(ctx), samples)
	if err != nil {
		return nil, err
	}
	out := &pb.PreviewRuleResponse{NewFindings: int32(p.New)}
	for _, d := range p.Districts {
		out.Districts = append(out.Districts, &pb.DistrictPreview{DistrictId: d.District.ID, DistrictName: d.District.Name,
			Enabled: d.Enabled, Matching: int32(d.Matching), AlreadyFound: int32(d.AlreadyFound), NewFindings: int32(d.New),
			ItemsToOpen: int32(d.ItemsToOpen)})
	}
	for _, f := range p.Samples {
		out.Samples = append(out.Samples, pbconv.Finding(f))
	}
	return out, nil
}

// RunSweep implements pb.RuleServiceServer: one pass of the sweeper, now.
// A district administrator sweeps their district.
func (a *RuleAPI) RunSweep(ctx context.Context, req *pb.RunSweepRequest) (*pb.RunSweepResponse, error) {
	district := req.GetDistrictId()
	if district == "" {
		district = authz.ScopeRoot(ctx)
	}
	n, err := a.Sweep(ctx, district)
	if err != nil {
		return nil, err
	}
	return &pb.RunSweepResponse{NewFindings: int32(n)}, nil
}

// ListFindings implements pb.RuleServiceServer.
func (a *RuleAPI) ListFindings(ctx context.Context, req *pb.ListFindingsRequest) (*pb.ListFindingsResponse, error) {
	after, size, err := pageOf(req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	who := caller(ctx)
	if who.Inspector && req.GetOrganisationId() != "" {
		// An inspector names an organisation their groups cover.
		if err := a.Items.Reach(ctx, who, req.GetOrganisationId()); err != nil {
			return nil, err
		}
	}
	q := rules.FindingQuery{OrganisationID: req.GetOrganisationId(), AncestorID: req.GetAncestorId(), RuleID: req.GetRuleId(),
		ScopeRoot: who.ScopeRoot, After: rules.FindingKey{Created: after.At, ID: after.ID}, Limit: size + 1}
	if who.Inspector {
		q.Inspector = who.Subject
	}
	fs, err := a.Rules.Findings(ctx, q)
	if err != nil {
		return nil, err
	}
	fs, next := page.Cut(fs, size, func(f *rules.Finding) any { return timeKey{f.Created, f.ID} })
	out := &pb.ListFindingsResponse{NextPageToken: next}
	for _, f := range fs {
		out.Findings = append(out.Findings, pbconv.Finding(f))
	}
	return out, nil
}

// GetFinding implements pb.RuleServiceServer.
func (a *RuleAPI) GetFinding(ctx context.Context, req *pb.GetFindingRequest) (*pb.GetFindingResponse, error) {
	who := caller(ctx)
	f, err := a.Rules.Finding(ctx, req.GetId(), who.ScopeRoot, inspector(who))
	if err != nil {
		return nil, err
	}
	return &pb.GetFindingResponse{Finding: pbconv.Finding(f)}, nil
}
