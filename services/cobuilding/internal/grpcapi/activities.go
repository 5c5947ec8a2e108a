package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/activities"
	"gongjian.dev/services/cobuilding/internal/pbconv"
)

type activityAPI struct {
	pb.UnimplementedJointActivityServiceServer
	svc *activities.Service
}

func (a *activityAPI) CreateJointActivity(ctx context.Context, req *pb.CreateJointActivityRequest) (*pb.CreateJointActivityResponse, error) {
	in, err := pbconv.ActivityOf(req.GetJointActivity())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Create(ctx, in, caller(ctx), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateJointActivityResponse{JointActivity: pbconv.Activity(out)}, nil
}

func (a *activityAPI) GetJointActivity(ctx context.Context, req *pb.GetJointActivityRequest) (*pb.GetJointActivityResponse, error) {
	out, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetJointActivityResponse{JointActivity: pbconv.Activity(out)}, nil
}

func (a *activityAPI) ListJointActivities(ctx context.Context, req *pb.ListJointActivitiesRequest) (*pb.ListJointActivitiesResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetUnitId(), own)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.List(ctx, activities.Filter{CommunityID: req.GetCommunityId(), UnitID: unit, AncestorID: ancestor,
		Area: pbconv.AreaOf(req.GetArea()), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListJointActivitiesResponse{NextPageToken: next}
	for _, x := range list {
		out.JointActivities = append(out.JointActivities, pbconv.Activity(x))
	}
	return out, nil
}
