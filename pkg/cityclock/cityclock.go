// Package cityclock is what "now" and "today" are for a domain: a clock
// (time.Now, or a test's settable one) read at the database's precision,
// and the city's time zone, which decides the calendar day — for ages,
// quarters and deadlines.
package cityclock

import "time"

// Clock reads the time for a domain.
type Clock struct {
	now func() time.Time
	loc *time.Location
}

// New is the clock now (time.Now when nil) in the city's zone loc (UTC
// when nil).
func New(now func() time.Time, loc *time.Location) Clock {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	return Clock{now: now, loc: loc}
}

// Now is the instant, in UTC, cut to microseconds as PostgreSQL keeps it,
// so that what a call returns equals what it stored.
func (c Clock) Now() time.Time { return c.now().UTC().Truncate(time.Microsecond) }

// Today is the city's calendar day now, as midnight UTC like stored dates.
func (c Clock) Today() time.Time { return c.Day(c.now()) }

// Day is the city's calendar day at t, as midnight UTC.
func (c Clock) Day(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
