package member

import "time"

// Clock is the member service's time: instants in UTC to the microsecond
// (PostgreSQL's resolution, so that what is written reads back equal), and
// calendar days as the city counts them, each as midnight UTC like every
// date of the domain. Every sub-domain takes its time from one Clock, and
// so do the events it publishes.
type Clock struct {
	now func() time.Time
	loc *time.Location
}

// NewClock returns the clock now reads (time.Now when nil) in the city's
// time zone loc (UTC when nil).
func NewClock(now func() time.Time, loc *time.Location) Clock {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	return Clock{now: now, loc: loc}
}

// Now is the current instant.
func (c Clock) Now() time.Time { return c.now().UTC().Truncate(time.Microsecond) }

// Today is the calendar day in the city now.
func (c Clock) Today() time.Time { return c.Day(c.Now()) }

// Day is the calendar day of an instant in the city.
func (c Clock) Day(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DayStart is the instant a calendar day begins in the city.
func (c Clock) DayStart(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc).UTC()
}

// Year is the year of an instant in the city: the year of a letter's or a
// certificate's number.
func (c Clock) Year(t time.Time) int { return t.In(c.loc).Year() }

// Location is the city's time zone.
func (c Clock) Location() *time.Location { return c.loc }

// Zone is the name of the city's time zone as PostgreSQL knows it ("UTC"
// for a zone with no such name).
func (c Clock) Zone() string {
	if name := c.loc.String(); name != "" && name != "Local" {
		return name
	}
	return "UTC"
}
