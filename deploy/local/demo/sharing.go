package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// Tongjiang's shared-resource ledger and volunteer teams (document 002):
// 16 venues of its resident units open under the "1+3" rule, each booked
// in the coming days by its own unit in office hours, by another unit of
// its community after hours, and by its community and a group of its
// residents on a rest day, as the official calendar has them; and 21
// volunteer teams of its communities and units with 1,300 volunteers,
// party members among them by member id, and the services each team gave
// over the year with their hours.
const (
	coVenues          = 16
	coTeams           = 21
	coVolunteers      = 1300
	coServicesPerTeam = 4
	coSharingStream   = coSeedStream + 1
	// cityZone is the services' default CITY_TIME_ZONE, in which office
	// hours are told.
	cityZone = "Asia/Shanghai"
)

var (
	coVenueKinds = []struct {
		kind cobuildingv1.VenueKind
		name string
		cap  int32
	}{
		{cobuildingv1.VenueKind_VENUE_KIND_MEETING_ROOM, "会议室", 40},
		{cobuildingv1.VenueKind_VENUE_KIND_ACTIVITY_ROOM, "职工活动室", 60},
		{cobuildingv1.VenueKind_VENUE_KIND_SPORTS, "篮球场", 80},
		{cobuildingv1.VenueKind_VENUE_KIND_LIBRARY, "职工书屋", 30},
		{cobuildingv1.VenueKind_VENUE_KIND_CANTEEN, "职工食堂", 120},
		{cobuildingv1.VenueKind_VENUE_KIND_PARKING, "停车场", 100},
	}
	coTeamKinds = []struct {
		kind cobuildingv1.TeamKind
		name string
		work []string
	}{
		{cobuildingv1.TeamKind_TEAM_KIND_LEGAL, "法律服务队", []string{"法律咨询进社区", "调解邻里纠纷", "反诈普法宣传"}},
		{cobuildingv1.TeamKind_TEAM_KIND_HEALTH, "健康义诊队", []string{"社区义诊", "为老人测血压血糖", "健康知识讲座"}},
		{cobuildingv1.TeamKind_TEAM_KIND_TUTORING, "助学辅导队", []string{"周末课业辅导", "假期托管", "留守儿童结对帮扶"}},
		{cobuildingv1.TeamKind_TEAM_KIND_ELDERLY_CARE, "敬老助老队", []string{"为空巢老人上门服务", "助老送餐", "陪伴高龄老人"}},
		{cobuildingv1.TeamKind_TEAM_KIND_ENVIRONMENT, "环境卫生队", []string{"清理卫生死角", "冬季清雪", "垃圾分类引导"}},
		{cobuildingv1.TeamKind_TEAM_KIND_SECURITY, "治安巡逻队", []string{"夜间治安巡逻", "消防隐患排查", "节日安全值守"}},
		{cobuildingv1.TeamKind_TEAM_KIND_CULTURE, "文化宣传队", []string{"文艺汇演", "政策宣讲", "广场舞辅导"}},
	}
)

// SharingSummary says what the venues and teams of the load are.
type SharingSummary struct {
	// Venues were recorded, Bookings made of them.
	Venues, Bookings int
	// Teams were recorded, with Volunteers, PartyVolunteers of them party
	// members; Services recorded, ServiceHours given in all.
	Teams, Volunteers, PartyVolunteers, Services int
	ServiceHours                                 float64
}

// String describes the venues and teams in one line.
func (s SharingSummary) String() string {
	return fmt.Sprintf("%d shared venues with %d bookings, %d volunteer teams with %d volunteers (%d party members), %d services of %.0f hours",
		s.Venues, s.Bookings, s.Teams, s.Volunteers, s.PartyVolunteers, s.Services, s.ServiceHours)
}

// coVenue is a venue of the plan, and who books it.
type coVenue struct {
	key         string
	owner, peer *coUnit
	kind        int
}

// coTeam is a volunteer team of the plan: a community's or a unit's.
type coTeam struct {
	key       string
	name      string
	kind      int
	community *node
	unit      *coUnit
	size      int
}

// sharingLoader loads the venues and teams after the units.
type sharingLoader struct {
	venues   cobuildingv1.VenueServiceClient
	bookings cobuildingv1.BookingServiceClient
	calendar cobuildingv1.CalendarServiceClient
	teams    cobuildingv1.VolunteerTeamServiceClient
	members  memberv1.MemberServiceClient
	plan     *coPlan
	r        *rand.Rand
	people   *people
}

// venuesOf draws the plan's venues: a unit of each community with two or
// more, in turn, until there are 16, each with another unit of its
// community to book it after hours.
func (cp *coPlan) venuesOf() []*coVenue {
	var out []*coVenue
	for round := 0; len(out) < coVenues && round < 10; round++ {
		for _, c := range cp.communities {
			units := cp.unitsOf(c)
			if len(units) < 2 || round >= len(units) || len(out) == coVenues {
				continue
			}
			out = append(out, &coVenue{key: units[round].key + "/venue", owner: units[round], peer: units[(round+1)%len(units)],
				kind: len(out) % len(coVenueKinds)})
		}
	}
	return out
}

// teamsOf draws the plan's teams: one of each community, the rest of
// units, their sizes summing to 1,300.
func (cp *coPlan) teamsOf(r *rand.Rand) []*coTeam {
	var out []*coTeam
	for _, c := range cp.communities {
		out = append(out, &coTeam{community: c})
	}
	var units []*coUnit
	for _, u := range cp.units {
		if u.org != nil {
			units = append(units, u)
		}
	}
	for i := 0; len(out) < coTeams && len(units) > 0; i += max(1, len(units)/(coTeams-len(cp.communities))) {
		out = append(out, &coTeam{community: units[i%len(units)].community, unit: units[i%len(units)]})
	}
	sizes := split(r, coVolunteers, len(out), 30)
	for i, t := range out {
		t.kind, t.size = i%len(coTeamKinds), sizes[i]
		t.key = fmt.Sprintf("cob/team%d", i+1)
		owner := shortName(t.community)
		if t.unit != nil {
			owner = t.unit.name
		}
		t.name = owner + coTeamKinds[t.kind].name
	}
	return out
}

// loadSharing records the venues with their bookings and the teams with
// their volunteers and services.
func (l *coLoader) loadSharing(ctx context.Context, conn, members grpc.ClientConnInterface, out *CoBuildingSummary) error {
	r := rand.New(rand.NewPCG(memberSeed, coSharingStream))
	s := &sharingLoader{venues: cobuildingv1.NewVenueServiceClient(conn), bookings: cobuildingv1.NewBookingServiceClient(conn),
		calendar: cobuildingv1.NewCalendarServiceClient(conn), teams: cobuildingv1.NewVolunteerTeamServiceClient(conn),
		members: memberv1.NewMemberServiceClient(members), plan: l.plan, r: r, people: &people{r: r, today: l.plan.yesterday}}
	if err := s.loadVenues(ctx, &out.Sharing); err != nil {
		return fmt.Errorf("venues: %w", err)
	}
	if err := s.loadTeams(ctx, &out.Sharing); err != nil {
		return fmt.Errorf("volunteer teams: %w", err)
	}
	return nil
}

// workingDays reads the official calendar of this year and the next.
func (s *sharingLoader) workingDays(ctx context.Context, from time.Time) (func(time.Time) bool, error) {
	kinds := map[string]cobuildingv1.DayKind{}
	for _, y := range []int{from.Year(), from.Year() + 1} {
		resp, err := s.calendar.ListCalendarDays(ctx, &cobuildingv1.ListCalendarDaysRequest{Year: int32(y)})
		if err != nil {
			return nil, err
		}
		for _, d := range resp.GetCalendarDays() {
			kinds[d.GetDate()] = d.GetKind()
		}
	}
	return func(d time.Time) bool {
		switch kinds[d.Format(dateLayout)] {
		case cobuildingv1.DayKind_DAY_KIND_WORKDAY:
			return true
		case cobuildingv1.DayKind_DAY_KIND_HOLIDAY:
			return false
		}
		return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
	}, nil
}

// loadVenues records the venues under the "1+3" rule and books each on
// the next working day and the next rest day after today.
func (s *sharingLoader) loadVenues(ctx context.Context, out *SharingSummary) error {
	loc, err := time.LoadLocation(cityZone)
	if err != nil {
		return err
	}
	today := s.plan.yesterday.AddDate(0, 0, 1)
	working, err := s.workingDays(ctx, today)
	if err != nil {
		return fmt.Errorf("the official calendar: %w", err)
	}
	var work, rest time.Time
	for d := today.AddDate(0, 0, 1); work.IsZero() || rest.IsZero(); d = d.AddDate(0, 0, 1) {
		switch {
		case working(d) && work.IsZero():
			work = d
		case !working(d) && rest.IsZero():
			rest = d
		}
	}
	at := func(day time.Time, hhmm int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(day.Year(), day.Month(), day.Day(), hhmm/100, hhmm%100, 0, 0, loc))
	}
	venues := s.plan.venuesOf()
	err = each(ctx, venues, func(ctx context.Context, v *coVenue) error {
		k := coVenueKinds[v.kind]
		resp, err := s.venues.CreateVenue(ctx, &cobuildingv1.CreateVenueRequest{RequestId: requestID(v.key), Venue: &cobuildingv1.Venue{
			UnitId: v.owner.id, Name: v.owner.name + k.name, Kind: k.kind, Capacity: k.cap, Address: shortName(v.owner.community) + "辖区"}})
		if err != nil {
			return err
		}
		id := resp.GetVenue().GetId()
		for _, b := range []struct {
			what       string
			day        time.Time
			from, to   int
			booking    *cobuildingv1.Booking
			attendance int32
		}{
			{"own", work, 900, 1130, &cobuildingv1.Booking{BookerKind: cobuildingv1.BookerKind_BOOKER_KIND_UNIT, UnitId: v.owner.id,
				Purpose: "单位党支部主题党日"}, 20},
			{"peer", work, 1830, 2030, &cobuildingv1.Booking{BookerKind: cobuildingv1.BookerKind_BOOKER_KIND_UNIT, UnitId: v.peer.id,
				Purpose: "联合党课"}, 25},
			{"community", rest, 900, 1130, &cobuildingv1.Booking{BookerKind: cobuildingv1.BookerKind_BOOKER_KIND_COMMUNITY,
				CommunityId: v.owner.community.id, Purpose: "社区居民议事会"}, 30},
			{"residents", rest, 1430, 1700, &cobuildingv1.Booking{BookerKind: cobuildingv1.BookerKind_BOOKER_KIND_RESIDENT_GROUP,
				CommunityId: v.owner.community.id, GroupName: shortName(v.owner.community) + "老年合唱团", Purpose: "合唱排练"}, 28},
		} {
			bk := b.booking
			bk.VenueId, bk.Attendees = id, min(b.attendance, k.cap)
			bk.Contact = &cobuildingv1.Contact{Name: s.people.anyone(), Role: "负责人"}
			bk.StartTime, bk.EndTime = at(b.day, b.from), at(b.day, b.to)
			key := fmt.Sprintf("%s/%s/%s", v.key, b.day.Format(dateLayout), b.what)
			if _, err := s.bookings.CreateBooking(ctx, &cobuildingv1.CreateBookingRequest{RequestId: requestID(key), Booking: bk}); err != nil {
				return fmt.Errorf("booking %s: %w", key, err)
			}
		}
		return nil
	})
	out.Venues, out.Bookings = len(venues), 4*len(venues)
	return err
}

// loadTeams records the teams, adds their volunteers unless an earlier
// load did, and records their services of the year; the counts are read
// back from the service.
func (s *sharingLoader) loadTeams(ctx context.Context, out *SharingSummary) error {
	teams := s.plan.teamsOf(s.r)
	// The draws happen before the calls, which run in parallel.
	names := make([][]string, len(teams))
	for i, t := range teams {
		for range t.size {
			names[i] = append(names[i], s.people.anyone())
		}
	}
	type result struct {
		team     *cobuildingv1.VolunteerTeam
		services int
	}
	results := make([]result, len(teams))
	err := each(ctx, teamIndexes(len(teams)), func(ctx context.Context, i int) error {
		t := teams[i]
		vt := &cobuildingv1.VolunteerTeam{Name: t.name, Kind: coTeamKinds[t.kind].kind, Description: "志愿服务常态化，每月开展活动",
			Leader: &cobuildingv1.Contact{Name: names[i][0], Role: "队长"}}
		if t.unit != nil {
			vt.UnitId = t.unit.id
		} else {
			vt.CommunityId = t.community.id
		}
		resp, err := s.teams.CreateVolunteerTeam(ctx, &cobuildingv1.CreateVolunteerTeamRequest{RequestId: requestID(t.key), VolunteerTeam: vt})
		if err != nil {
			return err
		}
		id := resp.GetVolunteerTeam().GetId()
		vs, err := s.volunteers(ctx, id, t, names[i])
		if err != nil {
			return fmt.Errorf("volunteers of %s: %w", t.name, err)
		}
		work := coTeamKinds[t.kind].work
		for k := range coServicesPerTeam {
			n := min(len(vs), 6+(i+k)%10)
			var ids []string
			for j := range n {
				ids = append(ids, vs[(k*7+j)%len(vs)].GetId())
			}
			key := fmt.Sprintf("%s/service%d", t.key, k+1)
			day := s.plan.start.AddDate(0, 3*k, 10+(i*3+k)%15)
			_, err := s.teams.RecordVolunteerService(ctx, &cobuildingv1.RecordVolunteerServiceRequest{RequestId: requestID(key),
				ServiceRecord: &cobuildingv1.ServiceRecord{TeamId: id, Date: minTime(day, s.plan.yesterday).Format(dateLayout),
					Title: work[k%len(work)], VolunteerIds: ids, Hours: float64(2 + (i+k)%3), Served: int32(20 + 5*((i+k)%8))}})
			if err != nil {
				return fmt.Errorf("service %s: %w", key, err)
			}
		}
		got, err := s.teams.GetVolunteerTeam(ctx, &cobuildingv1.GetVolunteerTeamRequest{Id: id})
		results[i] = result{got.GetVolunteerTeam(), coServicesPerTeam}
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range results {
		out.Teams++
		out.Volunteers += int(r.team.GetVolunteerCount())
		out.PartyVolunteers += int(r.team.GetPartyMemberCount())
		out.ServiceHours += r.team.GetServiceHours()
		out.Services += r.services
	}
	return nil
}

// volunteers are a team's volunteers: those an earlier load added, or,
// for a new team, a third of them party members of its community or unit
// (by member id) and the others by name.
func (s *sharingLoader) volunteers(ctx context.Context, team string, t *coTeam, names []string) ([]*cobuildingv1.Volunteer, error) {
	var have []*cobuildingv1.Volunteer
	for token := ""; ; {
		resp, err := s.teams.ListVolunteers(ctx, &cobuildingv1.ListVolunteersRequest{TeamId: team, PageSize: 500, PageToken: token})
		if err != nil {
			return nil, err
		}
		have = append(have, resp.GetVolunteers()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(have) > 0 {
		return have, nil
	}
	req := &memberv1.ListMembersRequest{AncestorId: t.community.id, PageSize: int32(min(t.size/3, 500))}
	if t.unit != nil {
		req = &memberv1.ListMembersRequest{AncestorId: t.unit.org.id, PageSize: int32(min(t.size/3, 500))}
	}
	ms, err := s.members.ListMembers(ctx, req)
	if err != nil {
		return nil, err
	}
	var add []*cobuildingv1.Volunteer
	for _, m := range ms.GetMembers() {
		add = append(add, &cobuildingv1.Volunteer{MemberId: m.GetId(), Skills: coTeamKinds[t.kind].work[0]})
	}
	for _, n := range names[len(add):] {
		add = append(add, &cobuildingv1.Volunteer{Name: n})
	}
	resp, err := s.teams.AddVolunteers(ctx, &cobuildingv1.AddVolunteersRequest{TeamId: team, Volunteers: add})
	return resp.GetVolunteers(), err
}

func teamIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
