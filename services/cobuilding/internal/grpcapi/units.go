package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/pbconv"
	"gongjian.dev/services/cobuilding/internal/units"
)

type unitAPI struct {
	pb.UnimplementedResidentUnitServiceServer
	svc *units.Service
}

func (a *unitAPI) CreateResidentUnit(ctx context.Context, req *pb.CreateResidentUnitRequest) (*pb.CreateResidentUnitResponse, error) {
	u, err := a.svc.Create(ctx, pbconv.UnitOf(req.GetResidentUnit()), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateResidentUnitResponse{ResidentUnit: pbconv.Unit(u)}, nil
}

func (a *unitAPI) GetResidentUnit(ctx context.Context, req *pb.GetResidentUnitRequest) (*pb.GetResidentUnitResponse, error) {
	u, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetResidentUnitResponse{ResidentUnit: pbconv.Unit(u)}, nil
}

func (a *unitAPI) ListResidentUnits(ctx context.Context, req *pb.ListResidentUnitsRequest) (*pb.ListResidentUnitsResponse, error) {
	ancestor, unit := listScope(ctx, req.GetAncestorId())
	list, next, err := a.svc.List(ctx, units.Filter{CommunityID: req.GetCommunityId(), AncestorID: ancestor, UnitID: unit,
		Type: pbconv.UnitTypeOf(req.GetType()), GapOnly: req.GetCoverageGapOnly(),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListResidentUnitsResponse{NextPageToken: next}
	for _, u := range list {
		out.ResidentUnits = append(out.ResidentUnits, pbconv.Unit(u))
	}
	return out, nil
}

func (a *unitAPI) UpdateResidentUnit(ctx context.Context, req *pb.UpdateResidentUnitRequest) (*pb.UpdateResidentUnitResponse, error) {
	u, err := a.svc.Update(ctx, req.GetResidentUnit().GetId(), pbconv.UnitOf(req.GetResidentUnit()), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateResidentUnitResponse{ResidentUnit: pbconv.Unit(u)}, nil
}
