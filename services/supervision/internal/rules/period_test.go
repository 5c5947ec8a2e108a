package rules

import (
	"testing"
	"time"
)

func TestAQuarterIsJudgedFromTheDayAfterItsGrace(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		today string
		grace int
		want  Quarter
	}{
		{"2026-04-15", 15, Quarter{2025, 4}}, // the last day of the first quarter's grace
		{"2026-04-16", 15, Quarter{2026, 1}},
		{"2026-04-01", 0, Quarter{2026, 1}},
		{"2026-03-31", 0, Quarter{2025, 4}},
		{"2027-01-10", 15, Quarter{2026, 3}},
	} {
		if got := JudgedQuarter(day(c.today), c.grace); got != c.want {
			t.Errorf("on %s with %d days' grace: judged %s, want %s", c.today, c.grace, got, c.want)
		}
	}
	if got := JudgementDay(Quarter{2026, 1}, 15).Format(time.DateOnly); got != "2026-04-16" {
		t.Errorf("the first quarter of 2026 is judged from %s, want 2026-04-16", got)
	}
	if got := JudgementDay(Quarter{2026, 4}, 0).Format(time.DateOnly); got != "2027-01-01" {
		t.Errorf("the last quarter of 2026 with no grace is judged from %s, want 2027-01-01", got)
	}
}
