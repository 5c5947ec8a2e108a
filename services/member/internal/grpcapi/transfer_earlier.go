package grpcapi

import (
	"context"
	"time"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/transfer"
)

// RecordEarlierTransfer implements pb.TransferServiceServer.
func (a *TransferAPI) RecordEarlierTransfer(ctx context.Context, req *pb.RecordEarlierTransferRequest) (*pb.RecordEarlierTransferResponse, error) {
	r := transfer.EarlierTransfer{MemberID: req.GetMemberId(), ToOrgID: req.GetToOrganisationId(), Reason: req.GetReason(),
		LetterNumber: req.GetLetterNumber(), RequestID: req.GetRequestId()}
	var err error
	for _, d := range []struct {
		field, value string
		into         *time.Time
	}{{"requested_date", req.GetRequestedDate(), &r.Requested}, {"confirmed_date", req.GetConfirmedDate(), &r.Confirmed},
		{"released_date", req.GetReleasedDate(), &r.Released}} {
		if *d.into, err = day(d.field, d.value); err != nil {
			return nil, err
		}
	}
	t, err := a.svc.RecordEarlierTransfer(ctx, r, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RecordEarlierTransferResponse{Transfer: pbconv.Transfer(t)}, nil
}

// GetTransferSettings implements pb.TransferServiceServer.
func (a *TransferAPI) GetTransferSettings(ctx context.Context, req *pb.GetTransferSettingsRequest) (*pb.GetTransferSettingsResponse, error) {
	s, err := a.svc.SettingsOf(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	return &pb.GetTransferSettingsResponse{Settings: pbconv.TransferSettings(s)}, nil
}

// UpdateTransferSettings implements pb.TransferServiceServer.
func (a *TransferAPI) UpdateTransferSettings(ctx context.Context, req *pb.UpdateTransferSettingsRequest) (*pb.UpdateTransferSettingsResponse, error) {
	s, err := a.svc.SetSettings(ctx, pbconv.TransferSettingsFrom(req.GetDistrictId(), req.GetSettings()),
		req.GetEtag(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateTransferSettingsResponse{Settings: pbconv.TransferSettings(s)}, nil
}
