package main

import (
	"context"
	"fmt"

	"gongjian.dev/deploy/local/internal/perf"
	memberpb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

func init() {
	register(25, "dashboards", measureDashboards)
}

// dashboardTargetMs is the bound on a count or composition.
const dashboardTargetMs = 10

// measureDashboards asks what a district's and the city's dashboards ask:
// how many live members (CountMembers of the subtree) and in which
// management categories (GetComposition of the subtree), read from the
// counters rolled up per ancestor, over gRPC and through the gateway.
func measureDashboards(ctx context.Context, s *system) ([]perf.Row, error) {
	token, err := s.token(reader)
	if err != nil {
		return nil, err
	}
	member := func(w int) memberpb.MemberServiceClient {
		return memberpb.NewMemberServiceClient(s.conn("member", w))
	}
	category := func(w int) memberpb.CategoryServiceClient {
		return memberpb.NewCategoryServiceClient(s.conn("member", w))
	}
	reads := []read{
		{"CountMembers of a district", "member", func(ctx context.Context, w int) error {
			_, err := member(w).CountMembers(ctx, &memberpb.CountMembersRequest{AncestorId: pick(s.city.districts)}, token)
			return err
		}, func() string { return "/v1/members:count?ancestorId=" + pick(s.city.districts) }},
		{"CountMembers of the city", "member", func(ctx context.Context, w int) error {
			_, err := member(w).CountMembers(ctx, &memberpb.CountMembersRequest{AncestorId: s.city.id}, token)
			return err
		}, func() string { return "/v1/members:count?ancestorId=" + s.city.id }},
		{"GetComposition of a district", "member", func(ctx context.Context, w int) error {
			_, err := category(w).GetComposition(ctx, &memberpb.GetCompositionRequest{OrganisationId: pick(s.city.districts), Subtree: true}, token)
			return err
		}, func() string { return "/v1/organisations/" + pick(s.city.districts) + "/composition?subtree=true" }},
		{"GetComposition of the city", "member", func(ctx context.Context, w int) error {
			_, err := category(w).GetComposition(ctx, &memberpb.GetCompositionRequest{OrganisationId: s.city.id, Subtree: true}, token)
			return err
		}, func() string { return "/v1/organisations/" + s.city.id + "/composition?subtree=true" }},
	}
	verdict := func(r perf.Row) string {
		if r.P99ms <= dashboardTargetMs {
			return "met"
		}
		return "not met"
	}
	var rows []perf.Row
	for _, r := range reads {
		g, h, err := s.measureRead(ctx, r)
		if err != nil {
			return nil, err
		}
		g.Note = fmt.Sprintf("from the counters rolled up per ancestor; target p99 ≤ %d ms: %s; %s", dashboardTargetMs, verdict(g), g.Note)
		h.Note = fmt.Sprintf("%s; target p99 ≤ %d ms: %s", h.Note, dashboardTargetMs, verdict(h))
		rows = append(rows, g, h)
	}
	return rows, nil
}
