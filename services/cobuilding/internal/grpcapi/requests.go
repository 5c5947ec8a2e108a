package grpcapi

import (
	"context"

	"gongjian.dev/pkg/auth"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/pbconv"
	"gongjian.dev/services/cobuilding/internal/requests"
)

type requestAPI struct {
	pb.UnimplementedServiceRequestServiceServer
	svc *requests.Service
}

// masked is a request as every answer but GetServiceRequest gives it.
func masked(r *requests.Request) *pb.ServiceRequest {
	return pbconv.ServiceRequest(r.WithMaskedResident())
}

func (a *requestAPI) CreateServiceRequest(ctx context.Context, req *pb.CreateServiceRequestRequest) (*pb.CreateServiceRequestResponse, error) {
	out, err := a.svc.Create(ctx, pbconv.ServiceRequestOf(req.GetServiceRequest()), caller(ctx), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateServiceRequestResponse{ServiceRequest: masked(out)}, nil
}

func (a *requestAPI) GetServiceRequest(ctx context.Context, req *pb.GetServiceRequestRequest) (*pb.GetServiceRequestResponse, error) {
	out, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if !seesResident(ctx) {
		return &pb.GetServiceRequestResponse{ServiceRequest: masked(out)}, nil
	}
	return &pb.GetServiceRequestResponse{ServiceRequest: pbconv.ServiceRequest(out)}, nil
}

// seesResident reports whether the caller sees a resident's data in full,
// as the member service shows ID numbers: with the permission to see
// personal data unmasked, or as the contact of the unit handling the
// request (the only requests they reach). Either way the read is recorded.
func seesResident(ctx context.Context) bool {
	who, ok := auth.FromContext(ctx)
	return ok && (who.Has(auth.PermUnmaskedID) || who.Role == auth.UnitContact)
}

func (a *requestAPI) ListServiceRequests(ctx context.Context, req *pb.ListServiceRequestsRequest) (*pb.ListServiceRequestsResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetHandlerUnitId(), own)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.List(ctx, requests.Filter{CommunityID: req.GetCommunityId(), AncestorID: ancestor, HandlerUnitID: unit,
		State: pbconv.ServiceRequestStateOf(req.GetState()), Kind: pbconv.ServiceRequestKindOf(req.GetKind()),
		OverdueOnly: req.GetOverdueOnly(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListServiceRequestsResponse{NextPageToken: next}
	for _, r := range list {
		out.ServiceRequests = append(out.ServiceRequests, masked(r))
	}
	return out, nil
}

func (a *requestAPI) AssignServiceRequest(ctx context.Context, req *pb.AssignServiceRequestRequest) (*pb.AssignServiceRequestResponse, error) {
	out, err := a.svc.Assign(ctx, req.GetId(), pbconv.HandlerOf(req.GetHandler()))
	if err != nil {
		return nil, err
	}
	return &pb.AssignServiceRequestResponse{ServiceRequest: masked(out)}, nil
}

func (a *requestAPI) AcceptServiceRequest(ctx context.Context, req *pb.AcceptServiceRequestRequest) (*pb.AcceptServiceRequestResponse, error) {
	out, err := a.svc.Accept(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.AcceptServiceRequestResponse{ServiceRequest: masked(out)}, nil
}

func (a *requestAPI) ClaimServiceRequest(ctx context.Context, req *pb.ClaimServiceRequestRequest) (*pb.ClaimServiceRequestResponse, error) {
	out, err := a.svc.Claim(ctx, req.GetId(), pbconv.HandlerOf(req.GetHandler()))
	if err != nil {
		return nil, err
	}
	return &pb.ClaimServiceRequestResponse{ServiceRequest: masked(out)}, nil
}

func (a *requestAPI) RecordServiceRequestProgress(ctx context.Context, req *pb.RecordServiceRequestProgressRequest) (*pb.RecordServiceRequestProgressResponse, error) {
	out, err := a.svc.RecordProgress(ctx, req.GetId(), req.GetNote(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RecordServiceRequestProgressResponse{ServiceRequest: masked(out)}, nil
}

func (a *requestAPI) AnswerServiceRequest(ctx context.Context, req *pb.AnswerServiceRequestRequest) (*pb.AnswerServiceRequestResponse, error) {
	out, err := a.svc.Answer(ctx, req.GetId(), req.GetAnswer(), req.GetResolved())
	if err != nil {
		return nil, err
	}
	return &pb.AnswerServiceRequestResponse{ServiceRequest: masked(out)}, nil
}

func (a *requestAPI) RateServiceRequest(ctx context.Context, req *pb.RateServiceRequestRequest) (*pb.RateServiceRequestResponse, error) {
	out, err := a.svc.Rate(ctx, req.GetId(), pbconv.SatisfactionOf(req.GetSatisfaction()), req.GetComment())
	if err != nil {
		return nil, err
	}
	return &pb.RateServiceRequestResponse{ServiceRequest: masked(out)}, nil
}

func (a *requestAPI) CloseServiceRequest(ctx context.Context, req *pb.CloseServiceRequestRequest) (*pb.CloseServiceRequestResponse, error) {
	out, err := a.svc.Close(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.CloseServiceRequestResponse{ServiceRequest: masked(out)}, nil
}

func (a *requestAPI) GetServiceRequestRates(ctx context.Context, req *pb.GetServiceRequestRatesRequest) (*pb.GetServiceRequestRatesResponse, error) {
	month, err := cobuild.ParseMonth("month", req.GetMonth())
	if err != nil {
		return nil, err
	}
	total, list, err := a.svc.Rates(ctx, req.GetOrganisationId(), month)
	if err != nil {
		return nil, err
	}
	out := &pb.GetServiceRequestRatesResponse{Month: month.String(), Total: pbconv.ServiceRequestRates(total)}
	for _, r := range list {
		out.Communities = append(out.Communities, pbconv.ServiceRequestRates(r))
	}
	return out, nil
}

func (a *requestAPI) GetServiceRequestSettings(ctx context.Context, req *pb.GetServiceRequestSettingsRequest) (*pb.GetServiceRequestSettingsResponse, error) {
	st, err := a.svc.GetSettings(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	return &pb.GetServiceRequestSettingsResponse{Settings: pbconv.ServiceRequestSettings(st)}, nil
}

func (a *requestAPI) UpdateServiceRequestSettings(ctx context.Context, req *pb.UpdateServiceRequestSettingsRequest) (*pb.UpdateServiceRequestSettingsResponse, error) {
	st, err := a.svc.UpdateSettings(ctx, pbconv.ServiceRequestSettingsOf(req.GetDistrictId(), req.GetSettings()))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateServiceRequestSettingsResponse{Settings: pbconv.ServiceRequestSettings(st)}, nil
}
