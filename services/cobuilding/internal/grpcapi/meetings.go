package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/meetings"
	"gongjian.dev/services/cobuilding/internal/pbconv"
)

type meetingAPI struct {
	pb.UnimplementedJointMeetingServiceServer
	svc *meetings.Service
}

func (a *meetingAPI) CreateJointMeeting(ctx context.Context, req *pb.CreateJointMeetingRequest) (*pb.CreateJointMeetingResponse, error) {
	in, err := pbconv.MeetingOf(req.GetJointMeeting())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Create(ctx, in, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateJointMeetingResponse{JointMeeting: pbconv.Meeting(out)}, nil
}

func (a *meetingAPI) GetJointMeeting(ctx context.Context, req *pb.GetJointMeetingRequest) (*pb.GetJointMeetingResponse, error) {
	out, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetJointMeetingResponse{JointMeeting: pbconv.Meeting(out)}, nil
}

func (a *meetingAPI) ListJointMeetings(ctx context.Context, req *pb.ListJointMeetingsRequest) (*pb.ListJointMeetingsResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetUnitId(), own)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.List(ctx, meetings.MeetingFilter{ConvenerID: req.GetConvenerId(), AncestorID: ancestor, UnitID: unit,
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListJointMeetingsResponse{NextPageToken: next}
	for _, m := range list {
		out.JointMeetings = append(out.JointMeetings, pbconv.Meeting(m))
	}
	return out, nil
}

func (a *meetingAPI) UpdateJointMeeting(ctx context.Context, req *pb.UpdateJointMeetingRequest) (*pb.UpdateJointMeetingResponse, error) {
	in, err := pbconv.MeetingOf(req.GetJointMeeting())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Update(ctx, in.ID, in, req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateJointMeetingResponse{JointMeeting: pbconv.Meeting(out)}, nil
}

type ledgerAPI struct {
	pb.UnimplementedLedgerItemServiceServer
	svc *meetings.Service
}

func (a *ledgerAPI) item(it *meetings.Item) *pb.LedgerItem { return pbconv.Item(it, a.svc.Today()) }

func (a *ledgerAPI) CreateLedgerItem(ctx context.Context, req *pb.CreateLedgerItemRequest) (*pb.CreateLedgerItemResponse, error) {
	in, err := pbconv.ItemOf(req.GetLedgerItem())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.CreateItem(ctx, in, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateLedgerItemResponse{LedgerItem: a.item(out)}, nil
}

func (a *ledgerAPI) GetLedgerItem(ctx context.Context, req *pb.GetLedgerItemRequest) (*pb.GetLedgerItemResponse, error) {
	out, err := a.svc.GetItem(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetLedgerItemResponse{LedgerItem: a.item(out)}, nil
}

func (a *ledgerAPI) ListLedgerItems(ctx context.Context, req *pb.ListLedgerItemsRequest) (*pb.ListLedgerItemsResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetOwnerUnitId(), own)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.ListItems(ctx, meetings.ItemFilter{MeetingID: req.GetMeetingId(), ConvenerID: req.GetConvenerId(),
		OwnerUnitID: unit, AncestorID: ancestor, Status: pbconv.ItemStatusOf(req.GetStatus()), OverdueOnly: req.GetOverdueOnly(),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListLedgerItemsResponse{NextPageToken: next}
	for _, it := range list {
		out.LedgerItems = append(out.LedgerItems, a.item(it))
	}
	return out, nil
}

func (a *ledgerAPI) UpdateLedgerItem(ctx context.Context, req *pb.UpdateLedgerItemRequest) (*pb.UpdateLedgerItemResponse, error) {
	in, err := pbconv.ItemOf(req.GetLedgerItem())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.UpdateItem(ctx, in.ID, in, req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateLedgerItemResponse{LedgerItem: a.item(out)}, nil
}

func (a *ledgerAPI) ReportLedgerProgress(ctx context.Context, req *pb.ReportLedgerProgressRequest) (*pb.ReportLedgerProgressResponse, error) {
	out, err := a.svc.Report(ctx, req.GetId(), meetings.Progress{Note: req.GetNote(), Evidence: pbconv.EvidenceOf(req.GetEvidence()),
		ReportedBy: caller(ctx)})
	if err != nil {
		return nil, err
	}
	return &pb.ReportLedgerProgressResponse{LedgerItem: a.item(out)}, nil
}

func (a *ledgerAPI) CloseLedgerItem(ctx context.Context, req *pb.CloseLedgerItemRequest) (*pb.CloseLedgerItemResponse, error) {
	out, err := a.svc.Close(ctx, req.GetId(), req.GetNote())
	if err != nil {
		return nil, err
	}
	return &pb.CloseLedgerItemResponse{LedgerItem: a.item(out)}, nil
}

func (a *ledgerAPI) SendBackLedgerItem(ctx context.Context, req *pb.SendBackLedgerItemRequest) (*pb.SendBackLedgerItemResponse, error) {
	out, err := a.svc.SendBack(ctx, req.GetId(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &pb.SendBackLedgerItemResponse{LedgerItem: a.item(out)}, nil
}
