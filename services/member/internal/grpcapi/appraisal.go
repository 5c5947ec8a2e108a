package grpcapi

import (
	"context"

	"gongjian.dev/pkg/audit"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/reporting"
)

// AppraisalAPI implements the appraisal API.
type AppraisalAPI struct {
	pb.UnimplementedAppraisalServiceServer
	svc   *reporting.Service
	reads audit.Executor
}

// NewAppraisals returns the appraisal API over a domain service; reads of
// a member's results are recorded through reads.
func NewAppraisals(svc *reporting.Service, reads audit.Executor) *AppraisalAPI {
	return &AppraisalAPI{svc: svc, reads: reads}
}

// RecordAppraisal implements pb.AppraisalServiceServer.
func (a *AppraisalAPI) RecordAppraisal(ctx context.Context, req *pb.RecordAppraisalRequest) (*pb.RecordAppraisalResponse, error) {
	ap, err := a.svc.RecordAppraisal(ctx, reporting.AppraisalRequest{MemberID: req.GetMemberId(),
		Grade: pbconv.Enum(req.GetGrade().String(), "PERFORMANCE_GRADE_"), Comment: req.GetComment(), Etag: req.GetEtag(),
		RequestID: req.GetRequestId(), Year: req.GetYear()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RecordAppraisalResponse{Appraisal: pbconv.Appraisal(ap)}, nil
}

// ListAppraisals implements pb.AppraisalServiceServer. A member reads
// their own.
func (a *AppraisalAPI) ListAppraisals(ctx context.Context, req *pb.ListAppraisalsRequest) (*pb.ListAppraisalsResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	list, org, err := a.svc.Appraisals(ctx, req.GetMemberId(), req.GetYear())
	if err != nil {
		return nil, err
	}
	if err := recordReads(ctx, a.reads, "appraisal", map[string]string{req.GetMemberId(): org}); err != nil {
		return nil, err
	}
	out := &pb.ListAppraisalsResponse{}
	for _, ap := range list {
		out.Appraisals = append(out.Appraisals, pbconv.Appraisal(ap))
	}
	return out, nil
}

// SetStarRating implements pb.AppraisalServiceServer.
func (a *AppraisalAPI) SetStarRating(ctx context.Context, req *pb.SetStarRatingRequest) (*pb.SetStarRatingResponse, error) {
	r, current, err := a.svc.SetStarRating(ctx, reporting.StarRequest{MemberID: req.GetMemberId(), Reason: req.GetReason(),
		Etag: req.GetEtag(), RequestID: req.GetRequestId(), Year: req.GetYear(), Stars: req.GetStars()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.SetStarRatingResponse{Rating: pbconv.StarRating(r), CurrentStars: current}, nil
}

// ListStarRatings implements pb.AppraisalServiceServer. A member reads
// their own.
func (a *AppraisalAPI) ListStarRatings(ctx context.Context, req *pb.ListStarRatingsRequest) (*pb.ListStarRatingsResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	list, m, err := a.svc.StarRatings(ctx, req.GetMemberId())
	if err != nil {
		return nil, err
	}
	if err := recordReads(ctx, a.reads, "star_rating", map[string]string{m.ID: m.OrganisationID}); err != nil {
		return nil, err
	}
	out := &pb.ListStarRatingsResponse{CurrentStars: m.StarRating}
	for _, r := range list {
		out.Ratings = append(out.Ratings, pbconv.StarRating(r))
	}
	return out, nil
}
