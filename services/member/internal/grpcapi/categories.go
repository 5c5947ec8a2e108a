package grpcapi

import (
	"context"

	"gongjian.dev/pkg/audit"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
)

// CategoryAPI implements the category API.
type CategoryAPI struct {
	pb.UnimplementedCategoryServiceServer
	members *API
}

// NewCategories returns the category API over a domain service; the
// members it returns are read as the member API reads them, recorded
// through reads.
func NewCategories(svc *member.Service, reads audit.Executor) *CategoryAPI {
	return &CategoryAPI{members: &API{svc: svc, reads: reads}}
}

func (c *CategoryAPI) svc() *member.Service { return c.members.svc }

// GetScheme implements pb.CategoryServiceServer.
func (c *CategoryAPI) GetScheme(ctx context.Context, req *pb.GetSchemeRequest) (*pb.GetSchemeResponse, error) {
	s, inherited, err := c.svc().Scheme(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	return &pb.GetSchemeResponse{Scheme: pbconv.Scheme(s), Inherited: inherited}, nil
}

// SetScheme implements pb.CategoryServiceServer.
func (c *CategoryAPI) SetScheme(ctx context.Context, req *pb.SetSchemeRequest) (*pb.SetSchemeResponse, error) {
	s, n, err := c.svc().SetScheme(ctx, req.GetDistrictId(), pbconv.SchemeFrom(req.GetScheme()), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.SetSchemeResponse{Scheme: pbconv.Scheme(s), Reclassified: n}, nil
}

// SetDefaultScheme implements pb.CategoryServiceServer.
func (c *CategoryAPI) SetDefaultScheme(ctx context.Context, req *pb.SetDefaultSchemeRequest) (*pb.SetDefaultSchemeResponse, error) {
	s, n, err := c.svc().SetScheme(ctx, member.DefaultScheme, pbconv.SchemeFrom(req.GetScheme()), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.SetDefaultSchemeResponse{Scheme: pbconv.Scheme(s), Reclassified: n}, nil
}

// ListPresets implements pb.CategoryServiceServer.
func (c *CategoryAPI) ListPresets(context.Context, *pb.ListPresetsRequest) (*pb.ListPresetsResponse, error) {
	out := &pb.ListPresetsResponse{}
	for i := range member.Presets {
		out.Schemes = append(out.Schemes, pbconv.Scheme(&member.Presets[i]))
	}
	return out, nil
}

// OverrideCategory implements pb.CategoryServiceServer.
func (c *CategoryAPI) OverrideCategory(ctx context.Context, req *pb.OverrideCategoryRequest) (*pb.OverrideCategoryResponse, error) {
	m, err := c.svc().OverrideCategory(ctx, req.GetMemberId(), req.GetCategoryCode(), req.GetReason(), actor(ctx))
	if err != nil {
		return nil, err
	}
	out, err := c.members.out(ctx, m)
	if err != nil {
		return nil, err
	}
	return &pb.OverrideCategoryResponse{Member: out[0]}, nil
}

// ClearCategoryOverride implements pb.CategoryServiceServer.
func (c *CategoryAPI) ClearCategoryOverride(ctx context.Context, req *pb.ClearCategoryOverrideRequest) (*pb.ClearCategoryOverrideResponse, error) {
	m, err := c.svc().ClearCategoryOverride(ctx, req.GetMemberId())
	if err != nil {
		return nil, err
	}
	out, err := c.members.out(ctx, m)
	if err != nil {
		return nil, err
	}
	return &pb.ClearCategoryOverrideResponse{Member: out[0]}, nil
}

// GetComposition implements pb.CategoryServiceServer.
func (c *CategoryAPI) GetComposition(ctx context.Context, req *pb.GetCompositionRequest) (*pb.GetCompositionResponse, error) {
	counts, err := c.svc().Composition(ctx, req.GetOrganisationId(), req.GetSubtree())
	if err != nil {
		return nil, err
	}
	out := &pb.GetCompositionResponse{}
	for _, n := range counts {
		out.Total += n.Count
		if n.Code == "" {
			out.Unclassified += n.Count
			continue
		}
		out.Counts = append(out.Counts, &pb.CategoryCount{CategoryCode: n.Code, CategoryName: n.Name, Count: n.Count})
	}
	return out, nil
}
