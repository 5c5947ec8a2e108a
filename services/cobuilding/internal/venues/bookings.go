package venues

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// BookerKind is who books: a unit, a community, or a group of residents.
type BookerKind string

// The kinds of booker.
const (
	ByUnit          BookerKind = "UNIT"
	ByCommunity     BookerKind = "COMMUNITY"
	ByResidentGroup BookerKind = "RESIDENT_GROUP"
)

// Booking is a venue booked for a span of one day.
type Booking struct {
	ID, VenueID string
	// VenueUnitID and VenueCommunityID are the venue's unit and its
	// community; DistrictID is the venue's district.
	VenueUnitID, VenueCommunityID, DistrictID string
	BookerKind                                BookerKind
	// UnitID is the booking unit; CommunityID the booking community, the
	// resident group's, or the booking unit's.
	UnitID, CommunityID string
	GroupName           string
	Contact             cobuild.Contact
	Purpose             string
	Attendees           int
	Start, End          time.Time
	Cancelled           time.Time
	CancelReason        string
	BookedBy            string
	Created             time.Time
}

// BookingChanged is a booking made (Change BOOKED) or cancelled.
type BookingChanged struct {
	Booking *Booking
	Change  string
}

// EventName implements cobuild.Event.
func (BookingChanged) EventName() string { return "booking_changed" }

// BookingFilter selects the bookings of a list.
type BookingFilter struct {
	VenueID, CommunityID, UnitID, AncestorID string
	// From keeps the bookings that end after it.
	From             time.Time
	IncludeCancelled bool
	PageSize         int
	PageToken        string
}

// GetBooking returns one booking.
func (s *Service) GetBooking(ctx context.Context, id string) (*Booking, error) {
	return s.store.GetBooking(ctx, id)
}

// ListBookings lists bookings.
func (s *Service) ListBookings(ctx context.Context, f BookingFilter) ([]*Booking, string, error) {
	return s.store.ListBookings(ctx, f)
}

// Book books a venue, by the caller by: the venue must be open, the
// booker must sit in the venue's street, and the venue's opening rule must
// admit the booker at every moment of the booking. A booking that overlaps
// another live one is refused by the database (ErrVenueTaken), however
// close together the two come. A request id seen before returns the
// booking it made.
func (s *Service) Book(ctx context.Context, b *Booking, by, requestID string) (*Booking, error) {
	if err := b.validate(s.clock.Now()); err != nil {
		return nil, err
	}
	v, err := s.store.Get(ctx, b.VenueID)
	if errors.Is(err, ErrNotFound) {
		return nil, errs.Field(ErrNotFound, "booking.venue_id", "no venue has this id")
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkBooker(ctx, v, b); err != nil {
		return nil, err
	}
	if err := s.Admits(ctx, v, b); err != nil {
		return nil, err
	}
	var out *Booking
	err = s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_booking", requestID, func(id string) (*Booking, error) { return tx.LockBooking(ctx, id) }, func() (*Booking, string, error) {
			b.ID, b.BookedBy, b.Created = cobuild.NewID(), by, s.clock.Now()
			b.VenueUnitID, b.VenueCommunityID, b.DistrictID = v.UnitID, v.CommunityID, v.DistrictID
			if err := tx.InsertBooking(ctx, b); err != nil {
				return nil, "", err
			}
			return b, b.ID, tx.Emit(ctx, BookingChanged{Booking: b, Change: "BOOKED"})
		})
		return err
	})
	return out, err
}

// Cancel cancels a booking that has not ended, freeing its time.
func (s *Service) Cancel(ctx context.Context, id, reason string) (*Booking, error) {
	var out *Booking
	err := s.store.InTx(ctx, func(tx Tx) error {
		b, err := tx.LockBooking(ctx, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		switch {
		case !b.Cancelled.IsZero():
			return ErrCancelled
		case !b.End.After(now):
			return ErrEnded
		}
		b.Cancelled, b.CancelReason = now, reason
		if err := tx.SaveBooking(ctx, b); err != nil {
			return err
		}
		out = b
		return tx.Emit(ctx, BookingChanged{Booking: b, Change: "CANCELLED"})
	})
	return out, err
}

func (b *Booking) validate(now time.Time) error {
	v := errs.NewValidation(ErrInvalid)
	switch b.BookerKind {
	case ByUnit:
		if b.UnitID == "" {
			v.Add("booking.unit_id", "required for a unit's booking")
		}
		if b.CommunityID != "" {
			v.Add("booking.community_id", "a unit's booking takes its unit's community")
		}
	case ByCommunity, ByResidentGroup:
		if b.UnitID != "" {
			v.Add("booking.unit_id", "only a unit's booking names a unit")
		}
		if b.CommunityID == "" {
			v.Add("booking.community_id", "required for a community's or a resident group's booking")
		}
		if b.BookerKind == ByResidentGroup && strings.TrimSpace(b.GroupName) == "" {
			v.Add("booking.group_name", "required for a resident group's booking")
		}
	default:
		v.Add("booking.booker_kind", "required: UNIT, COMMUNITY or RESIDENT_GROUP")
	}
	if strings.TrimSpace(b.Contact.Name) == "" {
		v.Add("booking.contact.name", "required")
	}
	if strings.TrimSpace(b.Purpose) == "" {
		v.Add("booking.purpose", "required")
	}
	if b.Attendees < 1 {
		v.Add("booking.attendees", "at least 1")
	}
	switch {
	case b.Start.IsZero():
		v.Add("booking.start_time", "required")
	case b.Start.Before(now):
		v.Add("booking.start_time", "in the past")
	}
	switch {
	case b.End.IsZero():
		v.Add("booking.end_time", "required")
	case !b.End.After(b.Start):
		v.Add("booking.end_time", "after start_time")
	}
	return v.Err()
}

// checkBooker takes the booker's community and checks it: the venue is
// open and holds the attendees, and the booker sits in the venue's street.
func (s *Service) checkBooker(ctx context.Context, v *Venue, b *Booking) error {
	if !v.Open {
		return errs.Field(ErrClosed, "booking.venue_id", "the venue is withdrawn from sharing")
	}
	if b.Attendees > v.Capacity {
		return errs.Field(ErrInvalid, "booking.attendees", "more than the venue holds")
	}
	field := "booking.community_id"
	if b.BookerKind == ByUnit {
		field = "booking.unit_id"
		c, err := s.store.UnitCommunity(ctx, b.UnitID)
		if errors.Is(err, ErrNoUnit) {
			return errs.Field(ErrNoUnit, field, "no resident unit has this id")
		}
		if err != nil {
			return err
		}
		b.CommunityID = c
	}
	c, err := cobuild.Community(ctx, s.store, field, b.CommunityID)
	if err != nil {
		return err
	}
	if c.ParentID != v.StreetID {
		return errs.Field(ErrInvalid, field, "the booker sits outside the street of the venue's community")
	}
	return nil
}

// Admits checks that the venue's opening rule admits the booker at every
// moment of the booking, which lies within one day of the city: on a rest
// day the rule's rest-day bookers, on a working day those of office hours
// for any part in them and those of after hours for any part outside.
func (s *Service) Admits(ctx context.Context, v *Venue, b *Booking) error {
	loc := s.clock.Loc
	if loc == nil {
		loc = time.UTC
	}
	start, end := b.Start.In(loc), b.End.In(loc)
	y, m, d := start.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if end.After(midnight.AddDate(0, 0, 1)) {
		return errs.Field(ErrInvalid, "booking.end_time", "a booking ends on the day it starts (midnight at the latest)")
	}
	day := cobuild.DayOf(start, loc)
	kind, err := s.store.DayKind(ctx, day)
	if err != nil {
		return err
	}
	who := b.admitted(v)
	refuse := func(when string, rule []Admitted) error {
		return errs.Field(ErrNotAdmitted, "booking.booker_kind", when+" "+day.Format(cobuild.DateLayout)+" admits "+list(rule)+", not "+string(who))
	}
	if !Working(day, kind) {
		if !slices.Contains(v.Rule.RestDays, who) {
			return refuse("the rest day", v.Rule.RestDays)
		}
		return nil
	}
	office0 := midnight.Add(time.Duration(v.Rule.OfficeStart) * time.Minute)
	office1 := midnight.Add(time.Duration(v.Rule.OfficeEnd) * time.Minute)
	inOffice := start.Before(office1) && end.After(office0)
	outside := start.Before(office0) || end.After(office1)
	if inOffice && !slices.Contains(v.Rule.OfficeHours, who) {
		return refuse("office hours ("+v.Rule.OfficeStart.String()+"–"+v.Rule.OfficeEnd.String()+") of the working day", v.Rule.OfficeHours)
	}
	if outside && !slices.Contains(v.Rule.AfterHours, who) {
		return refuse("the hours after office hours of the working day", v.Rule.AfterHours)
	}
	return nil
}

// admitted is the kind of booker b is for venue v.
func (b *Booking) admitted(v *Venue) Admitted {
	switch b.BookerKind {
	case ByUnit:
		if b.UnitID == v.UnitID {
			return OwnUnit
		}
		return OtherUnits
	case ByCommunity:
		return Communities
	}
	return Residents
}

func list(a []Admitted) string {
	if len(a) == 0 {
		return "nobody"
	}
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
