package grpcapi

import (
	"context"
	"time"

	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/pbconv"
	"gongjian.dev/services/supervision/internal/rectify"
)

// InspectionAPI implements pb.InspectionServiceServer and pb.InterviewServiceServer.
type InspectionAPI struct {
	pb.UnimplementedInspectionServiceServer
	pb.UnimplementedInterviewServiceServer
	Svc *rectify.Service
}

// CreateRound implements pb.InspectionServiceServer.
func (a *InspectionAPI) CreateRound(ctx context.Context, req *pb.CreateRoundRequest) (*pb.CreateRoundResponse, error) {
	r, err := a.Svc.CreateRound(ctx, pbconv.RoundOf(req.GetRound()), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CreateRoundResponse{Round: pbconv.Round(r)}, nil
}

// GetRound implements pb.InspectionServiceServer.
func (a *InspectionAPI) GetRound(ctx context.Context, req *pb.GetRoundRequest) (*pb.GetRoundResponse, error) {
	r, err := a.Svc.Round(ctx, req.GetId(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.GetRoundResponse{Round: pbconv.Round(r)}, nil
}

// ListRounds implements pb.InspectionServiceServer.
func (a *InspectionAPI) ListRounds(ctx context.Context, req *pb.ListRoundsRequest) (*pb.ListRoundsResponse, error) {
	root := authz.ScopeRoot(ctx)
	if req.GetDistrictId() != "" {
		root = req.GetDistrictId() // the policy checked it lies in scope, or above it
	}
	rs, err := a.Svc.Rounds(ctx, root, caller(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListRoundsResponse{}
	for _, r := range rs {
		out.Rounds = append(out.Rounds, pbconv.Round(r))
	}
	return out, nil
}

// CreateGroup implements pb.InspectionServiceServer.
func (a *InspectionAPI) CreateGroup(ctx context.Context, req *pb.CreateGroupRequest) (*pb.CreateGroupResponse, error) {
	g, err := a.Svc.CreateGroup(ctx, pbconv.GroupOf(req.GetGroup()), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CreateGroupResponse{Group: pbconv.Group(g)}, nil
}

// UpdateGroup implements pb.InspectionServiceServer.
func (a *InspectionAPI) UpdateGroup(ctx context.Context, req *pb.UpdateGroupRequest) (*pb.UpdateGroupResponse, error) {
	g, err := a.Svc.UpdateGroup(ctx, pbconv.GroupOf(req.GetGroup()), req.GetUpdateMask().GetPaths(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateGroupResponse{Group: pbconv.Group(g)}, nil
}

// ListGroups implements pb.InspectionServiceServer.
func (a *InspectionAPI) ListGroups(ctx context.Context, req *pb.ListGroupsRequest) (*pb.ListGroupsResponse, error) {
	gs, err := a.Svc.Groups(ctx, req.GetRoundId(), caller(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListGroupsResponse{}
	for _, g := range gs {
		out.Groups = append(out.Groups, pbconv.Group(g))
	}
	return out, nil
}

// RecordInspectionFinding implements pb.InspectionServiceServer.
func (a *InspectionAPI) RecordInspectionFinding(ctx context.Context, req *pb.RecordInspectionFindingRequest) (*pb.RecordInspectionFindingResponse, error) {
	var found time.Time
	if d := req.GetFoundOn(); d != "" {
		var err error
		if found, err = time.Parse(time.DateOnly, d); err != nil {
			return nil, errs.Field(rectify.ErrInvalid, "found_on", "not a day (YYYY-MM-DD)")
		}
	}
	f, item, err := a.Svc.RecordFinding(ctx, rectify.FindingRequest{GroupID: req.GetGroupId(), OrganisationID: req.GetOrganisationId(),
		ChecklistCode: req.GetChecklistCode(), Description: req.GetDescription(), DeadlineDays: req.GetDeadlineDays(),
		RequiredEvidence: req.GetRequiredEvidence(), FoundOn: found}, caller(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.RecordInspectionFindingResponse{Finding: pbconv.InspectionFinding(f)}
	if item != nil {
		out.Item = pbconv.Item(item, a.Svc.Today())
	}
	return out, nil
}

// ListInspectionFindings implements pb.InspectionServiceServer.
func (a *InspectionAPI) ListInspectionFindings(ctx context.Context, req *pb.ListInspectionFindingsRequest) (*pb.ListInspectionFindingsResponse, error) {
	fs, err := a.Svc.InspectionFindings(ctx, req.GetRoundId(), caller(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListInspectionFindingsResponse{}
	for _, f := range fs {
		out.Findings = append(out.Findings, pbconv.InspectionFinding(f))
	}
	return out, nil
}

// ScheduleInterview implements pb.InterviewServiceServer.
func (a *InspectionAPI) ScheduleInterview(ctx context.Context, req *pb.ScheduleInterviewRequest) (*pb.ScheduleInterviewResponse, error) {
	m := req.GetInterview()
	iv, err := a.Svc.Schedule(ctx, &rectify.Interview{OrganisationID: m.GetOrganisationId(), Reason: m.GetReason(),
		DueBy: pbconv.Date(m.GetDueBy()), FindingID: m.GetFindingId()}, caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ScheduleInterviewResponse{Interview: pbconv.Interview(iv)}, nil
}

// GetInterview implements pb.InterviewServiceServer.
func (a *InspectionAPI) GetInterview(ctx context.Context, req *pb.GetInterviewRequest) (*pb.GetInterviewResponse, error) {
	iv, err := a.Svc.Interview(ctx, req.GetId(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.GetInterviewResponse{Interview: pbconv.Interview(iv)}, nil
}

// ListInterviews implements pb.InterviewServiceServer.
func (a *InspectionAPI) ListInterviews(ctx context.Context, req *pb.ListInterviewsRequest) (*pb.ListInterviewsResponse, error) {
	after, size, err := pageOf(req.GetPageToken(), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	ivs, err := a.Svc.Interviews(ctx, rectify.InterviewQuery{OrganisationID: req.GetOrganisationId(), AncestorID: req.GetAncestorId(),
		After: rectify.Key{Created: after.At, ID: after.ID}, Limit: size + 1}, caller(ctx))
	if err != nil {
		return nil, err
	}
	ivs, next := page.Cut(ivs, size, func(iv *rectify.Interview) any { return timeKey{iv.Created, iv.ID} })
	out := &pb.ListInterviewsResponse{NextPageToken: next}
	for _, iv := range ivs {
		out.Interviews = append(out.Interviews, pbconv.Interview(iv))
	}
	return out, nil
}

// RecordInterviewHeld implements pb.InterviewServiceServer.
func (a *InspectionAPI) RecordInterviewHeld(ctx context.Context, req *pb.RecordInterviewHeldRequest) (*pb.RecordInterviewHeldResponse, error) {
	iv, err := a.Svc.RecordHeld(ctx, req.GetId(), pbconv.Date(req.GetHeldOn()), req.GetInterviewee(), pbconv.Date(req.GetFixDeadline()),
		req.GetNote(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RecordInterviewHeldResponse{Interview: pbconv.Interview(iv)}, nil
}

// RecordInterviewFollowUp implements pb.InterviewServiceServer.
func (a *InspectionAPI) RecordInterviewFollowUp(ctx context.Context, req *pb.RecordInterviewFollowUpRequest) (*pb.RecordInterviewFollowUpResponse, error) {
	iv, err := a.Svc.RecordFollowUp(ctx, req.GetId(), pbconv.Date(req.GetFollowedUpOn()), req.GetFollowUp(), caller(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RecordInterviewFollowUpResponse{Interview: pbconv.Interview(iv)}, nil
}
