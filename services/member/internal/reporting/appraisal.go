package reporting

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// Appraisal is one version of a member's result in the annual democratic
// appraisal (民主评议党员, DOMAIN §1 and §5), recorded by the organisation
// where the member's relationship sits. A correction is a new version; the
// highest is current and the older ones are kept.
type Appraisal struct {
	ID             string
	MemberID       string
	OrganisationID string
	Year           int32
	Version        int32
	Grade          string
	Comment        string
	RecordedBy     string
	Created        time.Time
}

// Etag is the version as the API shows it.
func (a *Appraisal) Etag() string { return strconv.Itoa(int(a.Version)) }

// StarRating is one five-star rating (五星级党员, DOMAIN §2) given to a
// member for a year. Every rating is kept; the member's StarRating is the
// latest rating of the latest year rated.
type StarRating struct {
	ID             string
	MemberID       string
	OrganisationID string
	Year           int32
	Stars          int32
	Reason         string
	RatedBy        string
	Created        time.Time
}

// The errors of appraisals.
var (
	// ErrNotReported is the rule of DOMAIN §5: an in-service member who did
	// not report to a community cannot be rated qualified. "Reported in a
	// year" is: a residence registration live on some day of the year, and
	// at least one contact with that community recorded on its card that
	// year. A registration on paper without a single contact is not
	// reporting (挂名).
	ErrNotReported = errs.WithReason(errs.FailedPrecondition, "NOT_REPORTED",
		"an in-service member who did not report to the community where they live in the year (a residence registration and at least one contact on the card) cannot be appraised qualified or excellent")
	ErrAppraisalEtag = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH", "the appraisal was changed by someone else; read it again")
)

// AppraisalRequest records a member's appraisal result for a year.
type AppraisalRequest struct {
	MemberID, Grade, Comment, Etag, RequestID string
	Year                                      int32
}

// RecordAppraisal records a result, as a new version when the year has
// one already. An in-service member who did not report that year cannot
// be recorded qualified or excellent. A request id seen before returns
// the result it recorded.
func (s *Service) RecordAppraisal(ctx context.Context, r AppraisalRequest, a member.Actor) (*Appraisal, error) {
	if err := s.checkGradeAndYear(r.Grade, r.Year); err != nil {
		return nil, err
	}
	var out *Appraisal
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("record_appraisal", r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.GetAppraisal); err != nil || seen {
			return err
		}
		m, err := s.lockSelf(ctx, tx, r.MemberID, a)
		if err != nil {
			return err
		}
		cur, found, err := tx.CurrentAppraisal(ctx, m.ID, r.Year)
		if err != nil {
			return err
		}
		if r.Etag != "" && (!found || r.Etag != cur.Etag()) {
			return ErrAppraisalEtag
		}
		if err := s.checkReported(ctx, tx, m, r); err != nil {
			return err
		}
		version := int32(1)
		if found {
			version = cur.Version + 1
		}
		ap := &Appraisal{ID: member.NewID(), MemberID: m.ID, OrganisationID: m.OrganisationID, Year: r.Year, Version: version,
			Grade: r.Grade, Comment: r.Comment, RecordedBy: a.Subject, Created: s.clock.Now()}
		if err := tx.InsertAppraisal(ctx, ap); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, ap.ID); err != nil {
			return err
		}
		out = ap
		return tx.Emit(ctx, AppraisalRecorded{Appraisal: ap}, ap.Created)
	})
	return out, err
}

// checkReported applies ErrNotReported to an in-service member.
func (s *Service) checkReported(ctx context.Context, tx Tx, m *member.Member, r AppraisalRequest) error {
	if m.EmploymentStatus != EmploymentEmployed || (r.Grade != GradeQualified && r.Grade != GradeExcellent) {
		return nil
	}
	reported, err := tx.Reported(ctx, m.ID, r.Year)
	if err != nil || reported {
		return err
	}
	return errs.Field(ErrNotReported, "grade", "the member did not report to a community in "+strconv.Itoa(int(r.Year))+
		": basically qualified or unqualified only")
}

// Appraisals lists a member's results, every version, newest year first.
// It returns the organisation where the member's relationship sits too.
func (s *Service) Appraisals(ctx context.Context, memberID string, year int32) ([]*Appraisal, string, error) {
	m, err := s.store.Get(ctx, memberID)
	if err != nil {
		return nil, "", err
	}
	list, err := s.store.Appraisals(ctx, memberID, year)
	return list, m.OrganisationID, err
}

// StarRequest gives a member a star rating.
type StarRequest struct {
	MemberID, Reason, Etag, RequestID string
	Year, Stars                       int32
}

// SetStarRating records a star rating and keeps the member's current one
// in the same transaction: when the latest rating of the latest year
// changes it, the member's version advances and MemberUpdated names
// star_rating. A request id seen before returns the rating it recorded.
func (s *Service) SetStarRating(ctx context.Context, r StarRequest, a member.Actor) (*StarRating, int32, error) {
	v := member.NewValidation()
	if r.Stars < 0 || r.Stars > 5 {
		v.Add("stars", "stars are 0 to 5")
	}
	if strings.TrimSpace(r.Reason) == "" {
		v.Add("reason", "a star rating needs a reason")
	}
	s.checkYear(v, r.Year)
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var (
		out     *StarRating
		current int32
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("set_star_rating", r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.GetStarRating); err != nil || seen {
			if err == nil {
				var m *member.Member
				m, err = tx.Lock(ctx, out.MemberID)
				current = m.StarRating
			}
			return err
		}
		m, err := s.lockSelf(ctx, tx, r.MemberID, a)
		if err != nil {
			return err
		}
		if r.Etag != "" && r.Etag != m.Etag() {
			return member.ErrEtagMismatch
		}
		now := s.clock.Now()
		sr := &StarRating{ID: member.NewID(), MemberID: m.ID, OrganisationID: m.OrganisationID, Year: r.Year, Stars: r.Stars,
			Reason: r.Reason, RatedBy: a.Subject, Created: now}
		if err := tx.InsertStarRating(ctx, sr); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, sr.ID); err != nil {
			return err
		}
		out = sr
		if current, err = tx.CurrentStars(ctx, m.ID); err != nil {
			return err
		}
		if err := tx.Emit(ctx, StarRatingSet{Rating: sr, Current: current}, now); err != nil {
			return err
		}
		if current == m.StarRating {
			return nil
		}
		m.StarRating, m.Version, m.Updated = current, m.Version+1, now
		if err := tx.SaveStars(ctx, m); err != nil {
			return err
		}
		return tx.Emit(ctx, StarsChanged{Member: m}, now)
	})
	return out, current, err
}

// StarRatings lists every star rating of a member, newest first, with the
// member, whose StarRating is the current one.
func (s *Service) StarRatings(ctx context.Context, memberID string) ([]*StarRating, *member.Member, error) {
	m, err := s.store.Get(ctx, memberID)
	if err != nil {
		return nil, nil, err
	}
	list, err := s.store.StarRatings(ctx, memberID)
	return list, m, err
}
