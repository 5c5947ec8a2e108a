// Package grpcapi is the gRPC transport of the organisation service: it
// converts messages to the domain and back. Input rules are checked before a
// handler runs (buf.validate in the protos, by the server's interceptor);
// domain errors are mapped to statuses by the server's one error mapper.
package grpcapi

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/errs"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/pbconv"
)

// API implements the three services of the organisation API.
type API struct {
	pb.UnimplementedOrganisationServiceServer
	pb.UnimplementedDemonstrationServiceServer
	pb.UnimplementedComplianceServiceServer
	svc     *org.Service
	reads   audit.Executor
	members memberv1.MemberServiceClient
}

// New returns the API over a domain service; reads of personal data (the
// cadres of leadership teams) are recorded in the audit log through reads.
// members, when not nil, is the member service, which the reconciliation
// of member counts asks.
func New(svc *org.Service, reads audit.Executor, members memberv1.MemberServiceClient) *API {
	return &API{svc: svc, reads: reads, members: members}
}

// readTeams records who read the leadership teams (personal data: names,
// birth dates, education of cadres) of these organisations. The read fails
// if it cannot be recorded.
func (a *API) readTeams(ctx context.Context, os ...*org.Organisation) error {
	var entries []audit.Entry
	for _, o := range os {
		if len(o.Leadership) > 0 {
			entries = append(entries, audit.Entry{Action: audit.ActionRead, SubjectType: "leadership_team", SubjectID: o.ID, OrganisationID: o.ID})
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return audit.WriteReads(ctx, a.reads, entries...)
}

// withoutTeams strips leadership teams from listed organisations: lists
// serve navigation, and the personal data of cadres is read one
// organisation at a time, each read recorded.
func withoutTeams(ms []*pb.Organisation) []*pb.Organisation {
	for _, m := range ms {
		m.Leadership = nil
	}
	return ms
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func orgs(os []*org.Organisation) []*pb.Organisation {
	out := make([]*pb.Organisation, len(os))
	for i, o := range os {
		out[i] = pbconv.Organisation(o)
	}
	return out
}

// CreateOrganisation implements pb.OrganisationServiceServer.
func (a *API) CreateOrganisation(ctx context.Context, req *pb.CreateOrganisationRequest) (*pb.CreateOrganisationResponse, error) {
	o, err := organisation(req.GetOrganisation())
	if err != nil {
		return nil, err
	}
	o, err = a.svc.Create(ctx, o, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateOrganisationResponse{Organisation: pbconv.Organisation(o)}, nil
}

// GetOrganisation implements pb.OrganisationServiceServer.
func (a *API) GetOrganisation(ctx context.Context, req *pb.GetOrganisationRequest) (*pb.GetOrganisationResponse, error) {
	var at *time.Time
	if req.AsOfTime != nil {
		t := req.GetAsOfTime().AsTime()
		at = &t
	}
	o, err := a.svc.Get(ctx, req.GetId(), at)
	if err != nil {
		return nil, err
	}
	if err := a.readTeams(ctx, o); err != nil {
		return nil, err
	}
	return &pb.GetOrganisationResponse{Organisation: pbconv.Organisation(o)}, nil
}

// ListOrganisations implements pb.OrganisationServiceServer.
func (a *API) ListOrganisations(ctx context.Context, req *pb.ListOrganisationsRequest) (*pb.ListOrganisationsResponse, error) {
	list, next, err := a.svc.List(ctx, org.ListFilter{
		ParentID: req.GetParentId(), AncestorID: req.GetAncestorId(), DistrictID: req.GetDistrictId(),
		Kind: pbconv.Kind(req.GetKind()), IncludeDissolved: req.GetIncludeDissolved(),
		Page:     org.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
		WithinID: authz.ScopeRoot(ctx),
	})
	if err != nil {
		return nil, err
	}
	return &pb.ListOrganisationsResponse{Organisations: withoutTeams(orgs(list)), NextPageToken: next}, nil
}

// UpdateOrganisation implements pb.OrganisationServiceServer.
func (a *API) UpdateOrganisation(ctx context.Context, req *pb.UpdateOrganisationRequest) (*pb.UpdateOrganisationResponse, error) {
	if req.GetOrganisation().GetId() == "" {
		return nil, errs.Field(org.ErrInvalid, "organisation.id", "id of the organisation to update is required")
	}
	patch, err := organisation(req.GetOrganisation())
	if err != nil {
		return nil, err
	}
	o, err := a.svc.Update(ctx, patch, req.GetUpdateMask().GetPaths(), req.GetOrganisation().GetEtag())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateOrganisationResponse{Organisation: pbconv.Organisation(o)}, nil
}

// MoveOrganisation implements pb.OrganisationServiceServer.
func (a *API) MoveOrganisation(ctx context.Context, req *pb.MoveOrganisationRequest) (*pb.MoveOrganisationResponse, error) {
	o, err := a.svc.Move(ctx, req.GetId(), req.GetNewParentId(), req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &pb.MoveOrganisationResponse{Organisation: pbconv.Organisation(o)}, nil
}

// DissolveOrganisation implements pb.OrganisationServiceServer.
func (a *API) DissolveOrganisation(ctx context.Context, req *pb.DissolveOrganisationRequest) (*pb.DissolveOrganisationResponse, error) {
	o, err := a.svc.Dissolve(ctx, req.GetId(), req.GetReason(), req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &pb.DissolveOrganisationResponse{Organisation: pbconv.Organisation(o)}, nil
}

// ListOrganisationHistory implements pb.OrganisationServiceServer.
func (a *API) ListOrganisationHistory(ctx context.Context, req *pb.ListOrganisationHistoryRequest) (*pb.ListOrganisationHistoryResponse, error) {
	vs, next, err := a.svc.History(ctx, req.GetId(), org.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	versions := make([]*org.Organisation, len(vs))
	for i, v := range vs {
		versions[i] = v.Org
	}
	if err := a.readTeams(ctx, versions...); err != nil {
		return nil, err
	}
	out := &pb.ListOrganisationHistoryResponse{NextPageToken: next}
	for _, v := range vs {
		out.Versions = append(out.Versions, &pb.OrganisationVersion{
			Version: v.Number, Organisation: pbconv.Organisation(v.Org), ValidFrom: ts(v.ValidFrom), ValidTo: ts(v.ValidTo), Change: v.Change,
		})
	}
	return out, nil
}

// SetLeadershipTeam implements pb.OrganisationServiceServer.
func (a *API) SetLeadershipTeam(ctx context.Context, req *pb.SetLeadershipTeamRequest) (*pb.SetLeadershipTeamResponse, error) {
	team, err := cadres(req.GetCadres())
	if err != nil {
		return nil, err
	}
	o, err := a.svc.SetLeadership(ctx, req.GetOrganisationId(), team, req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &pb.SetLeadershipTeamResponse{Organisation: pbconv.Organisation(o)}, nil
}

// RecordActivity implements pb.OrganisationServiceServer.
func (a *API) RecordActivity(ctx context.Context, req *pb.RecordActivityRequest) (*pb.RecordActivityResponse, error) {
	act, err := activity(req.GetOrganisationId(), req.GetActivity())
	if err != nil {
		return nil, err
	}
	act, err = a.svc.RecordActivity(ctx, act, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.RecordActivityResponse{Activity: pbconv.Activity(act)}, nil
}

// ListActivities implements pb.OrganisationServiceServer.
func (a *API) ListActivities(ctx context.Context, req *pb.ListActivitiesRequest) (*pb.ListActivitiesResponse, error) {
	d := newDates()
	f := org.ActivityFilter{
		OrganisationID: req.GetOrganisationId(), Kind: pbconv.ActivityKind(req.GetKind()),
		From: d.parse("from_date", req.GetFromDate()), To: d.parse("to_date", req.GetToDate()),
		Page: org.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	list, next, err := a.svc.ListActivities(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &pb.ListActivitiesResponse{NextPageToken: next}
	for _, act := range list {
		out.Activities = append(out.Activities, pbconv.Activity(act))
	}
	return out, nil
}

// CreateCoveragePoint implements pb.OrganisationServiceServer.
func (a *API) CreateCoveragePoint(ctx context.Context, req *pb.CreateCoveragePointRequest) (*pb.CreateCoveragePointResponse, error) {
	m := req.GetCoveragePoint()
	p, err := a.svc.CreateCoveragePoint(ctx, &org.CoveragePoint{
		CommunityID: req.GetCommunityId(), Kind: org.CoveragePointKind(trim(m.GetKind().String(), "COVERAGE_POINT_KIND_")),
		Name: m.GetName(), CoveringOrganisationID: m.GetCoveringOrganisationId(), MemberCount: m.GetMemberCount(),
	})
	if err != nil {
		return nil, err
	}
	return &pb.CreateCoveragePointResponse{CoveragePoint: pbconv.CoveragePoint(p)}, nil
}

// ListCoveragePoints implements pb.OrganisationServiceServer.
func (a *API) ListCoveragePoints(ctx context.Context, req *pb.ListCoveragePointsRequest) (*pb.ListCoveragePointsResponse, error) {
	ps, err := a.svc.ListCoveragePoints(ctx, req.GetCommunityId())
	if err != nil {
		return nil, err
	}
	out := &pb.ListCoveragePointsResponse{}
	for _, p := range ps {
		out.CoveragePoints = append(out.CoveragePoints, pbconv.CoveragePoint(p))
	}
	return out, nil
}

// CoverCoveragePoint implements pb.OrganisationServiceServer.
func (a *API) CoverCoveragePoint(ctx context.Context, req *pb.CoverCoveragePointRequest) (*pb.CoverCoveragePointResponse, error) {
	p, err := a.svc.CoverCoveragePoint(ctx, req.GetId(), req.GetOrganisationId(), req.GetMemberCount())
	if err != nil {
		return nil, err
	}
	return &pb.CoverCoveragePointResponse{CoveragePoint: pbconv.CoveragePoint(p)}, nil
}
