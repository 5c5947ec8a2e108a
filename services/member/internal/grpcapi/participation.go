package grpcapi

import (
	"context"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/participation"
	"gongjian.dev/services/member/internal/pbconv"
)

// ParticipationAPI implements pb.ParticipationServiceServer.
type ParticipationAPI struct {
	pb.UnimplementedParticipationServiceServer
	svc   *participation.Service
	reads audit.Executor
}

// NewParticipation returns the participation API over svc, recording reads through reads.
func NewParticipation(svc *participation.Service, reads audit.Executor) *ParticipationAPI {
	return &ParticipationAPI{svc: svc, reads: reads}
}

// ListParticipation implements pb.ParticipationServiceServer. A member
// reads their own.
func (a *ParticipationAPI) ListParticipation(ctx context.Context, req *pb.ListParticipationRequest) (*pb.ListParticipationResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	list, next, org, err := a.svc.List(ctx, req.GetMemberId(), member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	if err := recordReads(ctx, a.reads, "participation", map[string]string{req.GetMemberId(): org}); err != nil {
		return nil, err
	}
	out := &pb.ListParticipationResponse{NextPageToken: next}
	for _, e := range list {
		out.Participation = append(out.Participation, pbconv.Participation(e))
	}
	return out, nil
}

// ListLostContactMembers implements pb.ParticipationServiceServer.
func (a *ParticipationAPI) ListLostContactMembers(ctx context.Context, req *pb.ListLostContactMembersRequest) (*pb.ListLostContactMembersResponse, error) {
	list, next, err := a.svc.ListLostContact(ctx, req.GetOrganisationId(), member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	read := make(map[string]string, len(list))
	out := &pb.ListLostContactMembersResponse{NextPageToken: next}
	for _, l := range list {
		read[l.MemberID] = l.OrganisationID
		out.Members = append(out.Members, pbconv.LostContact(l))
	}
	if err := recordReads(ctx, a.reads, "lost_contact", read); err != nil {
		return nil, err
	}
	return out, nil
}

// participationPolicy is who may read participation and lost contact:
// staff in scope of the member's organisation (a branch secretary their
// branch, administrators their subtree) and the member their own
// (selfServed); lost-contact lists by the subtree they name.
func participationPolicy(memberOrg func(func(any) string) func(context.Context, any) ([]string, error)) authz.Policy {
	return authz.Policy{
		pb.ParticipationService_ListParticipation_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: memberOrg(func(r any) string { return r.(*pb.ListParticipationRequest).GetMemberId() })},
		pb.ParticipationService_ListLostContactMembers_FullMethodName: {Roles: readers, Scopes: readScopes,
			Targets: authz.Target(func(r *pb.ListLostContactMembersRequest) string { return r.GetOrganisationId() })},
	}
}
