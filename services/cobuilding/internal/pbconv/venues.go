package pbconv

import (
	"strings"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/venues"
)

// enumOf is the domain's value of an API enum's name: without its prefix,
// "" for the unspecified value.
func enumOf(name, prefix string) string {
	if strings.HasSuffix(name, "_UNSPECIFIED") {
		return ""
	}
	return strings.TrimPrefix(name, prefix)
}

// VenueKind is the API's kind of venue.
func VenueKind(k venues.Kind) pb.VenueKind {
	return pb.VenueKind(pb.VenueKind_value["VENUE_KIND_"+string(k)])
}

// VenueKindOf is the domain's kind of venue ("" for none).
func VenueKindOf(k pb.VenueKind) venues.Kind { return venues.Kind(enumOf(k.String(), "VENUE_KIND_")) }

func admitted(as []venues.Admitted) []pb.Admitted {
	out := make([]pb.Admitted, len(as))
	for i, a := range as {
		out[i] = pb.Admitted(pb.Admitted_value["ADMITTED_"+string(a)])
	}
	return out
}

func admittedOf(as []pb.Admitted) []venues.Admitted {
	out := make([]venues.Admitted, 0, len(as))
	for _, a := range as {
		out = append(out, venues.Admitted(enumOf(a.String(), "ADMITTED_")))
	}
	return out
}

// Rule is the API's opening rule.
func Rule(r venues.Rule) *pb.OpeningRule {
	return &pb.OpeningRule{OfficeStart: r.OfficeStart.String(), OfficeEnd: r.OfficeEnd.String(),
		OfficeHours: admitted(r.OfficeHours), AfterHours: admitted(r.AfterHours), RestDays: admitted(r.RestDays)}
}

// RuleOf is the domain's opening rule: the "1+3" rule where r is unset,
// and its office hours where r leaves them out.
func RuleOf(r *pb.OpeningRule) (venues.Rule, error) {
	out := venues.OnePlusThree()
	if r == nil {
		return out, nil
	}
	var err error
	if r.GetOfficeStart() != "" {
		if out.OfficeStart, err = venues.ParseMinutes("venue.opening_rule.office_start", r.GetOfficeStart()); err != nil {
			return out, err
		}
	}
	if r.GetOfficeEnd() != "" {
		if out.OfficeEnd, err = venues.ParseMinutes("venue.opening_rule.office_end", r.GetOfficeEnd()); err != nil {
			return out, err
		}
	}
	out.OfficeHours, out.AfterHours, out.RestDays = admittedOf(r.GetOfficeHours()), admittedOf(r.GetAfterHours()), admittedOf(r.GetRestDays())
	return out, nil
}

// Venue is the API's venue.
func Venue(v *venues.Venue) *pb.Venue {
	return &pb.Venue{Id: v.ID, UnitId: v.UnitID, CommunityId: v.CommunityID, DistrictId: v.DistrictID, Name: v.Name,
		Kind: VenueKind(v.Kind), Capacity: int32(v.Capacity), Address: v.Address, OpeningRule: Rule(v.Rule), Open: v.Open,
		CreateTime: ts(v.Created), UpdateTime: ts(v.Updated)}
}

// VenueOf is the domain's venue of an API one.
func VenueOf(v *pb.Venue) (*venues.Venue, error) {
	rule, err := RuleOf(v.GetOpeningRule())
	if err != nil {
		return nil, err
	}
	return &venues.Venue{ID: v.GetId(), UnitID: v.GetUnitId(), Name: v.GetName(), Kind: VenueKindOf(v.GetKind()),
		Capacity: int(v.GetCapacity()), Address: v.GetAddress(), Rule: rule, Open: v.GetOpen()}, nil
}

// Booking is the API's booking.
func Booking(b *venues.Booking) *pb.Booking {
	return &pb.Booking{Id: b.ID, VenueId: b.VenueID, BookerKind: pb.BookerKind(pb.BookerKind_value["BOOKER_KIND_"+string(b.BookerKind)]),
		UnitId: b.UnitID, CommunityId: b.CommunityID, GroupName: b.GroupName, Contact: Contact(b.Contact), Purpose: b.Purpose,
		Attendees: int32(b.Attendees), StartTime: ts(b.Start), EndTime: ts(b.End), Cancelled: !b.Cancelled.IsZero(),
		CancelReason: b.CancelReason, VenueUnitId: b.VenueUnitID, BookedBy: b.BookedBy, CreateTime: ts(b.Created)}
}

// BookingOf is the domain's booking of an API one.
func BookingOf(b *pb.Booking) *venues.Booking {
	out := &venues.Booking{VenueID: b.GetVenueId(), BookerKind: venues.BookerKind(enumOf(b.GetBookerKind().String(), "BOOKER_KIND_")),
		UnitID: b.GetUnitId(), CommunityID: b.GetCommunityId(), GroupName: b.GetGroupName(), Contact: ContactOf(b.GetContact()),
		Purpose: b.GetPurpose(), Attendees: int(b.GetAttendees())}
	if b.GetStartTime() != nil {
		out.Start = b.GetStartTime().AsTime()
	}
	if b.GetEndTime() != nil {
		out.End = b.GetEndTime().AsTime()
	}
	return out
}

// DayKind is the API's kind of day.
func DayKind(k venues.DayKind) pb.DayKind { return pb.DayKind(pb.DayKind_value["DAY_KIND_"+string(k)]) }

// Day is the API's day of the calendar.
func Day(d *venues.Day) *pb.CalendarDay {
	return &pb.CalendarDay{Date: cobuild.FormatDate(d.Date), Kind: DayKind(d.Kind), Name: d.Name, UpdateTime: ts(d.Updated)}
}

// DayOf is the domain's day of the calendar.
func DayOf(d *pb.CalendarDay) (*venues.Day, error) {
	date, err := cobuild.ParseDate("calendar_day.date", d.GetDate())
	if err != nil {
		return nil, err
	}
	return &venues.Day{Date: date, Kind: venues.DayKind(enumOf(d.GetKind().String(), "DAY_KIND_")), Name: d.GetName()}, nil
}
