package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/leaving"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/transfer"
)

// EndMembership implements pb.MemberServiceServer.
func (a *API) EndMembership(ctx context.Context, req *pb.EndMembershipRequest) (*pb.EndMembershipResponse, error) {
	r := leaving.Request{MemberID: req.GetId(), Kind: pbconv.Enum(req.GetKind().String(), "LEAVING_KIND_"),
		Reason: req.GetReason(), Etag: req.GetEtag()}
	var err error
	if r.Date, err = day("date", req.GetDate()); err != nil {
		return nil, err
	}
	if r.LostContactSince, err = day("lost_contact_since", req.GetLostContactSince()); err != nil {
		return nil, err
	}
	m, err := a.leaving.EndMembership(ctx, r, actor(ctx))
	if err != nil {
		return nil, err
	}
	out, err := a.out(ctx, m) // a retry may answer a member the caller did not just write
	if err != nil {
		return nil, err
	}
	return &pb.EndMembershipResponse{Member: out[0]}, nil
}

// arrivalFrom is the domain value of the arrival a registration carries;
// nil for none.
func arrivalFrom(a *pb.Arrival) (*member.Arrival, error) {
	if a == nil {
		return nil, nil
	}
	d, err := day("member.arrival.letter_date", a.GetLetterDate())
	if err != nil {
		return nil, err
	}
	return &member.Arrival{OriginOrganisation: a.GetOriginOrganisation(), LetterNumber: a.GetLetterNumber(), LetterDate: d}, nil
}

// RecordTransferReceipt implements pb.TransferServiceServer.
func (a *TransferAPI) RecordTransferReceipt(ctx context.Context, req *pb.RecordTransferReceiptRequest) (*pb.RecordTransferReceiptResponse, error) {
	date, err := day("receipt_date", req.GetReceiptDate())
	if err != nil {
		return nil, err
	}
	t, err := a.svc.RecordReceipt(ctx, transfer.ReceiptRequest{ID: req.GetId(), Number: req.GetReceiptNumber(), Date: date,
		Reason: req.GetReason(), Etag: req.GetEtag(), Actor: actor(ctx)})
	if err != nil {
		return nil, err
	}
	return &pb.RecordTransferReceiptResponse{Transfer: pbconv.Transfer(t)}, nil
}
