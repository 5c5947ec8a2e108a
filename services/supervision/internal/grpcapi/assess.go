package grpcapi

import (
	"context"
	"strings"

	"gongjian.dev/pkg/page"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/assess"
	"gongjian.dev/services/supervision/internal/pbconv"
)

// assessor is the assess actor of the call's principal.
func assessor(ctx context.Context) assess.Actor {
	c := caller(ctx)
	return assess.Actor{Subject: c.Subject, Role: c.Role, Inspector: c.Inspector, ScopeRoot: c.ScopeRoot}
}

// AssessmentAPI implements pb.AssessmentServiceServer and pb.CommendationServiceServer.
type AssessmentAPI struct {
	pb.UnimplementedAssessmentServiceServer
	pb.UnimplementedCommendationServiceServer
	Svc *assess.Service
}

// CreateTaskList implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) CreateTaskList(ctx context.Context, req *pb.CreateTaskListRequest) (*pb.CreateTaskListResponse, error) {
	l, err := a.Svc.CreateTaskList(ctx, pbconv.TaskListOf(req.GetTaskList()), req.GetRequestId(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CreateTaskListResponse{TaskList: pbconv.TaskList(l)}, nil
}

// GetTaskList implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) GetTaskList(ctx context.Context, req *pb.GetTaskListRequest) (*pb.GetTaskListResponse, error) {
	l, err := a.Svc.TaskList(ctx, req.GetId(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.GetTaskListResponse{TaskList: pbconv.TaskList(l)}, nil
}

// ListTaskLists implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) ListTaskLists(ctx context.Context, req *pb.ListTaskListsRequest) (*pb.ListTaskListsResponse, error) {
	after, size, err := pageOf(req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	ls, err := a.Svc.TaskLists(ctx, assess.ListQuery{OrganisationID: req.GetOrganisationId(), AncestorID: req.GetAncestorId(),
		Period: req.GetPeriod(), After: assess.Key{Created: after.At, ID: after.ID}, Limit: size + 1}, assessor(ctx))
	if err != nil {
		return nil, err
	}
	ls, next := page.Cut(ls, size, func(l *assess.TaskList) any { return timeKey{l.Created, l.ID} })
	out := &pb.ListTaskListsResponse{NextPageToken: next}
	for _, l := range ls {
		out.TaskLists = append(out.TaskLists, pbconv.TaskList(l))
	}
	return out, nil
}

// SubmitTaskEvidence implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) SubmitTaskEvidence(ctx context.Context, req *pb.SubmitTaskEvidenceRequest) (*pb.SubmitTaskEvidenceResponse, error) {
	e, err := a.Svc.SubmitEvidence(ctx, &assess.Evidence{TaskListID: req.GetTaskListId(), TaskCode: req.GetTaskCode(),
		Description: req.GetDescription(), Reference: req.GetReference()}, assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.SubmitTaskEvidenceResponse{Evidence: pbconv.TaskEvidence(e)}, nil
}

// ReviewTaskEvidence implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) ReviewTaskEvidence(ctx context.Context, req *pb.ReviewTaskEvidenceRequest) (*pb.ReviewTaskEvidenceResponse, error) {
	e, err := a.Svc.Review(ctx, req.GetId(), req.GetScore(), req.GetNote(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ReviewTaskEvidenceResponse{Evidence: pbconv.TaskEvidence(e)}, nil
}

// ListTaskEvidence implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) ListTaskEvidence(ctx context.Context, req *pb.ListTaskEvidenceRequest) (*pb.ListTaskEvidenceResponse, error) {
	es, err := a.Svc.EvidenceOf(ctx, req.GetTaskListId(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListTaskEvidenceResponse{}
	for _, e := range es {
		out.Evidence = append(out.Evidence, pbconv.TaskEvidence(e))
	}
	return out, nil
}

// RecordDailyEntry implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) RecordDailyEntry(ctx context.Context, req *pb.RecordDailyEntryRequest) (*pb.RecordDailyEntryResponse, error) {
	d, err := a.Svc.RecordDaily(ctx, pbconv.DailyEntryOf(req.GetEntry()), req.GetRequestId(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RecordDailyEntryResponse{Entry: pbconv.DailyEntry(d)}, nil
}

// ListDailyEntries implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) ListDailyEntries(ctx context.Context, req *pb.ListDailyEntriesRequest) (*pb.ListDailyEntriesResponse, error) {
	ds, err := a.Svc.DailyEntries(ctx, req.GetOrganisationId(), req.GetPeriod(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListDailyEntriesResponse{}
	for _, d := range ds {
		out.Entries = append(out.Entries, pbconv.DailyEntry(d))
	}
	return out, nil
}

// GradePeriod implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) GradePeriod(ctx context.Context, req *pb.GradePeriodRequest) (*pb.GradePeriodResponse, error) {
	rs, err := a.Svc.Grade(ctx, req.GetDistrictId(), req.GetPeriod(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.GradePeriodResponse{Results: results(rs)}, nil
}

func results(rs []*assess.Result) []*pb.AssessmentResult {
	out := make([]*pb.AssessmentResult, 0, len(rs))
	for _, r := range rs {
		out = append(out, pbconv.AssessmentResult(r))
	}
	return out
}

// ListResults implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) ListResults(ctx context.Context, req *pb.ListResultsRequest) (*pb.ListResultsResponse, error) {
	rs, err := a.Svc.Results(ctx, assess.ResultQuery{OrganisationID: req.GetOrganisationId(), ParentID: req.GetParentId(),
		Period: req.GetPeriod()}, assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ListResultsResponse{Results: results(rs)}, nil
}

// CorrectResult implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) CorrectResult(ctx context.Context, req *pb.CorrectResultRequest) (*pb.CorrectResultResponse, error) {
	r, reranked, err := a.Svc.Correct(ctx, req.GetOrganisationId(), req.GetPeriod(), req.GetTaskScore(), req.GetDailyScore(),
		req.GetReason(), req.GetVersion(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CorrectResultResponse{Result: pbconv.AssessmentResult(r), Reranked: results(reranked)}, nil
}

// ListResultVersions implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) ListResultVersions(ctx context.Context, req *pb.ListResultVersionsRequest) (*pb.ListResultVersionsResponse, error) {
	vs, err := a.Svc.ResultVersions(ctx, req.GetOrganisationId(), req.GetPeriod(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ListResultVersionsResponse{Versions: results(vs)}, nil
}

// GetAssessmentSettings implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) GetAssessmentSettings(ctx context.Context, req *pb.GetAssessmentSettingsRequest) (*pb.GetAssessmentSettingsResponse, error) {
	st, err := a.Svc.Settings(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	return &pb.GetAssessmentSettingsResponse{Settings: pbconv.AssessmentSettings(st)}, nil
}

// UpdateAssessmentSettings implements pb.AssessmentServiceServer.
func (a *AssessmentAPI) UpdateAssessmentSettings(ctx context.Context, req *pb.UpdateAssessmentSettingsRequest) (*pb.UpdateAssessmentSettingsResponse, error) {
	st, err := a.Svc.SetSettings(ctx, pbconv.AssessmentSettingsOf(req.GetSettings()), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateAssessmentSettingsResponse{Settings: pbconv.AssessmentSettings(st)}, nil
}

// ProposeCommendation implements pb.CommendationServiceServer.
func (a *AssessmentAPI) ProposeCommendation(ctx context.Context, req *pb.ProposeCommendationRequest) (*pb.ProposeCommendationResponse, error) {
	c, err := a.Svc.Propose(ctx, pbconv.CommendationOf(req.GetCommendation()), req.GetRequestId(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ProposeCommendationResponse{Commendation: pbconv.Commendation(c)}, nil
}

// ListCommendations implements pb.CommendationServiceServer.
func (a *AssessmentAPI) ListCommendations(ctx context.Context, req *pb.ListCommendationsRequest) (*pb.ListCommendationsResponse, error) {
	state := assess.CommendationState(strings.TrimPrefix(req.GetState().String(), "COMMENDATION_STATE_"))
	if req.GetState() == pb.CommendationState_COMMENDATION_STATE_UNSPECIFIED {
		state = ""
	}
	after, size, err := pageOf(req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	cs, err := a.Svc.Commendations(ctx, assess.CommendationQuery{AncestorID: req.GetAncestorId(), Year: req.GetYear(), State: state,
		After: assess.Key{Created: after.At, ID: after.ID}, Limit: size + 1}, assessor(ctx))
	if err != nil {
		return nil, err
	}
	cs, next := page.Cut(cs, size, func(c *assess.Commendation) any { return timeKey{c.Created, c.ID} })
	return &pb.ListCommendationsResponse{Commendations: commendations(cs), NextPageToken: next}, nil
}

func commendations(cs []*assess.Commendation) []*pb.Commendation {
	out := make([]*pb.Commendation, 0, len(cs))
	for _, c := range cs {
		out = append(out, pbconv.Commendation(c))
	}
	return out
}

// DecideCommendation implements pb.CommendationServiceServer.
func (a *AssessmentAPI) DecideCommendation(ctx context.Context, req *pb.DecideCommendationRequest) (*pb.DecideCommendationResponse, error) {
	c, err := a.Svc.Decide(ctx, req.GetId(), req.GetApprove(), req.GetNote(), req.GetVersion(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.DecideCommendationResponse{Commendation: pbconv.Commendation(c)}, nil
}

// PublishCommendations implements pb.CommendationServiceServer.
func (a *AssessmentAPI) PublishCommendations(ctx context.Context, req *pb.PublishCommendationsRequest) (*pb.PublishCommendationsResponse, error) {
	cs, err := a.Svc.Publish(ctx, req.GetAncestorId(), req.GetYear(), req.GetTitle(), assessor(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.PublishCommendationsResponse{Commendations: commendations(cs)}
	for _, c := range cs {
		if c.Kind == assess.OfOrganisation {
			out.Organisations++
		} else {
			out.Individuals++
		}
	}
	return out, nil
}
