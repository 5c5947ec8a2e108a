package org

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar day, without time zone: birth dates, activity dates,
// deadlines. The zero Date is "not set".
type Date struct{ t time.Time }

// ParseDate reads YYYY-MM-DD, refusing days that do not exist (2024-02-30).
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a day of the form YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// DateOf is the day of t in its own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// NewDate builds a day.
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String is YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// Time is midnight UTC of the day.
func (d Date) Time() time.Time { return d.t }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// AddDays moves the date by n days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// YearsSince is the age in whole years on day d of someone born on b.
func (d Date) YearsSince(b Date) int {
	years := d.t.Year() - b.t.Year()
	if d.t.Month() < b.t.Month() || (d.t.Month() == b.t.Month() && d.t.Day() < b.t.Day()) {
		years--
	}
	return years
}

// Quarter returns the first and last day of the quarter that contains d.
func (d Date) Quarter() (Date, Date) {
	y, m, _ := d.t.Date()
	first := time.Date(y, ((m-1)/3)*3+1, 1, 0, 0, 0, 0, time.UTC)
	return Date{first}, Date{first.AddDate(0, 3, -1)}
}

// PreviousQuarter returns the first and last day of the last quarter that
// ended before d.
func (d Date) PreviousQuarter() (Date, Date) {
	first, _ := d.Quarter()
	return first.AddDays(-1).Quarter()
}

// MarshalJSON writes YYYY-MM-DD.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads YYYY-MM-DD.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	parsed, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}
