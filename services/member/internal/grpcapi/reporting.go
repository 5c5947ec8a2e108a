package grpcapi

import (
	"context"
	"time"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/errs"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/reporting"
)

// ReportingAPI implements the reporting API.
type ReportingAPI struct {
	pb.UnimplementedReportingServiceServer
	svc   *reporting.Service
	reads audit.Executor
}

// NewReporting returns the reporting API over a domain service; reads of a
// member's registrations and card are recorded through reads.
func NewReporting(svc *reporting.Service, reads audit.Executor) *ReportingAPI {
	return &ReportingAPI{svc: svc, reads: reads}
}

// selfOnly lets a member name only themselves: any other member answers
// as if it did not exist.
func selfOnly(ctx context.Context, memberID string) error {
	if who, ok := auth.FromContext(ctx); ok && who.Role == auth.Member && (who.MemberID == "" || who.MemberID != memberID) {
		return member.ErrNotFound
	}
	return nil
}

// recordReads records that the caller read what concerns these members.
func recordReads(ctx context.Context, db audit.Executor, subjectType string, members map[string]string) error {
	entries := make([]audit.Entry, 0, len(members))
	for id, org := range members {
		entries = append(entries, audit.Entry{Action: audit.ActionRead, SubjectType: subjectType, SubjectID: id, OrganisationID: org})
	}
	return audit.WriteReads(ctx, db, entries...)
}

// day parses an optional YYYY-MM-DD.
func day(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, errs.Field(member.ErrInvalid, field, "not a real date in the form YYYY-MM-DD")
	}
	return t, nil
}

func kindOf(k pb.RegistrationKind) string { return pbconv.Enum(k.String(), "REGISTRATION_KIND_") }

// RegisterWithCommunity implements pb.ReportingServiceServer.
func (a *ReportingAPI) RegisterWithCommunity(ctx context.Context, req *pb.RegisterWithCommunityRequest) (*pb.RegisterWithCommunityResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	d, err := day("report_date", req.GetReportDate())
	if err != nil {
		return nil, err
	}
	r, err := a.svc.RegisterWithCommunity(ctx, reporting.RegisterRequest{MemberID: req.GetMemberId(), CommunityID: req.GetCommunityId(),
		Kind: kindOf(req.GetKind()), RequestID: req.GetRequestId(), ReportDate: d}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RegisterWithCommunityResponse{Registration: pbconv.Registration(r)}, nil
}

// EndRegistration implements pb.ReportingServiceServer.
func (a *ReportingAPI) EndRegistration(ctx context.Context, req *pb.EndRegistrationRequest) (*pb.EndRegistrationResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	r, err := a.svc.EndRegistration(ctx, reporting.EndRequest{MemberID: req.GetMemberId(), CommunityID: req.GetCommunityId(),
		Kind: kindOf(req.GetKind()), Reason: req.GetReason()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.EndRegistrationResponse{Registration: pbconv.Registration(r)}, nil
}

// ListRegistrations implements pb.ReportingServiceServer. A member lists
// their own.
func (a *ReportingAPI) ListRegistrations(ctx context.Context, req *pb.ListRegistrationsRequest) (*pb.ListRegistrationsResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	list, next, err := a.svc.ListRegistrations(ctx, reporting.RegistrationFilter{CommunityID: req.GetCommunityId(),
		MemberID: req.GetMemberId(), IncludeEnded: req.GetIncludeEnded(),
		Page: member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}})
	if err != nil {
		return nil, err
	}
	read := map[string]string{}
	out := &pb.ListRegistrationsResponse{NextPageToken: next}
	for _, r := range list {
		read[r.MemberID] = r.MemberOrgID
		out.Registrations = append(out.Registrations, pbconv.Registration(r))
	}
	if err := recordReads(ctx, a.reads, "registration", read); err != nil {
		return nil, err
	}
	return out, nil
}

// CreatePost implements pb.ReportingServiceServer.
func (a *ReportingAPI) CreatePost(ctx context.Context, req *pb.CreatePostRequest) (*pb.CreatePostResponse, error) {
	p := req.GetPost()
	post, err := a.svc.CreatePost(ctx, req.GetCommunityId(), reporting.Post{Name: p.GetName(),
		Kind: pbconv.Enum(p.GetKind().String(), "POST_KIND_"), Description: p.GetDescription(), Capacity: p.GetCapacity()},
		req.GetRequestId(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CreatePostResponse{Post: pbconv.Post(post)}, nil
}

// ListPosts implements pb.ReportingServiceServer. A member lists the posts
// open to them: they must name themselves.
func (a *ReportingAPI) ListPosts(ctx context.Context, req *pb.ListPostsRequest) (*pb.ListPostsResponse, error) {
	if who, ok := auth.FromContext(ctx); ok && who.Role == auth.Member {
		if err := selfOnly(ctx, req.GetMemberId()); err != nil {
			return nil, err
		}
	}
	list, next, err := a.svc.ListPosts(ctx, reporting.PostFilter{CommunityID: req.GetCommunityId(), MemberID: req.GetMemberId(),
		Page: member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}})
	if err != nil {
		return nil, err
	}
	out := &pb.ListPostsResponse{NextPageToken: next}
	for _, p := range list {
		out.Posts = append(out.Posts, pbconv.Post(p))
	}
	return out, nil
}

// ClaimPost implements pb.ReportingServiceServer.
func (a *ReportingAPI) ClaimPost(ctx context.Context, req *pb.ClaimPostRequest) (*pb.ClaimPostResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	c, err := a.svc.ClaimPost(ctx, reporting.ClaimRequest{CommunityID: req.GetCommunityId(), PostID: req.GetPostId(),
		MemberID: req.GetMemberId(), RequestID: req.GetRequestId()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ClaimPostResponse{Claim: pbconv.Claim(c)}, nil
}

// ReleasePost implements pb.ReportingServiceServer.
func (a *ReportingAPI) ReleasePost(ctx context.Context, req *pb.ReleasePostRequest) (*pb.ReleasePostResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	c, err := a.svc.ReleasePost(ctx, reporting.ClaimRequest{CommunityID: req.GetCommunityId(), PostID: req.GetPostId(),
		MemberID: req.GetMemberId()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.ReleasePostResponse{Claim: pbconv.Claim(c)}, nil
}

// AddCardEntry implements pb.ReportingServiceServer.
func (a *ReportingAPI) AddCardEntry(ctx context.Context, req *pb.AddCardEntryRequest) (*pb.AddCardEntryResponse, error) {
	e := req.GetEntry()
	d, err := day("entry.date", e.GetDate())
	if err != nil {
		return nil, err
	}
	entry, err := a.svc.AddCardEntry(ctx, reporting.CardRequest{CommunityID: req.GetCommunityId(), MemberID: req.GetMemberId(),
		RequestID: req.GetRequestId(), Entry: reporting.CardEntry{Kind: pbconv.Enum(e.GetKind().String(), "CARD_ENTRY_KIND_"),
			Date: d, Title: e.GetTitle(), Hours: e.GetHours(), PostID: e.GetPostId()}}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.AddCardEntryResponse{Entry: pbconv.CardEntry(entry)}, nil
}

// GetContactCard implements pb.ReportingServiceServer. A member reads their
// own card.
func (a *ReportingAPI) GetContactCard(ctx context.Context, req *pb.GetContactCardRequest) (*pb.GetContactCardResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	c, err := a.svc.ContactCard(ctx, req.GetMemberId(), req.GetYear())
	if err != nil {
		return nil, err
	}
	if err := recordReads(ctx, a.reads, "contact_card", map[string]string{c.MemberID: c.OrganisationID}); err != nil {
		return nil, err
	}
	return &pb.GetContactCardResponse{Card: pbconv.ContactCard(c)}, nil
}

// RateMember implements pb.ReportingServiceServer.
func (a *ReportingAPI) RateMember(ctx context.Context, req *pb.RateMemberRequest) (*pb.RateMemberResponse, error) {
	r, err := a.svc.RateMember(ctx, reporting.RatingRequest{CommunityID: req.GetCommunityId(), MemberID: req.GetMemberId(),
		Grade: pbconv.Enum(req.GetGrade().String(), "PERFORMANCE_GRADE_"), Comment: req.GetComment(),
		RequestID: req.GetRequestId(), Year: req.GetYear()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RateMemberResponse{Rating: pbconv.Rating(r)}, nil
}

// GetReportingSettings implements pb.ReportingServiceServer.
func (a *ReportingAPI) GetReportingSettings(ctx context.Context, req *pb.GetReportingSettingsRequest) (*pb.GetReportingSettingsResponse, error) {
	s, err := a.svc.SettingsOf(ctx, req.GetDistrictId())
	if err != nil {
		return nil, err
	}
	return &pb.GetReportingSettingsResponse{Settings: pbconv.ReportingSettings(s)}, nil
}

// UpdateReportingSettings implements pb.ReportingServiceServer.
func (a *ReportingAPI) UpdateReportingSettings(ctx context.Context, req *pb.UpdateReportingSettingsRequest) (*pb.UpdateReportingSettingsResponse, error) {
	in := req.GetSettings()
	s, err := a.svc.SetSettings(ctx, reporting.Settings{DistrictID: req.GetDistrictId(),
		MinContactsPerQuarter: in.GetMinContactsPerQuarter(), MinActivitiesPerYear: in.GetMinActivitiesPerYear()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.UpdateReportingSettingsResponse{Settings: pbconv.ReportingSettings(s)}, nil
}
