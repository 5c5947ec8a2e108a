package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/pbconv"
	"gongjian.dev/services/cobuilding/internal/reports"
)

type reportAPI struct {
	pb.UnimplementedUnitReportServiceServer
	svc *reports.Service
}

func (a *reportAPI) CreateUnitReport(ctx context.Context, req *pb.CreateUnitReportRequest) (*pb.CreateUnitReportResponse, error) {
	in, err := pbconv.ReportOf(req.GetUnitReport())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Create(ctx, in, caller(ctx), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateUnitReportResponse{UnitReport: pbconv.Report(out)}, nil
}

func (a *reportAPI) GetUnitReport(ctx context.Context, req *pb.GetUnitReportRequest) (*pb.GetUnitReportResponse, error) {
	out, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetUnitReportResponse{UnitReport: pbconv.Report(out)}, nil
}

func (a *reportAPI) filter(ctx context.Context, unitID, communityID, ancestorID, month string, size int32, token string) (reports.Filter, error) {
	ancestor, own := listScope(ctx, ancestorID)
	unit, err := ownUnit(unitID, own)
	return reports.Filter{UnitID: unit, CommunityID: communityID, AncestorID: ancestor, Month: month,
		PageSize: int(size), PageToken: token}, err
}

func (a *reportAPI) ListUnitReports(ctx context.Context, req *pb.ListUnitReportsRequest) (*pb.ListUnitReportsResponse, error) {
	f, err := a.filter(ctx, req.GetUnitId(), req.GetCommunityId(), req.GetAncestorId(), req.GetMonth(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	f.LateOnly = req.GetLateOnly()
	list, next, err := a.svc.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &pb.ListUnitReportsResponse{NextPageToken: next}
	for _, r := range list {
		out.UnitReports = append(out.UnitReports, pbconv.Report(r))
	}
	return out, nil
}

func (a *reportAPI) UpdateUnitReport(ctx context.Context, req *pb.UpdateUnitReportRequest) (*pb.UpdateUnitReportResponse, error) {
	in, err := pbconv.ReportOf(req.GetUnitReport())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Update(ctx, in.ID, in, req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateUnitReportResponse{UnitReport: pbconv.Report(out)}, nil
}

func (a *reportAPI) ListMissedReports(ctx context.Context, req *pb.ListMissedReportsRequest) (*pb.ListMissedReportsResponse, error) {
	f, err := a.filter(ctx, req.GetUnitId(), req.GetCommunityId(), req.GetAncestorId(), req.GetMonth(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.ListMissed(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &pb.ListMissedReportsResponse{NextPageToken: next}
	for _, m := range list {
		out.MissedReports = append(out.MissedReports, pbconv.Missed(m))
	}
	return out, nil
}
