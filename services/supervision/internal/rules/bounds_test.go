package rules

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBoundsReadsTheUsualShapeOnly(t *testing.T) {
	t.Parallel()
	fact, _ := FactNamed(FactInServiceAttendance)
	mobile, _ := FactNamed(FactMobileContactOverdue)
	tests := []struct {
		name string
		fact Fact
		rule Rule
		want map[string]int64
	}{
		{"months absent at least the window", fact, Rule{Condition: "months_absent >= window", WindowCount: 6}, map[string]int64{"months_absent": 6}},
		{"a conjunct with a number", fact, Rule{Condition: "stars > 0 && months_absent >= 3"}, map[string]int64{"months_absent": 3}},
		{"a parameter", mobile, Rule{Condition: "period >= params.min_period", Params: map[string]any{"min_period": float64(2)}}, map[string]int64{"period": 2}},
		{"a parameter the rule lacks gives no bound", mobile, Rule{Condition: "period >= params.nope"}, map[string]int64{}},
		{"an or gives none", fact, Rule{Condition: "months_absent >= window || stars == 5", WindowCount: 6}, nil},
		{"parentheses give none", fact, Rule{Condition: "(months_absent >= window)", WindowCount: 6}, nil},
		{"a ternary gives none", fact, Rule{Condition: "stars > 3 ? months_absent >= 2 : months_absent >= 6"}, nil},
		{"a variable that is no int gives none", mobile, Rule{Condition: "kind >= 3"}, map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Bounds(tt.fact, &tt.rule)); diff != "" {
				t.Errorf("Bounds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLatestStartIsTheLastDayWithTheMonthsPassed(t *testing.T) {
	t.Parallel()
	for today := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); today.Year() < 2027; today = today.AddDate(0, 0, 1) {
		for _, n := range []int{1, 2, 6, 13} {
			d := LatestStart(today, n)
			if MonthsBetween(d, today) < n || MonthsBetween(d.AddDate(0, 0, 1), today) >= n {
				t.Fatalf("LatestStart(%s, %d) = %s: months from it %d, from the day after %d", today.Format(time.DateOnly), n,
					d.Format(time.DateOnly), MonthsBetween(d, today), MonthsBetween(d.AddDate(0, 0, 1), today))
			}
		}
	}
}
