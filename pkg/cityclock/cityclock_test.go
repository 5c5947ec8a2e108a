package cityclock

import (
	"testing"
	"time"
)

func TestTodayIsTheCitysDayAndNowIsKeptAsTheDatabaseKeepsIt(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 20:30 UTC on 31 March is already 1 April in Shanghai.
	at := time.Date(2026, 3, 31, 20, 30, 0, 123456789, time.UTC)
	c := New(func() time.Time { return at }, shanghai)
	if got, want := c.Today(), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Today = %v, want %v", got, want)
	}
	if got := c.Now(); got.Nanosecond() != 123456000 || got.Location() != time.UTC {
		t.Errorf("Now = %v, want microseconds in UTC", got)
	}
	if got := New(func() time.Time { return at }, nil).Today(); got.Day() != 31 {
		t.Errorf("without a zone, Today = %v, want UTC's day", got)
	}
	if New(nil, nil).Now().IsZero() {
		t.Error("the default clock does not run")
	}
}
