package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// The demo's reporting of in-service members (双报到): every in-service
// member of Jinchang registers with the community where they live, as of
// the first day of last year; the communities publish the five posts of
// document 004; the first carded members keep a contact card over last
// year, some short of the minimums on purpose, and a few are rated, given
// stars and appraised.
const (
	// cardedMembers keep a contact card; the rest are registered only.
	cardedMembers = 40
	// ratedMembers are rated by their community and given stars.
	ratedMembers = 12
	// postCommunities publish posts: the first communities with members.
	postCommunities = 6
	// postCapacity is the places on each post, so some claims find it full.
	postCapacity = 2
)

// demoPosts are the five roles of document 004.
var demoPosts = []struct {
	kind memberv1.PostKind
	name string
}{
	{memberv1.PostKind_POST_KIND_PUBLICIST, "政策宣传员"},
	{memberv1.PostKind_POST_KIND_MEDIATOR, "矛盾纠纷调解员"},
	{memberv1.PostKind_POST_KIND_LIAISON, "楼院联络员"},
	{memberv1.PostKind_POST_KIND_SECURITY, "治安巡逻员"},
	{memberv1.PostKind_POST_KIND_SANITATION, "环境卫生监督员"},
}

// ReportingSummary says what LoadReporting made or found.
type ReportingSummary struct {
	Registered, Posts, Claims, CardEntries, Ratings, StarRatings, Appraisals int
	// FullClaims counts the claims that found their post full.
	FullClaims int
}

// String describes the reporting in one line.
func (s ReportingSummary) String() string {
	return fmt.Sprintf("%d in-service members registered with their communities, %d posts, %d claimed (%d found full), "+
		"%d card entries, %d ratings, %d star ratings, %d appraisals",
		s.Registered, s.Posts, s.Claims, s.FullClaims, s.CardEntries, s.Ratings, s.StarRatings, s.Appraisals)
}

// reporter is a registered in-service member of the demo.
type reporter struct {
	def *memberDef
	id  string
}

// LoadReporting registers Jinchang's in-service members with their
// communities through the member service's API, after LoadMembers, and
// gives them posts, cards, ratings, stars and last year's appraisals.
// Every creating call carries a request id derived from the plan, so a
// second load creates nothing.
func LoadReporting(ctx context.Context, conn grpc.ClientConnInterface, sum Summary, log *slog.Logger) (ReportingSummary, error) {
	if sum.plan == nil {
		return ReportingSummary{}, errors.New("demo: reporting: the city was not loaded")
	}
	start := time.Now()
	l := &reportingLoader{
		members:    memberv1.NewMemberServiceClient(conn),
		reporting:  memberv1.NewReportingServiceClient(conn),
		appraisals: memberv1.NewAppraisalServiceClient(conn),
		lastYear:   int32(sum.plan.today.Year() - 1),
	}
	var defs []*memberDef
	for _, m := range newMemberPlan(sum.plan).members {
		if m.district == "jc" && m.group == inService { // the mobile members work far away
			defs = append(defs, m)
		}
	}
	rs, err := l.register(ctx, defs)
	if err != nil {
		return ReportingSummary{}, fmt.Errorf("demo: reporting: %w", err)
	}
	out := ReportingSummary{Registered: len(rs)}
	for _, step := range []func(context.Context, []*reporter, *ReportingSummary) error{l.posts, l.cards, l.ratings, l.appraise} {
		if err := step(ctx, rs, &out); err != nil {
			return ReportingSummary{}, fmt.Errorf("demo: reporting: %w", err)
		}
	}
	log.Info("loaded in-service reporting", "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

type reportingLoader struct {
	members    memberv1.MemberServiceClient
	reporting  memberv1.ReportingServiceClient
	appraisals memberv1.AppraisalServiceClient
	lastYear   int32
}

// day is a day of last year.
func (l *reportingLoader) day(month time.Month, d int) string {
	return time.Date(int(l.lastYear), month, d, 0, 0, 0, 0, time.UTC).Format(dateLayout)
}

// register finds each member's id (the request id of its creation returns
// the member made first) and registers it with its residential community.
func (l *reportingLoader) register(ctx context.Context, defs []*memberDef) ([]*reporter, error) {
	rs := make([]*reporter, len(defs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for i, m := range defs {
		g.Go(func() error {
			pb := m.member
			pb.OrganisationId = m.org.id
			pb.Residence = &memberv1.Residence{CommunityId: m.community.id}
			resp, err := l.members.CreateMember(gctx, &memberv1.CreateMemberRequest{Member: pb, RequestId: requestID(m.key)})
			if err != nil {
				return fmt.Errorf("finding %s: %w", m.key, err)
			}
			id := resp.GetMember().GetId()
			if _, err := l.reporting.RegisterWithCommunity(gctx, &memberv1.RegisterWithCommunityRequest{
				CommunityId: m.community.id, MemberId: id, Kind: memberv1.RegistrationKind_REGISTRATION_KIND_RESIDENCE,
				ReportDate: l.day(time.January, 1), RequestId: requestID("rep/" + m.key),
			}); err != nil {
				return fmt.Errorf("registering %s: %w", m.key, err)
			}
			rs[i] = &reporter{def: m, id: id}
			return nil
		})
	}
	return rs, g.Wait()
}

// posts publishes the five posts in the first communities with registered
// members and lets those members claim one each, in order, so that the
// same claims find the same posts full on every load.
func (l *reportingLoader) posts(ctx context.Context, rs []*reporter, out *ReportingSummary) error {
	var communities []*node
	byCommunity := map[*node][]*reporter{}
	for _, r := range rs {
		c := r.def.community
		if _, ok := byCommunity[c]; !ok {
			communities = append(communities, c)
		}
		byCommunity[c] = append(byCommunity[c], r)
	}
	// The communities with the most in-service members publish posts, so
	// that some posts fill up and later claims find them full.
	slices.SortStableFunc(communities, func(a, b *node) int { return len(byCommunity[b]) - len(byCommunity[a]) })
	communities = communities[:min(postCommunities, len(communities))]
	for _, c := range communities {
		var ids []string
		for _, p := range demoPosts {
			resp, err := l.reporting.CreatePost(ctx, &memberv1.CreatePostRequest{CommunityId: c.id, RequestId: requestID("rep/" + c.key + "/" + p.kind.String()),
				Post: &memberv1.ServicePost{Name: p.name, Kind: p.kind, Capacity: postCapacity, Description: "在职党员认岗服务"}})
			if err != nil {
				return fmt.Errorf("post of %s: %w", c.key, err)
			}
			ids = append(ids, resp.GetPost().GetId())
			out.Posts++
		}
		for i, r := range byCommunity[c] {
			_, err := l.reporting.ClaimPost(ctx, &memberv1.ClaimPostRequest{CommunityId: c.id, PostId: ids[i%len(ids)],
				MemberId: r.id, RequestId: requestID("rep/claim/" + r.def.key)})
			switch {
			case status.Code(err) == codes.FailedPrecondition:
				out.FullClaims++
			case err != nil:
				return fmt.Errorf("claim of %s: %w", r.def.key, err)
			default:
				out.Claims++
			}
		}
	}
	return nil
}

// cards writes last year's contact cards of the first members: two
// contacts a quarter (one in the last quarter for every fourth member)
// and one to six activities, so that some meet the minimums and some do not.
func (l *reportingLoader) cards(ctx context.Context, rs []*reporter, out *ReportingSummary) error {
	type entry struct {
		r     *reporter
		key   string
		kind  memberv1.CardEntryKind
		date  string
		title string
		hours float64
	}
	var entries []entry
	for i, r := range rs[:min(cardedMembers, len(rs))] {
		for q := range 4 {
			contacts := 2
			if q == 3 && i%4 == 3 {
				contacts = 1
			}
			for c := range contacts {
				entries = append(entries, entry{r, fmt.Sprintf("c%d%d", q, c), memberv1.CardEntryKind_CARD_ENTRY_KIND_CONTACT,
					l.day(time.Month(3*q+1+c), 10+i%15), "到社区报到、反映社情民意", 0.5})
			}
		}
		for a := range 1 + i%6 {
			entries = append(entries, entry{r, fmt.Sprintf("a%d", a), memberv1.CardEntryKind_CARD_ENTRY_KIND_ACTIVITY,
				l.day(time.Month(2*a+2), 5+i%20), "参加社区志愿服务活动", 2})
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, e := range entries {
		g.Go(func() error {
			_, err := l.reporting.AddCardEntry(gctx, &memberv1.AddCardEntryRequest{CommunityId: e.r.def.community.id,
				MemberId: e.r.id, RequestId: requestID("rep/card/" + e.r.def.key + "/" + e.key),
				Entry: &memberv1.CardEntry{Kind: e.kind, Date: e.date, Title: e.title, Hours: e.hours}})
			if err != nil {
				return fmt.Errorf("card entry of %s: %w", e.r.def.key, err)
			}
			return nil
		})
	}
	out.CardEntries = len(entries)
	return g.Wait()
}

// ratings has the communities rate the first members for last year, and
// their organisations give them stars.
func (l *reportingLoader) ratings(ctx context.Context, rs []*reporter, out *ReportingSummary) error {
	grades := []memberv1.PerformanceGrade{memberv1.PerformanceGrade_PERFORMANCE_GRADE_EXCELLENT,
		memberv1.PerformanceGrade_PERFORMANCE_GRADE_QUALIFIED, memberv1.PerformanceGrade_PERFORMANCE_GRADE_QUALIFIED,
		memberv1.PerformanceGrade_PERFORMANCE_GRADE_BASICALLY_QUALIFIED}
	for i, r := range rs[:min(ratedMembers, len(rs))] {
		if _, err := l.reporting.RateMember(ctx, &memberv1.RateMemberRequest{CommunityId: r.def.community.id, MemberId: r.id,
			Year: l.lastYear, Grade: grades[i%len(grades)], Comment: "联系卡经社区签章，反馈所在单位党组织",
			RequestId: requestID("rep/rate/" + r.def.key)}); err != nil {
			return fmt.Errorf("rating %s: %w", r.def.key, err)
		}
		out.Ratings++
		if _, err := l.appraisals.SetStarRating(ctx, &memberv1.SetStarRatingRequest{MemberId: r.id, Year: l.lastYear,
			Stars: int32(3 + i%3), Reason: "五星级党员评定：学习、履职、服务、奉献、守纪",
			RequestId: requestID("rep/stars/" + r.def.key)}); err != nil {
			return fmt.Errorf("stars of %s: %w", r.def.key, err)
		}
		out.StarRatings++
	}
	return nil
}

// appraise records last year's democratic appraisal: the carded members,
// who reported, are qualified or excellent; a few registered members with
// no contact on their card did not report, and are basically qualified
// (DOMAIN §5).
func (l *reportingLoader) appraise(ctx context.Context, rs []*reporter, out *ReportingSummary) error {
	n := min(cardedMembers+3, len(rs))
	for i, r := range rs[:n] {
		grade := memberv1.PerformanceGrade_PERFORMANCE_GRADE_QUALIFIED
		switch {
		case i >= cardedMembers:
			grade = memberv1.PerformanceGrade_PERFORMANCE_GRADE_BASICALLY_QUALIFIED
		case i%5 == 0:
			grade = memberv1.PerformanceGrade_PERFORMANCE_GRADE_EXCELLENT
		}
		if _, err := l.appraisals.RecordAppraisal(ctx, &memberv1.RecordAppraisalRequest{MemberId: r.id, Year: l.lastYear,
			Grade: grade, Comment: "年度民主评议党员", RequestId: requestID("rep/appraise/" + r.def.key)}); err != nil {
			return fmt.Errorf("appraising %s: %w", r.def.key, err)
		}
		out.Appraisals++
	}
	return nil
}
