package grpcapi

import (
	"context"
	"strings"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/dues"
	"gongjian.dev/services/member/internal/pbconv"
)

// DuesAPI implements pb.DuesServiceServer.
type DuesAPI struct {
	pb.UnimplementedDuesServiceServer
	svc *dues.Service
}

// NewDues returns the dues API over svc.
func NewDues(svc *dues.Service) *DuesAPI { return &DuesAPI{svc: svc} }

// QuoteDues implements pb.DuesServiceServer.
func (a *DuesAPI) QuoteDues(ctx context.Context, req *pb.QuoteDuesRequest) (*pb.QuoteDuesResponse, error) {
	status := ""
	if req.GetEmploymentStatus() != pb.EmploymentStatus_EMPLOYMENT_STATUS_UNSPECIFIED {
		status = strings.TrimPrefix(req.GetEmploymentStatus().String(), "EMPLOYMENT_STATUS_")
	}
	q, s, err := a.svc.Quote(ctx, req.GetDistrictId(), dues.Income{MonthlyIncomeFen: req.GetMonthlyIncomeFen(),
		EmploymentStatus: status, MinimumLivingAllowance: req.GetMinimumLivingAllowance()})
	if err != nil {
		return nil, err
	}
	return pbconv.DuesQuote(q, s), nil
}

// GetDuesSettings implements pb.DuesServiceServer.
func (a *DuesAPI) GetDuesSettings(ctx context.Context, req *pb.GetDuesSettingsRequest) (*pb.GetDuesSettingsResponse, error) {
	s, err := a.svc.SettingsOf(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	return &pb.GetDuesSettingsResponse{Settings: pbconv.DuesSettings(s)}, nil
}

// UpdateDuesSettings implements pb.DuesServiceServer.
func (a *DuesAPI) UpdateDuesSettings(ctx context.Context, req *pb.UpdateDuesSettingsRequest) (*pb.UpdateDuesSettingsResponse, error) {
	s, err := a.svc.SetSettings(ctx, pbconv.DuesSettingsFrom(req.GetDistrictId(), req.GetSettings()), req.GetEtag(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateDuesSettingsResponse{Settings: pbconv.DuesSettings(s)}, nil
}
