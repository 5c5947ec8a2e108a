package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/pbconv"
	"gongjian.dev/services/cobuilding/internal/settings"
)

type settingsAPI struct {
	pb.UnimplementedSettingsServiceServer
	svc *settings.Service
}

func (a *settingsAPI) GetCoBuildingSettings(ctx context.Context, req *pb.GetCoBuildingSettingsRequest) (*pb.GetCoBuildingSettingsResponse, error) {
	st, err := a.svc.Get(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	return &pb.GetCoBuildingSettingsResponse{Settings: pbconv.Settings(st)}, nil
}

func (a *settingsAPI) UpdateCoBuildingSettings(ctx context.Context, req *pb.UpdateCoBuildingSettingsRequest) (*pb.UpdateCoBuildingSettingsResponse, error) {
	st, err := a.svc.Update(ctx, pbconv.SettingsOf(req.GetDistrictId(), req.GetSettings()))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateCoBuildingSettingsResponse{Settings: pbconv.Settings(st)}, nil
}
