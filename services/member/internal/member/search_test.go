package member

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gongjian.dev/pkg/errs"
)

func TestBornByAgreesWithTheAgeOfClassification(t *testing.T) {
	t.Parallel()
	days := []time.Time{
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC),
	}
	for _, day := range days {
		for _, years := range []int{0, 1, 18, 35, 59, 60, 100} {
			cut := BornBy(day, years)
			// Every birth date within a few days of the cut, and the 29ths
			// of February around it.
			for d := -4; d <= 4; d++ {
				birth := cut.AddDate(0, 0, d)
				if got, want := !birth.After(cut), ageOn(birth, day) >= years; got != want {
					t.Errorf("on %s, born %s: within BornBy(%d) = %v, but age %d", day.Format(time.DateOnly),
						birth.Format(time.DateOnly), years, got, ageOn(birth, day))
				}
			}
		}
	}
}

func TestASearchThatCannotBeMeantIsRefusedOnItsField(t *testing.T) {
	t.Parallel()
	n := func(i int) *int { return &i }
	tests := []struct {
		name   string
		search Search
		fields []string
	}{
		{"older than it is young", Search{MinAge: n(60), MaxAge: n(40)}, []string{"min_age"}},
		{"a negative age", Search{MaxAge: n(-1)}, []string{"max_age"}},
		{"a category code of another shape", Search{CategoryCode: "Direct Care"}, []string{"category_code"}},
		{"too many skills", Search{Skills: make17()}, []string{"skills"}},
		{"an empty skill", Search{Skills: []string{"mediation", " "}}, []string{"skills"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.search.check(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.InvalidArgument {
				t.Fatalf("check: %v, want InvalidArgument", err)
			}
			var fields []string
			for _, v := range e.Violations {
				fields = append(fields, v.Field)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func make17() []string {
	out := make([]string, 17)
	for i := range out {
		out[i] = string(rune('a' + i))
	}
	return out
}

// id18 is a valid number for a birth date, sequence seq.
func id18(birth string, seq int) string {
	first := "610102" + birth + string(rune('0'+seq/100%10)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
	return first + string(CheckCharacter(first))
}
