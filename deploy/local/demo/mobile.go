package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// MobileSummary says what LoadMobile made or found.
type MobileSummary struct {
	Outflows, Inflows, Groups int
	// Temporary counts the records holding a temporary relationship and
	// certificate; Overdue those whose contact is overdue.
	Temporary, Overdue int
}

// String describes the mobile members in one line.
func (s MobileSummary) String() string {
	return fmt.Sprintf("mobile members: %d outflows (%d in %d group), %d inflows, %d with a certificate, %d with contact overdue",
		s.Outflows, groupSize*s.Groups, s.Groups, s.Inflows, s.Temporary, s.Overdue)
}

// groupSize is the size of the group that left together.
const groupSize = 5

// mobileAges are the months away of the outflows, in turn: some under the
// six months a temporary relationship waits for, some over.
var mobileAges = []int{1, 2, 3, 4, 5, 7, 8, 9, 10, 13}

// outsidePlaces are where the members who left the city went.
var outsidePlaces = []string{"广东省深圳市宝安区", "新疆乌鲁木齐市", "陕西省西安市雁塔区", "天津市滨海新区", "甘肃省兰州新区"}

// mobileDef is one outflow to register.
type mobileDef struct {
	m           *memberDef
	monthsAgo   int
	destination *node // a district of this city, or nil: outside it
	report      int   // days ago the member last reported; 0: never
}

// LoadMobile registers Jinchang's mobile members (the members of the roll
// that LoadMembers registered as gone away) through the member service's
// API: their outflows, of various ages; a temporary relationship and
// certificate for those away six months or more inside the city; the
// members' reports, left out for some so that their contact is overdue;
// one group of five that left together, granted one host branch and sent
// news; and two inflows. Every creating call carries a request id and a
// grant is made only once, so a second load creates nothing.
func LoadMobile(ctx context.Context, conn grpc.ClientConnInterface, sum Summary, log *slog.Logger) (MobileSummary, error) {
	if sum.plan == nil {
		return MobileSummary{}, errors.New("demo: mobile: the city was not loaded")
	}
	start := time.Now()
	mp := newMemberPlan(sum.plan)
	l := &mobileLoader{
		memberLoader: memberLoader{members: memberv1.NewMemberServiceClient(conn), patience: time.Now().Add(time.Minute)},
		mobile:       memberv1.NewMobileServiceClient(conn), today: sum.plan.today,
	}
	var out MobileSummary
	group, singles, inflows := planMobile(sum.plan, mp)
	for _, d := range append(append([]*mobileDef{}, group...), singles...) {
		if err := l.memberLoader.create(ctx, d.m); err != nil { // a replay: finds the member's id
			return out, fmt.Errorf("demo: mobile: %w", err)
		}
	}
	if len(group) == groupSize {
		if err := l.group(ctx, group, &out); err != nil {
			return out, fmt.Errorf("demo: mobile group: %w", err)
		}
	}
	for _, d := range singles {
		if err := l.outflow(ctx, d, &out); err != nil {
			return out, fmt.Errorf("demo: outflow of %s: %w", d.m.member.GetName(), err)
		}
	}
	for _, d := range inflows {
		if err := l.inflow(ctx, d, &out); err != nil {
			return out, fmt.Errorf("demo: inflow: %w", err)
		}
	}
	log.Info("loaded mobile members", "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

// planMobile picks the group (five mobile members of the first community
// with that many), the other mobile members of Jinchang, and two inflows:
// one of a member of another district, one of someone from outside the city.
func planMobile(p *plan, mp *memberPlan) (group, singles []*mobileDef, inflows []*inflowDef) {
	var jc, others []*node
	for _, d := range p.city.children {
		if d.key == "jc" {
			jc = append(jc, d)
		} else if len(holders(d)) > 0 {
			others = append(others, d)
		}
	}
	moved := map[*memberDef]bool{}
	for _, t := range mp.transfers {
		moved[t.member] = true
	}
	byCommunity := map[*node][]*memberDef{}
	var mobiles []*memberDef
	var visitor *memberDef
	for _, m := range mp.members {
		switch {
		case m.district == "jc" && m.group == mobile && !moved[m]:
			mobiles = append(mobiles, m)
			byCommunity[m.community] = append(byCommunity[m.community], m)
		case m.district != "jc" && visitor == nil && !moved[m]:
			visitor = m
		}
	}
	inGroup := map[*memberDef]bool{}
	for _, m := range mobiles {
		if ms := byCommunity[m.community]; len(ms) >= groupSize && len(others) > 0 {
			for _, g := range ms[:groupSize] {
				group = append(group, &mobileDef{m: g, monthsAgo: 8, destination: others[0], report: 3})
				inGroup[g] = true
			}
			break
		}
	}
	i := 0
	for _, m := range mobiles {
		if inGroup[m] {
			continue
		}
		d := &mobileDef{m: m, monthsAgo: mobileAges[i%len(mobileAges)], report: 1 + i%25}
		if i%3 == 0 && len(others) > 0 {
			d.destination = others[(i/3)%len(others)]
		}
		if i%6 == 5 { // never reported: overdue once a quarter has gone by
			d.report = 0
		}
		singles = append(singles, d)
		i++
	}
	if len(jc) > 0 {
		if hs := holders(jc[0]); len(hs) > 2 {
			inflows = append(inflows, &inflowDef{key: "mobile/in/1", host: hs[1].community, monthsAgo: 3,
				person: &memberv1.OutsidePerson{Name: "马建国", Phone: "13993512345", HomeOrganisation: "甘肃省武威市凉州区金羊镇党委"},
				place:  "甘肃省武威市"})
			if visitor != nil {
				inflows = append(inflows, &inflowDef{key: "mobile/in/2", host: hs[2].community, monthsAgo: 2, member: visitor})
			}
		}
	}
	return group, singles, inflows
}

// inflowDef is one inflow to register.
type inflowDef struct {
	key       string
	host      *node
	monthsAgo int
	member    *memberDef
	person    *memberv1.OutsidePerson
	place     string
}

type mobileLoader struct {
	memberLoader
	mobile memberv1.MobileServiceClient
	today  time.Time
}

func (l *mobileLoader) day(monthsAgo int) string {
	return l.today.AddDate(0, -monthsAgo, 0).Format(dateLayout)
}

// hostIn is the organisation of a district that hosts its mobile members:
// the first that holds members.
func hostIn(district *node, i int) *node {
	hs := holders(district)
	return hs[i%len(hs)].orgs[0]
}

func (l *mobileLoader) outflow(ctx context.Context, d *mobileDef, out *MobileSummary) error {
	rec := &memberv1.MobileRecord{MemberId: d.m.member.GetId(), Since: l.day(d.monthsAgo), Reason: "外出务工",
		Place: outsidePlaces[out.Outflows%len(outsidePlaces)]}
	if d.destination != nil {
		rec.Place, rec.DestinationOrganisationId = d.destination.org.GetName(), d.destination.id
	}
	var got *memberv1.MobileRecord
	err := l.retry(ctx, func() error {
		resp, err := l.mobile.RegisterOutflow(ctx, &memberv1.RegisterOutflowRequest{Record: rec, RequestId: requestID("mobile/out/" + d.m.key)})
		got = resp.GetRecord()
		return err
	})
	if err != nil {
		return err
	}
	out.Outflows++
	if got, err = l.report(ctx, got, d); err != nil {
		return err
	}
	if d.destination != nil && d.monthsAgo >= 6 && got.GetState() == memberv1.MobileState_MOBILE_STATE_AWAY {
		resp, err := l.mobile.GrantTemporaryRelationship(ctx, &memberv1.GrantTemporaryRelationshipRequest{Id: got.GetId(),
			HostOrganisationId: hostIn(d.destination, out.Outflows).id, Etag: got.GetEtag()})
		if err != nil {
			return err
		}
		got = resp.GetRecord()
	}
	l.count(got, out)
	return nil
}

// report logs the member's last report, d.report days ago, if any.
func (l *mobileLoader) report(ctx context.Context, rec *memberv1.MobileRecord, d *mobileDef) (*memberv1.MobileRecord, error) {
	if d.report == 0 || rec.GetState() == memberv1.MobileState_MOBILE_STATE_ENDED {
		return rec, nil
	}
	at := l.today.AddDate(0, 0, -d.report).Add(10 * time.Hour)
	resp, err := l.mobile.LogContact(ctx, &memberv1.LogContactRequest{RecordId: rec.GetId(), RequestId: requestID("mobile/report/" + d.m.key),
		Contact: &memberv1.ContactEntry{Direction: memberv1.ContactDirection_CONTACT_DIRECTION_MEMBER_REPORT,
			Channel: memberv1.ContactChannel_CONTACT_CHANNEL_MESSAGE, ContactTime: timestamppb.New(at),
			Summary: "汇报近期思想、工作和生活情况：工作稳定，按时参加所在地党组织活动"}})
	if err != nil {
		return nil, err
	}
	return resp.GetRecord(), nil
}

func (l *mobileLoader) count(rec *memberv1.MobileRecord, out *MobileSummary) {
	if rec.GetTemporary() != nil {
		out.Temporary++
	}
	if rec.GetContactOverdue() {
		out.Overdue++
	}
}

// group registers the group, reports for each member, grants the group one
// host branch and sends it news.
func (l *mobileLoader) group(ctx context.Context, ds []*mobileDef, out *MobileSummary) error {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.m.member.GetId()
	}
	dest := ds[0].destination
	var resp *memberv1.RegisterGroupOutflowResponse
	err := l.retry(ctx, func() error {
		var err error
		resp, err = l.mobile.RegisterGroupOutflow(ctx, &memberv1.RegisterGroupOutflowRequest{
			Group: &memberv1.MobileGroup{Name: "金川区建筑工程队", HomeOrganisationId: ds[0].m.community.id,
				Place: dest.org.GetName(), DestinationOrganisationId: dest.id, LeaderMemberId: ids[0]},
			MemberIds: ids, Since: l.day(ds[0].monthsAgo), Reason: "集体外出承建工程", RequestId: requestID("mobile/group/1")})
		return err
	})
	if err != nil {
		return err
	}
	out.Groups++
	out.Outflows += len(resp.GetRecords())
	g := resp.GetGroup()
	if g.GetHostOrganisationId() == "" {
		granted, err := l.mobile.GrantGroupTemporaryRelationship(ctx, &memberv1.GrantGroupTemporaryRelationshipRequest{
			Id: g.GetId(), HostOrganisationId: hostIn(dest, 0).id, Etag: g.GetEtag()})
		if err != nil {
			return err
		}
		g = granted.GetGroup()
	}
	if _, err := l.mobile.LogGroupNews(ctx, &memberv1.LogGroupNewsRequest{Id: g.GetId(), Channel: memberv1.ContactChannel_CONTACT_CHANNEL_ONLINE,
		Summary: "推送学习资料：流动党员教育管理有关政策", RequestId: requestID("mobile/group/1/news")}); err != nil {
		return err
	}
	for i, rec := range resp.GetRecords() {
		got, err := l.report(ctx, rec, ds[i])
		if err != nil {
			return err
		}
		current, err := l.mobile.GetMobileRecord(ctx, &memberv1.GetMobileRecordRequest{Id: got.GetId()})
		if err != nil {
			return err
		}
		l.count(current.GetRecord(), out)
	}
	return nil
}

func (l *mobileLoader) inflow(ctx context.Context, d *inflowDef, out *MobileSummary) error {
	rec := &memberv1.MobileRecord{HostOrganisationId: d.host.id, Since: l.day(d.monthsAgo), Place: d.place,
		Person: d.person, Reason: "来金昌务工"}
	if d.member != nil {
		if err := l.memberLoader.create(ctx, d.member); err != nil {
			return err
		}
		rec.MemberId, rec.Reason = d.member.member.GetId(), "随子女在金昌居住"
	}
	var got *memberv1.MobileRecord
	err := l.retry(ctx, func() error {
		resp, err := l.mobile.RegisterInflow(ctx, &memberv1.RegisterInflowRequest{Record: rec, RequestId: requestID(d.key)})
		got = resp.GetRecord()
		return err
	})
	if err != nil {
		return err
	}
	out.Inflows++
	l.count(got, out)
	return nil
}
