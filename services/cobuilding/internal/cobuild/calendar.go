package cobuild

import (
	"fmt"
	"time"

	"gongjian.dev/pkg/errs"
)

// DateLayout is how days are written in the API: YYYY-MM-DD.
const DateLayout = time.DateOnly

// ParseDate reads a day, naming field when it is not one.
func ParseDate(field, s string) (time.Time, error) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, errs.Field(ErrInvalid, field, "not a date (YYYY-MM-DD)")
	}
	return d, nil
}

// FormatDate writes a day; the zero time is "".
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(DateLayout)
}

// Month is a calendar month.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads YYYY-MM, naming field when it is not a month.
func ParseMonth(field, s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, errs.Field(ErrInvalid, field, "not a month (YYYY-MM)")
	}
	return Month{Year: t.Year(), Month: t.Month()}, nil
}

// MonthOf is the month of day d.
func MonthOf(d time.Time) Month { return Month{Year: d.Year(), Month: d.Month()} }

// String writes the month as YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// First is the month's first day.
func (m Month) First() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC) }

// Last is the month's last day.
func (m Month) Last() time.Time { return m.First().AddDate(0, 1, -1) }

// Next is the month after m.
func (m Month) Next() Month { return MonthOf(m.First().AddDate(0, 1, 0)) }

// Before reports whether m comes before o.
func (m Month) Before(o Month) bool { return m.First().Before(o.First()) }

// Period is a span of whole months aligned to the calendar year: a half
// year, a quarter.
type Period struct {
	// Start and End are its first and last days.
	Start, End time.Time
}

// PeriodOf is the period of months months (a divisor of 12) that holds day d.
func PeriodOf(d time.Time, months int) Period {
	first := (int(d.Month())-1)/months*months + 1
	start := time.Date(d.Year(), time.Month(first), 1, 0, 0, 0, 0, time.UTC)
	return Period{Start: start, End: start.AddDate(0, months, -1)}
}
