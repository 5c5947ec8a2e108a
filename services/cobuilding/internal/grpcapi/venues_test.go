package grpcapi_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// city is the city's time zone, in which office hours and days are told.
var city = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is an instant of the city's clock: "2026-06-24 09:00".
func at(s string) *timestamppb.Timestamp {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, city)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

// slot is a span of one day: its first and last instant.
type slot struct{ from, to string }

// matrixSlot is the slot the matrix fixture books: a Thursday morning
// after the year-end evaluation opens, so that it is still ahead when the
// fixture moves the clock there.
var matrixSlot = slot{"2026-12-17 09:00", "2026-12-17 10:00"}

// venueClients are the clients of venues, bookings and the calendar as one caller.
type venueClients struct {
	venues   pb.VenueServiceClient
	bookings pb.BookingServiceClient
	calendar pb.CalendarServiceClient
	teams    pb.VolunteerTeamServiceClient
}

func (h *harness) venueAPI(c devissuer.Claims) venueClients {
	conn := h.As(c)
	return venueClients{pb.NewVenueServiceClient(conn), pb.NewBookingServiceClient(conn), pb.NewCalendarServiceClient(conn),
		pb.NewVolunteerTeamServiceClient(conn)}
}

func venueOf(unit, name string) *pb.Venue {
	return &pb.Venue{UnitId: unit, Name: name, Kind: pb.VenueKind_VENUE_KIND_MEETING_ROOM, Capacity: 60, Address: "新华路12号"}
}

func (h *harness) venue(t testing.TB, unit, name string) *pb.Venue {
	t.Helper()
	resp, err := h.venueAPI(cityAdmin).venues.CreateVenue(servicetest.Ctx(t), &pb.CreateVenueRequest{Venue: venueOf(unit, name)})
	if err != nil {
		t.Fatalf("record %s: %v", name, err)
	}
	return resp.GetVenue()
}

func booking(venue string, s slot) *pb.Booking {
	return &pb.Booking{VenueId: venue, Contact: &pb.Contact{Name: "张丽", Phone: "0454-2345678"}, Purpose: "党员活动",
		Attendees: 20, StartTime: at(s.from), EndTime: at(s.to)}
}

// ownBookingOf is unit's booking of venue in s.
func ownBookingOf(venue, unit string, s slot) *pb.Booking {
	b := booking(venue, s)
	b.BookerKind, b.UnitId = pb.BookerKind_BOOKER_KIND_UNIT, unit
	return b
}

// venueFixture adds to a matrix side a venue of its unit with two of the
// unit's bookings, and a team of the unit with two volunteers.
func (h *harness) venueFixture(t testing.TB, s *side) {
	t.Helper()
	api := h.venueAPI(cityAdmin)
	s.venue = h.venue(t, s.unit, "矩阵会议室").GetId()
	for i, sl := range []slot{matrixSlot, {"2026-12-21 09:00", "2026-12-21 10:00"}} {
		b, err := api.bookings.CreateBooking(servicetest.Ctx(t), &pb.CreateBookingRequest{Booking: ownBookingOf(s.venue, s.unit, sl)})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			s.booking = b.GetBooking().GetId()
		} else {
			s.spareBooking = b.GetBooking().GetId()
		}
	}
	tm, err := api.teams.CreateVolunteerTeam(servicetest.Ctx(t), &pb.CreateVolunteerTeamRequest{VolunteerTeam: &pb.VolunteerTeam{
		Name: "法律服务队", Kind: pb.TeamKind_TEAM_KIND_LEGAL, UnitId: s.unit}})
	if err != nil {
		t.Fatal(err)
	}
	s.team = tm.GetVolunteerTeam().GetId()
	s.volunteer = cobuild.NewID()
	vs, err := api.teams.AddVolunteers(servicetest.Ctx(t), &pb.AddVolunteersRequest{TeamId: s.team,
		Volunteers: []*pb.Volunteer{{MemberId: s.volunteer}, {Name: "李律师"}}})
	if err != nil {
		t.Fatal(err)
	}
	s.spare = vs.GetVolunteers()[1].GetId()
}

// bookers are, in one street, a venue's unit, another unit, the venue's
// community and a resident group of the neighbouring community.
type bookers struct {
	venue                       *pb.Venue
	own, other                  string
	community, neighbour, group string
	// far is a community of another street.
	far string
}

func (h *harness) bookers(t testing.TB) bookers {
	tr := h.tree(t)
	own := h.unit(t, tr.community.GetId(), "同江市税务局")
	other := h.unit(t, tr.neighbour.GetId(), "同江市第一中学")
	return bookers{venue: h.venue(t, own.GetId(), "税务局多功能厅"), own: own.GetId(), other: other.GetId(),
		community: tr.community.GetId(), neighbour: tr.neighbour.GetId(), far: tr.farCommunity.GetId()}
}

// as is a booking of who in s.
func (b bookers) as(who string, s slot) *pb.Booking {
	bk := booking(b.venue.GetId(), s)
	switch who {
	case "own unit":
		bk.BookerKind, bk.UnitId = pb.BookerKind_BOOKER_KIND_UNIT, b.own
	case "other unit":
		bk.BookerKind, bk.UnitId = pb.BookerKind_BOOKER_KIND_UNIT, b.other
	case "community":
		bk.BookerKind, bk.CommunityId = pb.BookerKind_BOOKER_KIND_COMMUNITY, b.community
	case "residents":
		bk.BookerKind, bk.CommunityId, bk.GroupName = pb.BookerKind_BOOKER_KIND_RESIDENT_GROUP, b.neighbour, "解放社区老年合唱团"
	}
	return bk
}

// TestTheOnePlusThreeRuleAtItsEdges: working days in office hours for the
// unit's own staff, after hours for other units too, rest days for
// residents — with the days of the official calendar, make-up working
// days and holidays included.
func TestTheOnePlusThreeRuleAtItsEdges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithLocation(city))
	b := h.bookers(t)
	api := h.venueAPI(cityAdmin)
	refused := refusal{codes.FailedPrecondition, []string{"booking.booker_kind"}}
	for _, tt := range []struct {
		name string
		who  string
		when slot
		want refusal
	}{
		{"the unit's own staff in office hours of a Wednesday", "own unit", slot{"2026-06-24 08:30", "2026-06-24 17:30"}, refusal{}},
		{"another unit in office hours", "other unit", slot{"2026-06-24 10:00", "2026-06-24 11:00"}, refused},
		{"another unit the last minute of office hours", "other unit", slot{"2026-06-24 17:29", "2026-06-24 19:00"}, refused},
		{"another unit from the end of office hours", "other unit", slot{"2026-06-24 17:30", "2026-06-24 19:00"}, refusal{}},
		{"another unit until office hours begin", "other unit", slot{"2026-06-25 07:00", "2026-06-25 08:30"}, refusal{}},
		{"residents on a working evening", "residents", slot{"2026-06-25 19:00", "2026-06-25 21:00"}, refused},
		{"residents on a Saturday", "residents", slot{"2026-06-27 09:00", "2026-06-27 11:00"}, refusal{}},
		{"the community on a Sunday", "community", slot{"2026-06-28 09:00", "2026-06-28 11:00"}, refusal{}},
		{"the unit's staff on a Saturday", "own unit", slot{"2026-06-27 14:00", "2026-06-27 15:00"}, refused},
		{"residents on a make-up working Sunday (调休)", "residents", slot{"2026-09-20 09:00", "2026-09-20 11:00"}, refused},
		{"the unit's staff in office hours of a make-up working Sunday", "own unit", slot{"2026-09-20 09:00", "2026-09-20 11:00"}, refusal{}},
		{"another unit after hours of a make-up working Saturday", "other unit", slot{"2026-10-10 18:00", "2026-10-10 20:00"}, refusal{}},
		{"residents on a make-up working Saturday (调休)", "residents", slot{"2026-10-10 09:00", "2026-10-10 11:00"}, refused},
		{"residents on National Day, a Thursday", "residents", slot{"2026-10-01 09:00", "2026-10-01 11:00"}, refusal{}},
		{"the unit's staff on a holiday Friday (中秋节)", "own unit", slot{"2026-09-25 09:00", "2026-09-25 10:00"}, refused},
		{"a booking past midnight", "other unit", slot{"2026-06-24 22:00", "2026-06-25 01:00"},
			refusal{codes.InvalidArgument, []string{"booking.end_time"}}},
		{"a booking in the past", "own unit", slot{"2026-06-17 09:00", "2026-06-17 10:00"},
			refusal{codes.InvalidArgument, []string{"booking.start_time"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.bookings.CreateBooking(servicetest.Ctx(t), &pb.CreateBookingRequest{Booking: b.as(tt.who, tt.when)})
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM bookings`); n != 8 {
		t.Errorf("%d bookings written, want the 8 admitted", n)
	}
}

// TestTheCityCorrectsTheCalendar: a day set a holiday admits residents
// from then on, and the correction is announced with what the day was.
func TestTheCityCorrectsTheCalendar(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithLocation(city))
	b := h.bookers(t)
	api := h.venueAPI(cityAdmin)
	ctx := servicetest.Ctx(t)
	days, err := api.calendar.ListCalendarDays(ctx, &pb.ListCalendarDaysRequest{Year: 2026})
	if err != nil || len(days.GetCalendarDays()) != 39 || days.GetCalendarDays()[3].GetDate() != "2026-01-04" ||
		days.GetCalendarDays()[3].GetKind() != pb.DayKind_DAY_KIND_WORKDAY {
		t.Fatalf("2026 as seeded: %d days, %v, %v", len(days.GetCalendarDays()), days.GetCalendarDays()[:4], err)
	}
	same, err := api.calendar.SetCalendarDay(ctx, &pb.SetCalendarDayRequest{CalendarDay: &pb.CalendarDay{Date: "2026-10-01",
		Kind: pb.DayKind_DAY_KIND_HOLIDAY, Name: "国庆节"}})
	if err != nil || same.GetCalendarDay().GetUpdateTime() == nil {
		t.Fatalf("a day set to what it is: %v, %v; want it as it was", same, err)
	}
	evening := b.as("residents", slot{"2026-07-01 19:00", "2026-07-01 21:00"})
	if _, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: evening}); status(err) != codes.FailedPrecondition {
		t.Fatalf("residents on an ordinary Wednesday: %v", err)
	}
	set, err := api.calendar.SetCalendarDay(ctx, &pb.SetCalendarDayRequest{CalendarDay: &pb.CalendarDay{Date: "2026-07-01",
		Kind: pb.DayKind_DAY_KIND_HOLIDAY, Name: "建党节"}})
	if err != nil || set.GetCalendarDay().GetKind() != pb.DayKind_DAY_KIND_HOLIDAY {
		t.Fatalf("set a holiday: %v, %v", set, err)
	}
	if _, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: evening}); err != nil {
		t.Errorf("residents on the day made a holiday: %v", err)
	}
	if _, err := api.calendar.SetCalendarDay(ctx, &pb.SetCalendarDayRequest{CalendarDay: &pb.CalendarDay{Date: "2026-07-01",
		Kind: pb.DayKind_DAY_KIND_ORDINARY}}); err != nil {
		t.Fatal(err)
	}
	evs := waitEvents[*pb.CalendarDaySet](t, h, 2)
	got := [][2]pb.DayKind{{evs[0].GetPreviousKind(), evs[0].GetCalendarDay().GetKind()}, {evs[1].GetPreviousKind(), evs[1].GetCalendarDay().GetKind()}}
	want := [][2]pb.DayKind{{pb.DayKind_DAY_KIND_ORDINARY, pb.DayKind_DAY_KIND_HOLIDAY}, {pb.DayKind_DAY_KIND_HOLIDAY, pb.DayKind_DAY_KIND_ORDINARY}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calendar events, (previous, now), the day set to what it was announcing nothing (-want +got):\n%s", diff)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'calendar_day'`); n != 2 {
		t.Errorf("%d audit records of calendar days, want the 2 changes", n)
	}
	again := b.as("residents", slot{"2026-07-01 09:00", "2026-07-01 10:00"})
	if _, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: again}); status(err) != codes.FailedPrecondition {
		t.Errorf("residents once the day is ordinary again: %v", err)
	}
	secretary := h.venueAPI(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: h.district(t, b)})
	if _, err := secretary.calendar.SetCalendarDay(ctx, &pb.SetCalendarDayRequest{CalendarDay: &pb.CalendarDay{Date: "2026-07-02",
		Kind: pb.DayKind_DAY_KIND_HOLIDAY}}); status(err) != codes.PermissionDenied {
		t.Errorf("a district administrator sets a day: %v", err)
	}
}

// district is the district of the bookers' community.
func (h *harness) district(t testing.TB, b bookers) string {
	t.Helper()
	var d string
	if err := h.Pool.QueryRow(servicetest.Ctx(t), `SELECT district_id::text FROM orgs WHERE id = $1`, b.community).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func status(err error) codes.Code { return refusalOf(err).Code }

// TestOverlappingBookingsAreRefusedByTheDatabase: two bookings of a venue
// never overlap, whether they come one after the other, at the same
// instant from many clients, or past the service straight into the table.
func TestOverlappingBookingsAreRefusedByTheDatabase(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithLocation(city))
	b := h.bookers(t)
	api := h.venueAPI(cityAdmin)
	ctx := servicetest.Ctx(t)
	first, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("other unit", slot{"2026-06-24 18:00", "2026-06-24 20:00"})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("own unit", slot{"2026-06-24 19:59", "2026-06-24 21:00"})})
	if diff := cmp.Diff(refusal{codes.AlreadyExists, []string{"booking.start_time"}}, refusalOf(err)); diff != "" {
		t.Errorf("an overlapping booking (-want +got):\n%s", diff)
	}
	if _, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("own unit", slot{"2026-06-24 20:00", "2026-06-24 21:00"})}); err != nil {
		t.Errorf("a booking from the end of another: %v", err)
	}

	t.Run("the table refuses an overlap the code never saw", func(t *testing.T) {
		_, err := h.Pool.Exec(ctx, `INSERT INTO bookings (id, venue_id, venue_unit_id, venue_community_id, booker_kind, unit_id,
			community_id, contact, purpose, attendees, start_time, end_time, booked_by, created_at)
			SELECT gen_random_uuid(), venue_id, venue_unit_id, venue_community_id, booker_kind, unit_id, community_id, contact,
				purpose, attendees, start_time + interval '1 hour', end_time + interval '1 hour', 'sql', now() FROM bookings WHERE id = $1`,
			first.GetBooking().GetId())
		if !pgdb.IsExclusionViolation(err, "bookings_no_overlap") {
			t.Fatalf("an overlapping booking written past the service: %v, want a violation of bookings_no_overlap", err)
		}
	})

	t.Run("of two transactions in flight at once, the second waits for the first and is refused", func(t *testing.T) {
		insert := `INSERT INTO bookings (id, venue_id, venue_unit_id, venue_community_id, booker_kind, unit_id,
			community_id, contact, purpose, attendees, start_time, end_time, booked_by, created_at)
			SELECT gen_random_uuid(), venue_id, venue_unit_id, venue_community_id, booker_kind, unit_id, community_id, contact,
				purpose, attendees, start_time + $2::interval, end_time + $2::interval, 'sql', now() FROM bookings WHERE id = $1`
		tx1, err := h.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx1.Rollback(ctx) }()
		if _, err := tx1.Exec(ctx, insert, first.GetBooking().GetId(), "7 days"); err != nil {
			t.Fatal(err)
		}
		second := make(chan error, 1)
		go func() {
			_, err := h.Pool.Exec(ctx, insert, first.GetBooking().GetId(), "7 days 30 minutes")
			second <- err
		}()
		select {
		case err := <-second:
			t.Fatalf("the second did not wait for the first: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := tx1.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-second; !pgdb.IsExclusionViolation(err, "bookings_no_overlap") {
			t.Errorf("the second, once the first committed: %v, want a violation of bookings_no_overlap", err)
		}
	})

	t.Run("of sixteen clients racing for overlapping times, one wins", func(t *testing.T) {
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got []string
		)
		start := make(chan struct{})
		for i := range 16 {
			wg.Go(func() {
				<-start
				s := slot{"2026-06-27 09:00", "2026-06-27 11:00"}
				if i%2 == 1 {
					s = slot{"2026-06-27 10:00", "2026-06-27 12:00"}
				}
				_, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("residents", s)})
				mu.Lock()
				got = append(got, status(err).String())
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		won, taken := 0, 0
		for _, c := range got {
			switch c {
			case "OK":
				won++
			case "AlreadyExists":
				taken++
			}
		}
		if won != 1 || taken != 15 {
			t.Errorf("%d booked, %d refused as taken: %v", won, taken, got)
		}
		if n := h.count(t, `SELECT count(*) FROM bookings WHERE start_time::date = '2026-06-27' AND cancelled_at IS NULL`); n != 1 {
			t.Errorf("%d live bookings of the Saturday morning, want 1", n)
		}
	})

	t.Run("cancelling frees the time", func(t *testing.T) {
		c, err := api.bookings.CancelBooking(ctx, &pb.CancelBookingRequest{Id: first.GetBooking().GetId(), Reason: "活动取消"})
		if err != nil || !c.GetBooking().GetCancelled() {
			t.Fatalf("cancel: %v, %v", c, err)
		}
		if _, err := api.bookings.CancelBooking(ctx, &pb.CancelBookingRequest{Id: first.GetBooking().GetId()}); status(err) != codes.FailedPrecondition {
			t.Errorf("cancelled twice: %v", err)
		}
		if _, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("other unit", slot{"2026-06-24 18:30", "2026-06-24 19:30"})}); err != nil {
			t.Errorf("booking the freed time: %v", err)
		}
		evs := waitEvents[*pb.BookingChanged](t, h, 5)
		var cancelled []string
		for _, e := range evs {
			if e.GetChange() == "CANCELLED" {
				cancelled = append(cancelled, e.GetBooking().GetId())
			}
			if e.GetVenueCommunityId() != b.community || e.GetBooking().GetVenueUnitId() != b.own || e.GetDistrictId() == "" {
				t.Errorf("an event without the venue's community, unit or district: %v", e)
			}
		}
		if diff := cmp.Diff([]string{first.GetBooking().GetId()}, cancelled); diff != "" {
			t.Errorf("cancellations announced (-want +got):\n%s", diff)
		}
	})
}

// TestAUnitsContactKeepsToTheirOwnVenuesAndBookings: they record and see
// their unit's venues, book as their unit, and see the bookings their unit
// made and those of its venues — nothing of another unit.
func TestAUnitsContactKeepsToTheirOwnVenuesAndBookings(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithLocation(city))
	b := h.bookers(t)
	ctx := servicetest.Ctx(t)
	otherVenue := h.venue(t, b.other, "一中体育馆")
	own := h.venueAPI(devissuer.Claims{Subject: "contact", Role: auth.UnitContact, UnitID: b.own, ScopeOrgID: b.community})
	if _, err := own.venues.CreateVenue(ctx, &pb.CreateVenueRequest{Venue: venueOf(b.own, "税务局图书室")}); err != nil {
		t.Fatalf("their own unit's venue: %v", err)
	}
	if _, err := own.venues.CreateVenue(ctx, &pb.CreateVenueRequest{Venue: venueOf(b.other, "一中会议室")}); status(err) != codes.NotFound {
		t.Errorf("another unit's venue: %v, want NotFound", err)
	}
	list, err := own.venues.ListVenues(ctx, &pb.ListVenuesRequest{})
	if err != nil || len(list.GetVenues()) != 2 {
		t.Errorf("their venues: %v, %v; want their two", list, err)
	}
	for _, v := range list.GetVenues() {
		if v.GetUnitId() != b.own {
			t.Errorf("another unit's venue listed: %v", v)
		}
	}
	mine, err := own.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("own unit", slot{"2026-06-24 09:00", "2026-06-24 10:00"})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := own.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("other unit", slot{"2026-06-24 19:00", "2026-06-24 20:00"})}); status(err) != codes.NotFound {
		t.Errorf("booking as another unit: %v, want NotFound", err)
	}
	theirs, err := h.venueAPI(cityAdmin).bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("other unit", slot{"2026-06-24 19:00", "2026-06-24 20:00"})})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := ownBookingOf(otherVenue.GetId(), b.other, slot{"2026-06-24 09:00", "2026-06-24 10:00"})
	if _, err := h.venueAPI(cityAdmin).bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: elsewhere}); err != nil {
		t.Fatal(err)
	}
	seen, err := own.bookings.ListBookings(ctx, &pb.ListBookingsRequest{})
	var ids []string
	for _, x := range seen.GetBookings() {
		ids = append(ids, x.GetId())
	}
	if diff := cmp.Diff([]string{mine.GetBooking().GetId(), theirs.GetBooking().GetId()}, ids); err != nil || diff != "" {
		t.Errorf("the bookings they see (-want +got):\n%s %v", diff, err)
	}
	if _, err := own.bookings.GetBooking(ctx, &pb.GetBookingRequest{Id: theirs.GetBooking().GetId()}); err != nil {
		t.Errorf("another unit's booking of their venue: %v", err)
	}
}

// TestABookingIsScopedByItsBooker: a community secretary books for their
// community and its residents, not as a unit of another community by
// naming their own beside it.
func TestABookingIsScopedByItsBooker(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithLocation(city))
	b := h.bookers(t)
	ctx := servicetest.Ctx(t)
	secretary := h.venueAPI(devissuer.Claims{Subject: "sec", Role: auth.CommunitySecretary, ScopeOrgID: b.neighbour})
	theirs, err := secretary.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("residents", slot{"2026-06-27 09:00", "2026-06-27 10:00"})})
	if err != nil {
		t.Fatalf("their residents' booking: %v", err)
	}
	id := theirs.GetBooking().GetId()
	venueSide := h.venueAPI(devissuer.Claims{Subject: "v", Role: auth.CommunitySecretary, ScopeOrgID: b.community})
	if _, err := venueSide.bookings.GetBooking(ctx, &pb.GetBookingRequest{Id: id}); err != nil {
		t.Errorf("the secretary of the venue's community reads it: %v", err)
	}
	farSide := h.venueAPI(devissuer.Claims{Subject: "f", Role: auth.CommunitySecretary, ScopeOrgID: b.far})
	if _, err := farSide.bookings.CancelBooking(ctx, &pb.CancelBookingRequest{Id: id}); status(err) != codes.NotFound {
		t.Errorf("a secretary of another street cancels it: %v, want NotFound", err)
	}
	if _, err := venueSide.bookings.CancelBooking(ctx, &pb.CancelBookingRequest{Id: id, Reason: "场地维修"}); err != nil {
		t.Errorf("the secretary of the venue's community cancels it: %v", err)
	}
	asUnit := b.as("own unit", slot{"2026-06-24 09:00", "2026-06-24 10:00"})
	asUnit.CommunityId = b.neighbour
	if _, err := secretary.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: asUnit}); status(err) != codes.NotFound {
		t.Errorf("as a unit of another community, naming their own: %v, want NotFound", err)
	}
	_, err = h.venueAPI(cityAdmin).bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: asUnit})
	if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"booking.community_id"}}, refusalOf(err)); diff != "" {
		t.Errorf("a unit's booking naming a community (-want +got):\n%s", diff)
	}
}

// TestAVenueIsAnnouncedWithItsPlace: recorded and updated, each change an
// event with the unit, community and district, and an audit record; a
// changed rule applies to the bookings made after it.
func TestAVenueIsAnnouncedWithItsPlace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithLocation(city))
	b := h.bookers(t)
	ctx := servicetest.Ctx(t)
	api := h.venueAPI(cityAdmin)
	_, err := api.venues.UpdateVenue(ctx, &pb.UpdateVenueRequest{Venue: &pb.Venue{Id: b.venue.GetId(),
		OpeningRule: &pb.OpeningRule{OfficeStart: "18:00", OfficeEnd: "09:00"}}, UpdateMask: mask("opening_rule")})
	if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"venue.opening_rule.office_end"}}, refusalOf(err)); diff != "" {
		t.Errorf("office hours that end before they start (-want +got):\n%s", diff)
	}
	_, err = api.venues.UpdateVenue(ctx, &pb.UpdateVenueRequest{Venue: &pb.Venue{Id: b.venue.GetId()}, UpdateMask: mask("unit_id")})
	if status(err) != codes.InvalidArgument {
		t.Errorf("moving a venue to another unit: %v, want InvalidArgument", err)
	}
	everyone := []pb.Admitted{pb.Admitted_ADMITTED_OWN_UNIT, pb.Admitted_ADMITTED_OTHER_UNITS}
	up, err := api.venues.UpdateVenue(ctx, &pb.UpdateVenueRequest{Venue: &pb.Venue{Id: b.venue.GetId(), OpeningRule: &pb.OpeningRule{
		OfficeStart: "09:00", OfficeEnd: "12:00", OfficeHours: everyone, AfterHours: everyone}}, UpdateMask: mask("opening_rule")})
	if err != nil || up.GetVenue().GetOpeningRule().GetOfficeStart() != "09:00" {
		t.Fatalf("a rule of the unit's own: %v, %v", up, err)
	}
	if _, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("other unit", slot{"2026-06-24 10:00", "2026-06-24 11:00"})}); err != nil {
		t.Errorf("another unit in office hours under the new rule: %v", err)
	}
	if _, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as("residents", slot{"2026-06-27 10:00", "2026-06-27 11:00"})}); status(err) != codes.FailedPrecondition {
		t.Errorf("residents on a Saturday the new rule closes to them: %v", err)
	}
	evs := waitEvents[*pb.VenueChanged](t, h, 2)
	for i, e := range evs {
		v := e.GetVenue()
		if e.GetCreated() != (i == 0) || v.GetUnitId() != b.own || v.GetCommunityId() != b.community || v.GetDistrictId() != h.district(t, b) {
			t.Errorf("event %d: %v", i, e)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'venue' AND subject_id = $1`, b.venue.GetId()); n != 2 {
		t.Errorf("%d audit records of the venue, want 2", n)
	}
}

// TestBookingsListByStartTimeInPages: in start order, from a given time,
// page by page; a token no list issued is refused naming it.
func TestBookingsListByStartTimeInPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, servicetest.WithLocation(city))
	b := h.bookers(t)
	ctx := servicetest.Ctx(t)
	api := h.venueAPI(cityAdmin)
	var want []string
	for _, s := range []slot{{"2026-06-27 09:00", "2026-06-27 10:00"}, {"2026-06-24 19:00", "2026-06-24 20:00"},
		{"2026-06-28 09:00", "2026-06-28 10:00"}, {"2026-06-27 14:00", "2026-06-27 15:00"}} {
		who := "residents"
		if s.from[:10] == "2026-06-24" {
			who = "other unit"
		}
		r, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: b.as(who, s)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r.GetBooking().GetId())
	}
	want = []string{want[0], want[3], want[2]} // from the Friday on, in start order
	var got []string
	req := &pb.ListBookingsRequest{VenueId: b.venue.GetId(), From: at("2026-06-26 00:00"), PageSize: 2}
	for {
		page, err := api.bookings.ListBookings(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.GetBookings() {
			got = append(got, x.GetId())
		}
		if page.GetNextPageToken() == "" {
			break
		}
		req.PageToken = page.GetNextPageToken()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bookings from Friday (-want +got):\n%s", diff)
	}
	_, err := api.bookings.ListBookings(ctx, &pb.ListBookingsRequest{VenueId: b.venue.GetId(), PageToken: "eyJTdGFydCI6IiIsIklEIjoieCJ9"})
	if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"page_token"}}, refusalOf(err)); diff != "" {
		t.Errorf("a forged token (-want +got):\n%s", diff)
	}
}
