package grpcapi

import (
	"context"
	"time"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/errs"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
	"gongjian.dev/services/member/internal/pbconv"
)

// MobileAPI implements the mobile member API.
type MobileAPI struct {
	pb.UnimplementedMobileServiceServer
	svc   *mobile.Service
	reads audit.Executor
}

// NewMobile returns the mobile API over a domain service; reads of
// records, which hold contact details, are recorded through reads.
func NewMobile(svc *mobile.Service, reads audit.Executor) *MobileAPI {
	return &MobileAPI{svc: svc, reads: reads}
}

// out converts records for the caller, after recording that the caller
// read them.
func (a *MobileAPI) out(ctx context.Context, recs ...*mobile.Record) ([]*pb.MobileRecord, error) {
	entries := make([]audit.Entry, len(recs))
	for i, r := range recs {
		entries[i] = audit.Entry{Action: audit.ActionRead, SubjectType: "mobile_record", SubjectID: r.ID, OrganisationID: r.OwnerOrgID()}
	}
	if err := audit.WriteReads(ctx, a.reads, entries...); err != nil {
		return nil, err
	}
	return a.own(recs...), nil
}

// own converts records the caller just wrote.
func (a *MobileAPI) own(recs ...*mobile.Record) []*pb.MobileRecord {
	now := a.svc.Now()
	out := make([]*pb.MobileRecord, len(recs))
	for i, r := range recs {
		out[i] = pbconv.MobileRecord(r, now, true)
	}
	return out
}

// parseDate reads an API date; "" is the zero time.
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errs.Field(member.ErrInvalid, field, "not a real date in the form YYYY-MM-DD")
	}
	return t, nil
}

// RegisterOutflow implements pb.MobileServiceServer.
func (a *MobileAPI) RegisterOutflow(ctx context.Context, req *pb.RegisterOutflowRequest) (*pb.RegisterOutflowResponse, error) {
	r := req.GetRecord()
	since, err := parseDate("record.since", r.GetSince())
	if err != nil {
		return nil, err
	}
	rec, err := a.svc.RegisterOutflow(ctx, mobile.OutflowRequest{MemberID: r.GetMemberId(), Place: r.GetPlace(),
		DestinationOrgID: r.GetDestinationOrganisationId(), Reason: r.GetReason(), ContactPhone: r.GetContactPhone(),
		RequestID: req.GetRequestId(), Since: since}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RegisterOutflowResponse{Record: a.own(rec)[0]}, nil
}

// RegisterInflow implements pb.MobileServiceServer.
func (a *MobileAPI) RegisterInflow(ctx context.Context, req *pb.RegisterInflowRequest) (*pb.RegisterInflowResponse, error) {
	r := req.GetRecord()
	since, err := parseDate("record.since", r.GetSince())
	if err != nil {
		return nil, err
	}
	p := r.GetPerson()
	rec, err := a.svc.RegisterInflow(ctx, mobile.InflowRequest{MemberID: r.GetMemberId(),
		Person:    mobile.OutsidePerson{Name: p.GetName(), Phone: p.GetPhone(), HomeOrganisation: p.GetHomeOrganisation()},
		HostOrgID: r.GetHostOrganisationId(), Place: r.GetPlace(), Reason: r.GetReason(), ContactPhone: r.GetContactPhone(),
		RequestID: req.GetRequestId(), Since: since}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RegisterInflowResponse{Record: a.own(rec)[0]}, nil
}

// readable returns a record the caller may read: a member reads their own
// records only; any other answers as if it did not exist.
func (a *MobileAPI) readable(ctx context.Context, id string) (*mobile.Record, error) {
	rec, err := a.svc.GetMobile(ctx, id)
	if err != nil {
		return nil, err
	}
	if self := actor(ctx).MemberID; self != "" && self != rec.MemberID {
		return nil, mobile.ErrMobileNotFound
	}
	return rec, nil
}

// GetMobileRecord implements pb.MobileServiceServer.
func (a *MobileAPI) GetMobileRecord(ctx context.Context, req *pb.GetMobileRecordRequest) (*pb.GetMobileRecordResponse, error) {
	rec, err := a.readable(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := a.out(ctx, rec)
	if err != nil {
		return nil, err
	}
	return &pb.GetMobileRecordResponse{Record: out[0]}, nil
}

// ListMobileRecords implements pb.MobileServiceServer. A member lists
// their own records only.
func (a *MobileAPI) ListMobileRecords(ctx context.Context, req *pb.ListMobileRecordsRequest) (*pb.ListMobileRecordsResponse, error) {
	f := mobile.Filter{OrganisationID: req.GetOrganisationId(), MemberID: req.GetMemberId(), GroupID: req.GetGroupId(),
		Direction: pbconv.Enum(req.GetDirection().String(), "MOBILE_DIRECTION_"), OpenOnly: req.GetOpenOnly(),
		WithinID: authz.ScopeRoot(ctx), Page: member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}}
	if self := actor(ctx).MemberID; self != "" {
		if f.MemberID != "" && f.MemberID != self {
			return nil, member.ErrNotFound
		}
		f.MemberID, f.WithinID = self, ""
	}
	list, next, err := a.svc.ListMobile(ctx, f, req.GetContactOverdueOnly())
	if err != nil {
		return nil, err
	}
	out, err := a.out(ctx, list...)
	if err != nil {
		return nil, err
	}
	return &pb.ListMobileRecordsResponse{Records: out, NextPageToken: next}, nil
}

// GrantTemporaryRelationship implements pb.MobileServiceServer.
func (a *MobileAPI) GrantTemporaryRelationship(ctx context.Context, req *pb.GrantTemporaryRelationshipRequest) (*pb.GrantTemporaryRelationshipResponse, error) {
	rec, err := a.svc.GrantTemporary(ctx, req.GetId(), req.GetHostOrganisationId(), req.GetEtag(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.GrantTemporaryRelationshipResponse{Record: a.own(rec)[0]}, nil
}

// LogContact implements pb.MobileServiceServer.
func (a *MobileAPI) LogContact(ctx context.Context, req *pb.LogContactRequest) (*pb.LogContactResponse, error) {
	c := req.GetContact()
	var at time.Time
	if c.GetContactTime() != nil {
		at = c.GetContactTime().AsTime()
	}
	e, rec, err := a.svc.LogContact(ctx, mobile.ContactRequest{RecordID: req.GetRecordId(),
		Direction: pbconv.Enum(c.GetDirection().String(), "CONTACT_DIRECTION_"),
		Channel:   pbconv.Enum(c.GetChannel().String(), "CONTACT_CHANNEL_"), Summary: c.GetSummary(),
		RequestID: req.GetRequestId(), At: at, Actor: actor(ctx)})
	if err != nil {
		return nil, err
	}
	return &pb.LogContactResponse{Contact: pbconv.ContactEntry(e, true), Record: a.own(rec)[0]}, nil
}

// ListContacts implements pb.MobileServiceServer.
func (a *MobileAPI) ListContacts(ctx context.Context, req *pb.ListContactsRequest) (*pb.ListContactsResponse, error) {
	rec, err := a.readable(ctx, req.GetRecordId())
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.ListContacts(ctx, req.GetRecordId(), member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	// What a member reported is theirs: reading it is recorded.
	if err := audit.WriteReads(ctx, a.reads, audit.Entry{Action: audit.ActionRead, SubjectType: "mobile_contacts",
		SubjectID: rec.ID, OrganisationID: rec.OwnerOrgID()}); err != nil {
		return nil, err
	}
	out := &pb.ListContactsResponse{NextPageToken: next}
	for _, e := range list {
		out.Contacts = append(out.Contacts, pbconv.ContactEntry(e, true))
	}
	return out, nil
}

// EndMobility implements pb.MobileServiceServer.
func (a *MobileAPI) EndMobility(ctx context.Context, req *pb.EndMobilityRequest) (*pb.EndMobilityResponse, error) {
	rec, err := a.svc.EndMobility(ctx, req.GetId(), pbconv.Enum(req.GetOutcome().String(), "MOBILITY_OUTCOME_"),
		req.GetReason(), req.GetEtag(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.EndMobilityResponse{Record: a.own(rec)[0]}, nil
}

// RegisterGroupOutflow implements pb.MobileServiceServer.
func (a *MobileAPI) RegisterGroupOutflow(ctx context.Context, req *pb.RegisterGroupOutflowRequest) (*pb.RegisterGroupOutflowResponse, error) {
	since, err := parseDate("since", req.GetSince())
	if err != nil {
		return nil, err
	}
	g := req.GetGroup()
	group, recs, err := a.svc.RegisterGroupOutflow(ctx, mobile.GroupRequest{Name: g.GetName(), HomeOrgID: g.GetHomeOrganisationId(),
		Place: g.GetPlace(), DestinationOrgID: g.GetDestinationOrganisationId(), LeaderID: g.GetLeaderMemberId(),
		Reason: req.GetReason(), RequestID: req.GetRequestId(), MemberIDs: req.GetMemberIds(), Since: since}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RegisterGroupOutflowResponse{Group: pbconv.MobileGroup(group), Records: a.own(inOrder(recs, req.GetMemberIds())...)}, nil
}

// inOrder orders records as their members are listed.
func inOrder(recs []*mobile.Record, memberIDs []string) []*mobile.Record {
	byMember := map[string]*mobile.Record{}
	for _, r := range recs {
		byMember[r.MemberID] = r
	}
	out := make([]*mobile.Record, 0, len(recs))
	for _, id := range memberIDs {
		if r, ok := byMember[id]; ok {
			out = append(out, r)
		}
	}
	return out
}

// GetMobileGroup implements pb.MobileServiceServer.
func (a *MobileAPI) GetMobileGroup(ctx context.Context, req *pb.GetMobileGroupRequest) (*pb.GetMobileGroupResponse, error) {
	g, recs, err := a.svc.GetMobileGroup(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := a.out(ctx, recs...)
	if err != nil {
		return nil, err
	}
	return &pb.GetMobileGroupResponse{Group: pbconv.MobileGroup(g), Records: out}, nil
}

// GrantGroupTemporaryRelationship implements pb.MobileServiceServer.
func (a *MobileAPI) GrantGroupTemporaryRelationship(ctx context.Context, req *pb.GrantGroupTemporaryRelationshipRequest) (*pb.GrantGroupTemporaryRelationshipResponse, error) {
	g, recs, err := a.svc.GrantGroupTemporary(ctx, req.GetId(), req.GetHostOrganisationId(), req.GetEtag(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.GrantGroupTemporaryRelationshipResponse{Group: pbconv.MobileGroup(g), Records: a.own(recs...)}, nil
}

// LogGroupNews implements pb.MobileServiceServer.
func (a *MobileAPI) LogGroupNews(ctx context.Context, req *pb.LogGroupNewsRequest) (*pb.LogGroupNewsResponse, error) {
	var at time.Time
	if req.GetContactTime() != nil {
		at = req.GetContactTime().AsTime()
	}
	es, err := a.svc.LogGroupNews(ctx, mobile.GroupNewsRequest{GroupID: req.GetId(),
		Channel: pbconv.Enum(req.GetChannel().String(), "CONTACT_CHANNEL_"), Summary: req.GetSummary(),
		RequestID: req.GetRequestId(), At: at, Actor: actor(ctx)})
	if err != nil {
		return nil, err
	}
	out := &pb.LogGroupNewsResponse{}
	for _, e := range es {
		out.Contacts = append(out.Contacts, pbconv.ContactEntry(e, true))
	}
	return out, nil
}
