package org

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

func TestYearsSince(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		born, on  string
		wantYears int
	}{
		{"the day before the fiftieth birthday", "1976-11-22", "2026-11-21", 49},
		{"on the fiftieth birthday", "1976-11-22", "2026-11-22", 50},
		{"the day after the fiftieth birthday", "1976-11-22", "2026-11-23", 50},
		{"a month before the birthday", "1976-11-22", "2026-10-22", 49},
		{"born on 29 February, on 28 February of a common year", "2000-02-29", "2025-02-28", 24},
		{"born on 29 February, on 1 March of a common year", "2000-02-29", "2025-03-01", 25},
		{"born on 29 February, on 29 February", "2000-02-29", "2024-02-29", 24},
		{"on the day of birth", "2026-11-22", "2026-11-22", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := day(t, tt.on).YearsSince(day(t, tt.born)); got != tt.wantYears {
				t.Errorf("born %s, on %s: %d years, want %d", tt.born, tt.on, got, tt.wantYears)
			}
		})
	}
}

func TestPreviousQuarter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		on       string
		from, to string
	}{
		{"in the middle of the fourth quarter", "2026-11-22", "2026-07-01", "2026-09-30"},
		{"on the first day of the fourth quarter", "2026-10-01", "2026-07-01", "2026-09-30"},
		{"on the last day of the third quarter", "2026-09-30", "2026-04-01", "2026-06-30"},
		{"on the last day of the year", "2026-12-31", "2026-07-01", "2026-09-30"},
		{"on new year's day", "2026-01-01", "2025-10-01", "2025-12-31"},
		{"on the last day of the first quarter", "2026-03-31", "2025-10-01", "2025-12-31"},
		{"on the first day of the second quarter", "2026-04-01", "2026-01-01", "2026-03-31"},
		{"in a leap year's second quarter", "2024-05-15", "2024-01-01", "2024-03-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from, to := day(t, tt.on).PreviousQuarter()
			if diff := cmp.Diff([]string{tt.from, tt.to}, []string{from.String(), to.String()}); diff != "" {
				t.Errorf("previous quarter of %s (-want +got):\n%s", tt.on, diff)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "2024-02-29", want: "2024-02-29"},
		{in: "2026-11-22", want: "2026-11-22"},
		{in: "", want: ""},
		{in: "2024-02-30", wantErr: true},
		{in: "2023-02-29", wantErr: true},
		{in: "2026-04-31", wantErr: true},
		{in: "2026-13-01", wantErr: true},
		{in: "2026-1-5", wantErr: true},
		{in: "22/11/2026", wantErr: true},
		{in: "2026-11-22T08:00:00Z", wantErr: true},
	}
	for _, tt := range tests {
		t.Run("reading "+tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseDate(%q) error %v, want error: %t", tt.in, err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("ParseDate(%q) = %q, want %q", tt.in, got.String(), tt.want)
			}
		})
	}
}

func TestDateOfIgnoresTheClockTime(t *testing.T) {
	t.Parallel()
	late := time.Date(2026, 11, 22, 23, 59, 59, 999999999, time.FixedZone("CST", 8*3600))
	if got := DateOf(late).String(); got != "2026-11-22" {
		t.Errorf("DateOf(%s) = %s, want the day in its own zone, 2026-11-22", late, got)
	}
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	type holder struct {
		Until Date `json:"until"`
	}
	tests := []struct {
		name string
		in   holder
		want string
	}{
		{"a day", holder{NewDate(2024, time.February, 29)}, `{"until":"2024-02-29"}`},
		{"no day", holder{}, `{"until":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" round-trips", func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("marshalled %s, want %s", b, tt.want)
			}
			var back holder
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !back.Until.Time().Equal(tt.in.Until.Time()) {
				t.Errorf("read back %v, want %v", back.Until, tt.in.Until)
			}
		})
	}
	t.Run("a day that does not exist is refused", func(t *testing.T) {
		t.Parallel()
		var h holder
		if err := json.Unmarshal([]byte(`{"until":"2024-02-30"}`), &h); err == nil {
			t.Errorf("read %v from 2024-02-30, want an error", h.Until)
		}
	})
}
