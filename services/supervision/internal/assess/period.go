package assess

import (
	"fmt"
	"strconv"
	"time"
)

// Period is a year (Q 0) or a quarter of it.
type Period struct{ Year, Q int }

// ParsePeriod reads "2026" or "2026-Q2".
func ParsePeriod(s string) (Period, error) {
	var p Period
	if len(s) == 4 {
		y, err := strconv.Atoi(s)
		if err == nil && y >= 2000 && y <= 2100 {
			return Period{Year: y}, nil
		}
	}
	if len(s) == 7 && s[4:6] == "-Q" && s[6] >= '1' && s[6] <= '4' {
		y, err := strconv.Atoi(s[:4])
		if err == nil && y >= 2000 && y <= 2100 {
			return Period{Year: y, Q: int(s[6] - '0')}, nil
		}
	}
	return p, fmt.Errorf("a year (2026) or a quarter (2026-Q2)")
}

// PeriodOf is the quarter a day falls in.
func PeriodOf(day time.Time) Period { return Period{day.Year(), (int(day.Month())-1)/3 + 1} }

// First is the period's first day.
func (p Period) First() time.Time {
	if p.Q == 0 {
		return time.Date(p.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(p.Year, time.Month(3*p.Q-2), 1, 0, 0, 0, 0, time.UTC)
}

// Last is the period's last day.
func (p Period) Last() time.Time {
	if p.Q == 0 {
		return time.Date(p.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return p.First().AddDate(0, 3, -1)
}

// Quarterly says whether the period is a quarter.
func (p Period) Quarterly() bool { return p.Q != 0 }

// String is "2026" or "2026-Q2".
func (p Period) String() string {
	if p.Q == 0 {
		return strconv.Itoa(p.Year)
	}
	return fmt.Sprintf("%d-Q%d", p.Year, p.Q)
}

// Contains says whether day falls in the period.
func (p Period) Contains(day time.Time) bool {
	return !day.Before(p.First()) && !day.After(p.Last())
}
