package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/balancing"
	"gongjian.dev/services/cobuilding/internal/pbconv"
)

type balancingAPI struct {
	pb.UnimplementedBalancingServiceServer
	svc *balancing.Service
}

func (a *balancingAPI) GetCoBuildingBalance(ctx context.Context, req *pb.GetCoBuildingBalanceRequest) (*pb.GetCoBuildingBalanceResponse, error) {
	list, unassigned, err := a.svc.Balance(ctx, req.GetOrganisationId())
	if err != nil {
		return nil, err
	}
	out := &pb.GetCoBuildingBalanceResponse{UnitsWithoutAgreement: int32(unassigned)}
	for _, b := range list {
		out.Communities = append(out.Communities, pbconv.CommunityBalance(b))
	}
	return out, nil
}

func (a *balancingAPI) CreateBalancingProposal(ctx context.Context, req *pb.CreateBalancingProposalRequest) (*pb.CreateBalancingProposalResponse, error) {
	p, err := a.svc.Propose(ctx, req.GetOrganisationId(), caller(ctx), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateBalancingProposalResponse{BalancingProposal: pbconv.BalancingProposal(p)}, nil
}

func (a *balancingAPI) GetBalancingProposal(ctx context.Context, req *pb.GetBalancingProposalRequest) (*pb.GetBalancingProposalResponse, error) {
	p, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetBalancingProposalResponse{BalancingProposal: pbconv.BalancingProposal(p)}, nil
}

func (a *balancingAPI) AcceptBalancingProposal(ctx context.Context, req *pb.AcceptBalancingProposalRequest) (*pb.AcceptBalancingProposalResponse, error) {
	terms, err := pbconv.TermsOf(req)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.Accept(ctx, req.GetId(), terms, caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.AcceptBalancingProposalResponse{BalancingProposal: pbconv.BalancingProposal(p)}, nil
}
