package cobuild_test

import (
	"testing"
	"time"

	"gongjian.dev/services/cobuilding/internal/cobuild"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestPeriodsAreAlignedToTheYear(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		day        string
		months     int
		start, end string
	}{
		{"2026-06-30", 6, "2026-01-01", "2026-06-30"},
		{"2026-07-01", 6, "2026-07-01", "2026-12-31"},
		{"2026-02-28", 3, "2026-01-01", "2026-03-31"},
		{"2026-11-15", 3, "2026-10-01", "2026-12-31"},
		{"2028-02-29", 1, "2028-02-01", "2028-02-29"},
		{"2026-05-05", 12, "2026-01-01", "2026-12-31"},
		{"2026-09-09", 4, "2026-09-01", "2026-12-31"},
	} {
		p := cobuild.PeriodOf(day(tt.day), tt.months)
		if got := cobuild.FormatDate(p.Start) + ".." + cobuild.FormatDate(p.End); got != tt.start+".."+tt.end {
			t.Errorf("the %d-month period of %s: %s, want %s..%s", tt.months, tt.day, got, tt.start, tt.end)
		}
	}
}

func TestTheCitysDayDecidesToday(t *testing.T) {
	t.Parallel()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 17:00 UTC on the 31st is already the 1st of the next month in the city.
	c := cobuild.Clock{Now: func() time.Time { return time.Date(2026, 5, 31, 17, 0, 0, 0, time.UTC) }, Loc: shanghai}
	if got := cobuild.FormatDate(c.Today()); got != "2026-06-01" {
		t.Errorf("today in the city: %s, want 2026-06-01", got)
	}
	if m := cobuild.MonthOf(c.Today()); m.String() != "2026-06" || m.Next().String() != "2026-07" || m.Last().Day() != 30 {
		t.Errorf("the month: %s, next %s, last day %d", m, m.Next(), m.Last().Day())
	}
}

func TestMonthsAreReadOrRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	if _, err := cobuild.ParseMonth("unit_report.month", "2026-13"); err == nil {
		t.Error("2026-13 read as a month")
	}
	if m, err := cobuild.ParseMonth("unit_report.month", "2026-12"); err != nil || m.Next().String() != "2027-01" {
		t.Errorf("2026-12: %v, %v", m, err)
	}
}
