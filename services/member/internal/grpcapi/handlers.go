// Package grpcapi is the gRPC transport of the member service: it converts
// messages to the domain and back, masks national ID numbers for callers
// who may not see them, and records every read of a member's personal
// data. Input rules are checked before a handler runs (buf.validate in the
// protos, by the server's interceptor); domain errors are mapped to
// statuses by the server's one error mapper.
package grpcapi

import (
	"context"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/leaving"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/roster"
)

// API implements the member API.
type API struct {
	pb.UnimplementedMemberServiceServer
	svc     *member.Service
	leaving *leaving.Service
	roster  *roster.Service
	reads   audit.Executor
}

// New returns the API over the members, the ends of memberships and the
// import of rosters; reads of personal data are recorded in the audit log
// through reads.
func New(svc *member.Service, leaving *leaving.Service, roster *roster.Service, reads audit.Executor) *API {
	return &API{svc: svc, leaving: leaving, roster: roster, reads: reads}
}

// idView is how the caller sees national ID numbers.
func idView(ctx context.Context) pbconv.IDView {
	if who, ok := auth.FromContext(ctx); ok && who.Has(auth.PermUnmaskedID) {
		return pbconv.IDPlain
	}
	return pbconv.IDMasked
}

// out converts members for the caller, after recording that the caller
// read them: a read that cannot be recorded does not happen.
func (a *API) out(ctx context.Context, ms ...*member.Member) ([]*pb.Member, error) {
	entries := make([]audit.Entry, len(ms))
	for i, m := range ms {
		entries[i] = audit.Entry{Action: audit.ActionRead, SubjectType: "member", SubjectID: m.ID, OrganisationID: m.OrganisationID}
	}
	if err := audit.WriteReads(ctx, a.reads, entries...); err != nil {
		return nil, err
	}
	view := idView(ctx)
	out := make([]*pb.Member, len(ms))
	for i, m := range ms {
		out[i] = pbconv.Member(m, view)
	}
	return out, nil
}

// own converts a member just written by the caller, who typed its number.
func own(ctx context.Context, m *member.Member) *pb.Member { return pbconv.Member(m, idView(ctx)) }

// CreateMember implements pb.MemberServiceServer.
func (a *API) CreateMember(ctx context.Context, req *pb.CreateMemberRequest) (*pb.CreateMemberResponse, error) {
	m, err := fromProto(req.GetMember())
	if err != nil {
		return nil, err
	}
	if m.Arrival, err = arrivalFrom(req.GetMember().GetArrival()); err != nil {
		return nil, err
	}
	m, err = a.svc.Create(ctx, m, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateMemberResponse{Member: own(ctx, m)}, nil
}

// GetMember implements pb.MemberServiceServer. A member reads their own
// record only; any other id answers as if it did not exist.
func (a *API) GetMember(ctx context.Context, req *pb.GetMemberRequest) (*pb.GetMemberResponse, error) {
	if who, ok := auth.FromContext(ctx); ok && who.Role == auth.Member && who.MemberID != req.GetId() {
		return nil, member.ErrNotFound
	}
	m, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := a.out(ctx, m)
	if err != nil {
		return nil, err
	}
	return &pb.GetMemberResponse{Member: out[0]}, nil
}

// ListMembers implements pb.MemberServiceServer.
func (a *API) ListMembers(ctx context.Context, req *pb.ListMembersRequest) (*pb.ListMembersResponse, error) {
	f := filterOf(ctx, req, req.MinAge, req.MaxAge, req.Hardship)
	f.Page = member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}
	f.IncludeLeft = req.GetIncludeLeft()
	list, next, err := a.svc.Find(ctx, f)
	if err != nil {
		return nil, err
	}
	out, err := a.out(ctx, list...)
	if err != nil {
		return nil, err
	}
	return &pb.ListMembersResponse{Members: out, NextPageToken: next}, nil
}

// UpdateMember implements pb.MemberServiceServer.
func (a *API) UpdateMember(ctx context.Context, req *pb.UpdateMemberRequest) (*pb.UpdateMemberResponse, error) {
	patch, err := fromProto(req.GetMember())
	if err != nil {
		return nil, err
	}
	m, err := a.svc.Update(ctx, patch, req.GetUpdateMask().GetPaths(), req.GetMember().GetEtag())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateMemberResponse{Member: own(ctx, m)}, nil
}

// CountMembersByOrganisation implements pb.MemberServiceServer.
func (a *API) CountMembersByOrganisation(ctx context.Context, req *pb.CountMembersByOrganisationRequest) (*pb.CountMembersByOrganisationResponse, error) {
	counts, err := a.svc.CountByOrganisation(ctx, req.GetAncestorId())
	if err != nil {
		return nil, err
	}
	out := &pb.CountMembersByOrganisationResponse{}
	for _, c := range counts {
		out.Counts = append(out.Counts, &pb.OrganisationMemberCount{OrganisationId: c.OrganisationID, MemberCount: c.Count})
	}
	return out, nil
}

// CountMembers implements pb.MemberServiceServer.
func (a *API) CountMembers(ctx context.Context, req *pb.CountMembersRequest) (*pb.CountMembersResponse, error) {
	n, err := a.svc.Count(ctx, filterOf(ctx, req, req.MinAge, req.MaxAge, req.Hardship))
	if err != nil {
		return nil, err
	}
	return &pb.CountMembersResponse{Count: n}, nil
}
