package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/assess"
	"gongjian.dev/services/supervision/internal/rules"
)

// DashboardAPI implements pb.DashboardServiceServer.
type DashboardAPI struct {
	pb.UnimplementedDashboardServiceServer
	Counters rules.DashboardStore
	Rules    *rules.Service
	// Assess answers the rankings below the root from the stored results.
	Assess *assess.Service
}

// GetDashboard implements pb.DashboardServiceServer.
func (a *DashboardAPI) GetDashboard(ctx context.Context, req *pb.GetDashboardRequest) (*pb.GetDashboardResponse, error) {
	n := int(req.GetQuarters())
	if n == 0 {
		n = 8
	}
	quarters := a.Rules.Quarters(n)
	d, err := a.Counters.Dashboard(ctx, req.GetOrganisationId(), quarters)
	if err != nil {
		return nil, err
	}
	out := &pb.GetDashboardResponse{Items: &pb.ItemCounts{}}
	byRule := map[string]*pb.ItemCounts{}
	byBranch := map[string]*pb.ItemCounts{}
	for _, b := range d.Branches {
		c := &pb.ItemCounts{}
		byBranch[b.ID] = c
		out.ByBranch = append(out.ByBranch, &pb.BranchCounts{OrganisationId: b.ID, Name: b.Name, Kind: b.Kind, Items: c})
	}
	for _, c := range d.Counts {
		if c.Branch != "" {
			add(byBranch[c.Branch], c)
			continue
		}
		if byRule[c.RuleCode] == nil {
			byRule[c.RuleCode] = &pb.ItemCounts{}
			out.ByRule = append(out.ByRule, &pb.RuleCounts{RuleCode: c.RuleCode, Items: byRule[c.RuleCode]})
		}
		add(out.Items, c)
		add(byRule[c.RuleCode], c)
	}
	counted := map[string]rules.QuarterRow{}
	for _, q := range d.Quarters {
		counted[q.Quarter] = q
	}
	for _, q := range quarters {
		out.Trend = append(out.Trend, &pb.QuarterCounts{Quarter: q, Findings: counted[q].Findings, ItemsOpened: counted[q].ItemsOpened})
	}
	period, ranked, err := a.Assess.Rankings(ctx, req.GetOrganisationId(), req.GetAssessmentPeriod())
	if err != nil {
		return nil, err
	}
	out.AssessmentPeriod, out.Rankings = period, results(ranked)
	return out, nil
}

// add counts c into into (nil: a branch the view no longer places there).
func add(into *pb.ItemCounts, c rules.CountRow) {
	if into == nil {
		return
	}
	switch c.State {
	case "OPEN":
		into.Open += c.N
	case "SUBMITTED":
		into.Submitted += c.N
	case "CLOSED":
		into.Closed += c.N
	}
	if c.Escalated && c.State != "CLOSED" {
		into.Overdue += c.N
	}
}
