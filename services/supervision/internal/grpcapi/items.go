package grpcapi

import (
	"context"
	"strings"

	"gongjian.dev/pkg/page"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/pbconv"
	"gongjian.dev/services/supervision/internal/rectify"
)

// RectificationAPI implements pb.RectificationServiceServer.
type RectificationAPI struct {
	pb.UnimplementedRectificationServiceServer
	Svc *rectify.Service
}

func (a *RectificationAPI) item(i *rectify.Item) *pb.RectificationItem {
	return pbconv.Item(i, a.Svc.Today())
}

// CreateItem implements pb.RectificationServiceServer.
func (a *RectificationAPI) CreateItem(ctx context.Context, req *pb.CreateItemRequest) (*pb.CreateItemResponse, error) {
	m := req.GetItem()
	i, err := a.Svc.CreateItem(ctx, &rectify.Item{OrganisationID: m.GetOrganisationId(), Title: m.GetTitle(),
		RequiredEvidence: m.GetRequiredEvidence(), Deadline: pbconv.Date(m.GetDeadline())}, req.GetRequestId(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CreateItemResponse{Item: a.item(i)}, nil
}

// GetItem implements pb.RectificationServiceServer.
func (a *RectificationAPI) GetItem(ctx context.Context, req *pb.GetItemRequest) (*pb.GetItemResponse, error) {
	i, err := a.Svc.Item(ctx, req.GetId(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.GetItemResponse{Item: a.item(i)}, nil
}

// ListItems implements pb.RectificationServiceServer.
func (a *RectificationAPI) ListItems(ctx context.Context, req *pb.ListItemsRequest) (*pb.ListItemsResponse, error) {
	after, size, err := pageOf(req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	q := rectify.ItemQuery{OrganisationID: req.GetOrganisationId(), AncestorID: req.GetAncestorId(), RuleCode: req.GetRuleCode(),
		After: rectify.Key{Created: after.At, ID: after.ID}, Limit: size + 1}
	if req.GetState() != pb.ItemState_ITEM_STATE_UNSPECIFIED {
		q.State = rectify.State(strings.TrimPrefix(req.GetState().String(), "ITEM_STATE_"))
	}
	if req.GetOverdueOnly() {
		q.OverdueOn = a.Svc.Today()
	}
	items, err := a.Svc.Items(ctx, q, caller(ctx))
	if err != nil {
		return nil, err
	}
	items, next := page.Cut(items, size, func(i *rectify.Item) any { return timeKey{i.Created, i.ID} })
	out := &pb.ListItemsResponse{NextPageToken: next}
	for _, i := range items {
		out.Items = append(out.Items, a.item(i))
	}
	return out, nil
}

// SubmitEvidence implements pb.RectificationServiceServer.
func (a *RectificationAPI) SubmitEvidence(ctx context.Context, req *pb.SubmitEvidenceRequest) (*pb.SubmitEvidenceResponse, error) {
	i, err := a.Svc.SubmitEvidence(ctx, req.GetId(), pbconv.EvidenceOf(req.GetEvidence()), req.GetNote(), req.GetVersion(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.SubmitEvidenceResponse{Item: a.item(i)}, nil
}

// AcceptItem implements pb.RectificationServiceServer.
func (a *RectificationAPI) AcceptItem(ctx context.Context, req *pb.AcceptItemRequest) (*pb.AcceptItemResponse, error) {
	i, err := a.Svc.Accept(ctx, req.GetId(), req.GetNote(), req.GetVersion(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.AcceptItemResponse{Item: a.item(i)}, nil
}

// ReturnItem implements pb.RectificationServiceServer.
func (a *RectificationAPI) ReturnItem(ctx context.Context, req *pb.ReturnItemRequest) (*pb.ReturnItemResponse, error) {
	i, err := a.Svc.Return(ctx, req.GetId(), req.GetReason(), req.GetVersion(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ReturnItemResponse{Item: a.item(i)}, nil
}

// ReopenItem implements pb.RectificationServiceServer.
func (a *RectificationAPI) ReopenItem(ctx context.Context, req *pb.ReopenItemRequest) (*pb.ReopenItemResponse, error) {
	i, err := a.Svc.Reopen(ctx, req.GetId(), req.GetReason(), pbconv.Date(req.GetDeadline()), req.GetVersion(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ReopenItemResponse{Item: a.item(i)}, nil
}

// ListItemSteps implements pb.RectificationServiceServer.
func (a *RectificationAPI) ListItemSteps(ctx context.Context, req *pb.ListItemStepsRequest) (*pb.ListItemStepsResponse, error) {
	steps, err := a.Svc.Steps(ctx, req.GetItemId(), caller(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListItemStepsResponse{}
	for _, s := range steps {
		out.Steps = append(out.Steps, pbconv.Step(s))
	}
	return out, nil
}
