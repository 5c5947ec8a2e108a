package grpcapi

import (
	"context"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/errs"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/evaluations"
	"gongjian.dev/services/cobuilding/internal/pbconv"
)

type evaluationAPI struct {
	pb.UnimplementedEvaluationServiceServer
	svc *evaluations.Service
}

func (a *evaluationAPI) RecordEvaluation(ctx context.Context, req *pb.RecordEvaluationRequest) (*pb.RecordEvaluationResponse, error) {
	in := pbconv.EvaluationOf(req.GetEvaluation())
	if who, ok := auth.FromContext(ctx); ok && who.Role == auth.UnitContact && in.Direction != evaluations.UnitToCommunity {
		return nil, errs.Detail(authz.ErrRole, "a unit's contact records only their unit's grade of the community")
	}
	out, corrected, err := a.svc.Record(ctx, in, caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RecordEvaluationResponse{Evaluation: pbconv.Evaluation(out), Corrected: corrected}, nil
}

func (a *evaluationAPI) GetEvaluation(ctx context.Context, req *pb.GetEvaluationRequest) (*pb.GetEvaluationResponse, error) {
	out, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetEvaluationResponse{Evaluation: pbconv.Evaluation(out)}, nil
}

func (a *evaluationAPI) ListEvaluations(ctx context.Context, req *pb.ListEvaluationsRequest) (*pb.ListEvaluationsResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetUnitId(), own)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.List(ctx, evaluations.Filter{Year: int(req.GetYear()), Direction: pbconv.EvaluationDirectionOf(req.GetDirection()),
		Grade: pbconv.EvaluationGradeOf(req.GetGrade()), CommunityID: req.GetCommunityId(), UnitID: unit, AncestorID: ancestor,
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListEvaluationsResponse{NextPageToken: next}
	for _, e := range list {
		out.Evaluations = append(out.Evaluations, pbconv.Evaluation(e))
	}
	return out, nil
}
