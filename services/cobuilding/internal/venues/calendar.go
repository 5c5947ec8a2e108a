package venues

import (
	"context"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// DayKind is what a day of the official calendar is, where it differs
// from the ordinary week.
type DayKind string

// The kinds of day. Ordinary is no entry: the weekday decides.
const (
	Holiday  DayKind = "HOLIDAY"
	Workday  DayKind = "WORKDAY"
	Ordinary DayKind = "ORDINARY"
)

// Day is a day of the official calendar that differs from the ordinary
// week: a public holiday, or a weekend day made a working day (调休).
type Day struct {
	Date    time.Time
	Kind    DayKind
	Name    string
	Updated time.Time
}

// DaySet is the city's correction of a day of the calendar.
type DaySet struct {
	Day *Day
	// Previous is what the day was before.
	Previous DayKind
}

// EventName implements cobuild.Event.
func (DaySet) EventName() string { return "calendar_day_set" }

// Working reports whether a day is a working day: a make-up working day
// always, a holiday never, else Monday to Friday. kind is its entry in
// the calendar, Ordinary for none.
func Working(date time.Time, kind DayKind) bool {
	switch kind {
	case Workday:
		return true
	case Holiday:
		return false
	}
	wd := date.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// CalendarStore is what the calendar needs of the database.
type CalendarStore interface {
	// DayKind is the entry of a day, Ordinary for none.
	DayKind(ctx context.Context, date time.Time) (DayKind, error)
	// Days lists the entries of a year in date order.
	Days(ctx context.Context, year int) ([]*Day, error)
	InCalendarTx(ctx context.Context, fn func(CalendarTx) error) error
}

// CalendarTx is a transaction over the calendar.
type CalendarTx interface {
	cobuild.Tx
	// LockDay returns the entry of a day (Kind Ordinary for none) and
	// holds it until the transaction ends.
	LockDay(ctx context.Context, date time.Time) (*Day, error)
	// SetDay writes the entry of a day; Ordinary removes it.
	SetDay(ctx context.Context, d *Day) error
}

// Calendar holds the official calendar.
type Calendar struct {
	store CalendarStore
	clock cobuild.Clock
}

// NewCalendar returns the calendar over st.
func NewCalendar(st CalendarStore, clock cobuild.Clock) *Calendar {
	return &Calendar{store: st, clock: clock}
}

// Days lists the entries of a year.
func (c *Calendar) Days(ctx context.Context, year int) ([]*Day, error) {
	return c.store.Days(ctx, year)
}

// ErrBadDay is a day that cannot be set so.
var ErrBadDay = errs.New(errs.InvalidArgument, "invalid calendar day")

// Set sets what a day is: a holiday, a make-up working day, or ordinary
// again. Setting a day to what it is changes nothing and announces nothing.
func (c *Calendar) Set(ctx context.Context, d *Day) (*Day, error) {
	if d.Kind != Holiday && d.Kind != Workday && d.Kind != Ordinary {
		return nil, errs.Field(ErrBadDay, "calendar_day.kind", "one of HOLIDAY, WORKDAY, ORDINARY")
	}
	if d.Kind == Ordinary {
		d.Name = ""
	}
	var out *Day
	err := c.store.InCalendarTx(ctx, func(tx CalendarTx) error {
		prev, err := tx.LockDay(ctx, d.Date)
		if err != nil {
			return err
		}
		if prev.Kind == d.Kind && prev.Name == d.Name {
			out = prev
			return nil
		}
		d.Updated, out = c.clock.Now(), d
		if err := tx.SetDay(ctx, d); err != nil {
			return err
		}
		return tx.Emit(ctx, DaySet{Day: d, Previous: prev.Kind})
	})
	return out, err
}
