package member

import (
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// Arrival is the letter of introduction a member arriving from outside
// the city brought: the sending organisation (name and place), the
// letter's number and its date.
type Arrival struct {
	OriginOrganisation string
	LetterNumber       string
	LetterDate         time.Time
}

// check adds the violations of an arrival to v.
func (a *Arrival) check(v *errs.Validation, today time.Time) {
	if strings.TrimSpace(a.OriginOrganisation) == "" {
		v.Add("member.arrival.origin_organisation", "the sending organisation outside the city is required")
	}
	if strings.TrimSpace(a.LetterNumber) == "" {
		v.Add("member.arrival.letter_number", "the letter's number is required")
	}
	switch {
	case a.LetterDate.IsZero():
		v.Add("member.arrival.letter_date", "the letter's date is required")
	case a.LetterDate.After(today):
		v.Add("member.arrival.letter_date", "the letter's date cannot be in the future")
	}
}
