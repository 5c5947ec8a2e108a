package member_test

import (
	"slices"
	"testing"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
)

// validID completes the first 17 characters with their check character.
func validID(first17 string) string {
	return first17 + string(member.CheckCharacter(first17))
}

// withCheck finds a sequence number under region and birth whose check
// character is want, so that the table holds a number ending in X.
func withCheck(t *testing.T, region, birth string, want byte) string {
	t.Helper()
	for seq := 100; seq < 1000; seq++ {
		first := region + birth + itoa3(seq)
		if member.CheckCharacter(first) == want {
			return first + string(want)
		}
	}
	t.Fatalf("no number with check character %c", want)
	return ""
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNationalIDValidation(t *testing.T) {
	t.Parallel()
	good := validID("61010219800115123")
	withX := withCheck(t, "110105", "19491231", 'X')
	wrongCheck := good[:17] + string("0123456789"[(int(good[17]-'0')+1)%10])
	if good[17] == 'X' {
		wrongCheck = good[:17] + "0"
	}
	tests := []struct {
		name   string
		id     string
		birth  time.Time
		fields []string
	}{
		{"a good number is accepted", good, day("1980-01-15"), nil},
		{"a good number with check character X is accepted", withX, day("1949-12-31"), nil},
		{"a lower-case x is read as X", withX[:17] + "x", day("1949-12-31"), nil},
		{"a wrong check character is refused", wrongCheck, day("1980-01-15"), []string{"member.national_id"}},
		{"a number of 17 characters is refused", good[:17], day("1980-01-15"), []string{"member.national_id"}},
		{"a number of 19 characters is refused", good + "1", day("1980-01-15"), []string{"member.national_id"}},
		{"letters are refused", "61010A19800115123X", day("1980-01-15"), []string{"member.national_id"}},
		{"a birth date other than the number's is refused", good, day("1980-01-16"), []string{"member.birth_date"}},
		{"an impossible date in the number is refused", validID("61010219800230123"), time.Time{}, []string{"member.national_id"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := member.ValidateNationalID(tc.id, tc.birth)
			var got []string
			if e, ok := errs.As(err); ok {
				for _, v := range e.Violations {
					got = append(got, v.Field)
				}
			} else if err != nil {
				t.Fatalf("unclassified error %v", err)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

func TestMaskNationalID(t *testing.T) {
	t.Parallel()
	if got, want := member.MaskNationalID("610102198001151234"), "610102********1234"; got != want {
		t.Errorf("mask %q, want %q", got, want)
	}
}
