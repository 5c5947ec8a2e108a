package grpcapi

import (
	"context"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/transfer"
)

// Sides finds the two organisations of a transfer and the sending
// organisation of a bulk transfer job, and answers whether an organisation
// lies in a subtree.
type Sides interface {
	authz.Tree
	TransferSides(ctx context.Context, id string) (transfer.Sides, error)
	BulkJobOrganisation(ctx context.Context, id string) (string, error)
}

// TransferAPI implements the transfer API.
type TransferAPI struct {
	pb.UnimplementedTransferServiceServer
	svc   *transfer.Service
	sides Sides
	reads audit.Executor
}

// NewTransfers returns the transfer API over a domain service; reads of
// personal data are recorded through reads.
func NewTransfers(svc *transfer.Service, sides Sides, reads audit.Executor) *TransferAPI {
	return &TransferAPI{svc: svc, sides: sides, reads: reads}
}

// inScope refuses, as if it did not exist, an organisation outside the
// caller's subtree: the policy admitted the caller for the side of the
// state it read, and a handler whose side depends on the state checks it
// again (the domain then refuses, under the row lock, a state that moved).
func (a *TransferAPI) inScope(ctx context.Context, org string) error {
	root := authz.ScopeRoot(ctx)
	if root == "" {
		return nil
	}
	ok, err := a.sides.Within(ctx, org, root)
	if err != nil {
		return err
	}
	if !ok {
		return authz.ErrOutOfScope
	}
	return nil
}

// acting is the side whose step action is on a transfer as it stands,
// checked again to lie in the caller's scope.
func (a *TransferAPI) acting(ctx context.Context, id, action string) (transfer.Side, error) {
	s, err := a.sides.TransferSides(ctx, id)
	if err != nil {
		return 0, err
	}
	side := s.Acting(action)
	return side, a.inScope(ctx, s.Org(side))
}

// actor is the caller as the one who takes a step; a member acts only for
// themselves.
func actor(ctx context.Context) member.Actor {
	who, ok := auth.FromContext(ctx)
	if !ok {
		return member.Actor{}
	}
	a := member.Actor{Subject: who.Subject, Role: string(who.Role)}
	if who.Role == auth.Member {
		a.MemberID = who.MemberID
		if a.MemberID == "" {
			a.MemberID = "-" // a member token without a member matches nobody
		}
	}
	return a
}

func stepOf(ctx context.Context, id, reason, etag string) transfer.StepRequest {
	return transfer.StepRequest{ID: id, Reason: reason, Etag: etag, Actor: actor(ctx)}
}

// RequestTransfer implements pb.TransferServiceServer.
func (a *TransferAPI) RequestTransfer(ctx context.Context, req *pb.RequestTransferRequest) (*pb.RequestTransferResponse, error) {
	t := req.GetTransfer()
	out, err := a.svc.RequestTransfer(ctx, transfer.Request{MemberID: t.GetMemberId(),
		ToOrgID: t.GetToOrganisationId(), Reason: t.GetReason(), RequestID: req.GetRequestId(),
		Outside: pbconv.OutsideFrom(t.GetOutside())}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RequestTransferResponse{Transfer: pbconv.Transfer(out)}, nil
}

// GetTransfer implements pb.TransferServiceServer. A member reads their own
// transfers only; any other answers as if it did not exist.
func (a *TransferAPI) GetTransfer(ctx context.Context, req *pb.GetTransferRequest) (*pb.GetTransferResponse, error) {
	t, err := a.svc.GetTransfer(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if self := actor(ctx).MemberID; self != "" && self != t.MemberID {
		return nil, transfer.ErrTransferNotFound
	}
	return &pb.GetTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// ListTransfers implements pb.TransferServiceServer.
func (a *TransferAPI) ListTransfers(ctx context.Context, req *pb.ListTransfersRequest) (*pb.ListTransfersResponse, error) {
	list, next, err := a.svc.ListTransfers(ctx, transfer.Filter{
		MemberID: req.GetMemberId(), OrganisationID: req.GetOrganisationId(),
		State:    pbconv.Enum(req.GetState().String(), "TRANSFER_STATE_"),
		Review:   pbconv.Enum(req.GetReview().String(), "TRANSFER_REVIEW_FILTER_"),
		WithinID: authz.ScopeRoot(ctx),
		Page:     member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
	})
	if err != nil {
		return nil, err
	}
	return &pb.ListTransfersResponse{Transfers: transfers(list), NextPageToken: next}, nil
}

// ListPocketMembers implements pb.TransferServiceServer.
func (a *TransferAPI) ListPocketMembers(ctx context.Context, req *pb.ListPocketMembersRequest) (*pb.ListPocketMembersResponse, error) {
	list, next, err := a.svc.ListTransfers(ctx, transfer.Filter{
		OrganisationID: req.GetOrganisationId(), Pocket: true, WithinID: authz.ScopeRoot(ctx),
		Page: member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
	})
	if err != nil {
		return nil, err
	}
	return &pb.ListPocketMembersResponse{Transfers: transfers(list), NextPageToken: next}, nil
}

func transfers(list []*transfer.Transfer) []*pb.Transfer {
	out := make([]*pb.Transfer, len(list))
	for i, t := range list {
		out[i] = pbconv.Transfer(t)
	}
	return out
}

// ConfirmTransfer implements pb.TransferServiceServer.
func (a *TransferAPI) ConfirmTransfer(ctx context.Context, req *pb.ConfirmTransferRequest) (*pb.ConfirmTransferResponse, error) {
	t, err := a.svc.ConfirmTransfer(ctx, stepOf(ctx, req.GetId(), req.GetReason(), req.GetEtag()))
	if err != nil {
		return nil, err
	}
	return &pb.ConfirmTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// ReleaseTransfer implements pb.TransferServiceServer.
func (a *TransferAPI) ReleaseTransfer(ctx context.Context, req *pb.ReleaseTransferRequest) (*pb.ReleaseTransferResponse, error) {
	t, err := a.svc.ReleaseTransfer(ctx, stepOf(ctx, req.GetId(), req.GetReason(), req.GetEtag()))
	if err != nil {
		return nil, err
	}
	return &pb.ReleaseTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// ReceiveTransfer implements pb.TransferServiceServer.
func (a *TransferAPI) ReceiveTransfer(ctx context.Context, req *pb.ReceiveTransferRequest) (*pb.ReceiveTransferResponse, error) {
	t, err := a.svc.ReceiveTransfer(ctx, stepOf(ctx, req.GetId(), req.GetReason(), req.GetEtag()))
	if err != nil {
		return nil, err
	}
	return &pb.ReceiveTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// RejectTransfer implements pb.TransferServiceServer. The side that may
// reject depends on the state; the policy admitted the caller for the side
// of the state it read, so the handler checks that side again and the
// domain refuses, under the row lock, a state that moved on since.
func (a *TransferAPI) RejectTransfer(ctx context.Context, req *pb.RejectTransferRequest) (*pb.RejectTransferResponse, error) {
	side, err := a.acting(ctx, req.GetId(), transfer.ActionRejected)
	if err != nil {
		return nil, err
	}
	t, err := a.svc.RejectTransfer(ctx, stepOf(ctx, req.GetId(), req.GetReason(), req.GetEtag()), side)
	if err != nil {
		return nil, err
	}
	return &pb.RejectTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// WithdrawTransfer implements pb.TransferServiceServer.
func (a *TransferAPI) WithdrawTransfer(ctx context.Context, req *pb.WithdrawTransferRequest) (*pb.WithdrawTransferResponse, error) {
	t, err := a.svc.WithdrawTransfer(ctx, stepOf(ctx, req.GetId(), req.GetReason(), req.GetEtag()))
	if err != nil {
		return nil, err
	}
	return &pb.WithdrawTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// SuspendTransfer implements pb.TransferServiceServer.
func (a *TransferAPI) SuspendTransfer(ctx context.Context, req *pb.SuspendTransferRequest) (*pb.SuspendTransferResponse, error) {
	side, err := a.acting(ctx, req.GetId(), transfer.ActionSuspended)
	if err != nil {
		return nil, err
	}
	t, err := a.svc.SuspendTransfer(ctx, stepOf(ctx, req.GetId(), req.GetReason(), req.GetEtag()), side)
	if err != nil {
		return nil, err
	}
	return &pb.SuspendTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// ResumeTransfer implements pb.TransferServiceServer.
func (a *TransferAPI) ResumeTransfer(ctx context.Context, req *pb.ResumeTransferRequest) (*pb.ResumeTransferResponse, error) {
	side, err := a.acting(ctx, req.GetId(), transfer.ActionResumed)
	if err != nil {
		return nil, err
	}
	t, err := a.svc.ResumeTransfer(ctx, stepOf(ctx, req.GetId(), req.GetReason(), req.GetEtag()), side)
	if err != nil {
		return nil, err
	}
	return &pb.ResumeTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// RecordTransferReview implements pb.TransferServiceServer.
func (a *TransferAPI) RecordTransferReview(ctx context.Context, req *pb.RecordTransferReviewRequest) (*pb.RecordTransferReviewResponse, error) {
	t, err := a.svc.RecordReview(ctx, stepOf(ctx, req.GetId(), req.GetReason(), req.GetEtag()),
		pbconv.Enum(req.GetOutcome().String(), "TRANSFER_REVIEW_OUTCOME_"))
	if err != nil {
		return nil, err
	}
	return &pb.RecordTransferReviewResponse{Transfer: pbconv.Transfer(t)}, nil
}

// ListNameOnlyMembers implements pb.TransferServiceServer. Every member
// listed leaves a read record, as any read of members does.
func (a *TransferAPI) ListNameOnlyMembers(ctx context.Context, req *pb.ListNameOnlyMembersRequest) (*pb.ListNameOnlyMembersResponse, error) {
	list, next, err := a.svc.ListNameOnly(ctx, transfer.NameOnlyFilter{OrganisationID: req.GetOrganisationId(),
		IncludeUnknown: req.GetIncludeUnknownResidence(), WithinID: authz.ScopeRoot(ctx),
		Page: member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}})
	if err != nil {
		return nil, err
	}
	entries := make([]audit.Entry, len(list))
	for i, n := range list {
		entries[i] = audit.Entry{Action: audit.ActionRead, SubjectType: "member", SubjectID: n.Member.ID,
			OrganisationID: n.Member.OrganisationID}
	}
	if err := audit.WriteReads(ctx, a.reads, entries...); err != nil {
		return nil, err
	}
	view := idView(ctx)
	out := &pb.ListNameOnlyMembersResponse{NextPageToken: next}
	for _, n := range list {
		out.Members = append(out.Members, &pb.NameOnlyMember{Member: pbconv.Member(n.Member, view), CommunityId: n.CommunityID,
			Reason: pb.NameOnlyReason(pb.NameOnlyReason_value["NAME_ONLY_REASON_"+n.Reason])})
	}
	return out, nil
}
