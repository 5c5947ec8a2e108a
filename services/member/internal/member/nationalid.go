package member

import (
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// The resident identity number (GB 11643): six digits of the place of
// registration, eight of the birth date, three of sequence (odd for men),
// and a check character over the first seventeen.
const nationalIDLen = 18

var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idChecks  = "10X98765432"
)

// NormaliseNationalID trims the number and upper-cases a check character x.
func NormaliseNationalID(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// CheckCharacter is the GB 11643 check character of the first seventeen
// digits of a number.
func CheckCharacter(first17 string) byte {
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idChecks[sum%11]
}

// checkNationalID records what is wrong with a normalised number and with
// its agreement with the birth date (zero when the birth date is unknown).
func checkNationalID(v *errs.Validation, id string, birth time.Time) {
	const field = "member.national_id"
	if len(id) != nationalIDLen {
		v.Add(field, "a national ID number has %d characters", nationalIDLen)
		return
	}
	for i := range 17 {
		if id[i] < '0' || id[i] > '9' {
			v.Add(field, "the first 17 characters of a national ID number are digits")
			return
		}
	}
	if last := id[17]; (last < '0' || last > '9') && last != 'X' {
		v.Add(field, "the last character of a national ID number is a digit or X")
		return
	}
	if CheckCharacter(id) != id[17] {
		v.Add(field, "the check character does not match: the number is mistyped")
		return
	}
	born, err := time.Parse("20060102", id[6:14])
	if err != nil {
		v.Add(field, "characters 7 to 14 are not a real date")
		return
	}
	if !birth.IsZero() && !born.Equal(birth) {
		v.Add("member.birth_date", "the birth date does not agree with the national ID number")
	}
}

// MaskNationalID shows the region and the last four characters only:
// "610102********1234".
func MaskNationalID(id string) string {
	if len(id) != nationalIDLen {
		return strings.Repeat("*", len(id))
	}
	return id[:6] + "********" + id[14:]
}
