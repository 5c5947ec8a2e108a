package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/pbconv"
)

type agreementAPI struct {
	pb.UnimplementedAgreementServiceServer
	svc *agreements.Service
}

func (a *agreementAPI) CreateAgreement(ctx context.Context, req *pb.CreateAgreementRequest) (*pb.CreateAgreementResponse, error) {
	in, err := pbconv.AgreementOf(req.GetAgreement())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Create(ctx, in, caller(ctx), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateAgreementResponse{Agreement: pbconv.Agreement(out)}, nil
}

func (a *agreementAPI) GetAgreement(ctx context.Context, req *pb.GetAgreementRequest) (*pb.GetAgreementResponse, error) {
	out, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetAgreementResponse{Agreement: pbconv.Agreement(out)}, nil
}

func (a *agreementAPI) ListAgreements(ctx context.Context, req *pb.ListAgreementsRequest) (*pb.ListAgreementsResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetUnitId(), own)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.List(ctx, agreements.Filter{CommunityID: req.GetCommunityId(), UnitID: unit, AncestorID: ancestor,
		State: pbconv.AgreementState(req.GetState()), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListAgreementsResponse{NextPageToken: next}
	for _, x := range list {
		out.Agreements = append(out.Agreements, pbconv.Agreement(x))
	}
	return out, nil
}

func (a *agreementAPI) UpdateAgreement(ctx context.Context, req *pb.UpdateAgreementRequest) (*pb.UpdateAgreementResponse, error) {
	in, err := pbconv.AgreementOf(req.GetAgreement())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Update(ctx, in.ID, in, req.GetUpdateMask().GetPaths(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateAgreementResponse{Agreement: pbconv.Agreement(out)}, nil
}

func (a *agreementAPI) RenewAgreement(ctx context.Context, req *pb.RenewAgreementRequest) (*pb.RenewAgreementResponse, error) {
	end, err := cobuild.ParseDate("end_date", req.GetEndDate())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Renew(ctx, req.GetId(), end, caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RenewAgreementResponse{Agreement: pbconv.Agreement(out)}, nil
}

func (a *agreementAPI) EndAgreement(ctx context.Context, req *pb.EndAgreementRequest) (*pb.EndAgreementResponse, error) {
	day, err := cobuild.ParseDate("date", req.GetDate())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.End(ctx, req.GetId(), day, req.GetReason(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.EndAgreementResponse{Agreement: pbconv.Agreement(out)}, nil
}

func (a *agreementAPI) ListAgreementVersions(ctx context.Context, req *pb.ListAgreementVersionsRequest) (*pb.ListAgreementVersionsResponse, error) {
	vs, err := a.svc.Versions(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	out := &pb.ListAgreementVersionsResponse{}
	for _, v := range vs {
		out.Versions = append(out.Versions, pbconv.AgreementVersion(v))
	}
	return out, nil
}
