package member

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Search narrows a list of members (ListFilter) or a count beyond where
// they sit: the ways a secretary looks a member up in a roster, and the
// questions a city asks of one ("how many retired members in this
// subtree"). The fields combine; the zero value selects everyone.
type Search struct {
	// CategoryCode keeps the members of one management category.
	CategoryCode string
	// Name keeps the members whose name contains it, in any case.
	Name string
	// MinAge and MaxAge keep members of at least and at most so many
	// whole years, as of today in the city; nil for no bound.
	MinAge, MaxAge *int
	// Skills keeps the members with every one of these tags, or with any
	// of them when AnySkill.
	Skills   []string
	AnySkill bool
	// Hardship, when set, keeps the members in hardship or the others.
	Hardship *bool
	// EmploymentStatus keeps the members of one employment status.
	EmploymentStatus string

	// BornAfter and BornBy are the age band as birth dates (BornAfter
	// excluded, BornBy included; zero for no bound), set by the service
	// from the ages so that the store ranges over an index.
	BornAfter, BornBy time.Time
}

// MaxSearchSkills bounds the skills of one search.
const MaxSearchSkills = 16

// maxAge bounds the ages of a search: nobody is older.
const maxAge = 150

// check refuses a search that cannot be meant, naming the field, and
// sets its birth-date band as of today.
func (s *Search) check(today time.Time) error {
	v := NewValidation()
	if s.CategoryCode != "" && !codePattern.MatchString(s.CategoryCode) {
		v.Add("category_code", "a category code is a lower-case letter followed by up to 31 lower-case letters, digits or underscores")
	}
	s.Name = strings.TrimSpace(s.Name)
	if utf8.RuneCountInString(s.Name) > 100 {
		v.Add("name", "a name to look for has at most 100 characters")
	}
	for field, age := range map[string]*int{"min_age": s.MinAge, "max_age": s.MaxAge} {
		if age != nil && (*age < 0 || *age > maxAge) {
			v.Add(field, "an age is 0 to %d", maxAge)
		}
	}
	if s.MinAge != nil && s.MaxAge != nil && *s.MinAge > *s.MaxAge {
		v.Add("min_age", "min_age is more than max_age")
	}
	if len(s.Skills) > MaxSearchSkills {
		v.Add("skills", "at most %d skills tags", MaxSearchSkills)
	}
	for _, sk := range s.Skills {
		if strings.TrimSpace(sk) == "" {
			v.Add("skills", "a skills tag cannot be empty")
			break
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	s.BornAfter, s.BornBy = time.Time{}, time.Time{}
	if s.MinAge != nil {
		s.BornBy = BornBy(today, *s.MinAge)
	}
	if s.MaxAge != nil {
		s.BornAfter = BornBy(today, *s.MaxAge+1)
	}
	return nil
}

// BornBy is the latest birth date of someone at least years old on day, by
// the count of whole years that classifies members (ageOn): the same month
// and day, years earlier, or the month's last day when that year has no
// such day (29 February).
func BornBy(day time.Time, years int) time.Time {
	y, m, d := day.Year()-years, day.Month(), day.Day()
	if last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Find pages through the members a filter selects, its search checked
// and its ages turned into birth dates first; List with a Search must come
// through here.
func (s *Service) Find(ctx context.Context, f ListFilter) ([]*Member, string, error) {
	if err := f.Search.check(s.clock.Today()); err != nil {
		return nil, "", err
	}
	return s.List(ctx, f)
}

// OrgCount is the number of live members directly in an organisation.
type OrgCount struct {
	OrganisationID string
	Count          int64
}

// CountByOrganisation counts the live members of every organisation of a
// subtree that has any: what other services' copies of the counts are
// reconciled with.
func (s *Service) CountByOrganisation(ctx context.Context, ancestorID string) ([]OrgCount, error) {
	return s.store.CountByOrganisation(ctx, ancestorID)
}

// Count counts the members a list with the same filter would list.
func (s *Service) Count(ctx context.Context, f ListFilter) (int64, error) {
	if err := f.Search.check(s.clock.Today()); err != nil {
		return 0, err
	}
	return s.store.Count(ctx, f)
}
