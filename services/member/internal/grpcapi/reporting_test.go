package grpcapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// reporting is the reporting service as a city administrator.
func (h *harness) reporting() pb.ReportingServiceClient {
	return pb.NewReportingServiceClient(h.as(cityAdmin))
}

// appraisals is the appraisal service as a city administrator.
func (h *harness) appraisals() pb.AppraisalServiceClient {
	return pb.NewAppraisalServiceClient(h.as(cityAdmin))
}

// inService is a member in service, registered in orgID.
func inService(orgID, name string) *pb.Member {
	m := person(orgID, name)
	m.EmploymentStatus = pb.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED
	m.Employer = "金川集团公司"
	return m
}

const (
	residence    = pb.RegistrationKind_REGISTRATION_KIND_RESIDENCE
	unitLocation = pb.RegistrationKind_REGISTRATION_KIND_UNIT_LOCATION
	contact      = pb.CardEntryKind_CARD_ENTRY_KIND_CONTACT
	activity     = pb.CardEntryKind_CARD_ENTRY_KIND_ACTIVITY
	qualified    = pb.PerformanceGrade_PERFORMANCE_GRADE_QUALIFIED
	excellent    = pb.PerformanceGrade_PERFORMANCE_GRADE_EXCELLENT
	basically    = pb.PerformanceGrade_PERFORMANCE_GRADE_BASICALLY_QUALIFIED
)

// lastYear is the year before this one: its quarters are all closed.
var lastYear = int32(time.Now().Year() - 1)

// since is a day of last year, as the API writes it.
func since(month, day int) string {
	return time.Date(int(lastYear), time.Month(month), day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

func (h *harness) registerWith(t *testing.T, community, memberID string, kind pb.RegistrationKind, reportDate string) *pb.Registration {
	t.Helper()
	resp, err := h.reporting().RegisterWithCommunity(callContext(t), &pb.RegisterWithCommunityRequest{
		CommunityId: community, MemberId: memberID, Kind: kind, ReportDate: reportDate})
	if err != nil {
		t.Fatalf("register %s with %s: %v", memberID, community, err)
	}
	return resp.GetRegistration()
}

func (h *harness) entry(t *testing.T, community, memberID string, kind pb.CardEntryKind, date string, hours float64) {
	t.Helper()
	_, err := h.reporting().AddCardEntry(callContext(t), &pb.AddCardEntryRequest{CommunityId: community, MemberId: memberID,
		Entry: &pb.CardEntry{Kind: kind, Date: date, Title: "社区活动", Hours: hours}})
	if err != nil {
		t.Fatalf("card entry of %s on %s: %v", memberID, date, err)
	}
}

// reason is the ErrorInfo reason of a refusal, if any.
func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(interface{ GetReason() string }); ok {
			return info.GetReason()
		}
	}
	return ""
}

// wantRefusal fails unless err is a refusal with code and, when given, reason.
func wantRefusal(t *testing.T, what string, err error, code codes.Code, why string) {
	t.Helper()
	if status.Code(err) != code || (why != "" && reason(err) != why) {
		t.Errorf("%s: %v (reason %q), want %v %s", what, err, reason(err), code, why)
	}
}

// reportingEvents are the messages on one subject of the member stream.
func (h *harness) reportingEvents(t *testing.T, subject string, into func() proto.Message) []proto.Message {
	t.Helper()
	ctx := callContext(t)
	info, err := h.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []proto.Message
	for s := info.State.FirstSeq; info.State.Msgs > 0 && s <= info.State.LastSeq; s++ {
		m, err := h.stream.GetMsg(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != subject {
			continue
		}
		p := into()
		if err := proto.Unmarshal(m.Data, p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestRegistrationIsOneLivePerKindAndEndsWithoutBeingDeleted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.register(t, inService(tr.branch.GetId(), "Zhang Wei"))
	ctx := callContext(t)
	rep := h.reporting()

	// Through the branch: the registration belongs to its community.
	first, err := rep.RegisterWithCommunity(ctx, &pb.RegisterWithCommunityRequest{CommunityId: tr.branch.GetId(),
		MemberId: m.GetId(), Kind: residence, RequestId: "reg-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := first.GetRegistration(); got.GetCommunityId() != tr.community.GetId() || got.GetMemberOrganisationId() != tr.branch.GetId() ||
		got.GetReportDate() != time.Now().UTC().Format(time.DateOnly) {
		t.Errorf("registration %v: want the community, the member's branch and today", got)
	}
	again, err := rep.RegisterWithCommunity(ctx, &pb.RegisterWithCommunityRequest{CommunityId: tr.branch.GetId(),
		MemberId: m.GetId(), Kind: residence, RequestId: "reg-1"})
	if err != nil || again.GetRegistration().GetId() != first.GetRegistration().GetId() {
		t.Errorf("replayed request: %v %v, want registration %s", again, err, first.GetRegistration().GetId())
	}
	_, err = rep.RegisterWithCommunity(ctx, &pb.RegisterWithCommunityRequest{CommunityId: tr.otherCommunity.GetId(),
		MemberId: m.GetId(), Kind: residence})
	wantRefusal(t, "a second residence", err, codes.FailedPrecondition, "ALREADY_REGISTERED")
	h.registerWith(t, tr.otherCommunity.GetId(), m.GetId(), unitLocation, "")

	t.Run("bad registrations are refused with their reason", func(t *testing.T) {
		retired := h.register(t, person(tr.branch.GetId(), "Retired Li"))
		for _, c := range []struct {
			name   string
			req    *pb.RegisterWithCommunityRequest
			code   codes.Code
			reason string
		}{
			{"a retired member", &pb.RegisterWithCommunityRequest{CommunityId: tr.community.GetId(), MemberId: retired.GetId(), Kind: residence},
				codes.FailedPrecondition, "NOT_IN_SERVICE"},
			{"a district", &pb.RegisterWithCommunityRequest{CommunityId: tr.district.GetId(), MemberId: retired.GetId(), Kind: residence},
				codes.FailedPrecondition, "NOT_IN_SERVICE"},
			{"an unknown member", &pb.RegisterWithCommunityRequest{CommunityId: tr.community.GetId(), MemberId: orgID(), Kind: residence},
				codes.NotFound, ""},
			{"no kind", &pb.RegisterWithCommunityRequest{CommunityId: tr.community.GetId(), MemberId: m.GetId()},
				codes.InvalidArgument, ""},
			{"a report date in the future", &pb.RegisterWithCommunityRequest{CommunityId: tr.community.GetId(), MemberId: m.GetId(),
				Kind: unitLocation, ReportDate: time.Now().AddDate(0, 0, 3).Format(time.DateOnly)}, codes.InvalidArgument, ""},
			{"not a date", &pb.RegisterWithCommunityRequest{CommunityId: tr.community.GetId(), MemberId: m.GetId(),
				Kind: unitLocation, ReportDate: "2024-02-30"}, codes.InvalidArgument, ""},
		} {
			_, err := rep.RegisterWithCommunity(ctx, c.req)
			wantRefusal(t, c.name, err, c.code, c.reason)
		}
		other := h.register(t, inService(tr.branch.GetId(), "Wang Fang"))
		_, err := rep.RegisterWithCommunity(ctx, &pb.RegisterWithCommunityRequest{CommunityId: tr.district.GetId(), MemberId: other.GetId(), Kind: residence})
		wantRefusal(t, "a district", err, codes.FailedPrecondition, "NOT_COMMUNITY")
		_, err = rep.RegisterWithCommunity(ctx, &pb.RegisterWithCommunityRequest{CommunityId: orgID(), MemberId: other.GetId(), Kind: residence})
		wantRefusal(t, "an unknown organisation", err, codes.FailedPrecondition, "")
	})

	t.Run("ended, it is kept and the kind is free again", func(t *testing.T) {
		_, err := rep.EndRegistration(ctx, &pb.EndRegistrationRequest{CommunityId: tr.community.GetId(), MemberId: m.GetId(), Kind: residence})
		wantRefusal(t, "an end without a reason", err, codes.InvalidArgument, "")
		_, err = rep.EndRegistration(ctx, &pb.EndRegistrationRequest{CommunityId: tr.otherCommunity.GetId(), MemberId: m.GetId(),
			Kind: residence, Reason: "搬家"})
		wantRefusal(t, "ending at the wrong community", err, codes.FailedPrecondition, "NOT_REGISTERED")
		ended, err := rep.EndRegistration(ctx, &pb.EndRegistrationRequest{CommunityId: tr.community.GetId(), MemberId: m.GetId(),
			Kind: residence, Reason: "搬家"})
		if err != nil || ended.GetRegistration().GetEndDate() == "" || ended.GetRegistration().GetEndReason() != "搬家" {
			t.Fatalf("end: %v %v", ended, err)
		}
		h.registerWith(t, tr.otherCommunity.GetId(), m.GetId(), residence, "")
		live, err := rep.ListRegistrations(ctx, &pb.ListRegistrationsRequest{MemberId: m.GetId()})
		if err != nil || len(live.GetRegistrations()) != 2 {
			t.Errorf("live registrations: %v %v, want 2", live, err)
		}
		all, err := rep.ListRegistrations(ctx, &pb.ListRegistrationsRequest{MemberId: m.GetId(), IncludeEnded: true, PageSize: 2})
		if err != nil || len(all.GetRegistrations()) != 2 || all.GetNextPageToken() == "" {
			t.Fatalf("first page of all: %v %v", all, err)
		}
		rest, err := rep.ListRegistrations(ctx, &pb.ListRegistrationsRequest{MemberId: m.GetId(), IncludeEnded: true, PageSize: 2,
			PageToken: all.GetNextPageToken()})
		if err != nil || len(rest.GetRegistrations()) != 1 || rest.GetNextPageToken() != "" {
			t.Errorf("second page of all: %v %v", rest, err)
		}
		if _, err := h.pool.Exec(ctx, `DELETE FROM registrations WHERE member_id = $1`, m.GetId()); err == nil {
			t.Error("the database deleted a registration")
		}
	})

	t.Run("concurrent registrations of one kind: one wins", func(t *testing.T) {
		racer := h.register(t, inService(tr.branch.GetId(), "Racer Zhao"))
		var wg sync.WaitGroup
		results := make(chan error, 6)
		for _, c := range []string{tr.community.GetId(), tr.otherCommunity.GetId(), tr.community.GetId(), tr.otherCommunity.GetId(), tr.branch.GetId(), tr.community.GetId()} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := rep.RegisterWithCommunity(ctx, &pb.RegisterWithCommunityRequest{CommunityId: c, MemberId: racer.GetId(), Kind: residence})
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			if err == nil {
				won++
			} else {
				wantRefusal(t, "a losing registration", err, codes.FailedPrecondition, "ALREADY_REGISTERED")
			}
		}
		if won != 1 {
			t.Errorf("%d registrations won, want 1", won)
		}
	})

	t.Run("each write left one audit record and its event", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'registration' AND subject_id = $1`, first.GetRegistration().GetId()); n != 2 {
			t.Errorf("%d audit records of the registration, want 2 (made, ended)", n)
		}
		waitFor(t, "the registration events", func() bool {
			return len(h.reportingEvents(t, "gongjian.member.v1.in_service_registration_ended", func() proto.Message { return &pb.InServiceRegistrationEnded{} })) == 1
		})
	})
}

// orgID is an id nobody has.
func orgID() string { return "0190a0b0-0000-7000-8000-00000000dead" }

func TestPostCapacityHoldsUnderConcurrentClaims(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	rep := h.reporting()
	const claimers = 8
	var ms []*pb.Member
	for i := range claimers {
		m := h.register(t, inService(tr.branch.GetId(), fmt.Sprintf("Claimer %d", i)))
		h.registerWith(t, tr.community.GetId(), m.GetId(), residence, "")
		ms = append(ms, m)
	}
	post, err := rep.CreatePost(ctx, &pb.CreatePostRequest{CommunityId: tr.community.GetId(), RequestId: "post-1",
		Post: &pb.ServicePost{Name: "调解员", Kind: pb.PostKind_POST_KIND_MEDIATOR, Capacity: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := rep.CreatePost(ctx, &pb.CreatePostRequest{CommunityId: tr.community.GetId(), RequestId: "post-1",
		Post: &pb.ServicePost{Name: "调解员", Kind: pb.PostKind_POST_KIND_MEDIATOR, Capacity: 2}}); err != nil || again.GetPost().GetId() != post.GetPost().GetId() {
		t.Errorf("replayed post: %v %v", again, err)
	}
	id := post.GetPost().GetId()

	var wg sync.WaitGroup
	results := make([]error, claimers)
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = rep.ClaimPost(ctx, &pb.ClaimPostRequest{CommunityId: tr.community.GetId(), PostId: id, MemberId: m.GetId()})
		}()
	}
	wg.Wait()
	var winners []*pb.Member
	for i, err := range results {
		if err == nil {
			winners = append(winners, ms[i])
			continue
		}
		wantRefusal(t, "a claim of a full post", err, codes.FailedPrecondition, "POST_FULL")
	}
	if len(winners) != 2 {
		t.Fatalf("%d claims won, want the capacity, 2", len(winners))
	}
	if n := h.count(t, `SELECT claimed FROM service_posts WHERE id = $1`, id); n != 2 {
		t.Errorf("the post counts %d claims, want 2", n)
	}
	if n := h.count(t, `SELECT count(*) FROM post_claims WHERE post_id = $1 AND released_at IS NULL`, id); n != 2 {
		t.Errorf("%d live claims, want 2", n)
	}
	if _, err := h.pool.Exec(ctx, `UPDATE service_posts SET claimed = capacity + 1 WHERE id = $1`, id); err == nil {
		t.Error("the database let a post hold more than its capacity")
	}

	_, err = rep.ClaimPost(ctx, &pb.ClaimPostRequest{CommunityId: tr.community.GetId(), PostId: id, MemberId: winners[0].GetId()})
	wantRefusal(t, "a second claim by a holder", err, codes.AlreadyExists, "ALREADY_CLAIMED")
	released, err := rep.ReleasePost(ctx, &pb.ReleasePostRequest{CommunityId: tr.community.GetId(), PostId: id, MemberId: winners[0].GetId()})
	if err != nil || released.GetClaim().GetReleaseTime() == nil {
		t.Fatalf("release: %v %v", released, err)
	}
	_, err = rep.ReleasePost(ctx, &pb.ReleasePostRequest{CommunityId: tr.community.GetId(), PostId: id, MemberId: winners[0].GetId()})
	wantRefusal(t, "a second release", err, codes.FailedPrecondition, "NOT_CLAIMED")
	var loser *pb.Member
	for _, m := range ms {
		if m != winners[0] && m != winners[1] {
			loser = m
			break
		}
	}
	if _, err := rep.ClaimPost(ctx, &pb.ClaimPostRequest{CommunityId: tr.community.GetId(), PostId: id, MemberId: loser.GetId()}); err != nil {
		t.Errorf("a claim of the freed place: %v", err)
	}
	_, err = rep.ClaimPost(ctx, &pb.ClaimPostRequest{CommunityId: tr.otherCommunity.GetId(), PostId: id, MemberId: loser.GetId()})
	wantRefusal(t, "a claim where the member is not registered", err, codes.FailedPrecondition, "NOT_REGISTERED")

	t.Run("ending the registration releases the member's posts", func(t *testing.T) {
		holder := winners[1]
		if _, err := rep.EndRegistration(ctx, &pb.EndRegistrationRequest{CommunityId: tr.community.GetId(), MemberId: holder.GetId(),
			Kind: residence, Reason: "调离本市"}); err != nil {
			t.Fatal(err)
		}
		if n := h.count(t, `SELECT claimed FROM service_posts WHERE id = $1`, id); n != 1 {
			t.Errorf("the post counts %d claims after the holder left, want 1", n)
		}
		posts, err := rep.ListPosts(ctx, &pb.ListPostsRequest{CommunityId: tr.community.GetId()})
		if err != nil || len(posts.GetPosts()) != 1 || posts.GetPosts()[0].GetClaimed() != 1 {
			t.Errorf("posts: %v %v", posts, err)
		}
		open, err := rep.ListPosts(ctx, &pb.ListPostsRequest{CommunityId: tr.community.GetId(), MemberId: holder.GetId()})
		if err != nil || len(open.GetPosts()) != 0 {
			t.Errorf("posts open to a member no longer registered: %v %v", open, err)
		}
		waitFor(t, "the claim events", func() bool {
			claimed := h.reportingEvents(t, "gongjian.member.v1.service_post_claimed", func() proto.Message { return &pb.ServicePostClaimed{} })
			released := h.reportingEvents(t, "gongjian.member.v1.service_post_released", func() proto.Message { return &pb.ServicePostReleased{} })
			return len(claimed) == 3 && len(released) == 2
		})
	})

	t.Run("bad posts are refused naming the field", func(t *testing.T) {
		for _, p := range []*pb.ServicePost{
			{Kind: pb.PostKind_POST_KIND_OTHER, Capacity: 1},
			{Name: "卫生监督员", Capacity: 1},
			{Name: "卫生监督员", Kind: pb.PostKind_POST_KIND_SANITATION},
		} {
			_, err := rep.CreatePost(ctx, &pb.CreatePostRequest{CommunityId: tr.community.GetId(), Post: p})
			if r := refusalOf(err); r.Code != codes.InvalidArgument || len(r.Fields) != 1 {
				t.Errorf("post %v: %+v, want InvalidArgument naming one field", p, r)
			}
		}
	})
}

func TestContactCardCountsQuartersAndTheYearAgainstTheDistrictSettings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	rep := h.reporting()
	if _, err := rep.UpdateReportingSettings(ctx, &pb.UpdateReportingSettingsRequest{DistrictId: tr.district.GetId(),
		Settings: &pb.ReportingSettings{MinContactsPerQuarter: 3, MinActivitiesPerYear: 2}}); err != nil {
		t.Fatal(err)
	}
	m := h.register(t, inService(tr.branch.GetId(), "Card Holder"))
	h.registerWith(t, tr.community.GetId(), m.GetId(), residence, since(1, 10))
	c := tr.community.GetId()
	for _, d := range []string{since(1, 15), since(2, 20), since(3, 31)} {
		h.entry(t, c, m.GetId(), contact, d, 0.5)
	}
	h.entry(t, c, m.GetId(), contact, since(5, 1), 0)
	h.entry(t, c, m.GetId(), activity, since(6, 30), 3)
	h.entry(t, c, m.GetId(), activity, since(12, 31), 2.5)

	resp, err := rep.GetContactCard(ctx, &pb.GetContactCardRequest{MemberId: m.GetId(), Year: lastYear})
	if err != nil {
		t.Fatal(err)
	}
	card := resp.GetCard()
	totals := func(contacts, activities int32, hours float64) *pb.CardTotals {
		return &pb.CardTotals{Contacts: contacts, Activities: activities, Hours: hours}
	}
	want := []*pb.CardQuarter{
		{Quarter: 1, Totals: totals(3, 0, 1.5), MeetsContacts: true, Closed: true},
		{Quarter: 2, Totals: totals(1, 1, 3), Closed: true},
		{Quarter: 3, Totals: totals(0, 0, 0), Closed: true},
		{Quarter: 4, Totals: totals(0, 1, 2.5), Closed: true},
	}
	if diff := cmp.Diff(want, card.GetQuarters(), protocmp.Transform()); diff != "" {
		t.Errorf("quarters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(totals(4, 2, 7), card.GetTotals(), protocmp.Transform()); diff != "" {
		t.Errorf("year (-want +got):\n%s", diff)
	}
	if !card.GetMeetsActivities() || card.GetSettings().GetMinContactsPerQuarter() != 3 || card.GetSettings().GetInherited() || len(card.GetEntries()) != 6 {
		t.Errorf("card: meets %v, settings %v, %d entries", card.GetMeetsActivities(), card.GetSettings(), len(card.GetEntries()))
	}

	t.Run("the defaults apply in a district that set none", func(t *testing.T) {
		other := h.register(t, inService(tr.otherCommunity.GetId(), "Default Rules"))
		h.registerWith(t, tr.otherCommunity.GetId(), other.GetId(), residence, since(1, 1))
		for _, d := range []string{since(1, 2), since(1, 3)} {
			h.entry(t, tr.otherCommunity.GetId(), other.GetId(), contact, d, 1)
		}
		for _, d := range []string{since(2, 2), since(3, 3), since(4, 4)} {
			h.entry(t, tr.otherCommunity.GetId(), other.GetId(), activity, d, 1)
		}
		resp, err := rep.GetContactCard(ctx, &pb.GetContactCardRequest{MemberId: other.GetId(), Year: lastYear})
		if err != nil {
			t.Fatal(err)
		}
		card := resp.GetCard()
		if !card.GetSettings().GetInherited() || !card.GetQuarters()[0].GetMeetsContacts() || card.GetMeetsActivities() {
			t.Errorf("with the defaults (2 a quarter, 4 a year): Q1 meets %v, year meets %v, settings %v",
				card.GetQuarters()[0].GetMeetsContacts(), card.GetMeetsActivities(), card.GetSettings())
		}
	})

	t.Run("entries outside a registration or the calendar are refused", func(t *testing.T) {
		_, err := rep.AddCardEntry(ctx, &pb.AddCardEntryRequest{CommunityId: c, MemberId: m.GetId(),
			Entry: &pb.CardEntry{Kind: contact, Date: since(1, 9), Title: "报到前"}})
		wantRefusal(t, "an entry before the registration", err, codes.FailedPrecondition, "NOT_REGISTERED")
		_, err = rep.AddCardEntry(ctx, &pb.AddCardEntryRequest{CommunityId: c, MemberId: m.GetId(),
			Entry: &pb.CardEntry{Kind: contact, Date: time.Now().AddDate(0, 0, 2).Format(time.DateOnly), Title: "未来"}})
		if r := refusalOf(err); r.Code != codes.InvalidArgument || !cmp.Equal(r.Fields, []string{"entry.date"}) {
			t.Errorf("an entry in the future: %+v", r)
		}
		_, err = rep.AddCardEntry(ctx, &pb.AddCardEntryRequest{CommunityId: c, MemberId: m.GetId(),
			Entry: &pb.CardEntry{Kind: contact, Date: since(2, 2), Title: "x", Hours: 25}})
		wantRefusal(t, "25 hours in a day", err, codes.InvalidArgument, "")
		req := &pb.AddCardEntryRequest{CommunityId: c, MemberId: m.GetId(), RequestId: "entry-1",
			Entry: &pb.CardEntry{Kind: activity, Date: since(8, 1), Title: "义务植树", Hours: 2}}
		first, err := rep.AddCardEntry(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := rep.AddCardEntry(ctx, req)
		if err != nil || again.GetEntry().GetId() != first.GetEntry().GetId() {
			t.Errorf("a replayed entry: %v %v", again, err)
		}
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'card_entry' AND subject_id = $1`, first.GetEntry().GetId()); n != 1 {
			t.Errorf("%d audit records of the entry, want 1", n)
		}
	})
}

func TestARatingIsFedBackToTheEmployersOrganisationWithTheCardTotals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	// The member's relationship sits in the first district's branch; they
	// live in the other district's community, which rates them.
	m := h.register(t, inService(tr.branch.GetId(), "Liu Yang"))
	h.registerWith(t, tr.otherCommunity.GetId(), m.GetId(), residence, since(1, 1))
	for _, d := range []string{since(1, 5), since(2, 5), since(4, 5), since(5, 5)} {
		h.entry(t, tr.otherCommunity.GetId(), m.GetId(), contact, d, 1)
	}
	h.entry(t, tr.otherCommunity.GetId(), m.GetId(), activity, since(6, 1), 4)

	secretary := pb.NewReportingServiceClient(h.as(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.otherCommunity.GetId()}))
	req := &pb.RateMemberRequest{CommunityId: tr.otherCommunity.GetId(), MemberId: m.GetId(), Year: lastYear,
		Grade: qualified, Comment: "积极参加社区活动", RequestId: "rate-1"}
	first, err := secretary.RateMember(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := secretary.RateMember(ctx, req); err != nil || again.GetRating().GetId() != first.GetRating().GetId() {
		t.Errorf("a replayed rating: %v %v", again, err)
	}
	second, err := secretary.RateMember(ctx, &pb.RateMemberRequest{CommunityId: tr.otherCommunity.GetId(), MemberId: m.GetId(),
		Year: lastYear, Grade: excellent, Comment: "复评：调解纠纷三起"})
	if err != nil || second.GetRating().GetVersion() != 2 || first.GetRating().GetVersion() != 1 {
		t.Fatalf("re-rating: %v %v", second, err)
	}
	_, err = secretary.RateMember(ctx, &pb.RateMemberRequest{CommunityId: tr.otherCommunity.GetId(), MemberId: m.GetId(),
		Year: lastYear - 1, Grade: qualified})
	wantRefusal(t, "a year before the registration", err, codes.FailedPrecondition, "NOT_REGISTERED")
	_, err = secretary.RateMember(ctx, &pb.RateMemberRequest{CommunityId: tr.otherCommunity.GetId(), MemberId: m.GetId(),
		Year: lastYear + 2, Grade: qualified})
	wantRefusal(t, "a year to come", err, codes.InvalidArgument, "")

	var feedback []*pb.InServiceFeedbackSent
	waitFor(t, "the feedback", func() bool {
		feedback = nil
		for _, e := range h.reportingEvents(t, "gongjian.member.v1.in_service_feedback_sent", func() proto.Message { return &pb.InServiceFeedbackSent{} }) {
			feedback = append(feedback, e.(*pb.InServiceFeedbackSent))
		}
		return len(feedback) == 2
	})
	got := feedback[0]
	want := &pb.InServiceFeedbackSent{OrganisationId: tr.branch.GetId(), Rating: first.GetRating(),
		Totals: &pb.CardTotals{Contacts: 4, Activities: 1, Hours: 8}, QuartersMeetingContacts: 2, MeetsActivities: false,
		Settings: &pb.ReportingSettings{DistrictId: tr.district.GetId(), MinContactsPerQuarter: 2, MinActivitiesPerYear: 4, Inherited: true}}
	if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&pb.InServiceFeedbackSent{}, "event_id", "occur_time")); diff != "" {
		t.Errorf("feedback (-want +got):\n%s", diff)
	}
	if feedback[1].GetRating().GetGrade() != excellent || feedback[1].GetOrganisationId() != tr.branch.GetId() {
		t.Errorf("second feedback: %v", feedback[1])
	}

	card, err := h.reporting().GetContactCard(ctx, &pb.GetContactCardRequest{MemberId: m.GetId(), Year: lastYear})
	if err != nil || len(card.GetCard().GetRatings()) != 2 {
		t.Fatalf("the card keeps both ratings: %v %v", card, err)
	}
	if _, err := h.pool.Exec(ctx, `UPDATE community_ratings SET grade = 'UNQUALIFIED'`); err == nil {
		t.Error("the database let a rating be rewritten")
	}

	t.Run("the employer's side reads the card, a third party does not", func(t *testing.T) {
		employer := pb.NewReportingServiceClient(h.as(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId()}))
		if _, err := employer.GetContactCard(ctx, &pb.GetContactCardRequest{MemberId: m.GetId(), Year: lastYear}); err != nil {
			t.Errorf("the employer's community: %v", err)
		}
		stranger := h.created(t, org(tr.street, kindCommunity, "Stranger Community"))
		h.waitView(t, stranger.GetId())
		third := pb.NewReportingServiceClient(h.as(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: stranger.GetId()}))
		_, err := third.GetContactCard(ctx, &pb.GetContactCardRequest{MemberId: m.GetId(), Year: lastYear})
		wantRefusal(t, "a third community", err, codes.NotFound, "")
	})
}

func TestStarRatingsKeepHistoryAndTheMembersCurrentRating(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	app := h.appraisals()
	m := h.register(t, person(tr.branch.GetId(), "Five Stars"))
	set := func(year, stars int32, etag string) (*pb.SetStarRatingResponse, error) {
		return app.SetStarRating(ctx, &pb.SetStarRatingRequest{MemberId: m.GetId(), Year: year, Stars: stars,
			Reason: fmt.Sprintf("%d年度评定", year), Etag: etag})
	}
	if r, err := set(lastYear-1, 3, m.GetEtag()); err != nil || r.GetCurrentStars() != 3 {
		t.Fatalf("first rating: %v %v", r, err)
	}
	_, err := set(lastYear, 5, m.GetEtag())
	wantRefusal(t, "a stale etag", err, codes.FailedPrecondition, "ETAG_MISMATCH")
	if r, err := set(lastYear, 5, ""); err != nil || r.GetCurrentStars() != 5 {
		t.Fatalf("second rating: %v %v", r, err)
	}
	// A rating of an earlier year is history: the current one stays.
	if r, err := set(lastYear-2, 1, ""); err != nil || r.GetCurrentStars() != 5 {
		t.Fatalf("an earlier year's rating: %v %v", r, err)
	}
	got, err := h.members.GetMember(ctx, &pb.GetMemberRequest{Id: m.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetMember().GetStarRating() != 5 || got.GetMember().GetEtag() != "3" {
		t.Errorf("member: %d stars, etag %s; want 5 stars, etag 3 (two changes)", got.GetMember().GetStarRating(), got.GetMember().GetEtag())
	}
	list, err := app.ListStarRatings(ctx, &pb.ListStarRatingsRequest{MemberId: m.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var years, stars []int32
	for _, r := range list.GetRatings() {
		years, stars = append(years, r.GetYear()), append(stars, r.GetStars())
	}
	if !cmp.Equal(years, []int32{lastYear, lastYear - 1, lastYear - 2}) || !cmp.Equal(stars, []int32{5, 3, 1}) || list.GetCurrentStars() != 5 {
		t.Errorf("history: years %v, stars %v, current %d", years, stars, list.GetCurrentStars())
	}
	for _, c := range []struct {
		name string
		req  *pb.SetStarRatingRequest
	}{
		{"six stars", &pb.SetStarRatingRequest{MemberId: m.GetId(), Year: lastYear, Stars: 6, Reason: "x"}},
		{"no reason", &pb.SetStarRatingRequest{MemberId: m.GetId(), Year: lastYear, Stars: 2}},
		{"a year to come", &pb.SetStarRatingRequest{MemberId: m.GetId(), Year: lastYear + 2, Stars: 2, Reason: "x"}},
	} {
		_, err := app.SetStarRating(ctx, c.req)
		wantRefusal(t, c.name, err, codes.InvalidArgument, "")
	}
	waitFor(t, "the events", func() bool {
		var changed int
		for _, e := range h.reportingEvents(t, "gongjian.member.v1.member_updated", func() proto.Message { return &pb.MemberUpdated{} }) {
			u := e.(*pb.MemberUpdated)
			if cmp.Equal(u.GetChanged().GetPaths(), []string{"star_rating"}) {
				changed++
			}
		}
		set := h.reportingEvents(t, "gongjian.member.v1.star_rating_set", func() proto.Message { return &pb.StarRatingSet{} })
		return changed == 2 && len(set) == 3
	})
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'star_rating' AND action = 'write'`); n != 3 {
		t.Errorf("%d audit records of star ratings, want 3: one a write", n)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'member' AND subject_id = $1 AND action = 'write'`, m.GetId()); n != 1 {
		t.Errorf("%d audit writes of the member, want 1 (its registration): a star rating is recorded once, as itself", n)
	}
}

func TestAppraisalOfAnInServiceMemberWhoDidNotReport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	app := h.appraisals()
	m := h.register(t, inService(tr.branch.GetId(), "Did Not Report"))
	record := func(grade pb.PerformanceGrade, etag, requestID string) (*pb.Appraisal, error) {
		resp, err := app.RecordAppraisal(ctx, &pb.RecordAppraisalRequest{MemberId: m.GetId(), Year: lastYear, Grade: grade,
			Comment: "民主评议", Etag: etag, RequestId: requestID})
		return resp.GetAppraisal(), err
	}
	for _, g := range []pb.PerformanceGrade{qualified, excellent} {
		_, err := record(g, "", "")
		wantRefusal(t, g.String()+" without a registration", err, codes.FailedPrecondition, "NOT_REPORTED")
		if msg := status.Convert(err).Message(); msg == "" || !strings.Contains(msg, "report") {
			t.Errorf("the refusal does not name the rule: %q", msg)
		}
	}
	first, err := record(basically, "", "appraise-1")
	if err != nil || first.GetVersion() != 1 {
		t.Fatalf("basically qualified: %v %v", first, err)
	}
	if again, err := record(basically, "", "appraise-1"); err != nil || again.GetId() != first.GetId() {
		t.Errorf("a replayed appraisal: %v %v", again, err)
	}

	// Registered, but not a single contact on the card: still not reported.
	h.registerWith(t, tr.community.GetId(), m.GetId(), residence, since(3, 1))
	h.entry(t, tr.community.GetId(), m.GetId(), activity, since(3, 2), 2)
	_, err = record(qualified, "1", "")
	wantRefusal(t, "qualified with no contact", err, codes.FailedPrecondition, "NOT_REPORTED")
	h.entry(t, tr.community.GetId(), m.GetId(), contact, since(3, 3), 1)
	_, err = record(qualified, "7", "")
	wantRefusal(t, "a stale etag", err, codes.FailedPrecondition, "ETAG_MISMATCH")
	corrected, err := record(qualified, "1", "")
	if err != nil || corrected.GetVersion() != 2 || corrected.GetOrganisationId() != tr.branch.GetId() {
		t.Fatalf("the correction once reported: %v %v", corrected, err)
	}
	list, err := app.ListAppraisals(ctx, &pb.ListAppraisalsRequest{MemberId: m.GetId()})
	if err != nil || len(list.GetAppraisals()) != 2 || list.GetAppraisals()[0].GetGrade() != qualified || list.GetAppraisals()[1].GetGrade() != basically {
		t.Errorf("history: %v %v, want the correction then the first result", list, err)
	}

	t.Run("a retired member is not bound by the rule", func(t *testing.T) {
		retired := h.register(t, person(tr.branch.GetId(), "Retired Member"))
		if _, err := app.RecordAppraisal(ctx, &pb.RecordAppraisalRequest{MemberId: retired.GetId(), Year: lastYear, Grade: excellent}); err != nil {
			t.Error(err)
		}
	})
	waitFor(t, "the appraisal events", func() bool {
		return len(h.reportingEvents(t, "gongjian.member.v1.appraisal_recorded", func() proto.Message { return &pb.AppraisalRecorded{} })) == 3
	})
}

func TestAMemberReportsClaimsAndReadsTheirOwnCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	me := h.register(t, inService(tr.branch.GetId(), "Self Served"))
	other := h.register(t, inService(tr.branch.GetId(), "Someone Else"))
	self := pb.NewReportingServiceClient(h.as(devissuer.Claims{Role: auth.Member, MemberID: me.GetId()}))
	if _, err := self.RegisterWithCommunity(ctx, &pb.RegisterWithCommunityRequest{CommunityId: tr.community.GetId(),
		MemberId: me.GetId(), Kind: residence}); err != nil {
		t.Fatalf("registering oneself: %v", err)
	}
	_, err := self.RegisterWithCommunity(ctx, &pb.RegisterWithCommunityRequest{CommunityId: tr.community.GetId(),
		MemberId: other.GetId(), Kind: residence})
	wantRefusal(t, "registering someone else", err, codes.NotFound, "")
	post, err := h.reporting().CreatePost(ctx, &pb.CreatePostRequest{CommunityId: tr.community.GetId(),
		Post: &pb.ServicePost{Name: "治安巡逻", Kind: pb.PostKind_POST_KIND_SECURITY, Capacity: 3}})
	if err != nil {
		t.Fatal(err)
	}
	open, err := self.ListPosts(ctx, &pb.ListPostsRequest{CommunityId: tr.community.GetId(), MemberId: me.GetId()})
	if err != nil || len(open.GetPosts()) != 1 {
		t.Fatalf("posts open to me: %v %v", open, err)
	}
	if _, err := self.ClaimPost(ctx, &pb.ClaimPostRequest{CommunityId: tr.community.GetId(), PostId: post.GetPost().GetId(),
		MemberId: me.GetId()}); err != nil {
		t.Fatalf("claiming: %v", err)
	}
	card, err := self.GetContactCard(ctx, &pb.GetContactCardRequest{MemberId: me.GetId()})
	if err != nil || len(card.GetCard().GetClaims()) != 1 || card.GetCard().GetYear() != int32(time.Now().Year()) {
		t.Errorf("my card: %v %v", card, err)
	}
	_, err = self.GetContactCard(ctx, &pb.GetContactCardRequest{MemberId: other.GetId()})
	wantRefusal(t, "someone else's card", err, codes.NotFound, "")
	_, err = self.AddCardEntry(ctx, &pb.AddCardEntryRequest{CommunityId: tr.community.GetId(), MemberId: me.GetId(),
		Entry: &pb.CardEntry{Kind: contact, Date: time.Now().Format(time.DateOnly), Title: "自己记"}})
	wantRefusal(t, "writing one's own card", err, codes.PermissionDenied, "")
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'read' AND subject_type = 'contact_card' AND subject_id = $1`, me.GetId()); n != 1 {
		t.Errorf("%d read records of my card, want 1", n)
	}
}

// TestAServiceWithTheStarRatingsScopeSetsStarsAndNothingElse: the
// supervision service's own token withdraws a star rating, and the
// member's history shows who and why; the same token reads no member.
func TestAServiceWithTheStarRatingsScopeSetsStarsAndNothingElse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	m := h.register(t, person(tr.branch.GetId(), "Five Stars"))
	if _, err := h.appraisals().SetStarRating(ctx, &pb.SetStarRatingRequest{MemberId: m.GetId(), Year: lastYear, Stars: 5, Reason: "评定"}); err != nil {
		t.Fatal(err)
	}
	svc := h.as(devissuer.Claims{Subject: "svc-supervision", Role: auth.Service, Scopes: []string{"member.star_ratings"}})
	reason := "supervision rule in_service_absent_six_months: absent from joint activities six months running"
	r, err := pb.NewAppraisalServiceClient(svc).SetStarRating(ctx, &pb.SetStarRatingRequest{MemberId: m.GetId(), Year: lastYear + 1,
		Stars: 0, Reason: reason, RequestId: "supervision/1"})
	if err != nil || r.GetCurrentStars() != 0 {
		t.Fatalf("the service's withdrawal: %v, %v", r, err)
	}
	list, err := h.appraisals().ListStarRatings(ctx, &pb.ListStarRatingsRequest{MemberId: m.GetId()})
	if err != nil || len(list.GetRatings()) != 2 {
		t.Fatalf("history: %v, %v", list, err)
	}
	if got := list.GetRatings()[0]; got.GetRatedBy() != "svc-supervision" || got.GetReason() != reason || got.GetStars() != 0 {
		t.Errorf("the latest rating does not say who and why: %v", got)
	}
	_, err = pb.NewMemberServiceClient(svc).GetMember(ctx, &pb.GetMemberRequest{Id: m.GetId()})
	wantRefusal(t, "the star-ratings scope reading a member", err, codes.PermissionDenied, "")
}
