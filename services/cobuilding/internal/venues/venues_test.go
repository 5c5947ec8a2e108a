package venues

import (
	"testing"
	"time"
)

func TestWorkingFollowsTheCalendarBeforeTheWeekday(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tt := range []struct {
		name, date string
		kind       DayKind
		want       bool
	}{
		{"an ordinary Friday", "2026-06-26", Ordinary, true},
		{"an ordinary Saturday", "2026-06-27", Ordinary, false},
		{"an ordinary Sunday", "2026-06-28", Ordinary, false},
		{"a make-up working Sunday", "2026-09-20", Workday, true},
		{"a holiday Thursday", "2026-10-01", Holiday, false},
		{"a holiday Saturday", "2026-10-03", Holiday, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Working(day(tt.date), tt.kind); got != tt.want {
				t.Errorf("Working(%s, %s) = %v, want %v", tt.date, tt.kind, got, tt.want)
			}
		})
	}
}

func TestMinutesReadAndWriteHHMM(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"00:00", "08:30", "17:30", "23:59"} {
		m, err := ParseMinutes("f", s)
		if err != nil || m.String() != s {
			t.Errorf("%s: %v (%v), want it back", s, m, err)
		}
	}
	for _, s := range []string{"24:00", "8:3x", "", "noon"} {
		if _, err := ParseMinutes("f", s); err == nil {
			t.Errorf("%q taken as a time of day", s)
		}
	}
	if r := OnePlusThree(); r.OfficeStart.String() != "08:30" || r.OfficeEnd.String() != "17:30" {
		t.Errorf("the 1+3 rule's office hours: %v–%v", r.OfficeStart, r.OfficeEnd)
	}
}
