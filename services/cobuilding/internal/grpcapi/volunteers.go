package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/pbconv"
	"gongjian.dev/services/cobuilding/internal/volunteers"
)

type teamAPI struct {
	pb.UnimplementedVolunteerTeamServiceServer
	svc *volunteers.Teams
}

func (a *teamAPI) CreateVolunteerTeam(ctx context.Context, req *pb.CreateVolunteerTeamRequest) (*pb.CreateVolunteerTeamResponse, error) {
	out, err := a.svc.Create(ctx, pbconv.TeamOf(req.GetVolunteerTeam()), caller(ctx), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateVolunteerTeamResponse{VolunteerTeam: pbconv.Team(out)}, nil
}

func (a *teamAPI) GetVolunteerTeam(ctx context.Context, req *pb.GetVolunteerTeamRequest) (*pb.GetVolunteerTeamResponse, error) {
	out, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetVolunteerTeamResponse{VolunteerTeam: pbconv.Team(out)}, nil
}

func (a *teamAPI) ListVolunteerTeams(ctx context.Context, req *pb.ListVolunteerTeamsRequest) (*pb.ListVolunteerTeamsResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetUnitId(), own)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.List(ctx, volunteers.Filter{CommunityID: req.GetCommunityId(), UnitID: unit, AncestorID: ancestor,
		Kind: pbconv.TeamKindOf(req.GetKind()), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListVolunteerTeamsResponse{NextPageToken: next}
	for _, t := range list {
		out.VolunteerTeams = append(out.VolunteerTeams, pbconv.Team(t))
	}
	return out, nil
}

func (a *teamAPI) UpdateVolunteerTeam(ctx context.Context, req *pb.UpdateVolunteerTeamRequest) (*pb.UpdateVolunteerTeamResponse, error) {
	out, err := a.svc.Update(ctx, req.GetVolunteerTeam().GetId(), pbconv.TeamOf(req.GetVolunteerTeam()), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateVolunteerTeamResponse{VolunteerTeam: pbconv.Team(out)}, nil
}

func (a *teamAPI) AddVolunteers(ctx context.Context, req *pb.AddVolunteersRequest) (*pb.AddVolunteersResponse, error) {
	out, err := a.svc.Add(ctx, req.GetTeamId(), pbconv.VolunteersOf(req.GetVolunteers()))
	if err != nil {
		return nil, err
	}
	return &pb.AddVolunteersResponse{Volunteers: pbconv.Volunteers(out)}, nil
}

func (a *teamAPI) RemoveVolunteer(ctx context.Context, req *pb.RemoveVolunteerRequest) (*pb.RemoveVolunteerResponse, error) {
	if err := a.svc.Remove(ctx, req.GetTeamId(), req.GetVolunteerId()); err != nil {
		return nil, err
	}
	return &pb.RemoveVolunteerResponse{}, nil
}

func (a *teamAPI) ListVolunteers(ctx context.Context, req *pb.ListVolunteersRequest) (*pb.ListVolunteersResponse, error) {
	list, next, err := a.svc.Volunteers(ctx, req.GetTeamId(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListVolunteersResponse{Volunteers: pbconv.Volunteers(list), NextPageToken: next}, nil
}

func (a *teamAPI) RecordVolunteerService(ctx context.Context, req *pb.RecordVolunteerServiceRequest) (*pb.RecordVolunteerServiceResponse, error) {
	in, err := pbconv.ServiceRecordOf(req.GetServiceRecord())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Record(ctx, in, caller(ctx), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.RecordVolunteerServiceResponse{ServiceRecord: pbconv.ServiceRecord(out)}, nil
}

func (a *teamAPI) ListVolunteerServices(ctx context.Context, req *pb.ListVolunteerServicesRequest) (*pb.ListVolunteerServicesResponse, error) {
	list, next, err := a.svc.Services(ctx, req.GetTeamId(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &pb.ListVolunteerServicesResponse{NextPageToken: next}
	for _, s := range list {
		out.ServiceRecords = append(out.ServiceRecords, pbconv.ServiceRecord(s))
	}
	return out, nil
}
