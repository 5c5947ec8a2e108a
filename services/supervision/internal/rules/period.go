package rules

import (
	"fmt"
	"time"
)

// Quarter is a calendar quarter of the city.
type Quarter struct {
	Year, Q int
}

// QuarterOf is the quarter a day falls in.
func QuarterOf(day time.Time) Quarter { return Quarter{day.Year(), (int(day.Month())-1)/3 + 1} }

// First is the quarter's first day.
func (q Quarter) First() time.Time {
	return time.Date(q.Year, time.Month(3*q.Q-2), 1, 0, 0, 0, 0, time.UTC)
}

// Last is the quarter's last day.
func (q Quarter) Last() time.Time { return q.First().AddDate(0, 3, -1) }

// Previous is the quarter before.
func (q Quarter) Previous() Quarter { return QuarterOf(q.First().AddDate(0, 0, -1)) }

// String is "2026-Q1".
func (q Quarter) String() string { return fmt.Sprintf("%d-Q%d", q.Year, q.Q) }

// JudgedQuarter is the latest quarter that may be judged on today: it has
// ended and the grace period after it has passed.
func JudgedQuarter(today time.Time, graceDays int) Quarter {
	q := QuarterOf(today).Previous()
	if today.Before(JudgementDay(q, graceDays)) {
		q = q.Previous()
	}
	return q
}

// JudgementDay is the first day q may be judged on: the day after its
// grace period.
func JudgementDay(q Quarter, graceDays int) time.Time {
	return q.Last().AddDate(0, 0, graceDays+1)
}

// MonthsBetween is the number of whole months from a to b (0 if b is
// before a month after a).
func MonthsBetween(a, b time.Time) int {
	m := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	if b.Day() < a.Day() {
		m--
	}
	return max(m, 0)
}

// LatestStart is the latest day from which n whole months have passed by
// today (MonthsBetween(day, today) >= n), for n >= 1.
func LatestStart(today time.Time, n int) time.Time {
	d := today.AddDate(0, -n, 7)
	for MonthsBetween(d, today) < n {
		d = d.AddDate(0, 0, -1)
	}
	return d
}
