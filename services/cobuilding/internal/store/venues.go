package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/venues"
)

// VenueStore implements venues.Store.
type VenueStore struct{ *Store }

// Venues is the store of the venues domain.
func (s *Store) Venues() VenueStore { return VenueStore{s} }

type venueTx struct{ *txStore }

// InTx implements venues.Store.
func (s VenueStore) InTx(ctx context.Context, fn func(venues.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(venueTx{t}) })
}

// InCalendarTx implements venues.CalendarStore.
func (s VenueStore) InCalendarTx(ctx context.Context, fn func(venues.CalendarTx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(venueTx{t}) })
}

// UnitCommunity implements venues.Store.
func (s VenueStore) UnitCommunity(ctx context.Context, unitID string) (string, error) {
	c, err := s.Store.UnitCommunity(ctx, unitID)
	if errors.Is(err, errNoUnit) {
		return "", venues.ErrNoUnit
	}
	return c, err
}

// The official calendar.

// DayKind implements venues.CalendarStore.
func (s VenueStore) DayKind(ctx context.Context, date time.Time) (venues.DayKind, error) {
	var k venues.DayKind
	err := s.pool.QueryRow(ctx, `SELECT kind FROM calendar_days WHERE day = $1`, date).Scan(&k)
	if pgdb.IsNoRows(err) {
		return venues.Ordinary, nil
	}
	return k, err
}

// Days implements venues.CalendarStore.
func (s VenueStore) Days(ctx context.Context, year int) ([]*venues.Day, error) {
	rows, err := s.pool.Query(ctx, `SELECT day, kind, name, updated_at FROM calendar_days
		WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1) ORDER BY day`, year)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*venues.Day, error) {
		var d venues.Day
		err := r.Scan(&d.Date, &d.Kind, &d.Name, &d.Updated)
		d.Updated = d.Updated.UTC()
		return &d, err
	})
}

// LockDay implements venues.CalendarTx: a transaction-level lock on the
// date, which holds a day with no row too, so that two settings of one
// day take turns.
func (t venueTx) LockDay(ctx context.Context, date time.Time) (*venues.Day, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('calendar ' || $1::text, 0))`, date.Format(cobuild.DateLayout)); err != nil {
		return nil, err
	}
	d := venues.Day{Date: date, Kind: venues.Ordinary}
	err := t.tx.QueryRow(ctx, `SELECT kind, name, updated_at FROM calendar_days WHERE day = $1`, date).Scan(&d.Kind, &d.Name, &d.Updated)
	if pgdb.IsNoRows(err) {
		return &d, nil
	}
	d.Updated = d.Updated.UTC()
	return &d, err
}

// SetDay implements venues.CalendarTx.
func (t venueTx) SetDay(ctx context.Context, d *venues.Day) error {
	if d.Kind == venues.Ordinary {
		_, err := t.tx.Exec(ctx, `DELETE FROM calendar_days WHERE day = $1`, d.Date)
		return err
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO calendar_days (day, kind, name, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, updated_at = excluded.updated_at`,
		d.Date, string(d.Kind), d.Name, d.Updated)
	return err
}

// Venues.

const venueColumns = `id::text, unit_id::text, community_id::text, coalesce(street_id::text, ''), coalesce(district_id::text, ''),
	name, kind, capacity, address, rule, open, created_at, updated_at`

// ruleJSON is how a venue's opening rule is kept.
type ruleJSON struct {
	OfficeStart int               `json:"office_start"`
	OfficeEnd   int               `json:"office_end"`
	OfficeHours []venues.Admitted `json:"office_hours"`
	AfterHours  []venues.Admitted `json:"after_hours"`
	RestDays    []venues.Admitted `json:"rest_days"`
}

func scanVenue(row pgx.Row) (*venues.Venue, error) {
	var (
		v    venues.Venue
		rule []byte
	)
	err := row.Scan(&v.ID, &v.UnitID, &v.CommunityID, &v.StreetID, &v.DistrictID, &v.Name, &v.Kind, &v.Capacity,
		&v.Address, &rule, &v.Open, &v.Created, &v.Updated)
	if err != nil {
		return nil, err
	}
	var r ruleJSON
	if err := json.Unmarshal(rule, &r); err != nil {
		return nil, err
	}
	v.Rule = venues.Rule{OfficeStart: venues.Minutes(r.OfficeStart), OfficeEnd: venues.Minutes(r.OfficeEnd),
		OfficeHours: r.OfficeHours, AfterHours: r.AfterHours, RestDays: r.RestDays}
	v.Created, v.Updated = v.Created.UTC(), v.Updated.UTC()
	return &v, nil
}

func getVenue(ctx context.Context, q querier, id, lock string) (*venues.Venue, error) {
	if !cobuild.ValidID(id) {
		return nil, venues.ErrNotFound
	}
	v, err := scanVenue(q.QueryRow(ctx, `SELECT `+venueColumns+` FROM venues WHERE id = $1`+lock, id))
	if pgdb.IsNoRows(err) {
		return nil, venues.ErrNotFound
	}
	return v, err
}

// Get implements venues.Store.
func (s VenueStore) Get(ctx context.Context, id string) (*venues.Venue, error) {
	return getVenue(ctx, s.pool, id, "")
}

// Lock implements venues.Tx.
func (t venueTx) Lock(ctx context.Context, id string) (*venues.Venue, error) {
	return getVenue(ctx, t.tx, id, ` FOR UPDATE`)
}

// nameKey is where a page of a list by name ends.
type nameKey struct{ Name, ID string }

// Valid implements page.Key.
func (k nameKey) Valid() bool { return page.ID(k.ID) }

// List implements venues.Store: name order, keyset pages.
func (s VenueStore) List(ctx context.Context, f venues.Filter) ([]*venues.Venue, string, error) {
	after, err := page.After(f.PageToken, nameKey{})
	if err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.CommunityID != "" {
		w.Add(`community_id = ?`, f.CommunityID)
	}
	if f.UnitID != "" {
		w.Add(`unit_id = ?`, f.UnitID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "community_id", f.AncestorID)
	}
	if f.Kind != "" {
		w.Add(`kind = ?`, string(f.Kind))
	}
	if after.ID != "" {
		w.Add(`(name, id) > (?, ?::uuid)`, after.Name, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+venueColumns+` FROM venues WHERE `+w.SQL()+
		` ORDER BY name, id LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*venues.Venue, error) { return scanVenue(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(v *venues.Venue) any { return nameKey{v.Name, v.ID} })
	return list, next, nil
}

func venueArgs(v *venues.Venue) ([]any, error) {
	r := v.Rule
	rule, err := json.Marshal(ruleJSON{OfficeStart: int(r.OfficeStart), OfficeEnd: int(r.OfficeEnd),
		OfficeHours: r.OfficeHours, AfterHours: r.AfterHours, RestDays: r.RestDays})
	if err != nil {
		return nil, err
	}
	return []any{v.ID, v.UnitID, v.CommunityID, nullable(v.StreetID), nullable(v.DistrictID), v.Name, string(v.Kind),
		v.Capacity, v.Address, rule, v.Open, v.Created, v.Updated}, nil
}

// Insert implements venues.Tx.
func (t venueTx) Insert(ctx context.Context, v *venues.Venue) error {
	args, err := venueArgs(v)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO venues (id, unit_id, community_id, street_id, district_id, name, kind, capacity,
		address, rule, open, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, args...)
	return err
}

// Save implements venues.Tx.
func (t venueTx) Save(ctx context.Context, v *venues.Venue) error {
	args, err := venueArgs(v)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE venues SET unit_id = $2, community_id = $3, street_id = $4, district_id = $5, name = $6,
		kind = $7, capacity = $8, address = $9, rule = $10, open = $11, created_at = $12, updated_at = $13 WHERE id = $1`, args...)
	return err
}

// Bookings.

const bookingColumns = `id::text, venue_id::text, venue_unit_id::text, venue_community_id::text, coalesce(district_id::text, ''),
	booker_kind, coalesce(unit_id::text, ''), community_id::text, group_name, contact, purpose, attendees,
	start_time, end_time, cancelled_at, cancel_reason, booked_by, created_at`

func scanBooking(row pgx.Row) (*venues.Booking, error) {
	var (
		b         venues.Booking
		contact   []byte
		cancelled *time.Time
	)
	err := row.Scan(&b.ID, &b.VenueID, &b.VenueUnitID, &b.VenueCommunityID, &b.DistrictID, &b.BookerKind, &b.UnitID,
		&b.CommunityID, &b.GroupName, &contact, &b.Purpose, &b.Attendees, &b.Start, &b.End, &cancelled, &b.CancelReason,
		&b.BookedBy, &b.Created)
	if err != nil {
		return nil, err
	}
	b.Start, b.End, b.Created, b.Cancelled = b.Start.UTC(), b.End.UTC(), b.Created.UTC(), dateOrZero(cancelled)
	return &b, json.Unmarshal(contact, &b.Contact)
}

func getBooking(ctx context.Context, q querier, id, lock string) (*venues.Booking, error) {
	if !cobuild.ValidID(id) {
		return nil, venues.ErrBookingMissing
	}
	b, err := scanBooking(q.QueryRow(ctx, `SELECT `+bookingColumns+` FROM bookings WHERE id = $1`+lock, id))
	if pgdb.IsNoRows(err) {
		return nil, venues.ErrBookingMissing
	}
	return b, err
}

// GetBooking implements venues.Store.
func (s VenueStore) GetBooking(ctx context.Context, id string) (*venues.Booking, error) {
	return getBooking(ctx, s.pool, id, "")
}

// LockBooking implements venues.Tx.
func (t venueTx) LockBooking(ctx context.Context, id string) (*venues.Booking, error) {
	return getBooking(ctx, t.tx, id, ` FOR UPDATE`)
}

// startKey is where a page of bookings ends.
type startKey struct {
	Start time.Time
	ID    string
}

// Valid implements page.Key.
func (k startKey) Valid() bool { return page.ID(k.ID) }

// ListBookings implements venues.Store: by start time, keyset pages. A
// unit's bookings are those it made and those of its venues; a community's
// those made by it, its residents and its units, and those of venues in it.
func (s VenueStore) ListBookings(ctx context.Context, f venues.BookingFilter) ([]*venues.Booking, string, error) {
	after, err := page.After(f.PageToken, startKey{})
	if err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.VenueID != "" {
		w.Add(`venue_id = ?`, f.VenueID)
	}
	if f.CommunityID != "" {
		w.Add(`(community_id = ? OR venue_community_id = ?)`, f.CommunityID, f.CommunityID)
	}
	if f.UnitID != "" {
		w.Add(`(unit_id = ? OR venue_unit_id = ?)`, f.UnitID, f.UnitID)
	}
	if f.AncestorID != "" {
		w.Add(`(community_id IN (SELECT o.id FROM orgs o, orgs r WHERE r.id = ? AND o.path >= r.path AND o.path < r.path || '~')
			OR venue_community_id IN (SELECT o.id FROM orgs o, orgs r WHERE r.id = ? AND o.path >= r.path AND o.path < r.path || '~'))`,
			f.AncestorID, f.AncestorID)
	}
	if !f.From.IsZero() {
		w.Add(`end_time > ?`, f.From)
	}
	if !f.IncludeCancelled {
		w.Add(`cancelled_at IS NULL`)
	}
	if after.ID != "" {
		w.Add(`(start_time, id) > (?, ?::uuid)`, after.Start, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+bookingColumns+` FROM bookings WHERE `+w.SQL()+
		` ORDER BY start_time, id LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*venues.Booking, error) { return scanBooking(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(b *venues.Booking) any { return startKey{b.Start, b.ID} })
	return list, next, nil
}

// InsertBooking implements venues.Tx: the exclusion constraint
// bookings_no_overlap refuses a booking that overlaps a live one of the
// same venue, even one committed a moment before by another transaction.
func (t venueTx) InsertBooking(ctx context.Context, b *venues.Booking) error {
	contact, err := json.Marshal(b.Contact)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO bookings (id, venue_id, venue_unit_id, venue_community_id, district_id, booker_kind,
		unit_id, community_id, group_name, contact, purpose, attendees, start_time, end_time, booked_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		b.ID, b.VenueID, b.VenueUnitID, b.VenueCommunityID, nullable(b.DistrictID), string(b.BookerKind), nullable(b.UnitID),
		b.CommunityID, b.GroupName, contact, b.Purpose, b.Attendees, b.Start, b.End, b.BookedBy, b.Created)
	if pgdb.IsExclusionViolation(err, "bookings_no_overlap") {
		return errs.Field(venues.ErrVenueTaken, "booking.start_time", "the venue is booked at an overlapping time")
	}
	return err
}

// SaveBooking implements venues.Tx: what changes is its cancellation.
func (t venueTx) SaveBooking(ctx context.Context, b *venues.Booking) error {
	_, err := t.tx.Exec(ctx, `UPDATE bookings SET cancelled_at = $2, cancel_reason = $3 WHERE id = $1`,
		b.ID, nullableTime(b.Cancelled), b.CancelReason)
	return err
}

// VenueSides are a venue's community and unit.
func (s *Store) VenueSides(ctx context.Context, id string) (community, unit string, err error) {
	err = s.lookup(ctx, id, `SELECT community_id::text, unit_id::text FROM venues WHERE id = $1`, &community, &unit)
	return community, unit, err
}

// BookingSides are the booker's community and unit ("" for none), and the
// venue's community and unit.
func (s *Store) BookingSides(ctx context.Context, id string) (community, unit, venueCommunity, venueUnit string, err error) {
	err = s.lookup(ctx, id, `SELECT community_id::text, coalesce(unit_id::text, ''), venue_community_id::text, venue_unit_id::text
		FROM bookings WHERE id = $1`, &community, &unit, &venueCommunity, &venueUnit)
	return community, unit, venueCommunity, venueUnit, err
}
