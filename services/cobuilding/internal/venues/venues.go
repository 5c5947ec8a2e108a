// Package venues keeps the shared-resource ledger (资源共享台账, DOMAIN §3,
// document 002): the venues resident units open to others, who may book
// them when, and the bookings. The documents' "1+3" rule is the default
// opening rule: on working days in office hours the unit's own staff,
// after hours other units too, on rest days — weekends and holidays —
// residents, free. Which days are working days is the official calendar
// of each year (the State Council's holidays and make-up working days,
// 调休), kept as data the city corrects.
package venues

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Kind is what a venue is; the values are the API enum's names without
// the prefix.
type Kind string

// The kinds of venue.
var Kinds = []Kind{"MEETING_ROOM", "ACTIVITY_ROOM", "SPORTS", "LIBRARY", "CANTEEN", "PARKING", "OTHER"}

// Admitted is a kind of booker an opening rule admits.
type Admitted string

// The kinds of booker a rule admits.
const (
	OwnUnit     Admitted = "OWN_UNIT"
	OtherUnits  Admitted = "OTHER_UNITS"
	Communities Admitted = "COMMUNITIES"
	Residents   Admitted = "RESIDENTS"
)

// Clock time of day, in minutes after midnight.
type Minutes int

// ParseMinutes reads HH:MM, naming field when it is not a time of day.
func ParseMinutes(field, s string) (Minutes, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, errs.Field(ErrInvalid, field, "not a time of day (HH:MM)")
	}
	return Minutes(t.Hour()*60 + t.Minute()), nil
}

// String writes HH:MM.
func (m Minutes) String() string { return fmt.Sprintf("%02d:%02d", int(m)/60, int(m)%60) }

// Rule is who may book a venue when.
type Rule struct {
	// OfficeStart and OfficeEnd bound office hours on working days, in
	// the city's time.
	OfficeStart, OfficeEnd Minutes
	// OfficeHours, AfterHours and RestDays are who may book in office
	// hours of working days, outside them, and on rest days.
	OfficeHours, AfterHours, RestDays []Admitted
}

// OnePlusThree is the documents' "1+3" rule (document 002): working days
// in office hours (08:30–17:30) for the unit's own staff; after hours for
// other units too; weekends and holidays free for residents and their
// communities.
func OnePlusThree() Rule {
	return Rule{OfficeStart: 8*60 + 30, OfficeEnd: 17*60 + 30,
		OfficeHours: []Admitted{OwnUnit},
		AfterHours:  []Admitted{OwnUnit, OtherUnits},
		RestDays:    []Admitted{Communities, Residents}}
}

// Venue is a place a resident unit shares.
type Venue struct {
	ID, UnitID string
	// CommunityID, StreetID and DistrictID are where the unit sits.
	CommunityID, StreetID, DistrictID string
	Name                              string
	Kind                              Kind
	Capacity                          int
	Address                           string
	Rule                              Rule
	Open                              bool
	Created, Updated                  time.Time
}

// The errors of venues and bookings.
var (
	ErrInvalid        = cobuild.ErrInvalid
	ErrNotFound       = errs.New(errs.NotFound, "venue not found")
	ErrNoUnit         = errs.New(errs.FailedPrecondition, "no such resident unit")
	ErrBookingMissing = errs.New(errs.NotFound, "booking not found")
	ErrNotAdmitted    = errs.WithReason(errs.FailedPrecondition, "NOT_ADMITTED", "the venue's opening rule does not admit this booker at this time")
	ErrVenueTaken     = errs.WithReason(errs.AlreadyExists, "VENUE_TAKEN", "the venue is booked at an overlapping time")
	ErrClosed         = errs.WithReason(errs.FailedPrecondition, "VENUE_CLOSED", "the venue is withdrawn from sharing")
	ErrCancelled      = errs.WithReason(errs.FailedPrecondition, "ALREADY_CANCELLED", "the booking is already cancelled")
	ErrEnded          = errs.WithReason(errs.FailedPrecondition, "BOOKING_ENDED", "the booking has ended")
)

// VenueChanged is a venue recorded or changed; Before is nil for a new one.
type VenueChanged struct{ Venue, Before *Venue }

// EventName implements cobuild.Event.
func (VenueChanged) EventName() string { return "venue_changed" }

// Filter selects the venues of a list.
type Filter struct {
	CommunityID, UnitID, AncestorID string
	Kind                            Kind
	PageSize                        int
	PageToken                       string
}

// Store is what venues and bookings need of the database.
type Store interface {
	cobuild.Places
	CalendarStore
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Venue, error)
	List(ctx context.Context, f Filter) ([]*Venue, string, error)
	// UnitCommunity is the community where a unit sits, or ErrNoUnit.
	UnitCommunity(ctx context.Context, unitID string) (string, error)
	GetBooking(ctx context.Context, id string) (*Booking, error)
	ListBookings(ctx context.Context, f BookingFilter) ([]*Booking, string, error)
}

// Tx is a transaction over venues and bookings.
type Tx interface {
	cobuild.Tx
	Lock(ctx context.Context, id string) (*Venue, error)
	Insert(ctx context.Context, v *Venue) error
	Save(ctx context.Context, v *Venue) error
	LockBooking(ctx context.Context, id string) (*Booking, error)
	// InsertBooking writes a booking; one that overlaps a live booking of
	// the same venue is ErrVenueTaken, refused by the database.
	InsertBooking(ctx context.Context, b *Booking) error
	SaveBooking(ctx context.Context, b *Booking) error
}

// Service holds the rules of venues and bookings.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the venues service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns one venue.
func (s *Service) Get(ctx context.Context, id string) (*Venue, error) { return s.store.Get(ctx, id) }

// List lists venues.
func (s *Service) List(ctx context.Context, f Filter) ([]*Venue, string, error) {
	return s.store.List(ctx, f)
}

// Create records a venue of its unit, open for booking. A request id
// seen before returns the venue it recorded.
func (s *Service) Create(ctx context.Context, v *Venue, requestID string) (*Venue, error) {
	v.Open = true
	if err := v.validate(); err != nil {
		return nil, err
	}
	if err := s.place(ctx, v); err != nil {
		return nil, err
	}
	var out *Venue
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_venue", requestID, func(id string) (*Venue, error) { return tx.Lock(ctx, id) }, func() (*Venue, string, error) {
			now := s.clock.Now()
			v.ID, v.Created, v.Updated = cobuild.NewID(), now, now
			if err := tx.Insert(ctx, v); err != nil {
				return nil, "", err
			}
			return v, v.ID, tx.Emit(ctx, VenueChanged{Venue: v})
		})
		return err
	})
	return out, err
}

// updatable are the fields an update may name; the unit is fixed.
var updatable = []string{"name", "kind", "capacity", "address", "opening_rule", "open"}

// Update changes the fields of mask to those of in. Bookings made before
// stand: a changed rule applies to new bookings.
func (s *Service) Update(ctx context.Context, id string, in *Venue, mask []string) (*Venue, error) {
	if err := cobuild.CheckMask(mask, updatable); err != nil {
		return nil, err
	}
	var out *Venue
	err := s.store.InTx(ctx, func(tx Tx) error {
		v, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		before := *v
		apply(v, in, mask)
		if err := v.validate(); err != nil {
			return err
		}
		v.Updated = s.clock.Now()
		if err := tx.Save(ctx, v); err != nil {
			return err
		}
		out = v
		return tx.Emit(ctx, VenueChanged{Venue: v, Before: &before})
	})
	return out, err
}

func apply(v, in *Venue, mask []string) {
	for _, f := range mask {
		switch f {
		case "name":
			v.Name = in.Name
		case "kind":
			v.Kind = in.Kind
		case "capacity":
			v.Capacity = in.Capacity
		case "address":
			v.Address = in.Address
		case "opening_rule":
			v.Rule = in.Rule
		case "open":
			v.Open = in.Open
		}
	}
}

func (v *Venue) validate() error {
	val := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(v.Name) == "" {
		val.Add("venue.name", "required")
	}
	if !slices.Contains(Kinds, v.Kind) {
		val.Add("venue.kind", "required: one of %v", Kinds)
	}
	if v.Capacity < 1 {
		val.Add("venue.capacity", "at least 1")
	}
	if v.Rule.OfficeEnd <= v.Rule.OfficeStart {
		val.Add("venue.opening_rule.office_end", "office hours end after they start")
	}
	return val.Err()
}

// place finds the venue's unit and takes its community, street and
// district.
func (s *Service) place(ctx context.Context, v *Venue) error {
	community, err := s.store.UnitCommunity(ctx, v.UnitID)
	if errors.Is(err, ErrNoUnit) {
		return errs.Field(ErrNoUnit, "venue.unit_id", "no resident unit has this id")
	}
	if err != nil {
		return err
	}
	c, err := s.store.Place(ctx, community)
	if err != nil && !errors.Is(err, cobuild.ErrNoPlace) {
		return err
	}
	v.CommunityID, v.StreetID, v.DistrictID = community, c.ParentID, c.DistrictID
	return nil
}
