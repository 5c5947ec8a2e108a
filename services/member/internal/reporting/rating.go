package reporting

import (
	"context"
	"strconv"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// CommunityRating is a community's rating of a member registered with it
// for a year (评议). A new rating of the same year is a new version; the
// highest is current and the older ones are kept. OrganisationID is where
// the member's relationship sat: the rating is sent there (双向反馈).
type CommunityRating struct {
	ID             string
	MemberID       string
	CommunityID    string
	Year           int32
	Version        int32
	Grade          string
	Comment        string
	OrganisationID string
	RatedBy        string
	Created        time.Time
}

// The grades of a community's rating and of the annual appraisal.
const (
	GradeExcellent          = "EXCELLENT"
	GradeQualified          = "QUALIFIED"
	GradeBasicallyQualified = "BASICALLY_QUALIFIED"
	GradeUnqualified        = "UNQUALIFIED"
)

func validGrade(g string) bool {
	switch g {
	case GradeExcellent, GradeQualified, GradeBasicallyQualified, GradeUnqualified:
		return true
	}
	return false
}

// firstYear is the first year anything can be rated in.
const firstYear = 1949

// checkYear refuses a year before the party's records or after this one.
func (s *Service) checkYear(v *errs.Validation, year int32) {
	if this := int32(s.clock.Year(s.clock.Now())); year < firstYear || year > this {
		v.Add("year", "the year is %d to %d", firstYear, this)
	}
}

// checkGradeAndYear refuses a grade that is missing or unknown and a year
// outside the ones that can be graded, naming each field.
func (s *Service) checkGradeAndYear(grade string, year int32) error {
	v := member.NewValidation()
	if !validGrade(grade) {
		v.Add("grade", "grade is required")
	}
	s.checkYear(v, year)
	return v.Err()
}

// RatingRequest is a community's rating of a member.
type RatingRequest struct {
	CommunityID, MemberID, Grade, Comment, RequestID string
	Year                                             int32
}

// RateMember records a community's rating of a member who was registered
// with it during the year, and sends it with the year's card totals to the
// organisation where the member's relationship sits, in one transaction.
// A request id seen before returns the rating it made.
func (s *Service) RateMember(ctx context.Context, r RatingRequest, a member.Actor) (*CommunityRating, error) {
	if err := s.checkGradeAndYear(r.Grade, r.Year); err != nil {
		return nil, err
	}
	var out *CommunityRating
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("rate_member", r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.GetRating); err != nil || seen {
			return err
		}
		m, err := s.lockSelf(ctx, tx, r.MemberID, a)
		if err != nil {
			return err
		}
		c, err := s.community(ctx, tx, r.CommunityID)
		if err != nil {
			return err
		}
		if found, err := tx.RegisteredInYear(ctx, m.ID, c.ID, "", r.Year); err != nil {
			return err
		} else if !found {
			return errs.Field(ErrNotRegistered, "year", "the member was not registered with this community in "+strconv.Itoa(int(r.Year)))
		}
		version, err := tx.LastRatingVersion(ctx, m.ID, c.ID, r.Year)
		if err != nil {
			return err
		}
		rating := &CommunityRating{ID: member.NewID(), MemberID: m.ID, CommunityID: c.ID, Year: r.Year, Version: version + 1,
			Grade: r.Grade, Comment: r.Comment, OrganisationID: m.OrganisationID, RatedBy: a.Subject, Created: s.clock.Now()}
		if err := tx.InsertRating(ctx, rating); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, rating.ID); err != nil {
			return err
		}
		out = rating
		entries, err := tx.CardEntries(ctx, m.ID, r.Year)
		if err != nil {
			return err
		}
		settings, err := tx.ReportingSettings(ctx, m.DistrictID)
		if err != nil {
			return err
		}
		card := tally(m.ID, r.Year, entries, settings, s.clock.Today())
		return tx.Emit(ctx, FeedbackSent{Rating: rating, Card: &card}, rating.Created)
	})
	return out, err
}
