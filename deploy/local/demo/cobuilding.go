package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// The co-building of Tongjiang (共驻共建, 002), over the year before this
// month as the document counts its year: its 160 resident units, each with
// its party organisation and an agreement with the community where it sits
// (unevenly: some communities host many units, some few), and a few units
// with party members and no party organisation (coverage gaps); a monthly
// report from every unit for every month of the year but some missed; 45
// joint meetings (the county's every quarter, each community's every half
// year and more), 10 of them with an issue ledger whose 71 items were ticked
// off and some still open, a few past their deadline; 75 joint activities
// with about 5,000 attendances, naming the in-service members of the
// organising units, whom the member service counts on their contact cards.
const (
	coUnitsPerCard    = 5    // in-service members of each unit registered with its community
	coMeetings        = 45   // joint meetings of the year
	coLedgers         = 10   // meetings with an issue ledger
	coItemsClosed     = 71   // ledger items ticked off
	coItemsOpen       = 6    // items still being worked on, within their deadline
	coItemsOverdue    = 5    // items past their deadline
	coActivities      = 75   // joint activities of the year
	coAttendance      = 5000 // their attendances, in all
	coMissedPerCent   = 4    // unit-months without a report
	coSeedStream      = 3    // the random stream of the co-building plan
	coGapCommunityKey = "赫哲"
)

// coGaps are units with party members and no party organisation of their
// own, in the community flawed with a coverage gap.
var coGaps = []struct {
	name    string
	kind    cobuildingv1.UnitType
	members int32
}{
	{"同江赫哲鱼皮画文化传播有限公司", cobuildingv1.UnitType_UNIT_TYPE_NEW_ECONOMIC_ORGANISATION, 4},
	{"同江县江鲜餐饮有限公司", cobuildingv1.UnitType_UNIT_TYPE_NEW_ECONOMIC_ORGANISATION, 3},
	{"同江县快递物流服务站", cobuildingv1.UnitType_UNIT_TYPE_NEW_ECONOMIC_ORGANISATION, 5},
	{"同江县网约车驾驶员协会", cobuildingv1.UnitType_UNIT_TYPE_SOCIAL_ORGANISATION, 3},
}

// coUnitTypes are the co-building service's types of the plan's unit types.
var coUnitTypes = map[string]cobuildingv1.UnitType{
	"党政机关": cobuildingv1.UnitType_UNIT_TYPE_GOVERNMENT_OFFICE,
	"事业单位": cobuildingv1.UnitType_UNIT_TYPE_INSTITUTION,
	"国有企业": cobuildingv1.UnitType_UNIT_TYPE_STATE_ENTERPRISE,
	"社会组织": cobuildingv1.UnitType_UNIT_TYPE_SOCIAL_ORGANISATION,
	"非公企业": cobuildingv1.UnitType_UNIT_TYPE_PRIVATE_ENTERPRISE,
}

// The words of the reports, meetings, items and activities, by area.
var (
	coAreas = []cobuildingv1.Area{
		cobuildingv1.Area_AREA_ORGANISATION_BUILDING, cobuildingv1.Area_AREA_CIVILITY,
		cobuildingv1.Area_AREA_COMMUNITY_SERVICE, cobuildingv1.Area_AREA_PUBLIC_SECURITY,
		cobuildingv1.Area_AREA_SHARED_RESOURCES, cobuildingv1.Area_AREA_ENVIRONMENT,
	}
	coWork = map[cobuildingv1.Area][]string{
		cobuildingv1.Area_AREA_ORGANISATION_BUILDING: {"与社区党组织同上一堂党课", "联合开展主题党日", "在职党员到社区报到亮身份"},
		cobuildingv1.Area_AREA_CIVILITY:              {"开展文明家庭评选宣传", "移风易俗宣讲进楼院", "道德讲堂进社区"},
		cobuildingv1.Area_AREA_COMMUNITY_SERVICE:     {"为困难群众送温暖", "义诊和健康咨询", "法律咨询进社区", "为空巢老人上门服务"},
		cobuildingv1.Area_AREA_PUBLIC_SECURITY:       {"联合开展夜间治安巡逻", "反诈宣传入户", "消防安全隐患排查"},
		cobuildingv1.Area_AREA_SHARED_RESOURCES:      {"会议室、活动室向居民开放", "停车场节假日向居民开放", "图书室向青少年开放"},
		cobuildingv1.Area_AREA_ENVIRONMENT:           {"清理卫生死角和小广告", "义务植树和绿地认养", "垃圾分类宣传引导"},
	}
	coMatters = []string{
		"老旧小区楼道照明改造", "背街小巷路灯维修", "社区活动室设备添置", "小区停车秩序整治",
		"困难家庭子女助学结对", "雨季排水管网疏通", "冬季清雪责任区划分", "社区卫生服务站义诊排班",
		"居民健身器材维修", "流动摊点规范管理",
	}
)

// CoBuildingSummary says what LoadCoBuilding made or found.
type CoBuildingSummary struct {
	// Units are the units recorded; Gaps those with party members and no
	// party organisation; Agreements those signed.
	Units, Gaps, Agreements int
	// Reports were filed; MissedMonths are unit-months left without one.
	Reports, MissedMonths int
	// Registered are the units' in-service members registered with the
	// units' communities.
	Registered int
	// Meetings were held, Ledgers of them with items: ItemsClosed ticked
	// off, ItemsOpen within their deadline, ItemsOverdue past it.
	Meetings, Ledgers, ItemsClosed, ItemsOpen, ItemsOverdue int
	// Activities were held, with Attendance in all, naming MembersNamed
	// in-service members.
	Activities, Attendance, MembersNamed int
	// Sharing are the shared venues and the volunteer teams.
	Sharing SharingSummary
	// Requests are the residents' requests of this month.
	Requests RequestsSummary
	// Evaluations are the two-way evaluation of last year and the year
	// before.
	Evaluations EvaluationsSummary
}

// String describes the co-building in one line.
func (s CoBuildingSummary) String() string {
	return fmt.Sprintf("co-building: %d resident units (%d coverage gaps), %d agreements, %d monthly reports (%d months missed), "+
		"%d in-service members registered with their units' communities, %d joint meetings, %d ledgers (%d items ticked off, %d open, %d overdue), "+
		"%d joint activities with %d attendances naming %d in-service members",
		s.Units, s.Gaps, s.Agreements, s.Reports, s.MissedMonths, s.Registered, s.Meetings, s.Ledgers,
		s.ItemsClosed, s.ItemsOpen, s.ItemsOverdue, s.Activities, s.Attendance, s.MembersNamed) + "; " + s.Sharing.String() +
		"; " + s.Requests.String() + "; " + s.Evaluations.String()
}

// coUnit is a resident unit of the plan.
type coUnit struct {
	key       string
	name      string
	kind      cobuildingv1.UnitType
	org       *node // its party organisation; nil for a gap
	community *node
	members   int32
	missed    map[int]bool // the months of the year without a report

	id         string   // set by the loader
	inService  []string // in-service members registered, set by the loader
	registered int
}

// coMeeting is a joint meeting of the plan; items is its ledger.
type coMeeting struct {
	key       string
	county    bool
	convener  *node
	date      time.Time
	title     string
	units     []*coUnit
	orgs      []*node
	items     []*coItem
	meetingID string // set by the loader
}

// coItem is an item of an issue ledger: closed (ticked off), or open with
// its deadline ahead or behind, and reported when its owner reported.
type coItem struct {
	key, title, matter string
	owner              *coUnit
	deadline           time.Time
	closed, reported   bool
}

// coActivity is a joint activity of the plan.
type coActivity struct {
	key                 string
	area                cobuildingv1.Area
	title               string
	date                time.Time
	community           *node
	units               []*coUnit
	attendance, partyIn int32
	hours               float64
}

// coPlan is Tongjiang's co-building year.
type coPlan struct {
	// start is the first day of the year, end the first day after it (the
	// first of this month); yesterday the last day anything took place.
	start, end, yesterday time.Time
	district              *node
	communities           []*node
	units                 []*coUnit
	meetings              []*coMeeting
	activities            []*coActivity
}

// newCoPlan draws Tongjiang's co-building year from the city's plan.
func newCoPlan(p *plan) (*coPlan, error) {
	cp := &coPlan{}
	for _, d := range p.city.children {
		if d.key == "tj" {
			cp.district = d
		}
	}
	if cp.district == nil {
		return nil, errors.New("the plan has no Tongjiang")
	}
	today := time.Date(p.today.Year(), p.today.Month(), p.today.Day(), 0, 0, 0, 0, time.UTC)
	cp.end = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	cp.start = cp.end.AddDate(-1, 0, 0)
	cp.yesterday = today.AddDate(0, 0, -1)
	r := rand.New(rand.NewPCG(memberSeed, coSeedStream))
	for _, street := range cp.district.children {
		var communities, units []*node
		for _, c := range street.children {
			switch c.org.GetKind() {
			case orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY:
				communities = append(communities, c)
			case orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT:
				units = append(units, c)
			}
		}
		if len(communities) == 0 {
			continue
		}
		cp.communities = append(cp.communities, communities...)
		cp.placeUnits(r, communities, units)
	}
	cp.addGaps()
	cp.drawMissedMonths(r)
	cp.drawMeetings(r)
	cp.drawActivities(r)
	return cp, nil
}

// placeUnits seats a street's units in its communities unevenly: the
// weights run from one to four.
func (cp *coPlan) placeUnits(r *rand.Rand, communities, units []*node) {
	pick := weighted(r, len(communities), 4)
	for _, u := range units {
		c := communities[pick()]
		ru := u.org.GetResidentUnit()
		cp.units = append(cp.units, &coUnit{key: "cob/" + u.key, name: ru.GetUnitName(), kind: coUnitTypes[ru.GetUnitType()],
			org: u, community: c, members: int32(u.members)})
	}
}

// weighted draws n weights from one to most and returns a draw of an
// index in proportion to them.
func weighted(r *rand.Rand, n, most int) func() int {
	weights := make([]int, n)
	total := 0
	for i := range weights {
		weights[i] = 1 + r.IntN(most)
		total += weights[i]
	}
	return func() int {
		pick := r.IntN(total)
		for i, w := range weights {
			if pick < w {
				return i
			}
			pick -= w
		}
		return 0
	}
}

// addGaps adds the units without a party organisation.
func (cp *coPlan) addGaps() {
	var c *node
	for _, n := range cp.communities {
		if strings.Contains(n.org.GetName(), coGapCommunityKey) {
			c = n
		}
	}
	if c == nil {
		c = cp.communities[len(cp.communities)-1]
	}
	for i, g := range coGaps {
		cp.units = append(cp.units, &coUnit{key: fmt.Sprintf("cob/gap%d", i+1), name: g.name, kind: g.kind, community: c, members: g.members})
	}
}

// drawMissedMonths leaves some unit-months without a report.
func (cp *coPlan) drawMissedMonths(r *rand.Rand) {
	for _, u := range cp.units {
		if u.org == nil {
			continue
		}
		u.missed = map[int]bool{}
		for m := range 11 { // the last month's report is not due yet
			if r.IntN(100) < coMissedPerCent {
				u.missed[m] = true
			}
		}
	}
}

// unitsOf are the agreement-bound units sitting in a community.
func (cp *coPlan) unitsOf(c *node) []*coUnit {
	var out []*coUnit
	for _, u := range cp.units {
		if u.community == c && u.org != nil {
			out = append(out, u)
		}
	}
	return out
}

// dayIn is a day drawn between from and to (both included), never after
// yesterday.
func (cp *coPlan) dayIn(r *rand.Rand, from, to time.Time) time.Time {
	from, to = maxTime(from, cp.start), minTime(to, cp.yesterday)
	if !to.After(from) {
		return from
	}
	return from.AddDate(0, 0, r.IntN(int(to.Sub(from).Hours()/24)+1))
}

// drawMeetings holds the county's coordination committee every closed
// quarter of the year and each community's meeting with its units every
// closed half year (but one, missed), then more community meetings up to
// 45; ten meetings keep an issue ledger.
func (cp *coPlan) drawMeetings(r *rand.Rand) {
	var county []*coMeeting
	for q := time.Date(cp.start.Year(), (cp.start.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC); q.Before(cp.end); q = q.AddDate(0, 3, 0) {
		if q.AddDate(0, 3, 0).After(cp.end) {
			break // the current quarter is still open
		}
		m := &coMeeting{key: fmt.Sprintf("cob/county/%s", q.Format("2006-01")), county: true, convener: cp.district,
			date: cp.dayIn(r, q.AddDate(0, 1, 0), q.AddDate(0, 2, 0)), title: "县共驻共建协调委员会季度联席会议", orgs: cp.communities}
		for _, u := range cp.units {
			if u.org != nil && len(m.units) < 8 && r.IntN(10) == 0 {
				m.units = append(m.units, u)
			}
		}
		county = append(county, m)
	}
	var community []*coMeeting
	for i, c := range cp.communities {
		units := cp.unitsOf(c)
		if len(units) == 0 {
			continue
		}
		for h := time.Date(cp.start.Year(), (cp.start.Month()-1)/6*6+1, 1, 0, 0, 0, 0, time.UTC); h.AddDate(0, 6, 0).Compare(cp.end) <= 0; h = h.AddDate(0, 6, 0) {
			if i == len(cp.communities)-1 && !h.AddDate(0, 6, 0).Before(cp.end.AddDate(0, -6, 0)) {
				continue // the last community missed its latest half year
			}
			community = append(community, cp.communityMeeting(r, c, units, h, h.AddDate(0, 6, -1), len(community)))
		}
	}
	for len(county)+len(community) < coMeetings {
		c := cp.communities[r.IntN(len(cp.communities))]
		if units := cp.unitsOf(c); len(units) > 0 {
			community = append(community, cp.communityMeeting(r, c, units, cp.start, cp.yesterday, len(community)))
		}
	}
	cp.meetings = append(county, community...)
	cp.drawLedgers(r, community)
}

func (cp *coPlan) communityMeeting(r *rand.Rand, c *node, units []*coUnit, from, to time.Time, n int) *coMeeting {
	m := &coMeeting{key: fmt.Sprintf("cob/meeting%d", n+1), convener: c, date: cp.dayIn(r, from, to),
		title: shortName(c) + "共驻共建联席会议"}
	r.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
	m.units = units[:min(len(units), 2+r.IntN(4))]
	return m
}

// drawLedgers gives ten community meetings their ledgers: the items of
// the older ones ticked off, the latest ones' partly open or overdue.
func (cp *coPlan) drawLedgers(r *rand.Rand, meetings []*coMeeting) {
	var ledgers []*coMeeting
	for _, m := range meetings {
		if len(ledgers) < coLedgers && m.date.Before(cp.yesterday.AddDate(0, 0, -45)) {
			ledgers = append(ledgers, m)
		}
	}
	if len(ledgers) == 0 {
		return
	}
	counts := split(r, coItemsClosed+coItemsOpen+coItemsOverdue, len(ledgers), 4)
	n := 0
	for i, m := range ledgers {
		for k := range counts[i] {
			it := &coItem{key: fmt.Sprintf("%s/item%d", m.key, k+1), owner: m.units[k%len(m.units)],
				matter: coMatters[(i+k)%len(coMatters)], deadline: m.date.AddDate(0, 0, 30+r.IntN(30))}
			it.title = fmt.Sprintf("%s：%s", it.owner.name, it.matter)
			switch {
			case n < coItemsClosed:
				it.closed = true
			case n < coItemsClosed+coItemsOverdue:
				it.reported = n%2 == 0
				it.deadline = minTime(it.deadline, cp.yesterday.AddDate(0, 0, -3))
			default:
				it.deadline = cp.yesterday.AddDate(0, 1+r.IntN(2), 0)
			}
			m.items = append(m.items, it)
			n++
		}
	}
}

// drawActivities draws the year's joint activities of communities and
// their units, about 5,000 attendances in all.
func (cp *coPlan) drawActivities(r *rand.Rand) {
	attendance := split(r, coAttendance, coActivities, 20)
	for i := range coActivities {
		c := cp.communities[r.IntN(len(cp.communities))]
		units := cp.unitsOf(c)
		r.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
		area := coAreas[i%len(coAreas)]
		work := coWork[area]
		a := &coActivity{key: fmt.Sprintf("cob/activity%d", i+1), area: area, community: c,
			title: shortName(c) + "：" + work[r.IntN(len(work))], date: cp.dayIn(r, cp.start, cp.yesterday),
			units: units[:min(len(units), 1+r.IntN(3))], attendance: int32(attendance[i]), hours: float64(2 + r.IntN(3))}
		a.partyIn = max(a.attendance/3, 1)
		cp.activities = append(cp.activities, a)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// LoadCoBuilding loads Tongjiang's co-building year through the co-building
// service's API (conn), registering the units' in-service members with
// their communities through the member service's (members), after Load and
// LoadMembers. Every creating call carries a request id derived from the
// plan, and the rest is looked up first, so a second load creates nothing.
func LoadCoBuilding(ctx context.Context, conn, members grpc.ClientConnInterface, sum Summary, log *slog.Logger) (CoBuildingSummary, error) {
	if sum.plan == nil {
		return CoBuildingSummary{}, errors.New("demo: co-building: the city was not loaded")
	}
	cp, err := newCoPlan(sum.plan)
	if err != nil {
		return CoBuildingSummary{}, fmt.Errorf("demo: co-building: %w", err)
	}
	l := &coLoader{
		units: cobuildingv1.NewResidentUnitServiceClient(conn), agreements: cobuildingv1.NewAgreementServiceClient(conn),
		reports: cobuildingv1.NewUnitReportServiceClient(conn), meetings: cobuildingv1.NewJointMeetingServiceClient(conn),
		items: cobuildingv1.NewLedgerItemServiceClient(conn), activities: cobuildingv1.NewJointActivityServiceClient(conn),
		evaluations: cobuildingv1.NewEvaluationServiceClient(conn),
		members:     memberv1.NewMemberServiceClient(members), reporting: memberv1.NewReportingServiceClient(members),
		plan: cp, patience: time.Now().Add(time.Minute),
	}
	var out CoBuildingSummary
	for _, step := range []struct {
		what string
		run  func(context.Context, *CoBuildingSummary) error
	}{
		{"resident units", l.loadUnits},
		{"in-service members of the units", l.register},
		{"joint meetings and ledgers", l.loadMeetings},
		{"earlier agreements of the year before", l.loadPastAgreements},
		{"agreements and monthly reports", l.loadAgreements},
		{"joint activities", l.loadActivities},
		{"shared venues and volunteer teams", func(ctx context.Context, out *CoBuildingSummary) error {
			return l.loadSharing(ctx, conn, members, out)
		}},
		{"residents' requests", func(ctx context.Context, out *CoBuildingSummary) error {
			return l.loadRequests(ctx, conn, out)
		}},
		{"two-way evaluation", l.loadEvaluations},
	} {
		start := time.Now()
		if err := step.run(ctx, &out); err != nil {
			return CoBuildingSummary{}, fmt.Errorf("demo: co-building: %s: %w", step.what, err)
		}
		log.Info("loaded co-building "+step.what, "took", time.Since(start).Round(time.Millisecond).String())
	}
	return out, nil
}

type coLoader struct {
	units       cobuildingv1.ResidentUnitServiceClient
	agreements  cobuildingv1.AgreementServiceClient
	reports     cobuildingv1.UnitReportServiceClient
	meetings    cobuildingv1.JointMeetingServiceClient
	items       cobuildingv1.LedgerItemServiceClient
	activities  cobuildingv1.JointActivityServiceClient
	evaluations cobuildingv1.EvaluationServiceClient
	members     memberv1.MemberServiceClient
	reporting   memberv1.ReportingServiceClient
	plan        *coPlan
	patience    time.Time
}

// each runs f for every element of xs, parallel at a time.
func each[T any](ctx context.Context, xs []T, f func(context.Context, T) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, x := range xs {
		g.Go(func() error { return f(gctx, x) })
	}
	return g.Wait()
}

// loadUnits records the units; the first calls wait for the co-building
// service to learn the organisations just made from their events.
func (l *coLoader) loadUnits(ctx context.Context, out *CoBuildingSummary) error {
	err := each(ctx, l.plan.units, func(ctx context.Context, u *coUnit) error {
		ru := &cobuildingv1.ResidentUnit{Name: u.name, Type: u.kind, CommunityId: u.community.id,
			Address: shortName(u.community) + "辖区", HeadCount: u.members*3 + 12, PartyMemberCount: u.members,
			Contacts: []*cobuildingv1.Contact{{Name: "党建联络员", Role: "联络员"}}}
		if u.org != nil {
			ru.PartyOrganisationId = u.org.id
		}
		return l.retry(ctx, func() error {
			resp, err := l.units.CreateResidentUnit(ctx, &cobuildingv1.CreateResidentUnitRequest{ResidentUnit: ru, RequestId: requestID(u.key)})
			u.id = resp.GetResidentUnit().GetId()
			return err
		})
	})
	for _, u := range l.plan.units {
		out.Units++
		if u.org == nil && u.members > 0 {
			out.Gaps++
		}
	}
	return err
}

// retry calls f until it succeeds, fails for good, or the co-building
// service still does not know an organisation when patience runs out.
func (l *coLoader) retry(ctx context.Context, f func() error) error {
	return untilKnown(ctx, l.patience, f)
}

// register registers the first in-service members of each unit with the
// community where the unit sits, as of the first day of the year.
func (l *coLoader) register(ctx context.Context, out *CoBuildingSummary) error {
	day := l.plan.start.Format(dateLayout)
	err := each(ctx, l.plan.units, func(ctx context.Context, u *coUnit) error {
		if u.org == nil {
			return nil
		}
		resp, err := l.members.ListMembers(ctx, &memberv1.ListMembersRequest{OrganisationId: u.org.id, PageSize: coUnitsPerCard})
		if err != nil {
			return fmt.Errorf("members of %s: %w", u.name, err)
		}
		for _, m := range resp.GetMembers() {
			_, err := l.reporting.RegisterWithCommunity(ctx, &memberv1.RegisterWithCommunityRequest{CommunityId: u.community.id,
				MemberId: m.GetId(), Kind: memberv1.RegistrationKind_REGISTRATION_KIND_UNIT_LOCATION, ReportDate: day,
				RequestId: requestID("cob/reg/" + m.GetId())})
			if err != nil {
				return fmt.Errorf("registering %s of %s: %w", m.GetId(), u.name, err)
			}
			u.inService = append(u.inService, m.GetId())
		}
		return nil
	})
	for _, u := range l.plan.units {
		out.Registered += len(u.inService)
	}
	return err
}

// loadMeetings records the meetings and their ledgers: each item added,
// reported with evidence and ticked off as far as the plan took it.
func (l *coLoader) loadMeetings(ctx context.Context, out *CoBuildingSummary) error {
	err := each(ctx, l.plan.meetings, func(ctx context.Context, m *coMeeting) error {
		jm := &cobuildingv1.JointMeeting{Kind: cobuildingv1.MeetingKind_MEETING_KIND_COMMUNITY, ConvenerId: m.convener.id,
			Date: m.date.Format(dateLayout), Title: m.title, Minutes: "通报上次议定事项落实情况，研究确定本期共建事项，明确责任单位和完成时限。"}
		if m.county {
			jm.Kind = cobuildingv1.MeetingKind_MEETING_KIND_COUNTY
		}
		for _, u := range m.units {
			jm.UnitIds = append(jm.UnitIds, u.id)
		}
		for _, o := range m.orgs {
			jm.OrganisationIds = append(jm.OrganisationIds, o.id)
		}
		resp, err := l.meetings.CreateJointMeeting(ctx, &cobuildingv1.CreateJointMeetingRequest{JointMeeting: jm, RequestId: requestID(m.key)})
		if err != nil {
			return fmt.Errorf("meeting %s: %w", m.key, err)
		}
		m.meetingID = resp.GetJointMeeting().GetId()
		for _, it := range m.items {
			if err := l.item(ctx, m, it); err != nil {
				return fmt.Errorf("ledger item %s: %w", it.key, err)
			}
		}
		return nil
	})
	for _, m := range l.plan.meetings {
		out.Meetings++
		if len(m.items) > 0 {
			out.Ledgers++
		}
		for _, it := range m.items {
			switch {
			case it.closed:
				out.ItemsClosed++
			case it.deadline.Before(l.plan.yesterday):
				out.ItemsOverdue++
			default:
				out.ItemsOpen++
			}
		}
	}
	return err
}

// item adds a ledger item and takes it as far as the plan says, skipping
// the steps an earlier load took.
func (l *coLoader) item(ctx context.Context, m *coMeeting, it *coItem) error {
	resp, err := l.items.CreateLedgerItem(ctx, &cobuildingv1.CreateLedgerItemRequest{RequestId: requestID(it.key),
		LedgerItem: &cobuildingv1.LedgerItem{MeetingId: m.meetingID, Matter: it.matter, Title: it.title,
			OwnerUnitId: it.owner.id, Deadline: it.deadline.Format(dateLayout)}})
	if err != nil {
		return err
	}
	item := resp.GetLedgerItem()
	if (it.closed || it.reported) && item.GetStatus() == cobuildingv1.LedgerItemStatus_LEDGER_ITEM_STATUS_OPEN {
		if _, err := l.items.ReportLedgerProgress(ctx, &cobuildingv1.ReportLedgerProgressRequest{Id: item.GetId(),
			Note:     "已按议定事项完成，附现场照片和居民签字确认单",
			Evidence: []*cobuildingv1.Evidence{{Title: it.matter + "完成情况照片"}}}); err != nil {
			return err
		}
	}
	if it.closed && item.GetStatus() != cobuildingv1.LedgerItemStatus_LEDGER_ITEM_STATUS_CLOSED {
		if _, err := l.items.CloseLedgerItem(ctx, &cobuildingv1.CloseLedgerItemRequest{Id: item.GetId(), Note: "经核实已办结，予以销号"}); err != nil {
			return err
		}
	}
	return nil
}

// loadAgreements signs each unit's agreement with its community for three
// years from the first day of the year, and files its reports of the
// year's months but the missed ones.
func (l *coLoader) loadAgreements(ctx context.Context, out *CoBuildingSummary) error {
	start := l.plan.start
	err := each(ctx, l.plan.units, func(ctx context.Context, u *coUnit) error {
		if u.org == nil {
			return nil
		}
		area := coAreas[1+len(u.name)%(len(coAreas)-1)] // beside organisation building
		if _, err := l.agreements.CreateAgreement(ctx, &cobuildingv1.CreateAgreementRequest{RequestId: requestID(u.key + "/agreement"),
			Agreement: &cobuildingv1.Agreement{CommunityId: u.community.id, UnitId: u.id, StartDate: start.Format(dateLayout),
				EndDate: start.AddDate(3, 0, -1).Format(dateLayout), SignedDate: start.Format(dateLayout),
				Goals: []*cobuildingv1.Goal{
					{Area: cobuildingv1.Area_AREA_ORGANISATION_BUILDING, Text: "每季度与社区党组织联合开展一次主题党日"},
					{Area: area, Text: coWork[area][0] + "，每年不少于四次"},
				},
				CommunityContact: &cobuildingv1.Contact{Name: "社区党组织书记", Role: "书记"},
				UnitContact:      &cobuildingv1.Contact{Name: "党建联络员", Role: "联络员"}}}); err != nil {
			return fmt.Errorf("agreement of %s: %w", u.name, err)
		}
		for m := range 12 {
			if u.missed[m] {
				continue
			}
			month := start.AddDate(0, m, 0)
			a := coAreas[(m+len(u.name))%len(coAreas)]
			_, err := l.reports.CreateUnitReport(ctx, &cobuildingv1.CreateUnitReportRequest{RequestId: requestID(fmt.Sprintf("%s/report%d", u.key, m)),
				UnitReport: &cobuildingv1.UnitReport{UnitId: u.id, CommunityId: u.community.id, Month: month.Format("2006-01"),
					Summary: "本月按共建协议开展工作",
					Items: []*cobuildingv1.ReportItem{{Area: a, Text: coWork[a][m%len(coWork[a])], Activities: 1,
						Attendance: 10 + u.members, MemberAttendance: u.members}}}})
			if err != nil {
				return fmt.Errorf("report of %s for %s: %w", u.name, month.Format("2006-01"), err)
			}
		}
		return nil
	})
	for _, u := range l.plan.units {
		if u.org == nil {
			continue
		}
		out.Agreements++
		out.MissedMonths += len(u.missed)
		out.Reports += 12 - len(u.missed)
	}
	return err
}

// loadActivities records the activities, each naming the registered
// in-service members of its organising units.
func (l *coLoader) loadActivities(ctx context.Context, out *CoBuildingSummary) error {
	err := each(ctx, l.plan.activities, func(ctx context.Context, a *coActivity) error {
		ja := &cobuildingv1.JointActivity{Title: a.title, Area: a.area, Date: a.date.Format(dateLayout),
			CommunityIds: []string{a.community.id}, Attendance: a.attendance, Hours: a.hours,
			Description: "社区与驻区单位共同组织，在职党员亮身份参与"}
		for _, u := range a.units {
			ja.UnitIds = append(ja.UnitIds, u.id)
			ja.MemberIds = append(ja.MemberIds, u.inService...)
		}
		ja.MemberAttendance = max(a.partyIn, int32(len(ja.MemberIds)))
		ja.Attendance = max(ja.Attendance, ja.MemberAttendance)
		// The co-building service knows the members' registrations from
		// the member service's events, which may still be on their way.
		err := l.retry(ctx, func() error {
			_, err := l.activities.CreateJointActivity(ctx, &cobuildingv1.CreateJointActivityRequest{JointActivity: ja, RequestId: requestID(a.key)})
			return err
		})
		if err != nil {
			return fmt.Errorf("activity %s: %w", a.key, err)
		}
		return nil
	})
	for _, a := range l.plan.activities {
		out.Activities++
		named := 0
		for _, u := range a.units {
			named += len(u.inService)
		}
		out.Attendance += int(max(a.attendance, a.partyIn, int32(named)))
		out.MembersNamed += named
	}
	return err
}
